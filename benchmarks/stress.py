"""Load and kill tests of whole `crm` processes on one database (SPEC §6).

    python benchmarks/stress.py load [--writers 8] [--logs 100] [--import-rows 20000]
    python benchmarks/stress.py kill [--rows 100000] [--kills 10] [--reclassify-kills 10]

``load``: WRITERS processes each run LOGS ``crm log`` commands, one after another, while
a ``crm reclassify`` loop runs and a ``crm import customers`` of IMPORT_ROWS rows goes in,
all at once. Then: no command failed, every follow-up and every imported customer is
there, and every customer's last contact is its latest follow-up.

``kill``: an import of ROWS customers is killed (SIGKILL) at KILLS random moments within
the time a whole one takes, and ``crm reclassify`` over as many sales at
RECLASSIFY_KILLS moments. After each kill ``crm db check`` passes and the import is in
wholly or not at all; in the end a whole import goes in and no staging folder is left.

Both print their figures and exit 1 when anything is wrong. ``--db`` names the database
(a file in a temporary folder by default; ``load`` takes a PostgreSQL URL too).
``tests/test_stress.py`` runs both at a small scale; the full scale is run by hand.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

AS_OF = "2026-11-30"
ADDED = "2025-01-01"
SEED_CUSTOMERS = 40


def crm(db: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crmcli", "--db", db, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def spawn(db: str, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "crmcli", "--db", db, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def environment(work: Path) -> dict[str, str]:
    scratch = work / "tmp"
    scratch.mkdir(exist_ok=True)
    return {
        **os.environ,
        "CRM_CONFIG": str(work / "config.toml"),
        "CRM_USER": "stress",
        "TMPDIR": str(scratch),  # where the imports stage their files
        "NO_COLOR": "1",
    }


def write_customers(path: Path, rows: int, prefix: str) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name", "phone", "stage", "owner"])
        for i in range(rows):
            writer.writerow(
                [f"{prefix}{i:07d}", f"{prefix} 客户 {i}", f"139{i:08d}", "customer", "wang"]
            )


def write_sales(path: Path, codes: list[str], rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_code", "sold_on", "amount", "product"])
        for i in range(rows):
            day = datetime(2026, 1, 1) + timedelta(days=rng.randrange(300))
            writer.writerow(
                [rng.choice(codes), f"{day:%Y-%m-%d}", f"{rng.randrange(100, 900_000)}", f"p{i}"]
            )


def checked(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0:
        raise SystemExit(f"{what} failed (exit {result.returncode}): {result.stderr.strip()}")


def engine_of(db: str) -> Any:
    from crmcli.db import make_engine

    return make_engine(db, write=False)


def scalar(db: str, statement: Any) -> Any:
    engine = engine_of(db)
    try:
        with engine.connect() as conn:
            return conn.execute(statement).scalar()
    finally:
        engine.dispose()


def count(db: str, table: str) -> int:
    from sqlalchemy import func, select

    from crmcli.schema import metadata

    return int(scalar(db, select(func.count()).select_from(metadata.tables[table])))


def last_contact_mismatches(db: str) -> int:
    """Customers whose last contact is not their latest follow-up."""
    from sqlalchemy import func, select

    from crmcli.schema import customer, followup

    latest = (
        select(func.max(followup.c.at))
        .where(followup.c.customer_id == customer.c.id)
        .scalar_subquery()
    )
    mismatched = select(func.count()).where(customer.c.last_contact_at.is_distinct_from(latest))
    return int(scalar(db, mismatched))


def seed(db: str, work: Path, env: dict[str, str], *, sales: int = 0) -> list[str]:
    """Customers the writers log follow-ups with (and sales to reclassify)."""
    first = work / "seed.csv"
    write_customers(first, SEED_CUSTOMERS, "S")
    checked(crm(db, "init", env=env), "init")
    checked(crm(db, "import", "customers", str(first), "--as-of", ADDED, env=env), "seed import")
    codes = [f"S{i:07d}" for i in range(SEED_CUSTOMERS)]
    if sales:
        orders = work / "sales.csv"
        write_sales(orders, codes, sales)
        checked(crm(db, "import", "sales", str(orders), "--as-of", AS_OF, env=env), "sales")
    return codes


# --- load ------------------------------------------------------------------------------------


WRITER = """
import random, subprocess, sys
db, codes, logs, seed, as_of = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rng = random.Random(seed)
failed = 0
for n in range(logs):
    code = rng.choice(codes)
    at = f"2025-{rng.randrange(2, 13):02d}-{rng.randrange(1, 29):02d} {rng.randrange(8, 20):02d}:{rng.randrange(60):02d}"
    done = subprocess.run(
        [sys.executable, "-m", "crmcli", "--db", db, "log", code, "-c", "phone",
         "-m", f"writer {seed} call {n}", "--at", at, "--as-of", as_of],
        capture_output=True, text=True,
    )
    if done.returncode != 0:
        failed += 1
        sys.stderr.write(f"log {code} {at}: exit {done.returncode}: {done.stderr.strip()}\\n")
