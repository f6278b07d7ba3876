"""Whole-process benchmark of ``crm reclassify`` against hand-written SQL in the sqlite3 shell.

Run by hand (never by the test suite)::

    .venv/bin/python benchmarks/bench_reclassify.py                  # 1,000,000 customers, 5,000,000 sales
    .venv/bin/python benchmarks/bench_reclassify.py --customers 20000 --sales 100000 --also ""   # quick trial

Target: on 1,000,000 customers and 5,000,000 sales, ``crm reclassify --as-of 2026-12-31``
(the whole process, output to a file) takes at most 2× the time of the same work written by
hand in SQL (benchmarks/reclassify.sql) and run by ``sqlite3`` on a copy of the same file,
and its peak memory (max RSS) stays flat in the number of customers. Both start from a fresh
copy of the same generated database; the benchmark checks that they leave the same customers
and history behind. See benchmarks/README.md for the last recorded results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bench_core import crm_executable

AS_OF = "2026-12-31"  # reclassify.sql is written for this day and the default policy
TARGET = 2.0  # crm reclassify ≤ 2 × sqlite3 < reclassify.sql
SQL_FILE = Path(__file__).with_name("reclassify.sql")
SQLITE3 = "/usr/bin/sqlite3"
TIME = "/usr/bin/time"
DATASET_VERSION = 1  # bump when the generator changes, so old data is not reused
SEED = 20261122
CHUNK = 50_000

STAGES = (
    ("customer", 0.45),
    ("loyal", 0.20),
    ("lead", 0.12),
    ("target", 0.08),
    ("qualified", 0.07),
    ("junk", 0.05),
    ("lost", 0.03),
)
# Share of the customers in each stage that have any sales (in or before the window).
BUYERS = {
    "customer": 0.95,
    "loyal": 0.98,
    "lead": 0.05,
    "target": 0.10,
    "qualified": 0.25,
    "junk": 0.50,
    "lost": 0.80,
}
TIERS_BEFORE = (("potential", 0.70), ("general", 0.15), ("key", 0.10), ("core", 0.05))
TIER_LOCKED_SHARE = 0.01
OUTREACH_SHARE = 0.05
OWNERS = ("bench", "wang", "li", "zhang", "liu", "chen")
FIRST_SALE_DAY = date(2025, 6, 1)
LAST_SALE_DAY = date(2026, 12, 31)
REFUND_SHARE = 0.03
STAMP = "2026-11-22 08:00:00.000000"


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Env:
    workdir: Path
    crm: str

    @property
    def config(self) -> Path:
        return self.workdir / "config.toml"

    def environ(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(CRM_CONFIG=str(self.config), CRM_USER="bench", NO_COLOR="1")
        env.pop("CRM_DB", None)
        return env


@dataclass
class Run:
    seconds: float
    max_rss_kb: int
    output: str
    finished: bool = True


def _hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def run_measured(
    env: Env,
    argv: list[str],
    out: Path,
    *,
    stdin: Path | None = None,
    what: str = "",
    timeout: float | None = None,
) -> Run:
    """Run one process: wall time (perf_counter) and max RSS (/usr/bin/time -f %M).

    /usr/bin/time, not this process's wait4: Linux counts in a child's ru_maxrss the memory
    image it had before exec, i.e. this script's, which is large after generating data.
    Past ``timeout`` seconds the process is stopped; its peak RSS so far (VmHWM) is kept.
    """
    rss_file = out.with_name(out.name + ".rss")
    rss_file.unlink(missing_ok=True)
    with out.open("wb") as sink, stdin.open("rb") if stdin else open(os.devnull, "rb") as src:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [TIME, "-f", "%M", "-o", str(rss_file), *argv],
            stdin=src,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env.environ(),
        )
        try:
            proc.wait(timeout=timeout)
            seconds = time.perf_counter() - start
        except subprocess.TimeoutExpired:
            seconds = time.perf_counter() - start
            targets = _children(proc.pid)
            hwm = max((_hwm_kb(pid) for pid in targets), default=0)
            for pid in targets:
                os.kill(pid, signal.SIGKILL)
            proc.wait()
            return Run(seconds, hwm, out.read_text(errors="replace"), False)
    text = out.read_text(errors="replace")
    if proc.returncode != 0:
        sys.exit(f"{what or argv[0]} failed (exit {proc.returncode}):\n{text[-3000:]}")
    return Run(seconds, int(rss_file.read_text().split()[-1]), text)


# ---------------------------------------------------------------------------------------------
# Data


def dataset_path(workdir: Path, customers: int, sales: int) -> Path:
    return workdir / f"pristine-{customers}c-{sales}s-v{DATASET_VERSION}.db"


def pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    x = rng.random()
    for name, share in table:
        x -= share
        if x < 0:
            return name
    return table[-1][0]


def customer_rows(rng: random.Random, n: int, stages: list[str]):
    """Customer rows C0000001…; appends each one's stage to ``stages``."""
    first_day = date(2023, 1, 1)
    for i in range(1, n + 1):
        code = f"C{i:07d}"
        stage = pick(rng, STAGES)
        tier = pick(rng, TIERS_BEFORE)
        created = (first_day + timedelta(days=rng.randrange(1300))).isoformat()
        name = f"Bench Trading {i:07d} Co"
        key = name.lower()
        stages.append(stage)
        yield (
            code,
            name,
            key,
            key,
            f"{key} {code.lower()}",
            "company",
            stage,
            tier,
            1 if rng.random() < TIER_LOCKED_SHARE else 0,
            0,
            0,
            created,
            OWNERS[i % len(OWNERS)],
            "outreach" if rng.random() < OUTREACH_SHARE else "referral",
            f"{created} 02:00:00.000000",
            f"{created} 02:00:00.000000",
        )


