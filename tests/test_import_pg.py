"""crm import into PostgreSQL gives what it gives into SQLite (SPEC §4, §6).

The same commands run against a new SQLite file and a new database on the server named
by ``CRM_TEST_PG_URL`` (skipped without one): a hand-made customer, an import of
customers with Chinese names, a duplicate in the file and an update of a customer
already stored, then contacts, sales and plans naming their customers, then every
batch undone. The JSON of the customers, contacts, sales, history and batches after
the imports, and after the undos, must be the same on both engines.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from pathlib import Path

import pytest

URL = os.environ.get("CRM_TEST_PG_URL")
ON = "2026-11-01"
# What differs between two runs whatever the engine: the clock.
CLOCK = {"created_at", "updated_at", "at", "undone_at"}

pytestmark = pytest.mark.skipif(not URL, reason="CRM_TEST_PG_URL names no PostgreSQL server")


def write(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def server_db(monkeypatch):
    """A new, empty database on the server; dropped afterwards."""
    from sqlalchemy import create_engine

    name = "import_pg_" + uuid.uuid4().hex[:12]
    admin = create_engine(URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield URL.rsplit("/", 1)[0] + "/" + name  # type: ignore[union-attr]
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in CLOCK}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _json(crm, *args):
    result = crm(*args, "--format", "json")
    assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    return _plain(json.loads(result.stdout))


def state(crm) -> dict:
    """Everything the imports wrote, as the reading commands show it."""
    customers = _json(crm, "customer", "list")
    return {
        "customers": customers,
        "contacts": _json(crm, "contact", "list"),
        "sales": _json(crm, "sale", "list"),
        "history": {c["code"]: _json(crm, "customer", "history", c["code"]) for c in customers},
        "batches": _json(crm, "import", "list"),
    }


def story(crm, files: Path) -> tuple[dict, list[str], dict]:
    """Imports, their messages and what they left; then every batch undone."""
    crm.ok("customer", "add", "华为技术有限公司", "--code", "HW", "--phone", "13812345678",
           "--owner", "wang", "--as-of", ON)  # fmt: skip
    said: list[str] = []

    def imported(*args):
        result = crm("import", *args, "--as-of", ON, "--format", "json")
        assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
        said.extend(result.stderr.splitlines())
        said.append(result.stdout)

    customers = write(
        files / "客户.csv",
        [
            ["客户名称", "联系人", "手机", "邮箱", "行业", "负责人", "级别"],
            ["华为技术有限公司", "任正非", "138 1234 5678", "ren@huawei.com", "制造业", "", ""],
            ["阿里巴巴", "马云", "（0571）8502 2088", "", "服务", "li", "重点"],
            ["重庆银行", "林军", "13900001111", "", "金融", "", ""],
            ["重庆银行股份", "林军", "139 0000 1111", "lin@cqcb.com", "", "", ""],
            ["腾讯", "马化腾", "", "pony@qq.com", "", "zhang", ""],
        ],
    )
    imported("customers", customers, "--on-duplicate", "update")
    contacts = write(
        files / "联系人.csv",
        [
            ["客户", "姓名", "手机", "职务"],
            ["阿里巴巴", "张勇", "13700000001", "CEO"],
            ["HW", "孟晚舟", "13700000002", "CFO"],
            ["腾讯", "马化腾", "", ""],
        ],
    )
    imported("contacts", contacts)
    sales = write(
        files / "销售.csv",
        [
            ["客户编号", "日期", "金额", "产品"],
            ["HW", "2026/11/1", "¥1,000", "服务器"],
            ["C000003", "2026-11-01", "-30", "退款"],
            ["HW", "2026/11/1", "¥1,000", "服务器"],
        ],
    )
    imported("sales", sales)
    plans = write(
        files / "计划.csv",
        [["客户", "日期", "内容"], ["阿里巴巴", "2026-11-20", "回访"]],
    )
    imported("plans", plans)
    after = state(crm)
    for batch in ("4", "3", "2", "1"):
        crm.ok("import", "undo", batch, "--yes")
    return after, said, state(crm)


def test_an_import_into_postgresql_gives_what_it_gives_into_sqlite(
    crm, tmp_path, monkeypatch, server_db
):
    runs = {}
    for engine, target in (("sqlite", str(tmp_path / "crm.db")), ("postgresql", server_db)):
        monkeypatch.setenv("CRM_DB", target)
        files = tmp_path / "files"  # one place: batches name their files
        files.mkdir(exist_ok=True)
        runs[engine] = story(crm, files)
    (lite_after, lite_said, lite_undone), (pg_after, pg_said, pg_undone) = (
        runs["sqlite"],
        runs["postgresql"],
    )
    assert pg_after == lite_after
    assert pg_said == lite_said
    assert pg_undone == lite_undone
    # What the story means, checked once (on the server's run):
    codes = {c["code"]: c for c in pg_after["customers"]}
    assert sorted(codes) == ["C000002", "C000003", "C000004", "HW"]
    assert codes["HW"]["email"] == "ren@huawei.com"  # updated, not added again
    hw = {(h["field"], h["old"], h["new"], h["reason"]) for h in pg_after["history"]["HW"]}
    assert ("email", None, "ren@huawei.com", "import #1 from 客户.csv") in hw
    assert ("sale", None, "#1 ¥1,000.00 on 2026-11-01", "import #3 from 销售.csv") in hw
    assert {(s["customer_code"], s["amount"]) for s in pg_after["sales"]} >= {("HW", "1000.00")}
    assert [b["added"] for b in pg_after["batches"]] == [3, 3, 3, 1]
    # Undone: only the customer added by hand is left, as it was before the imports.
    assert [c["code"] for c in pg_undone["customers"]] == ["HW"]
    assert pg_undone["customers"][0]["email"] is None
    assert pg_undone["contacts"] == [] and pg_undone["sales"] == []
    assert all(b["undone_by"] == "tester" for b in pg_undone["batches"])
