"""Whole-process benchmark of ``crm db copy``: SQLite → PostgreSQL → SQLite.

Run by hand (never by the test suite), with a server whose user may create databases::

    .venv/bin/python benchmarks/bench_copy.py --pg postgresql+psycopg://postgres@127.0.0.1:55432/postgres
    .venv/bin/python benchmarks/bench_copy.py --pg URL --customers 10000 --followups 100000   # quick

The data is bench_core.py's (100,000 customers / 1,000,000 follow-ups by default, generated
once into ``--workdir`` and reused). Each run copies the file into a fresh database on the
server (``crm --db FILE db copy --to URL``), then that database into a new file
(``crm --db URL db copy --to FILE``), and checks that both copies report the same rows and
checksums per table; the server database is dropped afterwards. Reported for each
direction (median of ``--runs``): the wall time, rows per second, the CPU time of the
copying process (less sensitive than the wall time to other work on a shared machine)
and its peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_core


@dataclass
class Copied:
    wall: float
    cpu: float  # user + system seconds of the crm process (the server's work not included)
    peak_kib: int
    tables: list[dict[str, Any]]


def _high_water(pid: int) -> int:
    """Peak resident memory (KiB) of a running process's program, 0 once it is gone.
    (``wait4``'s ru_maxrss would also count the memory of this script, which the child
    shares between fork and exec.)"""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed_copy(env: bench_core.Env, args: list[str]) -> Copied:
    """Wall time, CPU time, peak RSS and the table of checksums of one ``crm db copy``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [env.crm, *args, "--format", "json"],
            env=env.environ(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, _high_water(proc.pid))
            time.sleep(0.2)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            message = err.read().decode(errors="replace").strip()
            sys.exit(f"crm {' '.join(args)} failed ({proc.returncode}): {message}")
        cpu = usage.ru_utime + usage.ru_stime
        return Copied(elapsed, cpu, peak, json.loads(out.read()))


class Server:
    def __init__(self, url: str) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        self.url = make_url(url)
        libpq = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.admin = psycopg.connect(libpq, autocommit=True)

    def create(self) -> tuple[str, str]:
        from psycopg import sql

        name = f"crmbench_{os.getpid()}_{secrets.token_hex(3)}"
        self.admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                sql.Identifier(name)
            )
        )
        url = self.url.set(drivername="postgresql+psycopg", database=name)
        return name, url.render_as_string(hide_password=False)

    def drop(self, name: str) -> None:
        from psycopg import sql

        self.admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", required=True, help="a server URL whose user may CREATE DATABASE")
    parser.add_argument("--workdir", default="/tmp/crm-bench", help="where data is kept and reused")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--followups", type=int, default=1_000_000)
    parser.add_argument("--as-of", default=bench_core.DEFAULT_AS_OF)
    parser.add_argument("--runs", type=int, default=1, help="copies each way (median)")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the data")
    args = parser.parse_args()
    args.rev = None
    args.src = None

    env, ds = bench_core.prepare(args)
    bench_core.checkpoint(env.db)
    server = Server(args.pg)
    print(f"load {bench_core.load()}; {ds.customers:,} customers / {ds.followups:,} follow-ups")
    to_pg: list[Copied] = []
    to_file: list[Copied] = []
    same = True
    rows = 0
    for run in range(args.runs):
        name, url = server.create()
        back = env.db.with_name(f"copy-back-{run}.db")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{back}{suffix}").unlink(missing_ok=True)
        try:
            there = timed_copy(env, ["--db", str(env.db), "db", "copy", "--to", url])
            to_pg.append(there)
            print(f"  run {run + 1}: file → server {there.wall:.1f} s", flush=True)
            again = timed_copy(env, ["--db", url, "db", "copy", "--to", str(back)])
            to_file.append(again)
            print(f"  run {run + 1}: server → file {again.wall:.1f} s", flush=True)
        finally:
            server.drop(name)
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{back}{suffix}").unlink(missing_ok=True)
        same = same and there.tables == again.tables
        rows = sum(t["rows"] for t in there.tables)
        if run == 0:
            width = max(len(t["table"]) for t in there.tables)
            for mine, theirs in zip(there.tables, again.tables, strict=True):
                mark = "=" if mine == theirs else "≠"
                print(
                    f"    {mine['table']:<{width}} {mine['rows']:>9,} {mine['checksum'][:16]} "
                    f"{mark} {theirs['checksum'][:16]}"
                )
    print(f"rows copied each way: {rows:,}; load after: {bench_core.load()}")
    for label, runs in (("SQLite → PostgreSQL", to_pg), ("PostgreSQL → SQLite", to_file)):
        wall = statistics.median(c.wall for c in runs)
        cpu = statistics.median(c.cpu for c in runs)
        peak = max(c.peak_kib for c in runs) / 1024
        print(
            f"{label}: {wall:.1f} s wall ({rows / wall:,.0f} rows/s), {cpu:.1f} s CPU of the "
            f"crm process, peak {peak:.0f} MiB; median of {len(runs)}"
        )
    print(f"checksums identical both ways: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
