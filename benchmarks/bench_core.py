"""Whole-process benchmark of crm's start-up, overdue list and concurrent writes.

Run by hand (never by the test suite)::

    .venv/bin/python benchmarks/bench_core.py                  # 100,000 customers, 1,000,000 follow-ups
    .venv/bin/python benchmarks/bench_core.py --customers 10000 --followups 100000   # quick trial

Every timing is the wall time of a whole ``crm`` process (start-up, imports, SQLite, output),
the median of several runs, compared with a bare ``python -c "import ..."`` of the libraries
crm is built on. See benchmarks/README.md for the targets and the last recorded results.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

DEFAULT_AS_OF = "2026-11-20"
HELP_TARGET = 0.5  # crm --help ≤ 0.5 × python -c "import sqlmodel"
OVERDUE_TARGET = (
    1.3  # crm overdue ≤ 1.3 × python -c "import typer, rich, sqlmodel, dateutil.parser"
)
HEAVY_MODULES = ("sqlmodel", "sqlalchemy")
DATASET_VERSION = 1  # bump when the generator changes, so old data is not reused
SEED = 20261122
CHUNK = 20_000

# Cadence windows of the default policy (config.DEFAULTS): days between contacts per tier.
TIERS = (("core", 14, 0.05), ("key", 30, 0.15), ("general", 90, 0.40), ("potential", 30, 0.40))
STAGES = (
    ("lead", 0.30),
    ("target", 0.20),
    ("qualified", 0.15),
    ("customer", 0.20),
    ("loyal", 0.07),
    ("junk", 0.05),
    ("lost", 0.03),
)
TERMINAL = {"junk", "lost"}
CHANNELS = ("phone", "visit", "meeting", "email", "wechat")
ACQUISITION = (None, None, "referral", "online", "trade-show", "inquiry", "walk-in")
OVERDUE_SHARE = 0.10  # of the non-terminal customers: no qualifying contact within the cadence
NEVER_CONTACTED_SHARE = 0.04

# Chinese words with their pinyin, so sort_key/search_key look like what crm derives.
PLACES = (
    ("上海", "shang hai"),
    ("北京", "bei jing"),
    ("深圳", "shen zhen"),
    ("杭州", "hang zhou"),
    ("成都", "cheng du"),
    ("武汉", "wu han"),
    ("南京", "nan jing"),
    ("苏州", "su zhou"),
    ("广州", "guang zhou"),
    ("西安", "xi an"),
)
BRANDS = ("Apex", "Bright", "Nova", "Orient", "Lotus", "Summit", "Delta", "Jade", "Zen", "Pioneer")
TRADES = (
    ("科技有限公司", "ke ji you xian gong si"),
    ("贸易有限公司", "mao yi you xian gong si"),
    ("制造厂", "zhi zao chang"),
    ("咨询", "zi xun"),
    ("物流", "wu liu"),
    ("餐饮管理", "can yin guan li"),
    ("教育", "jiao yu"),
    ("医疗器械", "yi liao qi xie"),
)
PEOPLE = (
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("赵", "zhao"),
    ("黄", "huang"),
)
GIVEN = (("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("磊", "lei"))
SUMMARIES = (
    "电话沟通报价 quote discussed",
    "上门拜访, demo of the new line",
    "微信跟进合同细节",
    "email: sent brochure and price list",
    "面谈 budget review, 客户比较满意",
    "回访 after delivery; no complaints",
)


# ---------------------------------------------------------------------------------------------
# Processes


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def crm_executable() -> str:
    beside = Path(sys.executable).with_name("crm")
    if beside.exists():
        return str(beside)
    found = shutil.which("crm")
    if not found:
        sys.exit("cannot find the crm command; run with the virtualenv's python")
    return found


@dataclass
class Env:
    workdir: Path
    db: Path
    crm: str
    python: str = sys.executable
    src: Path | None = None  # a crmcli source tree to measure instead of the installed one

    @property
    def config(self) -> Path:
        return self.workdir / "config.toml"

    def environ(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(CRM_CONFIG=str(self.config), CRM_USER="bench", NO_COLOR="1")
        env.pop("CRM_DB", None)
        if self.src is not None:
            env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(self.src), env.get("PYTHONPATH")])
            )
        return env

    def probe(self, code: str) -> str:
        done = run([self.python, "-c", code], self.environ(), capture=True)
        if done.returncode != 0:
            err = done.stderr.decode(errors="replace").strip()
            sys.exit(f"crmcli does not load here (try --regenerate): {err}")
        return done.stdout.decode().strip()

    def crm_args(self, *args: str, db: Path | str | None = None) -> list[str]:
        """A crm command on the data set's database, or on ``db`` (a path or a URL)."""
        return [self.crm, "--db", str(db or self.db), *args]


