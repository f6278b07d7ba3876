"""``crm import|export projects``, ``--map-values`` and ``--create-customers`` (SPEC §4;
seed 000 第十三条, 002 四): another CRM's deal export comes in as it is written."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

AS_OF = "2026-12-01"
STAGES = "deal_stage:Won=completed,Lost=lost,Engaging=negotiation,Prospecting=evaluation"

# In the shape of a public CRM sales-pipeline export: open deals have no close date, a lost
# deal is worth 0, one account is unknown, and one product is written two ways.
DEALS = (
    "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
    "1C1I7A6R,Moses Frase,GTX Plus Basic,华为,Won,2016-10-20,2017-03-01,1054\n"
    "Z063OYW0,Darcel Schlecht,GTXPro,Acme,Engaging,2016-10-25,,\n"
    "EC4QE1BX,Darcel Schlecht,GTX Pro,Acme,Lost,2016-10-25,2017-03-07,0\n"
    "MV1LWRNH,Moses Frase,MG Advanced,Nowhere Ltd,Prospecting,2016-10-25,,\n"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def customers(crm):
    crm.ok("customer", "add", "华为", "--code", "HW", "--owner", "wang", "--as-of", "2016-01-05")
    crm.ok("customer", "add", "Acme", "--code", "AC", "--owner", "li", "--as-of", "2016-01-05")


def listed(crm, *db: str) -> list[tuple]:
    shown = crm.json(*db, "project", "list", "--format", "json")
    return [
        (
            p["code"],
            p["name"],
            p["stage"],
            p["amount"],
            p["product"],
            p["added_on"],
            p["expected_on"],
            p["closed_on"],
            p["owner"],
        )
        for p in shown["projects"]
    ]


def test_a_deal_export_with_its_quirks(crm, customers, tmp_path):
    path = write(tmp_path / "deals.csv", DEALS)
    err = crm.fails(2, "import", "projects", path, "--map-values", STAGES, "--as-of", AS_OF)
    assert err.splitlines()[0] == "line 5, column account: no customer matches 'Nowhere Ltd'"
    result = crm.ok(
        "import", "projects", path, "--map-values", STAGES, "--skip-invalid", "--as-of", AS_OF
    )
    assert result.stderr.endswith("3 added, 0 updated, 0 skipped, 1 rejected\n")
    assert sorted(listed(crm)) == [
        ("AC", "EC4QE1BX", "lost", "0.00", "GTXPro", "2016-10-25", None, "2017-03-07",
         "Darcel Schlecht"),
        ("AC", "Z063OYW0", "negotiation", None, "GTXPro", "2016-10-25", None, None,
         "Darcel Schlecht"),
        ("HW", "1C1I7A6R", "completed", "1054.00", "GTX Plus Basic", "2016-10-20", None,
         "2017-03-01", "Moses Frase"),
    ]  # fmt: skip
    rate = crm.json("project", "list", "--format", "json")["success_rate"]
    assert (rate["completed"], rate["lost"], rate["value"]) == (1, 1, 0.5)
    # the prospect whose deal was won is a customer (成交) now, as by `project move`
    assert crm.json("customer", "show", "HW")["customer"]["stage"] == "customer"
    assert crm.json("customer", "show", "AC")["customer"]["stage"] == "lead"


def test_create_customers_adds_the_accounts_nobody_has(crm, customers, tmp_path):
    path = write(tmp_path / "deals.csv", DEALS)
    result = crm.ok(
        "import", "projects", path, "--map-values", STAGES, "--create-customers", "--as-of", AS_OF
    )
    assert result.stderr.endswith("4 added, 0 updated, 0 skipped, 0 rejected\n")
    new = crm.json("customer", "show", "Nowhere Ltd")["customer"]
    assert (new["code"], new["owner"], new["stage"]) == ("C000003", "Moses Frase", "lead")
    assert crm.json("customer", "history", "C000003")[-1]["reason"] == (
        "named by deals.csv (import --create-customers)"
    )
    undone = crm.ok("import", "undo", "1", "--yes")
    assert "remove 1 customer, 4 projects, restore nothing" in undone.stderr
    assert [c["code"] for c in crm.json("customer", "list")] == ["AC", "HW"]
    assert listed(crm) == []


def test_an_open_deals_close_date_is_its_expected_close(crm, customers, tmp_path):
    text = (
        "customer,project,stage,added_on,close_date\n"
        "HW,扩容,negotiation,2026-03-01,2026-12-31\n"
        "HW,老项目,completed,2026-03-01,2026-06-30\n"
    )
    crm.ok("import", "projects", write(tmp_path / "p.csv", text), "--as-of", AS_OF)
    got = {
        name: (expected, closed) for _c, name, _s, _a, _p, _d, expected, closed, _o in listed(crm)
    }
    assert got == {"扩容": ("2026-12-31", None), "老项目": (None, "2026-06-30")}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("HW,A,completed,2026-03-01,2026-02-01,", "line 2, column close_date: closed_on 2026-02-01 "
         "is before the project began (2026-03-01)"),
        ("HW,A,done,2026-03-01,,", "line 2, column stage: unknown project stage 'done'"),
        ("HW,A,lost,2026-03-01,,-5", "line 2, column amount: project amount must not be negative, "
         "not '-5'"),
        (",A,lost,2026-03-01,,", "line 2, column customer: no customer given (a code or a name)"),
    ],
)  # fmt: skip
def test_a_bad_project_row_is_named_and_nothing_is_imported(crm, customers, tmp_path, row, reason):
    text = f"customer,project,stage,added_on,close_date,amount\n{row}\n"
    err = crm.fails(2, "import", "projects", write(tmp_path / "p.csv", text), "--as-of", AS_OF)
    assert err.splitlines()[0].startswith(reason), err
    assert listed(crm) == []


def test_map_values_refuses_a_value_crm_does_not_have(crm, customers, tmp_path):
    path = write(tmp_path / "deals.csv", DEALS)
    err = crm.fails(2, "import", "projects", path, "--map-values", "deal_stage:Won=done")
    assert err.startswith("crm: --map-values deal_stage:won=done: unknown project stage 'done'")
    assert err.count("\n") == 1
    err = crm.fails(2, "import", "projects", path, "--map-values", "Region:East=west")
    assert err.startswith("crm: --map-values names a column projects do not read from this file")
    err = crm.fails(2, "import", "projects", path, "--map-values", "deal_stage")
    assert err == (
        "crm: --map-values 'deal_stage': expected COLUMN:VALUE=ours,…, e.g. deal_stage:Won=completed\n"
    )
    assert listed(crm) == []


def test_map_values_works_for_every_importer_and_names_a_column_by_its_field(
    crm, customers, tmp_path
):
    text = (
        "customer,at,方式,summary\nHW,2026-11-02 10:00,Call,first\nAC,2026-11-03 10:00,Meeting,x\n"
    )
    path = write(tmp_path / "f.csv", text)
    crm.ok("import", "followups", path, "--map-values", "channel:call=phone,MEETING=visit")
    got = [
        (f["customer_code"], f["channel"]) for f in crm.json("export", "followups", "-f", "json")
    ]
    assert got == [("HW", "phone"), ("AC", "visit")]


@pytest.fixture
def second_database(tmp_path, pg_databases) -> Iterator[str]:
    if pg_databases is None:
        yield str(tmp_path / "second.db")
        return
    name = pg_databases.take()
    try:
        yield pg_databases.url_of(name)
    finally:
        pg_databases.give_back(name)


def _rows(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    keep = [i for i, h in enumerate(rows[0]) if h not in ("id", "created_at", "updated_at")]
    return [[row[i] for i in keep] for row in rows]


def test_projects_round_trip_through_export_and_import(crm, customers, tmp_path, second_database):
    crm.ok("import", "projects", write(tmp_path / "deals.csv", DEALS), "--map-values", STAGES,
           "--create-customers", "--as-of", AS_OF)  # fmt: skip
    crm.ok("project", "add", "HW", "二期, \"扩容\"", "--amount", "860,000.50", "--expected",
           "2026-12-20", "--likelihood", "60%", "--product", "=GTX", "--as-of", "2026-11-01")  # fmt: skip
    for table in ("customers", "projects"):
        crm.ok("export", table, "-o", tmp_path / f"{table}.csv")
    other = ("--db", second_database)
    for table in ("customers", "projects"):
        result = crm.ok(*other, "import", table, tmp_path / f"{table}.csv", "--as-of", AS_OF)
        assert ", 0 skipped, 0 rejected" in result.stderr, result.stderr
    first = (tmp_path / "projects.csv").read_text(encoding="utf-8")
    assert _rows(crm.ok(*other, "export", "projects").stdout) == _rows(first)
    assert listed(crm, *other) == listed(crm)
