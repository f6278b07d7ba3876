"""Whole-process benchmark of ``crm report all --format json`` on SQLite and PostgreSQL.

Run by hand (never by the test suite)::

    .venv/bin/python benchmarks/bench_reports.py                       # SQLite only
    .venv/bin/python benchmarks/bench_reports.py --pg postgresql+psycopg://postgres@127.0.0.1:55432/postgres

The customers and follow-ups are bench_core.py's (100,000 / 1,000,000 by default,
generated once into ``--workdir`` and reused); this script adds, to a copy of that file,
500,000 sales, 50,000 projects (with their stage moves) and 100,000 complaints (with
their steps) spread over the year before the as-of day, by bulk inserts through sqlite3.
For PostgreSQL the file is copied to a fresh server database with ``crm db copy``. Each
run alternates the report with the floor ``python -c "import typer, rich, sqlmodel,
dateutil.parser"``; the medians and their ratio are printed (target: ≤ 3 ×). The same
command on an empty database shows what the report costs before it reads any row.
"""

from __future__ import annotations

import argparse
import random
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_core

TARGET = 3.0
FLOOR = [sys.executable, "-c", "import typer, rich, sqlmodel, dateutil.parser"]
SEVERITIES = ("general", "general", "general", "important", "major")
STAGES = ("evaluation", "negotiation", "contract", "implementation", "completed", "lost")


def add_records(db: Path, as_of: date, sales: int, projects: int, complaints: int) -> None:
    """Sales, projects and complaints for random customers in the year before ``as_of``."""
    rng = random.Random(14)
    conn = sqlite3.connect(db)
    ids = [r[0] for r in conn.execute("SELECT id FROM customer")]
    owners = dict(conn.execute("SELECT id, owner FROM customer"))
    now = datetime(2026, 11, 20, 12)

    def day() -> date:
        return as_of - timedelta(days=rng.randrange(365))

    conn.executemany(
        "INSERT INTO sale (customer_id, sold_on, amount_micros, currency, created_at, updated_at)"
        " VALUES (?, ?, ?, 'CNY', ?, ?)",
        (
            (
                rng.choice(ids),
                day().isoformat(),
                rng.randrange(-5000, 500_000) * 1_000_000,
                now,
                now,
            )
            for _ in range(sales)
        ),
    )
    for _ in range(projects):
        cid = rng.choice(ids)
        start = day()
        stage = rng.choice(STAGES)
        closed = (
            start + timedelta(days=rng.randrange(1, 90)) if stage in ("completed", "lost") else None
        )
        cur = conn.execute(
            "INSERT INTO project (customer_id, name, stage, amount_cents, currency, added_on,"
            " closed_on, owner, created_at, updated_at) VALUES (?, ?, ?, ?, 'CNY', ?, ?, ?, ?, ?)",
            (cid, f"P{cid}", stage, rng.randrange(1, 1000) * 100_000, start, closed,
             owners[cid], now, now),
        )  # fmt: skip
        moves = [("evaluation", None, start)]
        if stage != "evaluation":
            moves.append((stage, "evaluation", closed or start + timedelta(days=rng.randrange(60))))
        conn.executemany(
            "INSERT INTO projectstage (project_id, stage, from_stage, at, by, created_at)"
            " VALUES (?, ?, ?, ?, 'bench', ?)",
            [
                (cur.lastrowid, s, f, datetime.combine(d, datetime.min.time()), now)
                for s, f, d in moves
            ],
        )
    for _ in range(complaints):
        cid = rng.choice(ids)
        received = datetime.combine(day(), datetime.min.time()) + timedelta(
            minutes=rng.randrange(1440)
        )
        responded = received + timedelta(minutes=rng.randrange(60, 3000))
        resolved = (
            responded + timedelta(hours=rng.randrange(1, 200)) if rng.random() < 0.8 else None
        )
        status = "resolved" if resolved else "responded"
        cur = conn.execute(
            "INSERT INTO complaint (customer_id, received_at, severity, summary, handler, status,"
            " responded_at, resolved_at, created_at, updated_at)"
            " VALUES (?, ?, ?, 'bench', ?, ?, ?, ?, ?, ?)",
            (cid, received, rng.choice(SEVERITIES), owners[cid], status, responded, resolved, now, now),
        )  # fmt: skip
        conn.execute(
            "INSERT INTO complaintstep (complaint_id, at, kind, by, created_at)"
            " VALUES (?, ?, 'opened', 'bench', ?)",
            (cur.lastrowid, received, now),
        )
    conn.commit()
    conn.close()


def medians(env: bench_core.Env, db: str, as_of: str, runs: int) -> tuple[float, float]:
    cmd = [env.crm, "--db", db, "report", "all", "--to", as_of, "--format", "json"]
    times: dict[str, list[float]] = {"report": [], "floor": []}
    for _ in range(runs):
        times["floor"].append(bench_core.timed(FLOOR, env.environ()))
        times["report"].append(bench_core.timed(cmd, env.environ()))
    return statistics.median(times["report"]), statistics.median(times["floor"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", default="/tmp/crm-bench")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--followups", type=int, default=1_000_000)
    parser.add_argument("--sales", type=int, default=500_000)
    parser.add_argument("--projects", type=int, default=50_000)
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--as-of", default=bench_core.DEFAULT_AS_OF)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", help="also on this server (a user who may CREATE DATABASE)")
    args = parser.parse_args()
    args.rev, args.src, args.regenerate = None, None, False
    env, _ = bench_core.prepare(args)
    db = env.db.with_name(f"reports-s{args.sales}-p{args.projects}-k{args.complaints}.db")
    if not db.exists():
        shutil.copyfile(env.db, db)
        add_records(db, date.fromisoformat(args.as_of), args.sales, args.projects, args.complaints)
    empty = db.with_name("reports-empty.db")
    if not empty.exists():
        subprocess.run(env.crm_args("db", "migrate", db=empty), env=env.environ(), check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    subprocess.run(["uptime"], check=False)
    report, floor = medians(env, str(db), args.as_of, args.runs)
    print(
        f"SQLite: report {report:.2f} s, floor {floor:.2f} s, {report / floor:.2f} × (target ≤ {TARGET} ×)"
    )
    # What no data costs: start-up, building and compiling the report's queries, the JSON.
    report, floor = medians(env, str(empty), args.as_of, args.runs)
    print(
        f"SQLite, empty database: report {report:.2f} s, floor {floor:.2f} s, {report / floor:.2f} ×"
    )
    if args.pg:
        from sqlalchemy.engine import make_url

        name = f"crm_bench_reports_{secrets.token_hex(3)}"
        admin = make_url(args.pg)
        import psycopg

        libpq = admin.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = admin.set(database=name).render_as_string(hide_password=False)
        try:
            subprocess.run([env.crm, "--db", str(db), "db", "copy", "--to", url],
                           env=env.environ(), check=True, stdout=subprocess.DEVNULL)  # fmt: skip
            report, floor = medians(env, url, args.as_of, args.runs)
            print(f"PostgreSQL: report {report:.2f} s, floor {floor:.2f} s, {report / floor:.2f} ×")
        finally:
            with psycopg.connect(libpq, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
