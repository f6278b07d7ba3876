"""``crm import|export complaints|surveys`` (SPEC §4; seed 003 四, 五): the same machinery as
every other table — headers in both languages, every row checked first, undo — and what
``crm complaint open`` and ``crm survey add`` fill in by hand, filled in for imported rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

AS_OF = "2026-12-01"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def customers(crm):
    crm.ok("customer", "add", "华为", "--code", "HW", "--owner", "wang", "--as-of", "2026-01-05")
    crm.ok("customer", "add", "Acme", "--code", "AC", "--owner", "li", "--as-of", "2026-01-05")


COMPLAINTS = (
    "客户编号,投诉时间,投诉级别,投诉内容,答复时间,解决时间,关闭时间,处理结果,是否满意\n"
    "HW,2026-11-20 09:30,重要,交货延迟两周,2026-11-20 15:00,2026-11-22 10:00,,改用空运,\n"
    "AC,2026-11-25 10:00,general,wrong invoice,,,,,\n"
)


def test_complaints_import_with_status_from_their_times_and_the_owner_as_handler(
    crm, customers, tmp_path
):
    result = crm.ok("import", "complaints", write(tmp_path / "c.csv", COMPLAINTS), "--as-of", AS_OF)
    assert result.stderr.endswith("2 added, 0 updated, 0 skipped, 0 rejected\n")
    rows = crm.json("complaint", "list", "--as-of", AS_OF)
    shown = {r["code"]: (r["severity"], r["status"], r["handler"], r["summary"]) for r in rows}
    assert shown == {
        "HW": ("important", "resolved", "wang", "交货延迟两周"),
        "AC": ("general", "open", "li", "wrong invoice"),
    }


def test_an_imported_complaint_has_the_timeline_and_targets_of_one_recorded_by_hand(
    crm, customers, tmp_path
):
    crm.ok("import", "complaints", write(tmp_path / "c.csv", COMPLAINTS), "--as-of", AS_OF)
    shown = crm.json("complaint", "show", "1", "--as-of", AS_OF)
    steps = [(s["at"], s["step"], s["note"]) for s in shown["steps"]]
    assert steps == [
        ("2026-11-20 09:30", "opened", "交货延迟两周"),
        ("2026-11-20 15:00", "responded", None),
        ("2026-11-22 10:00", "resolved", "改用空运"),
    ]
    # the same complaint recorded by hand, step by step
    crm.ok("customer", "add", "Same", "--code", "SM", "--owner", "wang", "--as-of", "2026-01-05")
    at = ("--as-of", AS_OF)
    crm.ok("complaint", "open", "SM", "--severity", "important", "--summary", "交货延迟两周",
           "--at", "2026-11-20 09:30", *at)  # fmt: skip
    crm.ok("complaint", "respond", "3", "--at", "2026-11-20 15:00", *at)
    crm.ok("complaint", "resolve", "3", "--at", "2026-11-22 10:00", "--resolution", "改用空运", *at)
    by_hand = crm.json("complaint", "show", "3", "--as-of", AS_OF)
    for key in ("status", "response", "resolution", "handler", "severity"):
        assert shown[key] == by_hand[key], key


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "HW,2026-11-26 10:00,major,broken,2026-11-25 10:00,,,,",
            "line 2, column 答复时间: responded_at is before received_at",
        ),
        (
            "HW,2026-11-26 10:00,严重,broken,,,,,",
            "line 2, column 投诉级别: unknown severity '严重'",
        ),
        (
            "HW,2026-11-26 10:00,major,,,,,,",
            "line 2, column 投诉内容: ",
        ),
    ],
)
def test_a_bad_complaint_row_is_named_and_nothing_is_imported(
    crm, customers, tmp_path, row, reason
):
    header = COMPLAINTS.splitlines()[0]
    err = crm.fails(2, "import", "complaints", write(tmp_path / "c.csv", f"{header}\n{row}\n"))
    assert err.splitlines()[0].startswith(reason), err
    assert err.splitlines()[-1].startswith(
        "crm: 1 of 1 rows of c.csv are invalid; nothing imported"
    )
    assert crm.json("complaint", "list", "--as-of", AS_OF) == []


def test_a_status_the_times_do_not_bear_out_is_refused(crm, customers, tmp_path):
    text = "customer_code,received_at,severity,summary,status\nHW,2026-11-26 10:00,major,x,closed\n"
    err = crm.fails(2, "import", "complaints", write(tmp_path / "c.csv", text))
    assert err.splitlines()[0] == (
        "line 2, column status: status closed does not match the times given (they say open)"
    )


def test_importing_the_same_complaints_twice_adds_them_once(crm, customers, tmp_path):
    path = write(tmp_path / "c.csv", COMPLAINTS)
    crm.ok("import", "complaints", path, "--as-of", AS_OF)
    again = crm.ok("import", "complaints", path, "--as-of", AS_OF)
    assert again.stderr.endswith(
        "nothing new, all 2 rows are already there (skipped as duplicates), 0 rejected\n"
    )
    assert len(crm.json("complaint", "list", "--as-of", AS_OF)) == 2


def test_undo_takes_the_complaints_and_their_timeline_away(crm, customers, tmp_path, db_sql):
    crm.ok("import", "complaints", write(tmp_path / "c.csv", COMPLAINTS), "--as-of", AS_OF)
    assert db_sql("SELECT count(*) FROM complaintstep") == [(4,)]
    result = crm.ok("import", "undo", "1", "--yes")
    assert "remove 2 complaints, restore nothing" in result.stderr
    assert db_sql("SELECT count(*) FROM complaint") == [(0,)]
    assert db_sql("SELECT count(*) FROM complaintstep") == [(0,)]
    history = crm.json("customer", "history", "HW")
    assert [(h["field"], h["old"], h["new"], h["command"]) for h in history[:2]] == [
        ("complaint.1", "important: 交货延迟两周", None, "import undo"),
        ("complaint.1", None, "important: 交货延迟两周", "import complaints"),
    ]


def test_undo_after_a_step_by_hand_needs_force(crm, customers, tmp_path):
    crm.ok("import", "complaints", write(tmp_path / "c.csv", COMPLAINTS), "--as-of", AS_OF)
    crm.ok("complaint", "respond", "2", "--at", "2026-11-30 10:00", "--as-of", AS_OF)
    err = crm.fails(2, "import", "undo", "1", "--yes")
    assert err == (
        "crm: cannot undo import #1: what it added has 1 complaint step recorded since; "
        "--force deletes them too\n"
    )


SURVEYS = (
    "customer,调查日期,调查方式,产品质量,价格,交货按时,售后服务,总体评价,意见\n"
    "华为,2026-06-01,问卷,5,3,4,4,,价格偏高\n"
    "AC,2026-06-02,phone,2,2,2,1,2,\n"
)


def test_surveys_import_with_chinese_headers_and_labels(crm, customers, tmp_path):
    result = crm.ok("import", "surveys", write(tmp_path / "s.csv", SURVEYS), "--as-of", AS_OF)
    assert result.stderr.endswith("2 added, 0 updated, 0 skipped, 0 rejected\n")
    rows = crm.json("survey", "list")
    got = sorted(
        (
            r["code"],
            r["on"],
            r["method"],
            r["quality"],
            r["price"],
            r["delivery"],
            r["service"],
            r["overall"],
            r["comment"],
        )
        for r in rows
    )
    assert got == [
        ("AC", "2026-06-02", "phone", 2, 2, 2, 1, 2.0, None),
        ("HW", "2026-06-01", "questionnaire", 5, 3, 4, 4, 4.0, "价格偏高"),
    ]
    exported = crm.json("export", "surveys", "--format", "json")
    assert {r["customer_code"]: r["by"] for r in exported} == {"HW": "tester", "AC": "tester"}


@pytest.mark.parametrize("bad", ["6", "0", "4.5", "good"])
def test_a_score_outside_one_to_five_is_refused(crm, customers, tmp_path, bad):
    text = f"customer,on,method,quality,price,delivery,service\nHW,2026-06-01,phone,{bad},3,3,3\n"
    err = crm.fails(2, "import", "surveys", write(tmp_path / "s.csv", text))
    assert err.splitlines()[0] == (
        f"line 2, column quality: a score must be a whole number from 1 to 5, not {bad!r}"
    )
    assert crm.json("survey", "list") == []


@pytest.fixture
def second_database(tmp_path, pg_databases) -> Iterator[str]:
    """Another empty database on the test's engine, to import an export into."""
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