sys.exit(1 if failed else 0)
"""


def load(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="crm-stress-"))
    db = args.db or str(work / "crm.db")
    env = environment(work)
    try:
        codes = seed(db, work, env, sales=200)
        big = work / "import.csv"
        write_customers(big, args.import_rows, "N")
        followups_before = count(db, "followup")
        customers_before = count(db, "customer")
        started = time.perf_counter()
        writers = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, db, ",".join(codes), str(args.logs), str(i), AS_OF],
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for i in range(args.writers)
        ]
        importing = spawn(db, "import", "customers", str(big), "--as-of", ADDED, env=env)
        reclassified = reclassify_failures = 0
        failures: list[str] = []
        while any(w.poll() is None for w in writers) or importing.poll() is None:
            done = crm(db, "reclassify", "--as-of", AS_OF, env=env)
            reclassified += 1
            if done.returncode != 0:
                reclassify_failures += 1
                failures.append(f"reclassify: exit {done.returncode}: {done.stderr.strip()}")
        elapsed = time.perf_counter() - started
        for w in writers:
            w.wait()
            if w.returncode != 0:
                failures.append(w.stderr.read() if w.stderr else "writer failed")
        importing.wait()
        if importing.returncode != 0:
            failures.append(f"import: {importing.stderr.read() if importing.stderr else ''}")
        logged = count(db, "followup") - followups_before
        imported = count(db, "customer") - customers_before
        mismatched = last_contact_mismatches(db)
        check = crm(db, "db", "check", env=env) if "://" not in db else None
        expected_logs = args.writers * args.logs
        print(
            f"load: {args.writers} writers x {args.logs} crm log, an import of "
            f"{args.import_rows:,} customers and {reclassified} reclassify runs at once, "
            f"in {elapsed:.1f} s"
        )
        print(
            f"  follow-ups logged {logged:,} of {expected_logs:,}; customers imported "
            f"{imported:,} of {args.import_rows:,}; failed commands {len(failures)}; "
            f"last contact not the latest follow-up: {mismatched}"
        )
        ok = (
            not failures
            and logged == expected_logs
            and imported == args.import_rows
            and mismatched == 0
            and (check is None or check.returncode == 0)
        )
        for failure in failures[:20]:
            print(f"  FAILED {failure.strip()}", file=sys.stderr)
        if check is not None and check.returncode != 0:
            print(f"  db check: {check.stderr.strip()}", file=sys.stderr)
        print("  ok" if ok else "  NOT OK")
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


# --- kill ------------------------------------------------------------------------------------


def _timed(db: str, env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    checked(crm(db, *args, env=env), " ".join(args[:2]))
    return time.perf_counter() - started


def _kill_at(db: str, env: dict[str, str], after: float, *args: str) -> bool:
    """Start a command and SIGKILL it ``after`` seconds later; whether it was still running."""
    process = spawn(db, *args, env=env)
    try:
        process.wait(timeout=after)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True
    finally:
        if process.stderr:
            process.stderr.close()


def kill(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="crm-kill-"))
    db = args.db or str(work / "crm.db")
    env = environment(work)
    rng = random.Random(args.seed)
    problems: list[str] = []
    try:
        seed(db, work, env)
        big = work / "import.csv"
        write_customers(big, args.rows, "K")
        # How long a whole import takes: measured on a copy, undone after.
        base = count(db, "customer")
        whole = _timed(db, env, "import", "customers", str(big), "--as-of", ADDED)
        batch = scalar(db, _last_batch())
        checked(crm(db, "import", "undo", str(batch), "--yes", env=env), "import undo")
        killed_in = 0
        for n in range(args.kills):
            after = rng.uniform(0.02, 0.98) * whole
            was_running = _kill_at(
                db, env, after, "import", "customers", str(big), "--as-of", ADDED
            )
            check = crm(db, "db", "check", env=env)
            now = count(db, "customer")
            state = "absent" if now == base else "present" if now == base + args.rows else "PARTIAL"
            if check.returncode != 0:
                problems.append(f"kill {n + 1} at {after:.2f} s: db check: {check.stderr.strip()}")
            if state == "PARTIAL":
                problems.append(f"kill {n + 1} at {after:.2f} s: {now - base} of {args.rows} rows")
            print(
                f"  import kill {n + 1}/{args.kills} at {after:5.2f} s of {whole:.2f}: "
                f"{'killed' if was_running else 'had finished'}, import {state}, "
                f"db check {'ok' if check.returncode == 0 else 'FAILED'}"
            )
            if state == "present":
                batch = scalar(db, _last_batch())
                checked(crm(db, "import", "undo", str(batch), "--yes", env=env), "undo")
            killed_in += was_running
        staged = len(list((work / "tmp").glob("crm-import-*")))
        # The next import sweeps what the killed ones left, and goes in whole.
        checked(crm(db, "import", "customers", str(big), "--as-of", ADDED, env=env), "import")
        left = len(list((work / "tmp").glob("crm-import-*")))
        if count(db, "customer") != base + args.rows:
            problems.append("the import after the kills is not whole")
        if left:
            problems.append(f"{left} staging folders left after the next import")
        # Sales spread over the imported customers: reclassify has all of them to grade.
        orders = work / "sales.csv"
        write_sales(orders, [f"K{i:07d}" for i in range(args.rows)], args.sales)
        checked(crm(db, "import", "sales", str(orders), "--as-of", AS_OF, env=env), "sales")
        reclassify = _timed(db, env, "reclassify", "--as-of", AS_OF)
        for n in range(args.reclassify_kills):
            after = rng.uniform(0.02, 0.98) * reclassify
            was_running = _kill_at(db, env, after, "reclassify", "--as-of", "2026-06-30")
            check = crm(db, "db", "check", env=env)
            if check.returncode != 0:
                problems.append(f"reclassify kill {n + 1}: db check: {check.stderr.strip()}")
            print(
                f"  reclassify kill {n + 1}/{args.reclassify_kills} at {after:5.2f} s of "
                f"{reclassify:.2f}: {'killed' if was_running else 'had finished'}, db check "
                f"{'ok' if check.returncode == 0 else 'FAILED'}"
            )
        checked(crm(db, "reclassify", "--as-of", AS_OF, env=env), "reclassify after the kills")
        print(
            f"kill: {args.kills} kills of a {args.rows:,}-row import ({killed_in} mid-way; a whole "
            f"one takes {whole:.2f} s), {args.reclassify_kills} of reclassify over "
            f"{args.sales:,} sales ({reclassify:.2f} s); {staged} staging folders left by the "
            f"kills, {left} after the next import; problems: {len(problems)}"
        )
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        print("  ok" if not problems else "  NOT OK")
        return 0 if not problems else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _last_batch() -> Any:
    from sqlalchemy import func, select

    from crmcli.schema import metadata

    return select(func.max(metadata.tables["importbatch"].c.id))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    one = sub.add_parser("load")
    one.add_argument("--writers", type=int, default=8)
    one.add_argument("--logs", type=int, default=100)
    one.add_argument("--import-rows", type=int, default=20_000)
    two = sub.add_parser("kill")
    two.add_argument("--rows", type=int, default=100_000)
    two.add_argument("--kills", type=int, default=10)
    two.add_argument("--reclassify-kills", type=int, default=10)
    two.add_argument("--sales", type=int, default=50_000)
    two.add_argument("--seed", type=int, default=1)
    for p in (one, two):
        p.add_argument("--db", help="database (default: a file in a temporary folder)")
        p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    return load(args) if args.mode == "load" else kill(args)


if __name__ == "__main__":
    sys.exit(main())