def run(
    cmd: list[str], env: dict[str, str], *, capture: bool = False
) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )


def timed(cmd: list[str], env: dict[str, str]) -> float:
    return timed_cpu(cmd, env)[0]


def timed_cpu(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of a command that must succeed. The CPU time
    is that of the process alone (not of a database server it talks to): on a machine
    shared with other work it moves much less than the wall time. Run one at a time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = run(cmd, env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace").strip()
        sys.exit(f"command failed ({done.returncode}): {' '.join(cmd)}\n{err}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


Command = list[str] | Callable[[int], list[str]]


def samples(
    commands: dict[str, Command],
    env: dict[str, str],
    runs: int,
    cpu: dict[str, list[float]] | None = None,
) -> dict[str, list[float]]:
    """Wall times of each command: one warm-up each, then ``runs`` rounds interleaving all
    of them, so a burst of other work on the machine hits every command of a round alike.
    A command may be a function of the run's number (0 for the warm-up), so that commands
    that write can add a different row each time. ``cpu`` gets the CPU times."""

    def at(cmd: Command, n: int) -> list[str]:
        return cmd(n) if callable(cmd) else cmd

    for cmd in commands.values():
        timed(at(cmd, 0), env)
    found: dict[str, list[float]] = {name: [] for name in commands}
    for n in range(1, runs + 1):
        for name, cmd in commands.items():
            wall, used = timed_cpu(at(cmd, n), env)
            found[name].append(wall)
            if cpu is not None:
                cpu.setdefault(name, []).append(used)
    return found


def medians(commands: dict[str, Command], env: dict[str, str], runs: int) -> dict[str, float]:
    """Median wall time of each command (see ``samples``)."""
    return {name: statistics.median(v) for name, v in samples(commands, env, runs).items()}


# ---------------------------------------------------------------------------------------------
# Data


def _stamp(day: date, seconds: int) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{day.isoformat()} {h:02d}:{m:02d}:{s:02d}.000000"


def _pick(rng: random.Random, weighted: tuple[tuple[Any, ...], ...]) -> str:
    x = rng.random()
    for item in weighted:
        x -= item[-1]
        if x <= 0:
            return item[0]
    return weighted[-1][0]


@dataclass
class Dataset:
    customers: int
    followups: int
    as_of: str
    schema: str
    owners: list[str] = field(default_factory=list)
    expected_overdue: int = 0
    generate_seconds: float = 0.0
    recompute_seconds: float = 0.0

    def key(self) -> dict[str, object]:
        return {
            "version": DATASET_VERSION,
            "customers": self.customers,
            "followups": self.followups,
            "as_of": self.as_of,
            "schema": self.schema,
        }


def generate(env: Env, ds: Dataset) -> None:
    """crm init, then a bulk insert through sqlite3, then one crm run to derive due dates."""
    started = time.perf_counter()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{env.db}{suffix}").unlink(missing_ok=True)
    # crm init writes the policy defaults of the code under test into a fresh config file.
    env.config.unlink(missing_ok=True)
    done = run(env.crm_args("init"), env.environ())
    if done.returncode != 0:
        sys.exit(f"crm init failed: {done.stderr.decode(errors='replace')}")

    rng = random.Random(SEED)
    as_of = date.fromisoformat(ds.as_of)
    ds.owners = [
        f"{s}{g}{n:02d}"
        for n, ((_, s), (_, g)) in enumerate(
            (rng.choice(PEOPLE), rng.choice(GIVEN)) for _ in range(50)
        )
    ]
    con = sqlite3.connect(env.db, isolation_level=None)
    con.execute("PRAGMA journal_mode = MEMORY")  # the bulk load only; WAL is restored below
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -262144")
    con.execute("BEGIN")
    customer_sql = (
        "INSERT INTO customer (id, code, name, name_key, sort_key, search_key, kind, contact_name,"
        " phone, region, channel, stage, tier, tier_locked, birthday_lunar, birthday_leap, owner,"
        " created_on, created_at, updated_at) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?, ?)"
    )
    followup_sql = (
        "INSERT INTO followup (customer_id, at, channel, summary, owner, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    windows = {name: days for name, days, _ in TIERS}

    # Who gets how many follow-ups: everyone contacted gets one (their latest), the rest at random.
    contacted = [rng.random() >= NEVER_CONTACTED_SHARE for _ in range(ds.customers)]
    counts = [1 if c else 0 for c in contacted]
    holders = [i for i, c in enumerate(contacted) if c]
    if holders:
        for _ in range(max(0, ds.followups - len(holders))):
            counts[holders[rng.randrange(len(holders))]] += 1

    customers: list[tuple] = []
    followups: list[tuple] = []
    expected = 0
    for i in range(ds.customers):
        cid = i + 1
        place, place_py = rng.choice(PLACES)
        brand = rng.choice(BRANDS)
        trade, trade_py = rng.choice(TRADES)
        person = rng.random() < 0.2
        if person:
            (sur, sur_py), (giv, giv_py) = rng.choice(PEOPLE), rng.choice(GIVEN)
            name = f"{sur}{giv} {brand} {cid}"
            syllables = f"{sur_py} {giv_py} {brand.lower()} {cid}"
        else:
            name = f"{place}{brand}{trade} {cid}"
            syllables = f"{place_py} {brand.lower()} {trade_py} {cid}"
        initials = "".join(s[0] for s in syllables.split())
        tier = _pick(rng, TIERS)
        stage = _pick(rng, STAGES)
        owner = rng.choice(ds.owners)
        late = rng.random() < OVERDUE_SHARE
        window = windows[tier]
        if counts[i]:
            created = as_of - timedelta(days=950 + rng.randrange(500))
        elif late:  # never contacted, added long ago
            created = as_of - timedelta(days=window + 1 + rng.randrange(300))
        else:  # never contacted, added in the last days
            created = as_of - timedelta(days=rng.randrange(window))
        if late and stage not in TERMINAL:
            expected += 1
        created_at = _stamp(created, 9 * 3600)
        customers.append(
            (
                cid,
                f"C{cid:07d}",
                name,
                name.replace(" ", "").lower(),
                syllables,
                f"{syllables.replace(' ', '')}|{initials}",
                "person" if person else "company",
                None if person else f"{rng.choice(PEOPLE)[0]}{rng.choice(GIVEN)[0]}",
                f"+861{rng.randrange(3, 9)}{rng.randrange(10**9):09d}"
                if rng.random() < 0.7
                else None,
                place,
                rng.choice(ACQUISITION),
                stage,
                tier,
                owner,
                created.isoformat(),
                created_at,
                created_at,
            )
        )
        if counts[i]:
            # The latest contact: within the cadence (with a qualifying channel: potential
            # customers need a call, core ones a visit), or, for the late ones, well before it.
            if late:
                latest = as_of - timedelta(days=window + 2 + rng.randrange(120))
                channel = rng.choice(CHANNELS)
            else:
                latest = as_of - timedelta(days=rng.randrange(window))
                channel = {"potential": "phone", "core": "visit"}.get(tier) or rng.choice(CHANNELS)
            days = [(latest, channel)]
            days += [
                (latest - timedelta(days=1 + rng.randrange(720)), rng.choice(CHANNELS))
                for _ in range(counts[i] - 1)
            ]
            days.sort()
            for day, chan in days:
                at = _stamp(day, 8 * 3600 + rng.randrange(11 * 3600))
                followups.append((cid, at, chan, rng.choice(SUMMARIES), owner, at, at))
        if len(customers) >= CHUNK:
            con.executemany(customer_sql, customers)
            customers.clear()
        if len(followups) >= CHUNK * 5:
            con.executemany(followup_sql, followups)
            followups.clear()
    con.executemany(customer_sql, customers)
    con.executemany(followup_sql, followups)
    con.execute("DELETE FROM meta WHERE key = 'cadence_policy'")
    con.execute("COMMIT")
    con.execute("PRAGMA journal_mode = WAL")
    con.close()
    ds.expected_overdue = expected
    ds.generate_seconds = time.perf_counter() - started
    print(f"  inserted in {ds.generate_seconds:.1f} s; deriving due dates ...", flush=True)
    ds.recompute_seconds = timed(env.crm_args("overdue", "--as-of", ds.as_of), env.environ())
    checkpoint(env.db)


def checkpoint(db: Path) -> None:
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def scalar(db: Path, sql: str, *params: object) -> object:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchone()[0]
    finally:
        con.close()


def export_revision(rev: str, workdir: Path) -> Path:
    """``git archive`` of src/ at a revision, so the measured code cannot change mid-run."""
    repo = Path(__file__).resolve().parent.parent
    sha = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", f"{rev}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    dest = workdir / f"rev-{sha[:12]}"
    if not (dest / "src" / "crmcli").is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", sha, "src"],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(dest, filter="data")
    return dest / "src"


def compile_package(env: Env, package: Path) -> None:
    """Write the bytecode of the measured crmcli, as ``pip install`` does for a release
    and did for the libraries of the baseline. An editable checkout run with
    PYTHONDONTWRITEBYTECODE=1 (as on CI machines) would otherwise compile every module
    from source at each start, about 50 ms that no installed crmcli pays."""
    done = run([env.python, "-m", "compileall", "-q", str(package)], env.environ(), capture=True)
    if done.returncode != 0:
        sys.exit(f"cannot compile {package}: {done.stderr.decode(errors='replace').strip()}")


def prepare(args: argparse.Namespace) -> tuple[Env, Dataset]:
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    src = export_revision(args.rev, workdir) if args.rev else args.src
    env = Env(workdir=workdir, db=Path(), crm=crm_executable(), src=src)
    where = env.probe("import crmcli; print(crmcli.__file__)")
    compile_package(env, Path(where).parent)
    if env.config.exists():
        env.probe("from crmcli import config; config.load()")  # written by another version?
    schema = env.probe("from crmcli.db import HEAD; print(HEAD)")
    print(f"measuring crmcli from {Path(where).parent} (schema {schema})")
    # One data set per size and schema: a database from another schema would be upgraded
    # (with a backup) or refused by the code under test.
    datadir = workdir / f"c{args.customers}-f{args.followups}-schema{schema}"
    datadir.mkdir(parents=True, exist_ok=True)
    env.db = datadir / "crm.db"
    ds = Dataset(args.customers, args.followups, args.as_of, schema)
    info = datadir / "dataset.json"
    if not args.regenerate and env.db.exists() and info.exists():
        saved = json.loads(info.read_text())
        if saved.get("key") == ds.key():
            ds.owners = saved["owners"]
            ds.expected_overdue = saved["expected_overdue"]
            ds.generate_seconds = saved["generate_seconds"]
            ds.recompute_seconds = saved["recompute_seconds"]
            print(f"reusing {env.db} (--regenerate to rebuild)")
            return env, ds
    info.unlink(missing_ok=True)
    print(
        f"generating {args.customers:,} customers / {args.followups:,} follow-ups in {env.db}",
        flush=True,
    )
    generate(env, ds)
    info.write_text(
        json.dumps(
            {
                "key": ds.key(),
                "owners": ds.owners,
                "expected_overdue": ds.expected_overdue,
                "generate_seconds": ds.generate_seconds,
                "recompute_seconds": ds.recompute_seconds,
            },
            indent=2,
        )
    )
    return env, ds


# ---------------------------------------------------------------------------------------------
# Checks


@dataclass
class Row:
    name: str
    seconds: float | None = None
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None  # None: reported only
    note: str = ""


def heavy_imports(env: Env, *args: str) -> list[str]:
    """Modules of sqlmodel/sqlalchemy that ``python -X importtime -m crmcli ARGS`` imported."""
    done = run([env.python, "-X", "importtime", "-m", "crmcli", *args], env.environ())
    if done.returncode != 0:
        sys.exit(f"python -m crmcli {' '.join(args)} failed:\n{done.stderr.decode()}")
    found = []
    for line in done.stderr.decode(errors="replace").splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        module = line.rsplit("|", 1)[1].strip()
        if module.split(".")[0] in HEAVY_MODULES:
            found.append(module)
    return found


def check_startup(env: Env, runs: int) -> list[Row]:
    rows = []
    for args in (("--help",), ("overdue", "--help")):
        heavy = heavy_imports(env, *args)
        rows.append(
            Row(
                f"crm {' '.join(args)}: no sqlmodel/sqlalchemy import",
                target="0 modules",
                ok=not heavy,
                note=f"{len(heavy)} modules" + (f" (first: {heavy[0]})" if heavy else ""),
            )
        )
    e = env.environ()
    # Both interface languages: Chinese opens the gettext catalogue, English none.
    for lang in ("en", "zh"):
        times = medians(
            {
                "sqlmodel": [env.python, "-c", "import sqlmodel"],
                "help": [env.crm, "--help"],
                "overdue-help": [env.crm, "overdue", "--help"],
            },
            {**e, "COLUMNS": "100", "CRM_LANG": lang},
            runs,
        )
        base = times["sqlmodel"]
        rows.append(Row(f'python -c "import sqlmodel" (baseline, {lang} run)', base))
        ratio = times["help"] / base
        rows.append(
            Row(
                f"crm --help (CRM_LANG={lang})",
                times["help"],
                ratio,
                f"≤ {HELP_TARGET}× baseline",
                ratio <= HELP_TARGET,
            )
        )
        rows.append(
            Row(
                f"crm overdue --help (CRM_LANG={lang})",
                times["overdue-help"],
                times["overdue-help"] / base,
            )
        )
    return rows


def check_overdue(env: Env, ds: Dataset, runs: int) -> tuple[list[Row], int]:
    e = env.environ()
    listed = run(env.crm_args("overdue", "--as-of", ds.as_of, "--format", "json"), e, capture=True)
    if listed.returncode != 0:
        sys.exit(f"crm overdue failed: {listed.stderr.decode(errors='replace')}")
    count = len(json.loads(listed.stdout))
    in_db = scalar(env.db, "SELECT count(*) FROM customer WHERE next_due_at < ?", ds.as_of)
    owner = ds.owners[0]
    commands = {
        "baseline": [env.python, "-c", "import typer, rich, sqlmodel, dateutil.parser"],
        "table": env.crm_args("overdue", "--as-of", ds.as_of),
        "json": env.crm_args("overdue", "--as-of", ds.as_of, "--format", "json"),
        "owner": env.crm_args("overdue", "--as-of", ds.as_of, "--owner", owner),
        "limit": env.crm_args("overdue", "--as-of", ds.as_of, "--limit", "1"),
    }
    times = medians(commands, e, runs)
    base = times["baseline"]
    chinese = medians(
        {"baseline": commands["baseline"], "table": commands["table"]},
        {**e, "CRM_LANG": "zh"},
        runs,
    )
    owned = scalar(
        env.db,
        "SELECT count(*) FROM customer WHERE next_due_at < ? AND owner = ?",
        ds.as_of,
        owner,
    )
    share = 100 * count / ds.customers if ds.customers else 0
    rows = [
        Row('python -c "import typer, rich, sqlmodel, dateutil.parser" (baseline)', base),
        Row(
            f"crm overdue --as-of {ds.as_of} (table, piped)",
            times["table"],
            times["table"] / base,
            f"≤ {OVERDUE_TARGET}× baseline",
            times["table"] / base <= OVERDUE_TARGET,
            f"{count:,} rows ({share:.1f} %)",
        ),
        Row(
            "crm overdue --format json",
            times["json"],
            times["json"] / base,
            f"(≤ {OVERDUE_TARGET}×, info)",
            note="same rows",
        ),
        Row(
            "crm overdue (table, piped, CRM_LANG=zh)",
            chinese["table"],
            chinese["table"] / chinese["baseline"],
            f"≤ {OVERDUE_TARGET}× baseline",
            chinese["table"] / chinese["baseline"] <= OVERDUE_TARGET,
            "the reasons and headers in Chinese",
        ),
        Row(
            f"crm overdue --owner {owner}",
            times["owner"],
            times["owner"] / base,
            f"(≤ {OVERDUE_TARGET}×, info)",
            note=f"{owned:,} rows",
        ),
        Row(
            "crm overdue --limit 1",
            times["limit"],
            times["limit"] / base,
            "(info)",
            note="fixed cost: start-up, open, one row",
        ),
        Row(
            "overdue rows: crm json = next_due_at < as-of = generated",
            target="all equal",
            ok=count == in_db == ds.expected_overdue,
            note=f"{count:,} / {in_db:,} / {ds.expected_overdue:,}",
        ),
    ]
    return rows, count


def scratch_copy(env: Env) -> Path:
    """A copy of the database for the tests that write, so the generated data stays as it was."""
    checkpoint(env.db)
    copy = env.db.with_name("scratch.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(env.db, copy)
    copy.chmod(0o600)
    return copy


def check_recompute(env: Env, ds: Dataset, scratch: Path, runs: int) -> list[Row]:
    """A policy change: every customer's due dates recomputed by the next command.

    Measured with ``crm overdue --limit 1`` (little else to do) right after deleting the stored
    policy fingerprint, against the same command when nothing needs recomputing.
    """
    e = env.environ()
    cmd = env.crm_args("overdue", "--as-of", ds.as_of, "--limit", "1", db=scratch)
    plain = medians({"plain": cmd}, e, runs)["plain"]
    samples = []
    for _ in range(max(1, min(runs, 3))):
        con = sqlite3.connect(scratch, isolation_level=None)
        con.execute("DELETE FROM meta WHERE key = 'cadence_policy'")
        con.close()
        samples.append(timed(cmd, e))
    whole = statistics.median(samples)
    return [
        Row("crm overdue --limit 1 (no recompute)", plain),
        Row(
            "same, policy changed: full due-date recompute",
            whole,
            whole / plain,
            note=f"≈ {whole - plain:.2f} s for the recompute of {ds.customers:,} customers "
            f"(median of {len(samples)}); {ds.recompute_seconds:.2f} s whole run after generating",
        ),
    ]


def check_concurrency(env: Env, ds: Dataset, scratch: Path, writes: int) -> list[Row]:
    e = env.environ()
    before = scalar(scratch, "SELECT count(*) FROM followup")
    codes = [f"C{1 + (n * 7919) % ds.customers:07d}" for n in range(writes)]
    stop = threading.Event()
    reader = {"runs": 0, "failed": 0, "locked": 0, "first_error": ""}

    def read_loop() -> None:
        cmd = env.crm_args("overdue", db=scratch)
        while not stop.is_set():
            done = run(cmd, e)
            err = done.stderr.decode(errors="replace")
            reader["runs"] += 1
            if "database is locked" in err or "busy" in err:
                reader["locked"] += 1
            if done.returncode != 0:
                reader["failed"] += 1
                reader["first_error"] = reader["first_error"] or err.strip()

    thread = threading.Thread(target=read_loop, daemon=True)
    thread.start()
    locked = failed = 0
    first_error = ""
    durations = []
    for n, code in enumerate(codes):
        cmd = env.crm_args(
            "log", code, "--channel", "phone", "--summary", f"bench call {n}", db=scratch
        )
        start = time.perf_counter()
        done = run(cmd, e)
        durations.append(time.perf_counter() - start)
        err = done.stderr.decode(errors="replace")
        bad = done.returncode != 0
        is_locked = "database is locked" in err
        locked += is_locked
        failed += bad or is_locked
        if (bad or is_locked) and not first_error:
            first_error = f"exit {done.returncode}: {err.strip()}"
    stop.set()
    thread.join()
    added = scalar(scratch, "SELECT count(*) FROM followup") - before
    return [
        Row(
            f"{writes} × crm log while crm overdue loops: failed runs",
            target="0",
            ok=failed == 0,
            note=f"{locked} 'database is locked', {failed} failed"
            + (f"; {first_error}" if first_error else ""),
        ),
        Row(
            "new follow-ups after the writes",
            target=f"= {writes}",
            ok=added == writes,
            note=f"{added}",
        ),
        Row(
            "crm log (median under concurrent reads)",
            statistics.median(durations),
            note=f"max {max(durations):.2f} s",
        ),
        Row(
            "concurrent crm overdue runs (reader)",
            target="0 failed",
            ok=reader["failed"] == 0 and reader["locked"] == 0,
            note=f"{reader['runs']} runs, {reader['locked']} locked, {reader['failed']} failed"
            + (f"; {reader['first_error']}" if reader["first_error"] else ""),
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Report


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    width = max(len(r.name) for r in rows)
    print(f"  {'check':<{width}}  {'median s':>8}  {'ratio':>6}  {'target':<22}  result  note")
    for r in rows:
        secs = f"{r.seconds:8.3f}" if r.seconds is not None else " " * 8
        ratio = f"{r.ratio:6.2f}" if r.ratio is not None else " " * 6
        verdict = "" if r.ok is None else ("PASS" if r.ok else "FAIL")
        print(f"  {r.name:<{width}}  {secs}  {ratio}  {r.target:<22}  {verdict:<6}  {r.note}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workdir", default="/tmp/crm-bench", help="where data is kept and reused")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--followups", type=int, default=1_000_000)
    parser.add_argument("--as-of", default=DEFAULT_AS_OF, help="the day overdue is reckoned from")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (median)")
    parser.add_argument(
        "--writes", type=int, default=200, help="crm log runs in the concurrency test"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--rev", help="measure this git revision of src/ (exported with git archive), e.g. HEAD"
    )
    source.add_argument(
        "--src", type=Path, help="measure the crmcli package under this directory (a src/ tree)"
    )
    parser.add_argument(
        "--regenerate", action="store_true", help="rebuild the data even if present"
    )
    parser.add_argument(
        "--only",
        choices=("startup", "overdue", "concurrency"),
        action="append",
        help="run only these parts (repeatable)",
    )
    args = parser.parse_args()
    parts = set(args.only or ("startup", "overdue", "concurrency"))

    print(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()} ({sys.executable})"
    )
    print(f"load average: {load()}")
    env, ds = prepare(args)
    print(
        f"data: {ds.customers:,} customers, {ds.followups:,} follow-ups, as of {ds.as_of}; "
        f"generated in {ds.generate_seconds:.1f} s, first recompute {ds.recompute_seconds:.2f} s"
    )
    results: list[Row] = []
    if "startup" in parts:
        rows = check_startup(env, args.runs)
        print_table("1. start-up", rows)
        results += rows
    if "overdue" in parts:
        rows, _ = check_overdue(env, ds, args.runs)
        print_table("2. overdue list", rows)
        results += rows
    if "concurrency" in parts or "overdue" in parts:
        scratch = scratch_copy(env)
        rows = []
        if "overdue" in parts:
            rows += check_recompute(env, ds, scratch, args.runs)
        if "concurrency" in parts:
            rows += check_concurrency(env, ds, scratch, args.writes)
        print_table("3. recompute and concurrent writes", rows)
        results += rows
    failed = [r for r in results if r.ok is False]
    print(f"\nload average at the end: {load()} (other work on the machine skews the medians)")
    print(
        f"\n{'FAIL' if failed else 'PASS'}: {len(failed)} of {sum(r.ok is not None for r in results)} checks failed"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
