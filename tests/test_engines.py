"""The same day's work gives the same JSON on SQLite and on PostgreSQL (SPEC §7).

One sequence of commands — customers with Chinese names named again in pinyin, a
contact, a follow-up with its next step, a plan, sales, reclassify, manual tier and
stage changes, then every listing — runs once on an SQLite file and once on a
PostgreSQL database, every day fixed with ``--as-of``. Each listing's JSON must be the
same on both: same keys in the same order, same values, same JSON types (an amount that
is a string on one engine is a string on the other; a share that is a number stays a
number).

The only values allowed to differ are the wall-clock stamps a command takes from the
clock when it runs, which no --as-of fixes and which differ between any two runs, on one
engine too: ``created_at``, ``updated_at`` and the ``at`` of history entries, all with
seconds. They are compared by their shape (``2026-12-03 06:25:21.568456`` →
``#-#-# #:#:#.#``), so a time zone suffix, a ``T`` or lost seconds on one engine still
show. A follow-up's ``at`` comes from ``--at`` (minutes, no seconds) and is compared as is.

The PostgreSQL half runs when ``CRM_TEST_PG_URL`` names a server (see conftest.py).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import EngineTracker, PgDatabases, Run

# The stamps a command takes from the clock when it runs, not from --as-of or --at.
WALL_CLOCK_KEYS = frozenset({"created_at", "updated_at", "at"})
WALL_CLOCK = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:?\d\d|Z)?")

# The commands of the sequence, in order, by name: each one's JSON is compared. Those
# named None print no JSON; their effect shows in the listings.
SEQUENCE: list[tuple[str | None, str]] = [
    (None, "init"),
    (
        "customer add 华为",
        "customer add 华为技术有限公司 --code HW --contact 张伟 --phone 13812345678"
        " --industry manufacturing --scale large --stage customer --owner li --as-of 2026-01-05",
    ),
    (
        "customer add 阿里巴巴",
        "customer add 阿里巴巴网络技术有限公司 --code ALI --stage qualified --owner wang"
        " --channel outreach --as-of 2026-01-06",
    ),
    (
        "customer add 腾讯",
        "customer add 腾讯科技 --stage target --owner li --email BD@Tencent.example"
        " --as-of 2026-01-07",
    ),
    ("contact add (pinyin)", "contact add huawei 王芳 --title 采购经理 --birthday 1985-03-08"),
    (
        "log (initials)",
        "log hwjs --channel visit --summary 季度回访 --result 需求扩大 --contact 王芳"
        " --at '2026-02-01 10:30' --next 2026-02-15 --next-action 报价 --as-of 2026-02-01",
    ),
    (
        "plan add (pinyin)",
        "plan add alibaba --due '2026-02-20 09:00' --content 确认样品 --as-of 2026-02-02",
    ),
    ("sale add 华为", "sale add HW 120000.50 --on 2026-01-20 --product 服务器 --as-of 2026-01-20"),
    ("sale add 阿里巴巴", "sale add ALI 30000 --on 2026-02-10 --as-of 2026-02-10"),
    ("sale add 腾讯 (initials)", "sale add txkj 999.99 --on 2026-02-11 --as-of 2026-02-11"),
    ("sale add refund", "sale add HW 500 --refund --on 2026-02-12 --as-of 2026-02-12"),
    ("reclassify", "reclassify --as-of 2026-03-01"),
    (None, "tier set txkj key --reason 战略客户 --lock --as-of 2026-03-02"),
    (None, "stage set 腾讯 qualified --reason 已报价 --as-of 2026-03-03"),
    (None, "campaign add 年终答谢会 --on 2026-03-20 --as-of 2026-03-05"),
    ("overdue", "overdue --as-of 2026-03-10"),
    ("overdue --owner", "overdue --owner li --as-of 2026-03-10"),
    ("remind", "remind --as-of 2026-03-10"),
    ("customer list", "customer list"),
    ("customer list --search (pinyin)", "customer list --search huawei"),
    ("customer list --tier", "customer list --tier key"),
    ("customer show (initials)", "customer show hwjs --as-of 2026-03-10"),
    ("customer history", "customer history 腾讯"),
    ("greet list", "greet list --date 2026-03-08 --as-of 2026-03-08"),
    ("campaign list", "campaign list"),
    ("campaign list NAME", "campaign list 年终答谢会 --all"),
    ("sale list", "sale list --from 2026-01-01 --to 2026-03-31 --as-of 2026-03-10"),
    ("plan list", "plan list --status all --as-of 2026-03-10"),
    ("export customers", "export customers --format json"),
    ("report abc", "report abc --as-of 2026-03-10"),
]


def normalised(value: Any, key: str | None = None) -> Any:
    """``value`` with the wall-clock stamps replaced by their shape."""
    if isinstance(value, dict):
        return {k: normalised(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if key in WALL_CLOCK_KEYS and isinstance(value, str) and WALL_CLOCK.fullmatch(value):
        return "<clock " + re.sub(r"\d+", "#", value) + ">"
    return value


def differences(sqlite: Any, pg: Any, path: str = "$") -> list[str]:
    """Where two JSON values differ, types and key order included; [] when they do not."""

    def show(value: Any) -> str:
        return f"{json.dumps(value, ensure_ascii=False)} ({type(value).__name__})"

    if type(sqlite) is not type(pg):
        return [f"{path}: sqlite {show(sqlite)} != postgresql {show(pg)}"]
    if isinstance(sqlite, dict):
        if list(sqlite) != list(pg):
            return [f"{path}: keys sqlite {list(sqlite)} != postgresql {list(pg)}"]
        return [d for k in sqlite for d in differences(sqlite[k], pg[k], f"{path}.{k}")]
    if isinstance(sqlite, list):
        if len(sqlite) != len(pg):
            return [f"{path}: {len(sqlite)} items on sqlite != {len(pg)} on postgresql"]
        return [
            d
            for i, (a, b) in enumerate(zip(sqlite, pg, strict=True))
            for d in differences(a, b, f"{path}[{i}]")
        ]
    if sqlite != pg:
        return [f"{path}: sqlite {show(sqlite)} != postgresql {show(pg)}"]
    return []


def run_day(tmp: Path, database: str, engines: EngineTracker | None = None) -> dict[str, Any]:
    """The sequence on ``database`` (a path or URL): every JSON it printed, by name."""
    crm = Run(engines)
    env = {
        "CRM_CONFIG": str(tmp / "config.toml"),
        "CRM_DB": database,
        "CRM_USER": "tester",
        "XDG_CONFIG_HOME": str(tmp / "xdg-config"),
        "XDG_DATA_HOME": str(tmp / "xdg-data"),
        "NO_COLOR": "1",
    }
    out: dict[str, Any] = {}
    with pytest.MonkeyPatch.context() as mp:
        for variable, value in env.items():
            mp.setenv(variable, value)
        for name, command in SEQUENCE:
            args = shlex.split(command)
            if name is None:
                crm.ok(*args)
            elif args[0] == "export":
                out[name] = json.loads(crm.ok(*args).stdout)
            else:
                out[name] = crm.json(*args)
    return out


@pytest.fixture(scope="module")
def on_sqlite(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("engines-sqlite")
    return run_day(tmp, str(tmp / "crm.db"))


@pytest.fixture(scope="module")
def on_postgresql(
    tmp_path_factory: pytest.TempPathFactory, pg_databases: PgDatabases | None
) -> Iterator[dict[str, Any]]:
    if pg_databases is None:
        pytest.skip("no PostgreSQL server to compare with: set CRM_TEST_PG_URL (see conftest.py)")
    tmp = tmp_path_factory.mktemp("engines-postgresql")
    name = pg_databases.take()
    engines = EngineTracker()
    try:
        yield run_day(tmp, pg_databases.url_of(name), engines)
    finally:
        engines.close()
        pg_databases.give_back(name)


NAMES = [name for name, _ in SEQUENCE if name is not None]


def test_the_sequence_runs_on_sqlite_with_the_types_the_readme_documents(on_sqlite):
    """The reference half: amounts are exact decimal strings, ids and counts numbers."""
    sale = on_sqlite["sale add 华为"]
    assert (sale["amount"], sale["sold_on"]) == ("120000.50", "2026-01-20")
    assert on_sqlite["sale add refund"]["amount"] == "-500.00"
    assert [c["code"] for c in on_sqlite["overdue"]] == ["ALI", "C000003", "HW"]
    assert [c["days_overdue"] for c in on_sqlite["overdue"]] == [56, 32, 23]
    assert on_sqlite["customer list --search (pinyin)"][0]["code"] == "HW"
    abc = on_sqlite["report abc"]
    assert abc["total"] == "150500.49"
    assert [(c["code"], c["grade"]) for c in abc["customers"]] == [
        ("HW", "A"),
        ("ALI", "B"),
        ("C000003", "C"),
    ]
    assert all(isinstance(c["share"], float) for c in abc["customers"])


@pytest.mark.parametrize("name", NAMES)
def test_postgresql_prints_the_same_json_as_sqlite(on_sqlite, on_postgresql, name):
    found = differences(normalised(on_sqlite[name]), normalised(on_postgresql[name]))
    assert found == [], "\n".join(found)
