"""Concurrent writers: N processes at once, each running M ``crm log`` in a row.

Run by hand (never by the test suite)::

    .venv/bin/python benchmarks/bench_concurrent_log.py --engine postgresql \\
        --pg-url postgresql+psycopg://postgres@127.0.0.1:55432/postgres
    .venv/bin/python benchmarks/bench_concurrent_log.py --engine sqlite --engine postgresql

The data set is bench_engines' (bench_core's customers and follow-ups, copied into
PostgreSQL there); the writes go to a scratch copy, so the data stays as generated.
Passes when no run exits non-zero or says locked/busy/deadlock/could not serialize on
stderr, and exactly N × M new follow-ups exist afterwards. Exit status 0 then, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys

from bench_core import DEFAULT_AS_OF, load, prepare
from bench_engines import Engine, build_postgresql, build_sqlite, concurrency, print_concurrency


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument(
        "--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:55432/postgres"
    )
    parser.add_argument("--workdir", default="/tmp/crm-bench", help="bench_core's data directory")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--followups", type=int, default=1_000_000)
    parser.add_argument("--as-of", default=DEFAULT_AS_OF)
    parser.add_argument("--procs", type=int, default=8, help="crm log processes at once")
    parser.add_argument("--per-proc", type=int, default=100, help="crm log runs per process")
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    # prepare() reads these bench_core options too.
    args.rev = args.src = None
    print(f"load average: {load()}")
    env, ds = prepare(args)
    lite = build_sqlite(env, ds, args.regenerate)
    failed = False
    for name in dict.fromkeys(args.engine or ["postgresql"]):
        engine: Engine = (
            lite
            if name == "sqlite"
            else build_postgresql(env, ds, lite, args.pg_url, args.regenerate)
        )
        found = concurrency(env, ds, engine, args.procs, args.per_proc)
        print_concurrency(found)
        failed |= bool(found["failed"] or found["trouble"])
        failed |= found["new_rows"] != args.procs * args.per_proc
    print(f"load average at the end: {load()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
