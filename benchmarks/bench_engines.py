"""Whole-process benchmark of crm's everyday commands on SQLite and on PostgreSQL.

Run by hand (never by the test suite)::

    .venv/bin/python benchmarks/bench_engines.py --engine sqlite
    .venv/bin/python benchmarks/bench_engines.py --engine sqlite --engine postgresql \\
        --pg-url postgresql+psycopg://postgres@127.0.0.1:55432/postgres
    .venv/bin/python benchmarks/bench_engines.py --engine postgresql --pg-url URL --concurrency

The data is bench_core's (100,000 customers, 1,000,000 follow-ups by default, generated
into SQLite and reused) with bench_remind's 200,000 contacts and campaign added. On
PostgreSQL the same rows are copied set-based (``COPY … FROM STDIN``, one statement per
table) into a database of their own on the server ``--pg-url`` names; the build is timed.
Every command is a whole ``crm`` process, timed in rounds that interleave it with the
floor, ``python -c "import typer, rich, sqlmodel, dateutil.parser"``: ratios to the floor
are what the targets are about. Commands that write run on a scratch copy (a file copy on
SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), so the data stays as generated.
``--concurrency`` starts 8 processes that each run 100 ``crm log`` in a row, all at once.
See benchmarks/README.md for the targets and the last results.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench_core import (
    DEFAULT_AS_OF,
    Command,
    Dataset,
    Env,
    checkpoint,
    compile_package,
    export_revision,
    load,
    prepare,
    run,
    samples,
    timed,
)
from bench_remind import add_contacts

FLOOR = [sys.executable, "-c", "import typer, rich, sqlmodel, dateutil.parser"]
CONTACTS = 200_000
BUILD_VERSION = 1  # bump when the engines' data set changes, so old copies are not reused
# Ratio to the floor each command must stay within, per engine (None: reported only).
TARGETS: dict[str, dict[str, float | None]] = {
    "sqlite": {
        "overdue": 1.14,
        "remind": 1.5,
        "list": None,
        "show": 1.1,
        "log": 1.1,
        "add": 1.25,
        "add-cjk": 1.25,
    },
    "postgresql": dict.fromkeys(
        ("overdue", "remind", "list", "show", "log", "add", "add-cjk"), 1.5
    ),
}
TROUBLE = ("locked", "busy", "deadlock", "could not serialize", "Traceback")


def code_of(ds: Dataset, n: int, salt: int) -> str:
    """A customer's code for run ``n``: spread over the table, a different one each run."""
    return f"C{1 + (n * 7919 + salt) % ds.customers:07d}"


# ---------------------------------------------------------------------------------------------
# Engines: where the data set lives, a scratch copy for the writes, one-value queries


class Engine:
    name = ""

    def target(self) -> str:
        """The pristine data set (never written by a timed command)."""
        raise NotImplementedError

    def scratch(self) -> str:
        """A fresh copy of the data set for commands that write."""
        raise NotImplementedError

    def scalar(self, target: str, sql: str, *params: Any) -> Any:
        raise NotImplementedError

    def execute(self, target: str, sql: str) -> None:
        raise NotImplementedError

    def info(self) -> dict[str, Any]:
        return {}


@dataclass
class SQLite(Engine):
    db: Path
    build: dict[str, Any] = field(default_factory=dict)
    name: str = "sqlite"

    def target(self) -> str:
        return str(self.db)

    def scratch(self) -> str:
        checkpoint(self.db)
        copy = self.db.with_name("engines-scratch.db")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.db, copy)
        copy.chmod(0o600)
        return str(copy)

    def scalar(self, target: str, sql: str, *params: Any) -> Any:
        con = sqlite3.connect(target)
        try:
            return con.execute(sql, params).fetchone()[0]
        finally:
            con.close()

    def execute(self, target: str, sql: str) -> None:
        con = sqlite3.connect(target, isolation_level=None)
        try:
            con.execute(sql)
        finally:
            con.close()

    def info(self) -> dict[str, Any]:
        return {"sqlite": sqlite3.sqlite_version, **self.build}


