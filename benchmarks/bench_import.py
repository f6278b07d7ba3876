"""Whole-process benchmark of ``crm import customers`` against ``sqlite-utils insert``.

Run by hand (never by the test suite)::

    .venv/bin/pip install sqlite-utils          # for the comparison only; not a dependency
    .venv/bin/python benchmarks/bench_import.py                   # 100,000 rows, 3 runs each
    .venv/bin/python benchmarks/bench_import.py --rows 1000000    # plus peak memory at 1M

The CSV is generated (seeded): Chinese and English company names, contact people, mobile
and landline phones in several spellings, e-mails, addresses and enumerations in both
languages, a few quoted fields with commas and about 0.5 % repeated phones, so crm has
to validate, normalise and deduplicate what sqlite-utils stores as text.

Targets (SPEC §7 / the import issue): crm's time at most half of sqlite-utils' on the
100,000-row file; a 1,000,000-row import under 250 MB peak RSS (``/usr/bin/time -f %M``).
Both tools write a fresh database file each run; crm's is created with ``crm init``
beforehand (its schema migrations are not part of an import).

``--pg postgresql+psycopg://user@host/db`` also times crm's import of the same file into
a new database on that server (created beside the one the URL names, and dropped).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = 20261122
TIME_TARGET = 0.5
RSS_TARGET_MB = 250

PLACES = ("上海", "北京", "深圳", "杭州", "成都", "武汉", "南京", "苏州", "广州", "西安")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
TRADES = ("科技有限公司", "贸易有限公司", "制造厂", "咨询有限公司", "物流有限公司", "餐饮管理")
BRANDS = ("Apex", "Bright", "Nova", "Orient", "Lotus", "Summit", "Delta", "Jade", "Zen")
KINDS = ("Trading", "Logistics", "Foods", "Components", "Consulting", "Textiles")
# Chinese mobile prefixes the phone metadata accepts (13x, 15x, 18x, 19x, 17x…).
MOBILE = (
    *(f"13{d}" for d in range(10)),
    *(f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)),
    *(f"18{d}" for d in range(10)),
    "177",
    "178",
    "199",
    "198",
)
AREAS = ("010", "021", "0571", "0755", "028", "027")
DOMAINS = ("example.com", "mail.cn", "Corp.Example.ORG", "qq.com", "163.com")
INDUSTRY = ("制造业", "services", "金融", "education", "其他", "Semiconductors", "")
SCALE = ("大型", "medium", "小型", "")
SOURCE = ("主动咨询", "outbound", "")
STAGE = ("lead", "目标", "意向客户", "customer", "")
OWNERS = ("li", "wang", "zhang", "chen", "")


def generate(path: Path, rows: int) -> None:
    rng = random.Random(SEED + rows)
    seen_phones: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(
            [
                "客户名称",
                "联系人",
                "手机",
                "email",
                "地址",
                "行业",
                "规模",
                "来源",
                "stage",
                "负责人",
            ]
        )
        for i in range(rows):
            if i % 2:
                name = (
                    f"{rng.choice(PLACES)}{rng.choice(SURNAMES)}{rng.choice(GIVEN)}"
                    f"{rng.choice(TRADES)}{i}"
                )
                contact = rng.choice(SURNAMES) + rng.choice(GIVEN)
            else:
                name = f"{rng.choice(BRANDS)} {rng.choice(KINDS)} {i}"
                if i % 10 == 0:
                    name += ", Ltd."
                contact = rng.choice(("Anna", "Wei", "Tom", "Li Na")) + f" {i % 97}"
            roll = rng.random()
            if seen_phones and roll < 0.005:
                phone = rng.choice(seen_phones)
            elif roll < 0.85:
                digits = rng.choice(MOBILE) + f"{rng.randrange(10**8):08d}"
                phone = digits if roll < 0.6 else f"{digits[:3]} {digits[3:7]} {digits[7:]}"
            elif roll < 0.95:
                area = rng.choice(AREAS)
                local = f"{rng.randrange(2, 8)}{rng.randrange(10**7):07d}"
                phone = f"({area}) {local[:4]} {local[4:]}" if roll < 0.9 else f"{area}-{local}"
            else:
                phone = ""
            if phone and len(seen_phones) < 10_000:
                seen_phones.append(phone)
            email = f"user{i}@{rng.choice(DOMAINS)}" if rng.random() < 0.9 else ""
            address = f"{rng.choice(PLACES)}市{rng.choice(SURNAMES)}家路{i % 500}号"
            out.writerow(
                [
                    name,
                    contact,
                    phone,
                    email,
                    address,
                    rng.choice(INDUSTRY),
                    rng.choice(SCALE),
                    rng.choice(SOURCE),
                    rng.choice(STAGE),
                    rng.choice(OWNERS),
                ]
            )


def tool(name: str) -> str:
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        sys.exit(f"{name} not found; install it into this venv (pip install {name})")
    return found


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def fresh_crm_db(crm: str, db: Path, env: dict[str, str]) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    subprocess.run([crm, "--db", str(db), "init"], env=env, check=True, capture_output=True)


def compare(csv_path: Path, work: Path, runs: int, env: dict[str, str]) -> dict[str, float]:
    crm, sqlite_utils = tool("crm"), tool("sqlite-utils")
    samples: dict[str, list[tuple[float, float]]] = {"crm": [], "sqlite-utils": []}
    for _ in range(runs):
        db = work / "crm.db"
        fresh_crm_db(crm, db, env)
        samples["crm"].append(
            timed([crm, "--db", str(db), "import", "customers", str(csv_path)], env)
        )
        other = work / "sqlite-utils.db"
        other.unlink(missing_ok=True)
        samples["sqlite-utils"].append(
            timed([sqlite_utils, "insert", str(other), "customers", str(csv_path), "--csv"], env)
        )
    result = {}
    for name, values in samples.items():
        result[f"{name} wall"] = statistics.median(w for w, _ in values)
        result[f"{name} cpu"] = statistics.median(c for _, c in values)
    return result


def peak_rss(csv_path: Path, work: Path, env: dict[str, str]) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of one crm import, measured by GNU time."""
    crm = tool("crm")
    gnu_time = shutil.which("time") or "/usr/bin/time"
    db = work / "big.db"
    fresh_crm_db(crm, db, env)
    start = time.perf_counter()
    done = subprocess.run(
        [gnu_time, "-f", "%M", crm, "--db", str(db), "import", "customers", str(csv_path)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"1M import failed:\n{done.stderr.decode()[-2000:]}")
    kib = int(done.stderr.decode().strip().splitlines()[-1])
    return kib / 1024, wall


def server_import(csv_path: Path, url: str, runs: int, env: dict[str, str]) -> tuple[float, float]:
    """(median wall, median CPU seconds of the crm process) of an import into a new
    database on a PostgreSQL server, each run into a database of its own."""
    from sqlalchemy import create_engine

    crm = tool("crm")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    samples = []
    try:
        for run in range(runs):
            name = f"crm_bench_import_{os.getpid()}_{run}"
            target = url.rsplit("/", 1)[0] + "/" + name
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                subprocess.run(
                    [crm, "--db", target, "init"], env=env, check=True, capture_output=True
                )
                samples.append(
                    timed([crm, "--db", target, "import", "customers", str(csv_path)], env)
                )
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
    return statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the timed file")
    parser.add_argument("--runs", type=int, default=3, help="runs of each tool (median)")
    parser.add_argument(
        "--million", type=int, default=1_000_000, help="rows of the memory run (0: skip)"
    )
    parser.add_argument("--workdir", type=Path, help="keep files here (default: a temp dir)")
    parser.add_argument("--pg", help="also time an import into this PostgreSQL server")
    parser.add_argument(
        "--pg-only", action="store_true", help="time the PostgreSQL import alone (with --pg)"
    )
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="crm-bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(CRM_CONFIG=str(work / "config.toml"), CRM_USER="bench", NO_COLOR="1", TERM="dumb")
    env.pop("CRM_DB", None)
    try:
        timed_csv = work / f"customers-{args.rows}.csv"
        if not timed_csv.exists():
            generate(timed_csv, args.rows)
        size = timed_csv.stat().st_size / 1e6
        print(f"{args.rows:,} rows, {size:.1f} MB; {args.runs} runs each, medians")
        if args.pg:
            wall, cpu = server_import(timed_csv, args.pg, args.runs, env)
            print(
                f"  crm import customers into PostgreSQL {wall:7.2f} s wall  {cpu:7.2f} s CPU (crm)"
            )
            if args.pg_only:
                return
        figures = compare(timed_csv, work, args.runs, env)
        ratio = figures["crm wall"] / figures["sqlite-utils wall"]
        print(
            f"  crm import customers   {figures['crm wall']:7.2f} s wall  {figures['crm cpu']:7.2f} s CPU"
        )
        print(
            f"  sqlite-utils insert    {figures['sqlite-utils wall']:7.2f} s wall  "
            f"{figures['sqlite-utils cpu']:7.2f} s CPU"
        )
        verdict = "ok" if ratio <= TIME_TARGET else "MISSED"
        print(f"  ratio crm / sqlite-utils (wall) {ratio:.2f}  (target ≤ {TIME_TARGET})  {verdict}")
        if args.million:
            big = work / f"customers-{args.million}.csv"
            if not big.exists():
                generate(big, args.million)
            mb, wall = peak_rss(big, work, env)
            verdict = "ok" if mb < RSS_TARGET_MB else "MISSED"
            print(
                f"{args.million:,} rows: peak RSS {mb:.0f} MB (target < {RSS_TARGET_MB} MB) "
                f"{verdict}; {wall:.1f} s wall"
            )
        print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