def test_complaints_and_surveys_round_trip_through_export_and_import(
    crm, customers, tmp_path, second_database
):
    crm.ok("contact", "add", "HW", "张伟", "--phone", "13812345678")
    crm.ok("import", "complaints", write(tmp_path / "c.csv", COMPLAINTS), "--as-of", AS_OF)
    crm.ok("complaint", "open", "AC", "--severity", "major", "--summary", "漏发, \"两箱\"\n补发",
           "--at", "2026-11-28 08:00", "--channel", "phone", "--as-of", AS_OF)  # fmt: skip
    crm.ok("complaint", "respond", "3", "--at", "2026-11-28 09:00", "--as-of", AS_OF)
    crm.ok("survey", "add", "HW", "--on", "2026-05-01", "--method", "visit", "--quality", "4",
           "--price", "5", "--delivery", "3", "--service", "2", "--overall", "4",
           "--contact", "张伟", "--comment", "=SUM(A1)", "--as-of", AS_OF)  # fmt: skip
    crm.ok("import", "surveys", write(tmp_path / "s.csv", SURVEYS), "--as-of", AS_OF)
    files = {}
    for table in ("customers", "contacts", "complaints", "surveys"):
        files[table] = crm.ok("export", table, "-o", tmp_path / f"{table}.csv")
    other = ("--db", second_database)
    for table in ("customers", "contacts", "complaints", "surveys"):
        result = crm.ok(*other, "import", table, tmp_path / f"{table}.csv", "--as-of", AS_OF)
        assert ", 0 skipped, 0 rejected" in result.stderr, result.stderr
    for table in ("complaints", "surveys"):
        first = (tmp_path / f"{table}.csv").read_text(encoding="utf-8")
        again = crm.ok(*other, "export", table).stdout
        assert _rows(again) == _rows(first), table

    # the same complaints, with the same clocks (the customers' ids follow the import order)
    def listed(*db: str) -> list[dict]:
        rows = crm.json(*db, "complaint", "list", "--as-of", AS_OF)
        return [{k: v for k, v in r.items() if k != "customer_id"} for r in rows]

    assert listed(*other) == listed()