def sale_counts(rng: random.Random, stages: list[str], sales: int) -> tuple[list[int], list[float]]:
    """How many sales each customer gets, and its typical ticket (yuan): both heavy-tailed."""
    n = len(stages)
    buyers = [i for i in range(n) if rng.random() < BUYERS[stages[i]]]
    if not buyers:
        return [0] * n, [0.0] * n
    counts = [0] * n
    ticket = [0.0] * n
    activity = []
    for i in buyers:
        counts[i] = 1
        # A Pareto-sized ticket and order rate: a few customers make most of the sales.
        ticket[i] = min(500.0 * rng.paretovariate(1.3), 5_000_000.0)
        activity.append(min(rng.paretovariate(1.5), 300.0))
    extra = max(0, sales - len(buyers))
    if extra:
        cum = []
        total = 0.0
        for a in activity:
            total += a
            cum.append(total)
        for j in rng.choices(range(len(buyers)), cum_weights=cum, k=extra):
            counts[buyers[j]] += 1
    elif sales < len(buyers):
        for i in buyers[sales:]:
            counts[i] = 0
    return counts, ticket


def sale_rows(rng: random.Random, counts: list[int], ticket: list[float]):
    days = [
        (FIRST_SALE_DAY + timedelta(days=d)).isoformat()
        for d in range((LAST_SALE_DAY - FIRST_SALE_DAY).days + 1)
    ]
    ndays = len(days)
    rand = rng.random
    lognorm = rng.lognormvariate
    for i, k in enumerate(counts):
        if not k:
            continue
        cid = i + 1
        base = ticket[i]
        for _ in range(k):
            if rand() < REFUND_SHARE:
                micros = -max(1, int(base * (0.1 + 0.9 * rand()) * 100)) * 10_000
            else:
                micros = max(100, int(base * lognorm(0.0, 0.6) * 100)) * 10_000
            yield (cid, days[int(rand() * ndays)], micros, "CNY", STAMP, STAMP)