def build_sqlite(env: Env, ds: Dataset, regenerate: bool) -> SQLite:
    """bench_core's database with bench_remind's contacts and campaign, in a copy of its own."""
    db = env.db.with_name("engines.db")
    info = env.db.with_name("engines.json")
    key = {"version": BUILD_VERSION, "data": ds.key(), "contacts": CONTACTS}
    if not regenerate and db.exists() and info.exists():
        saved = json.loads(info.read_text())
        if saved.get("key") == key:
            print(f"reusing {db}")
            return SQLite(db, saved["build"])
    started = time.perf_counter()
    checkpoint(env.db)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(env.db, db)
    db.chmod(0o600)
    add_contacts(db, CONTACTS)
    checkpoint(db)
    build = {
        "generate_s": round(ds.generate_seconds, 1),
        "first_recompute_s": round(ds.recompute_seconds, 2),
        "contacts_s": round(time.perf_counter() - started, 1),
    }
    info.write_text(json.dumps({"key": key, "build": build}, indent=2))
    return SQLite(db, build)


def libpq(url: str) -> str:
    """A libpq connection string (psycopg's) for a SQLAlchemy URL (postgresql+psycopg://)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql"))


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@dataclass
class PostgreSQL(Engine):
    url: str  # the server, as --pg-url gives it (its database is used for administration)
    database: str
    build: dict[str, Any] = field(default_factory=dict)
    name: str = "postgresql"

    @contextmanager
    def admin(self) -> Iterator[Any]:
        import psycopg

        with psycopg.connect(libpq(self.url), autocommit=True) as conn:
            yield conn

    def target(self) -> str:
        return with_database(self.url, self.database)

    def scratch(self) -> str:
        name = f"{self.database}_scratch"
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.database}"')
        return with_database(self.url, name)

    def scalar(self, target: str, sql: str, *params: Any) -> Any:
        import psycopg

        with psycopg.connect(libpq(target)) as conn:
            return conn.execute(sql.replace("?", "%s"), params).fetchone()[0]  # type: ignore[index]

    def execute(self, target: str, sql: str) -> None:
        import psycopg

        with psycopg.connect(libpq(target), autocommit=True) as conn:
            conn.execute(sql)

    def exists(self) -> bool:
        with self.admin() as conn:
            found = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
            ).fetchone()
        return found is not None

    def drop(self) -> None:
        with self.admin() as conn:
            for name in (f"{self.database}_scratch", self.database):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    def info(self) -> dict[str, Any]:
        with self.admin() as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            settings = {
                name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
                for name in ("shared_buffers", "synchronous_commit", "fsync", "max_connections")
            }
        return {"server": version, **settings, **self.build}


def _tables_in_order(con: sqlite3.Connection) -> list[str]:
    """The SQLite file's tables, each after the tables its foreign keys point at."""
    names = [
        r[0]
        for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    needs = {t: {r[2] for r in con.execute(f'PRAGMA foreign_key_list("{t}")')} - {t} for t in names}
    ordered: list[str] = []
    while needs:
        ready = sorted(t for t, deps in needs.items() if not deps - set(ordered))
        if not ready:
            raise SystemExit(f"cannot order tables {sorted(needs)} by their foreign keys")
        ordered += ready
        for t in ready:
            del needs[t]
    return ordered


def build_postgresql(
    env: Env, ds: Dataset, source: SQLite, url: str, regenerate: bool
) -> PostgreSQL:
    """The SQLite data set copied into a database of its own: ``crm init`` makes the schema,
    then each table's rows go in with one ``COPY``; sequences follow the copied ids."""
    database = f"bench_c{ds.customers}_f{ds.followups}_s{ds.schema}"
    pg = PostgreSQL(url, database)
    info = source.db.with_name(f"pg-{database}.json")
    key = {"version": BUILD_VERSION, "data": ds.key(), "contacts": CONTACTS, "url": url}
    if not regenerate and info.exists() and pg.exists():
        saved = json.loads(info.read_text())
        if saved.get("key") == key:
            print(f"reusing PostgreSQL database {database}")
            pg.build = saved["build"]
            return pg
    print(f"copying the data set into PostgreSQL database {database} ...", flush=True)
    import psycopg

    steps: dict[str, float] = {}
    started = time.perf_counter()
    pg.drop()
    with pg.admin() as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    done = run(env.crm_args("init", db=pg.target()), env.environ(), capture=True)
    if done.returncode != 0:
        sys.exit(f"crm init on PostgreSQL failed: {done.stderr.decode(errors='replace')}")
    steps["create_and_init_s"] = time.perf_counter() - started
    checkpoint(source.db)
    lite = sqlite3.connect(source.db)
    counts = {}
    with psycopg.connect(libpq(pg.target())) as conn:
        conn.execute("DELETE FROM meta")  # written by init; the copy brings the same rows
        for table in _tables_in_order(lite):
            if table == "alembic_version":
                continue
            rows = lite.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            if not rows:
                continue
            t0 = time.perf_counter()
            columns = [r[1] for r in lite.execute(f'PRAGMA table_info("{table}")')]
            names = ", ".join(f'"{c}"' for c in columns)
            cursor = lite.execute(f'SELECT {names} FROM "{table}"')
            with conn.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                while batch := cursor.fetchmany(20_000):
                    for row in batch:
                        copy.write_row(row)
            if "id" in columns:
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT max(id) FROM "{table}"))'
                )
            counts[table] = rows
            steps[f"copy_{table}_s"] = time.perf_counter() - t0
            print(f"  {table}: {rows:,} rows in {steps[f'copy_{table}_s']:.1f} s", flush=True)
        t0 = time.perf_counter()
        conn.commit()
        steps["commit_s"] = time.perf_counter() - t0
    lite.close()
    t0 = time.perf_counter()
    with psycopg.connect(libpq(pg.target()), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    steps["vacuum_analyze_s"] = time.perf_counter() - t0
    steps["total_s"] = time.perf_counter() - started
    for name, rows in counts.items():
        copied = pg.scalar(pg.target(), f'SELECT count(*) FROM "{name}"')
        if copied != rows:
            sys.exit(f"{name}: {copied} rows copied of {rows}")
    pg.build = {name: round(value, 1) for name, value in steps.items()}
    info.write_text(json.dumps({"key": key, "build": pg.build}, indent=2))
    return pg


def check_recompute(env: Env, ds: Dataset, engine: Engine, reference: int) -> dict[str, Any]:
    """The full set-based due-date recompute on a scratch copy (policy fingerprint deleted,
    then ``crm overdue``), and that it lists as many customers as the generator meant."""
    scratch = engine.scratch()
    engine.execute(scratch, "DELETE FROM meta WHERE key = 'cadence_policy'")
    seconds = timed(
        env.crm_args("overdue", "--as-of", ds.as_of, "--limit", "1", db=scratch), env.environ()
    )
    overdue = engine.scalar(
        scratch, "SELECT count(*) FROM customer WHERE next_due_at < ?", ds.as_of
    )
    return {"recompute_whole_s": round(seconds, 2), "overdue": overdue, "expected": reference}


# ---------------------------------------------------------------------------------------------
# Timings


@dataclass
class Timing:
    engine: str
    name: str
    label: str
    version: str  # "" for the code under test, else the --compare revision
    times: list[float]
    floors: list[float]
    cpu: list[float]
    floor_cpu: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def ratio(self) -> float:
        return self.median / statistics.median(self.floors)

    @property
    def cpu_ratio(self) -> float:
        """Median CPU time over the floor's (the client process only, on PostgreSQL)."""
        return statistics.median(self.cpu) / statistics.median(self.floor_cpu)

    @property
    def round_ratios(self) -> list[float]:
        """The command's time over the floor's of the same round."""
        return [t / f for t, f in zip(self.times, self.floors, strict=True)]

    @property
    def paired_ratio(self) -> float:
        """The median of the rounds' ratios: steadier than the ratio of the medians while
        the machine's load drifts from round to round."""
        return statistics.median(self.round_ratios)

    @property
    def target(self) -> float | None:
        return TARGETS[self.engine].get(self.name)


def command_set(
    env: Env, ds: Dataset, target: str, scratch: str, busiest: str
) -> dict[str, tuple[str, Command]]:
    """Label and command of each check; writes go to ``scratch``."""
    day = ds.as_of

    def crm(*args: str, db: str = target) -> list[str]:
        return env.crm_args(*args, db=db)

    return {
        "overdue": (f"crm overdue --as-of {day}", crm("overdue", "--as-of", day)),
        "remind": (
            f"crm remind --as-of {day} --owner X",
            crm("remind", "--as-of", day, "--owner", busiest),
        ),
        "list": (
            "crm customer list --tier core --limit 50",
            crm("customer", "list", "--tier", "core", "--limit", "50"),
        ),
        "show": (
            "crm customer show CODE",
            lambda n: crm("customer", "show", code_of(ds, n, 17)),
        ),
        "log": (
            "crm log CODE --channel phone --summary …",
            lambda n: crm(
                "log",
                code_of(ds, n, 29),
                "--channel",
                "phone",
                "--summary",
                f"bench call {n}",
                db=scratch,
            ),
        ),
        "add": (
            "crm customer add 'Bench Trading N' --tier key --owner X",
            lambda n: crm(
                "customer",
                "add",
                f"Bench Trading {n}",
                "--tier",
                "key",
                "--owner",
                busiest,
                db=scratch,
            ),
        ),
        "add-cjk": (
            "crm customer add '上海Bench科技有限公司 N' --tier key --owner X",
            lambda n: crm(
                "customer",
                "add",
                f"上海Bench科技有限公司 {n}",
                "--tier",
                "key",
                "--owner",
                busiest,
                db=scratch,
            ),
        ),
    }


def with_code(cmd: Command, src: Path) -> Command:
    """The command run with the crmcli package under ``src``."""
    if callable(cmd):
        return lambda n: ["env", f"PYTHONPATH={src}", *cmd(n)]
    return ["env", f"PYTHONPATH={src}", *cmd]


def time_commands(
    env: Env,
    ds: Dataset,
    engines: list[Engine],
    busiest: str,
    runs: int,
    only: set[str] | None,
    versions: dict[str, Path | None],
) -> list[Timing]:
    """Every command of every engine and code version (label: src, None for env's own),
    in the same rounds as the floor."""
    commands: dict[str, Command] = {"floor": FLOOR}
    labels: dict[str, tuple[str, str, str, str]] = {}
    for engine in engines:
        scratch = engine.scratch()
        for name, (label, cmd) in command_set(env, ds, engine.target(), scratch, busiest).items():
            if only and name not in only:
                continue
            for version, src in versions.items():
                key = f"{engine.name}:{name}:{version}"
                commands[key] = cmd if src is None else with_code(cmd, src)
                labels[key] = (engine.name, name, label, version)
    cpu: dict[str, list[float]] = {}
    found = samples(commands, env.environ(), runs, cpu)
    floors = found.pop("floor")
    return [
        Timing(*labels[key], times, floors, cpu[key], cpu["floor"]) for key, times in found.items()
    ]


def print_timings(timings: list[Timing]) -> None:
    floors, floor_cpu = timings[0].floors, timings[0].floor_cpu
    print(
        f'\nfloor (python -c "import typer, rich, sqlmodel, dateutil.parser"): wall median '
        f"{statistics.median(floors):.3f} s ({min(floors):.3f}–{max(floors):.3f}), CPU median "
        f"{statistics.median(floor_cpu):.3f} s, {len(floors)} rounds"
    )
    print(
        "  ratio: of the medians; paired: median of the rounds' ratios (their range after it);"
        " min/min: of the fastest runs; CPU: the process's own, ratio of medians"
    )
    width = max(len(t.label + t.version) for t in timings) + 3
    print(
        f"  {'engine':<10}  {'command':<{width}}  {'wall s':>6}  {'min–max':>11}  {'ratio':>5}  "
        f"{'paired':>6} {'(range)':>11}  {'min/min':>7}  {'CPU s':>5}  {'ratio':>5}  target  result"
    )
    for t in timings:
        rounds = t.round_ratios
        target = "" if t.target is None else f"≤ {t.target}"
        verdict = "" if t.target is None else ("PASS" if t.ratio <= t.target else "FAIL")
        label = f"{t.label} [{t.version}]" if t.version else t.label
        print(
            f"  {t.engine:<10}  {label:<{width}}  {t.median:6.3f}  "
            f"{min(t.times):5.2f}–{max(t.times):5.2f}  {t.ratio:5.2f}  {t.paired_ratio:6.2f} "
            f"({min(rounds):4.2f}–{max(rounds):4.2f})  {min(t.times) / min(t.floors):7.2f}  "
            f"{statistics.median(t.cpu):5.3f}  {t.cpu_ratio:5.2f}  {target:<6}  {verdict}"
        )


# ---------------------------------------------------------------------------------------------
# Concurrent writers


def concurrency(env: Env, ds: Dataset, engine: Engine, procs: int, per_proc: int) -> dict[str, Any]:
    """``procs`` processes at once, each running ``per_proc`` ``crm log`` in a row."""
    scratch = engine.scratch()
    before = engine.scalar(scratch, "SELECT count(*) FROM followup")
    e = env.environ()
    start = threading.Barrier(procs)
    results: list[tuple[int, float, str]] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        start.wait()
        for i in range(per_proc):
            n = w * per_proc + i
            cmd = env.crm_args(
                "log",
                code_of(ds, n, 41),
                "--channel",
                "phone",
                "--summary",
                f"bench concurrent {w}.{i}",
                db=scratch,
            )
            t0 = time.perf_counter()
            done = run(cmd, e)
            took = time.perf_counter() - t0
            with lock:
                results.append((done.returncode, took, done.stderr.decode(errors="replace")))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(procs)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    added = engine.scalar(scratch, "SELECT count(*) FROM followup") - before
    tagged = engine.scalar(
        scratch, "SELECT count(*) FROM followup WHERE summary LIKE ?", "bench concurrent %"
    )
    failed = [(code, err) for code, _, err in results if code != 0]
    trouble = [err for _, _, err in results if any(word in err for word in TROUBLE)]
    durations = [took for _, took, _ in results]
    return {
        "engine": engine.name,
        "processes": procs,
        "logs": len(results),
        "failed": len(failed),
        "trouble": len(trouble),
        "first_error": (
            failed[0][1].strip() if failed else (trouble[0].strip() if trouble else "")
        ),
        "new_rows": added,
        "tagged_rows": tagged,
        "wall_s": round(wall, 2),
        "log_median_s": round(statistics.median(durations), 3),
        "log_max_s": round(max(durations), 3),
        "throughput_per_s": round(len(results) / wall, 1),
    }


def print_concurrency(result: dict[str, Any]) -> None:
    expected = result["processes"] * (result["logs"] // result["processes"])
    ok = result["failed"] == 0 and result["trouble"] == 0 and result["new_rows"] == expected
    print(
        f"\n{result['engine']}: {result['processes']} processes × "
        f"{result['logs'] // result['processes']} crm log at once: {result['failed']} failed, "
        f"{result['trouble']} with locked/busy/deadlock on stderr, {result['new_rows']} new rows "
        f"(expected {expected}); {result['wall_s']} s wall, {result['throughput_per_s']} logs/s, "
        f"one log median {result['log_median_s']} s, max {result['log_max_s']} s  "
        f"{'PASS' if ok else 'FAIL'}"
    )
    if result["first_error"]:
        print(f"  first error: {result['first_error'][:500]}")


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--engine",
        choices=("sqlite", "postgresql"),
        action="append",
        help="engine(s) to measure, interleaved in the same rounds (repeatable; default sqlite)",
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:55432/postgres",
        help="a PostgreSQL server (its database is used to create and drop the bench's own)",
    )
    parser.add_argument("--workdir", default="/tmp/crm-bench", help="bench_core's data directory")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--followups", type=int, default=1_000_000)
    parser.add_argument("--as-of", default=DEFAULT_AS_OF)
    parser.add_argument("--runs", type=int, default=7, help="timed rounds (median and spread)")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(TARGETS["sqlite"]),
        help="time only these commands (repeatable)",
    )
    parser.add_argument("--no-timing", action="store_true", help="skip the timed commands")
    parser.add_argument(
        "--concurrency", action="store_true", help="also run the concurrent-writers test"
    )
    parser.add_argument("--procs", type=int, default=8, help="concurrent crm log processes")
    parser.add_argument("--per-proc", type=int, default=100, help="crm log runs per process")
    parser.add_argument("--recompute", action="store_true", help="time a full due-date recompute")
    parser.add_argument("--regenerate", action="store_true", help="rebuild every data set")
    parser.add_argument(
        "--drop", action="store_true", help="drop the PostgreSQL databases made, at the end"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--rev", help="measure this git revision of src/ (see bench_core)")
    source.add_argument("--src", type=Path, help="measure the crmcli package under this src/")
    parser.add_argument(
        "--compare",
        metavar="REV",
        help="also time this git revision (e.g. main) in the same rounds, marked [REV]",
    )
    args = parser.parse_args()
    chosen = args.engine or ["sqlite"]

    print(f"load average: {load()}")
    env, ds = prepare(args)
    lite = build_sqlite(env, ds, args.regenerate)
    engines: list[Engine] = []
    for name in dict.fromkeys(chosen):
        if name == "sqlite":
            engines.append(lite)
        else:
            engines.append(build_postgresql(env, ds, lite, args.pg_url, args.regenerate))
    con = sqlite3.connect(lite.db)
    (busiest,) = con.execute(
        "SELECT owner FROM customer GROUP BY owner ORDER BY count(*) DESC, owner LIMIT 1"
    ).fetchone()
    con.close()
    print(f"--owner X: {busiest}, the salesperson with the most customers")
    results: dict[str, Any] = {"engines": {e.name: e.info() for e in engines}, "owner": busiest}
    for engine in engines:
        print(f"{engine.name}: {engine.info()}")
    failed = False
    if args.recompute:
        for engine in engines:
            found = check_recompute(env, ds, engine, ds.expected_overdue)
            print(f"{engine.name}: full due-date recompute, whole crm overdue: {found}")
            results.setdefault("recompute", {})[engine.name] = found
            failed |= found["overdue"] != found["expected"]
    if not args.no_timing:
        versions: dict[str, Path | None] = {"": None}
        if args.compare:
            other = export_revision(args.compare, env.workdir)
            compile_package(env, other / "crmcli")
            versions[args.compare] = other
        timings = time_commands(
            env, ds, engines, busiest, args.runs, set(args.only or ()), versions
        )
        print_timings(timings)
        failed |= any(
            t.target is not None and t.ratio > t.target and not t.version for t in timings
        )
        results["timings"] = [
            {
                "engine": t.engine,
                "command": t.name,
                "label": t.label,
                "version": t.version or "under test",
                "paired_ratio": round(t.paired_ratio, 3),
                "times": [round(x, 4) for x in t.times],
                "floors": [round(x, 4) for x in t.floors],
                "cpu": [round(x, 4) for x in t.cpu],
                "floor_cpu": [round(x, 4) for x in t.floor_cpu],
                "cpu_ratio": round(t.cpu_ratio, 3),
                "median_s": round(t.median, 4),
                "ratio": round(t.ratio, 3),
                "target": t.target,
            }
            for t in timings
        ]
    if args.concurrency:
        for engine in engines:
            found = concurrency(env, ds, engine, args.procs, args.per_proc)
            print_concurrency(found)
            results.setdefault("concurrency", []).append(found)
            failed |= bool(found["failed"] or found["trouble"])
            failed |= found["new_rows"] != args.procs * args.per_proc
    print(f"\nload average at the end: {load()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    if args.drop:
        for engine in engines:
            if isinstance(engine, PostgreSQL):
                engine.drop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
