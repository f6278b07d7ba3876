"""Whole-process benchmark of ``crm remind``, the morning cron job.

Run by hand (never by the test suite), after ``bench_core.py`` has generated its data::

    .venv/bin/python benchmarks/bench_remind.py
    .venv/bin/python benchmarks/bench_remind.py --core /tmp/crm-bench/c100000-f1000000-schema0005

It copies bench_core's database of 100,000 customers and 1,000,000 follow-ups, adds
200,000 contacts (with solar and lunar birthdays spread over the year, their month-day
column filled as crm fills it), some greetings already sent, one campaign and 100,000
complaints (each with its opening step; 2 % still open, some of them waiting on the
customer, the rest answered and closed), then times
``crm remind --as-of`` on a solar-term day, an ordinary day and the first of a month, for
everybody and for the salesperson with the most customers (``--owner``, the digest a
per-salesperson cron job mails), against
``python -c "import typer, rich, sqlmodel, dateutil.parser"``. Target: ≤ 1.5×.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench_core import Env, compile_package, crm_executable, load, medians

TARGET = 1.5
SEED = 20261122
BASELINE = [sys.executable, "-c", "import typer, rich, sqlmodel, dateutil.parser"]
DAYS = {
    "solar term 小雪 (2026-11-22)": "2026-11-22",
    "ordinary day (2026-11-20)": "2026-11-20",
    "first of a month (2026-12-01)": "2026-12-01",
}


def add_contacts(db: Path, count: int) -> None:
    rng = random.Random(SEED)
    conn = sqlite3.connect(db)
    customers = [row[0] for row in conn.execute("SELECT id FROM customer")]
    now = "2026-11-01 00:00:00.000000"
    rows = []
    for n in range(count):
        lunar = rng.random() < 0.2
        month = rng.randint(1, 12)
        day = rng.randint(1, 30 if lunar else 28)
        year = rng.randint(1955, 2000)
        birthday = f"{year:04d}-{month:02d}-{day:02d}" if rng.random() < 0.7 else None
        rows.append(
            (
                rng.choice(customers),
                f"联系人{n:06d}",
                "采购经理",
                birthday,
                int(lunar and birthday is not None),
                0,
                birthday[-5:] if birthday else None,
                now,
                now,
            )
        )
    with conn:
        conn.executemany(
            "INSERT INTO contact (customer_id, name, title, birthday, birthday_lunar, "
            "birthday_leap, birth_md, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.execute(
            'INSERT INTO campaign (name, "on", stages, created_by, created_on, created_at, '
            "updated_at) VALUES ('年终答谢会', '2026-12-20', 'loyal', 'bench', '2026-01-01', ?, ?)",
            (now, now),
        )
    conn.close()


def add_complaints(db: Path, count: int) -> None:
    """Complaints over the year before the benchmark days: most answered and closed in
    time, 2 % still open (a quarter of those waiting on the customer)."""
    rng = random.Random(SEED + 1)
    conn = sqlite3.connect(db)
    if conn.execute("SELECT count(*) FROM complaint").fetchone()[0]:
        conn.close()
        return
    customers = [row[0] for row in conn.execute("SELECT id, owner FROM customer")]
    owners = dict(conn.execute("SELECT id, owner FROM customer"))
    stamp = "2026-11-01 00:00:00.000000"
    complaints, steps = [], []
    severities = ("general", "general", "general", "important", "major")
    for n in range(1, count + 1):
        customer = rng.choice(customers)
        received = datetime(2025, 11, 20, 9) + timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        severity = rng.choice(severities)
        still_open = rng.random() < 0.02
        responded = received + timedelta(hours=rng.randint(1, 30))
        waiting = still_open and rng.random() < 0.25
        row = {
            "id": n,
            "customer_id": customer,
            "received_at": f"{received:%Y-%m-%d %H:%M:%S}.000000",
            "severity": severity,
            "summary": f"投诉{n:06d}: 交货延迟",
            "handler": owners[customer],
            "status": "responded" if still_open else "closed",
            "responded_at": f"{responded:%Y-%m-%d %H:%M:%S}.000000",
            "resolved_at": None
            if still_open
            else f"{responded + timedelta(days=2):%Y-%m-%d %H:%M:%S}.000000",
            "closed_at": None
            if still_open
            else f"{responded + timedelta(days=3):%Y-%m-%d %H:%M:%S}.000000",
            "waiting_since": f"{responded + timedelta(hours=1):%Y-%m-%d %H:%M:%S}.000000"
            if waiting
            else None,
        }
        complaints.append(row)
        steps.append((n, row["received_at"], "opened", severity))
        if waiting:
            steps.append((n, row["waiting_since"], "waiting", None))
    with conn:
        conn.executemany(
            "INSERT INTO complaint (id, customer_id, received_at, severity, summary, handler, "
            "status, responded_at, resolved_at, closed_at, waiting_since, created_at, updated_at) "
            "VALUES (:id, :customer_id, :received_at, :severity, :summary, :handler, :status, "
            ":responded_at, :resolved_at, :closed_at, :waiting_since, '"
            + stamp
            + "', '"
            + stamp
            + "')",
            complaints,
        )
        conn.executemany(
            "INSERT INTO complaintstep (complaint_id, at, kind, severity, by, created_at) "
            "VALUES (?, ?, ?, ?, 'bench', '" + stamp + "')",
            steps,
        )
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--core", type=Path, default=None, help="bench_core's data directory")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/crm-bench-remind"))
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument(
        "--complaints", type=int, default=100_000, help="0: none (a schema before 0008)"
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    core = args.core or max(Path("/tmp/crm-bench").glob("c100000-f1000000-*"), default=None)
    if core is None or not (core / "crm.db").exists():
        sys.exit("no bench_core data: run benchmarks/bench_core.py first (or pass --core)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    db = args.workdir / "remind.db"
    if not db.exists():
        started = time.perf_counter()
        shutil.copy(core / "crm.db", db)
        add_contacts(db, args.contacts)
        print(f"prepared {db} in {time.perf_counter() - started:.1f} s")
    env = Env(workdir=args.workdir, db=db, crm=crm_executable())
    compile_package(env, Path(env.probe("import crmcli; print(crmcli.__file__)")).parent)
    environ = env.environ()
    # One run that may recompute derived data (policy fingerprint) before measuring.
    subprocess.run(
        env.crm_args("remind", "--as-of", "2026-11-20"),
        env=environ,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    if args.complaints:
        add_complaints(db, args.complaints)

    with sqlite3.connect(db) as conn:
        # The salesperson with the most customers: the longest digest a cron job mails.
        (busiest,) = conn.execute(
            "SELECT owner FROM customer GROUP BY owner ORDER BY count(*) DESC, owner LIMIT 1"
        ).fetchone()
    print(f"load average: {load()}")
    failed = False
    runs = [(label, day, ()) for label, day in DAYS.items()]
    runs += [
        (f"{label}, --owner {busiest}", day, ("--owner", busiest)) for label, day in DAYS.items()
    ]
    for label, day, extra in runs:
        cmd = env.crm_args("remind", "--as-of", day, *extra)
        times = medians({"crm": cmd, "baseline": BASELINE}, environ, args.runs)
        lines = subprocess.run(cmd, env=environ, capture_output=True, check=False).stdout
        count = lines.count(b"\n") - 1 if lines else 0
        ratio = times["crm"] / times["baseline"]
        verdict = "PASS" if ratio <= TARGET else "FAIL"
        failed |= ratio > TARGET
        print(
            f"{label}: crm remind {times['crm']:.3f} s, baseline {times['baseline']:.3f} s, "
            f"ratio {ratio:.2f} (target ≤ {TARGET}) {verdict}; {count} duties listed"
        )
    plan = subprocess.run(
        [
            "sqlite3",
            str(db),
            "EXPLAIN QUERY PLAN SELECT id FROM contact WHERE "
            "birthday_lunar = 0 AND birth_md IN ('11-22')",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    print(f"birthday lookup plan: {plan.splitlines()[-1] if plan else 'n/a'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