def chunks(rows, size: int = CHUNK):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def generate(env: Env, path: Path, customers: int, sales: int) -> dict:
    for suffix in ("", "-wal", "-shm", ".json"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [env.crm, "--db", str(path), "init"],
        env=env.environ(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rng = random.Random(SEED)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -1000000")
    # Sale indexes are rebuilt after the load (a sort, much faster than 5M random inserts).
    sale_indexes = [
        (name, sql)
        for name, sql in db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sale' "
            "AND sql IS NOT NULL"
        )
    ]
    db.execute("BEGIN")
    for name, _ in sale_indexes:
        db.execute(f"DROP INDEX {name}")
    stages: list[str] = []
    for batch in chunks(customer_rows(rng, customers, stages)):
        db.executemany(
            "INSERT INTO customer (code, name, name_key, sort_key, search_key, kind, stage, tier,"
            " tier_locked, birthday_lunar, birthday_leap, created_on, owner, channel,"
            " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            batch,
        )
    counts, ticket = sale_counts(rng, stages, sales)
    for batch in chunks(sale_rows(rng, counts, ticket)):
        db.executemany(
            "INSERT INTO sale (customer_id, sold_on, amount_micros, currency, created_at,"
            " updated_at) VALUES (?,?,?,?,?,?)",
            batch,
        )
    for _, sql in sale_indexes:
        db.execute(sql)
    # No cadence fingerprint: the first crm command computes every due date, as it would
    # after an import, and is timed apart (warm-up) before anything is measured.
    db.execute("DELETE FROM meta WHERE key = 'cadence_policy'")
    db.execute("COMMIT")
    db.execute("PRAGMA journal_mode = WAL")
    db.close()
    loaded = time.perf_counter() - started
    warm = run_measured(
        env,
        [env.crm, "--db", str(path), "customer", "list", "--limit", "1"],
        path.with_suffix(".warmup.out"),
        what="warm-up crm customer list",
    )
    checkpoint(path)
    info = {
        "customers": customers,
        "sales": sales,
        "generate_seconds": round(loaded, 2),
        "warmup_seconds": round(warm.seconds, 2),
        "warmup_max_rss_kb": warm.max_rss_kb,
        "size_mb": round(path.stat().st_size / 1e6, 1),
    }
    Path(f"{path}.json").write_text(json.dumps(info, indent=2))
    return info


def checkpoint(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    for suffix in ("-wal", "-shm"):
        if Path(f"{path}{suffix}").exists() and Path(f"{path}{suffix}").stat().st_size:
            sys.exit(f"{path}{suffix} is not empty after a checkpoint")


def ensure_dataset(env: Env, customers: int, sales: int, regenerate: bool) -> tuple[Path, dict]:
    path = dataset_path(env.workdir, customers, sales)
    meta = Path(f"{path}.json")
    if regenerate or not path.exists() or not meta.exists():
        log(f"generating {customers:,} customers and {sales:,} sales into {path} …")
        info = generate(env, path, customers, sales)
        log(
            f"  loaded in {info['generate_seconds']} s; warm-up (due dates of every customer) "
            f"{info['warmup_seconds']} s; {info['size_mb']} MB"
        )
        return path, info
    info = json.loads(meta.read_text())
    # The installed crm may have moved on since the data was made (a new cadence policy
    # recomputes every due date at the first open): let it do that here, untimed.
    again = run_measured(
        env,
        [env.crm, "--db", str(path), "customer", "list", "--limit", "1"],
        path.with_suffix(".warmup.out"),
        what="warm-up crm customer list",
    )
    checkpoint(path)
    info["rewarm_seconds"] = round(again.seconds, 2)
    log(f"reusing {path}; warm-up again {again.seconds:.2f} s")
    return path, info


def fresh_copy(pristine: Path, dest: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dest}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(pristine, dest)
    return dest


# ---------------------------------------------------------------------------------------------
# Measurements


def crm_reclassify(env: Env, db: Path, out: Path, timeout: float | None) -> Run:
    return run_measured(
        env,
        [env.crm, "--db", str(db), "reclassify", "--as-of", AS_OF],
        out,
        what="crm reclassify",
        timeout=timeout,
    )


def sql_reclassify(env: Env, db: Path, out: Path) -> Run:
    return run_measured(env, [SQLITE3, str(db)], out, stdin=SQL_FILE, what="sqlite3 reclassify.sql")


def changed_count(output: str) -> int:
    for line in output.splitlines():
        if "customers changed" in line or "customers would change" in line:
            return int(line.split(":")[-1].split()[0])
    sys.exit(f"cannot find the changed count in:\n{output[-2000:]}")


def compare(crm_db: Path, sql_db: Path) -> dict:
    """Do crm and the hand-written SQL leave the same customers and history?"""
    db = sqlite3.connect(crm_db)
    db.execute("ATTACH DATABASE ? AS other", (str(sql_db),))
    cols = (
        "id, grade, value, tier, contact_due_on, visit_due_on, callback_due_on, "
        "plan_due_on, next_due_at, last_contact_at"
    )
    hist = "customer_id, user, field, old, new, command, reason"
    diff = {}
    for name, query in (
        (
            "customers only in crm",
            f"SELECT {cols} FROM main.customer EXCEPT SELECT {cols} FROM other.customer",
        ),
        (
            "customers only in sql",
            f"SELECT {cols} FROM other.customer EXCEPT SELECT {cols} FROM main.customer",
        ),
        (
            "history only in crm",
            f"SELECT {hist} FROM main.history EXCEPT SELECT {hist} FROM other.history",
        ),
        (
            "history only in sql",
            f"SELECT {hist} FROM other.history EXCEPT SELECT {hist} FROM main.history",
        ),
    ):
        diff[name] = db.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
    diff["history rows crm"] = db.execute("SELECT count(*) FROM main.history").fetchone()[0]
    diff["history rows sql"] = db.execute("SELECT count(*) FROM other.history").fetchone()[0]
    samples = db.execute(
        f"SELECT {hist} FROM main.history EXCEPT SELECT {hist} FROM other.history LIMIT 3"
    ).fetchall()
    db.close()
    if samples:
        diff["samples"] = [list(s) for s in samples]
    return diff


def distribution(db_path: Path) -> dict:
    db = sqlite3.connect(db_path)
    out = {}
    for col in ("grade", "value", "tier"):
        out[col] = {
            str(k): n
            for k, n in db.execute(
                f"SELECT {col}, count(*) FROM customer GROUP BY {col} ORDER BY {col}"
            )
        }
    grand = db.execute(
        "SELECT sum(amount_micros) FROM sale JOIN customer c ON c.id = sale.customer_id "
        "WHERE sold_on > '2025-12-31' AND sold_on <= ? AND c.stage NOT IN ('junk', 'lost')",
        (AS_OF,),
    ).fetchone()[0]
    out["sales_share_by_grade"] = {
        g: round(100.0 * t / grand, 1)
        for g, t in db.execute(
            "SELECT c.grade, sum(s.amount_micros) FROM sale s JOIN customer c ON c.id = s.customer_id "
            "WHERE s.sold_on > '2025-12-31' AND s.sold_on <= ? AND c.grade IS NOT NULL "
            "GROUP BY c.grade ORDER BY c.grade",
            (AS_OF,),
        )
    }
    db.close()
    return out


def median(runs: list[Run]) -> float | None:
    done = [r.seconds for r in runs if r.finished]
    return round(statistics.median(done), 2) if done else None


def describe(run: Run) -> str:
    if not run.finished:
        return f"not finished after {run.seconds:.0f} s (peak RSS so far {run.max_rss_kb / 1024:.0f} MiB)"
    changed = changed_count(run.output)
    return f"{run.seconds:.2f} s ({changed:,} changed, {run.max_rss_kb / 1024:.0f} MiB)"


def measure_scale(
    env: Env, pristine: Path, repeat: int, *, verify: bool, timeout: float | None
) -> dict:
    work = env.workdir
    runs: dict[str, list[Run]] = {
        "crm_first": [],
        "crm_second": [],
        "sql_first": [],
        "sql_second": [],
    }
    result: dict = {}
    crm_db = work / "run-crm.db"
    sql_db = work / "run-sql.db"
    for i in range(repeat):
        sql_first = sql_reclassify(env, fresh_copy(pristine, sql_db), work / "sql-first.out")
        sql_second = sql_reclassify(env, sql_db, work / "sql-second.out")
        runs["sql_first"].append(sql_first)
        runs["sql_second"].append(sql_second)
        crm_first = crm_second = None
        if i == 0 or runs["crm_first"][-1].finished:
            crm_first = crm_reclassify(
                env, fresh_copy(pristine, crm_db), work / "crm-first.out", timeout
            )
            runs["crm_first"].append(crm_first)
            if crm_first.finished:
                crm_second = crm_reclassify(env, crm_db, work / "crm-second.out", timeout)
                runs["crm_second"].append(crm_second)
        log(
            f"  run {i + 1}/{repeat}: sql first {describe(sql_first)}, second {describe(sql_second)}"
            + (f"; crm first {describe(crm_first)}" if crm_first else "")
            + (f", second {describe(crm_second)}" if crm_second else "")
        )
        for run in (sql_second, crm_second):
            if run and run.finished and changed_count(run.output):
                sys.exit("a second reclassify changed customers; it should change nothing")
        if i == 0:
            result["changed_customers_sql"] = changed_count(sql_first.output)
            result["distribution"] = distribution(sql_db)
            if crm_first and crm_first.finished:
                result["changed_customers"] = changed_count(crm_first.output)
                if verify:
                    result["same_result"] = compare(crm_db, sql_db)
                    log(f"  crm vs sql: {result['same_result']}")
                result["distribution"] = distribution(crm_db)
    for name, group in runs.items():
        result[f"{name}_seconds"] = [round(r.seconds, 2) if r.finished else None for r in group]
        result[f"{name}_median"] = median(group)
        result[f"{name}_max_rss_kb"] = max((r.max_rss_kb for r in group), default=None)
        result[f"{name}_unfinished_after"] = [round(r.seconds) for r in group if not r.finished]
    if result["crm_first_median"] and result["sql_first_median"]:
        result["ratio_first"] = round(result["crm_first_median"] / result["sql_first_median"], 2)
    elif result["crm_first_unfinished_after"]:
        low = result["crm_first_unfinished_after"][0] / result["sql_first_median"]
        result["ratio_first_at_least"] = round(low, 1)
    for db in (crm_db, sql_db):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    return result


def crm_version(env: Env) -> str:
    done = subprocess.run(
        [env.crm, "--version"], env=env.environ(), capture_output=True, text=True, check=False
    )
    return (done.stdout or done.stderr).strip()


def source_commit() -> str:
    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{' + uncommitted changes in src' if dirty else ''}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/crm-bench-cls"))
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--sales", type=int, default=5_000_000)
    parser.add_argument(
        "--also",
        default="100000",
        help="comma-separated smaller customer counts to measure too, with sales in the same "
        "ratio (memory at two scales, and how time grows); empty: none",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs at the main scale (median)")
    parser.add_argument(
        "--crm-timeout",
        type=float,
        default=900,
        help="stop a crm reclassify after this many seconds and report it unfinished",
    )
    parser.add_argument("--regenerate", action="store_true", help="rebuild the databases")
    parser.add_argument("--no-verify", action="store_true", help="skip comparing crm with sql")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    for tool in (SQLITE3, TIME):
        if not Path(tool).exists():
            sys.exit(f"{tool} is needed")
    args.workdir.mkdir(parents=True, exist_ok=True)
    env = Env(args.workdir.resolve(), crm_executable())
    scales = [(args.customers, args.sales, args.repeat)]
    for part in filter(None, (p.strip() for p in args.also.split(","))):
        n = int(part)
        scales.append((n, args.sales * n // args.customers, 1))

    report: dict = {
        "date": date.today().isoformat(),
        "machine": {
            "nproc": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "sqlite_python": sqlite3.sqlite_version,
            "sqlite_shell": subprocess.run(
                [SQLITE3, "--version"], capture_output=True, text=True, check=False
            ).stdout.split()[0],
            "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        },
        "crm": crm_version(env),
        "commit": source_commit(),
        "as_of": AS_OF,
        "crm_timeout": args.crm_timeout,
        "scales": [],
    }
    for customers, sales, repeat in scales:
        pristine, info = ensure_dataset(env, customers, sales, args.regenerate)
        log(f"measuring {customers:,} customers, {sales:,} sales ({repeat} runs) …")
        result = measure_scale(
            env, pristine, repeat, verify=not args.no_verify, timeout=args.crm_timeout
        )
        report["scales"].append({"dataset": info, **result})
    report["machine"]["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())

    print_report(report)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    (env.workdir / "results.json").write_text(text)
    if args.json:
        args.json.write_text(text)
    met = report["scales"][0].get("ratio_first", float("inf")) <= TARGET
    sys.exit(0 if met else 1)


def mib(kb: int | None) -> str:
    return "—" if kb is None else f"{kb / 1024:.0f} MiB"


def timing(s: dict, name: str) -> str:
    if s[f"{name}_median"] is not None:
        return f"{s[f'{name}_median']:8.2f} s {s[f'{name}_seconds']}"
    if s[f"{name}_unfinished_after"]:
        return f"not finished after {s[f'{name}_unfinished_after'][0]} s (stopped)"
    return "not run"


def print_report(report: dict) -> None:
    m = report["machine"]
    print(
        f"machine: nproc {m['nproc']}, {m['platform']}, python {m['python']}, "
        f"sqlite {m['sqlite_python']} (python) / {m['sqlite_shell']} (shell), "
        f"load {m['load_before']} before, {m['load_after']} after"
    )
    print(f"{report['crm']} at {report['commit']}; as of {report['as_of']}")
    for s in report["scales"]:
        d = s["dataset"]
        print(
            f"\n{d['customers']:,} customers, {d['sales']:,} sales ({d['size_mb']} MB); "
            f"generated in {d['generate_seconds']} s, warm-up (all due dates) "
            f"{d['warmup_seconds']} s"
        )
        print(
            f"  crm reclassify, first run:  {timing(s, 'crm_first')}, "
            f"{s.get('changed_customers', '?')} changed, max RSS {mib(s['crm_first_max_rss_kb'])}"
        )
        print(
            f"  crm reclassify, second run: {timing(s, 'crm_second')}, "
            f"max RSS {mib(s['crm_second_max_rss_kb'])}"
        )
        print(
            f"  sqlite3 < reclassify.sql:   {timing(s, 'sql_first')}, "
            f"{s['changed_customers_sql']} changed, max RSS {mib(s['sql_first_max_rss_kb'])}"
        )
        print(f"  sqlite3, second run:        {timing(s, 'sql_second')}")
        if "ratio_first" in s:
            verdict = "meets" if s["ratio_first"] <= TARGET else "MISSES"
            print(
                f"  crm / sql (first run): {s['ratio_first']:.2f} ({verdict} the {TARGET}× target)"
            )
        elif "ratio_first_at_least" in s:
            print(
                f"  crm / sql (first run): > {s['ratio_first_at_least']} (MISSES the {TARGET}× target)"
            )
        if "same_result" in s:
            print(f"  same result: {s['same_result']}")
        dist = s["distribution"]
        print(f"  grades {dist['grade']}; share of sales {dist['sales_share_by_grade']} %")
        print(f"  values {dist['value']}")
        print(f"  tiers  {dist['tier']}")


if __name__ == "__main__":
    main()
