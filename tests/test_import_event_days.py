"""An import refuses, by line, an event dated before its customer was added, as the
command that records one event does (seed 000 第七条 准确性; services/timeline.py)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

AS_OF = "2026-11-30"
ADDED = "2026-10-01"
INVALID = (
    "crm: 1 of 2 rows of {name} are invalid; nothing imported (fix them, or import the "
    "rest with --skip-invalid; --rejects FILE collects them)"
)


def write(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def early(column: str, day: str) -> str:
    return (
        f"line 2, column {column}: {column} {day} is before K1 Acme was added ({ADDED}); "
        "to back-fill, add the customer with --as-of its first day"
    )


@pytest.fixture
def acme(crm):
    crm.ok("customer", "add", "Acme", "--code", "K1", "--as-of", ADDED)


# Each importer: a row a day before the customer was added, and one on that very day.
FILES = {
    "sales": (
        ["customer", "date", "amount"],
        ["K1", "2026-09-30", "100"],
        ["K1", ADDED, "50"],
    ),
    "followups": (
        ["customer", "at", "channel", "summary"],
        ["K1", "2026-09-30 23:59", "phone", "too early"],
        ["K1", f"{ADDED} 00:00", "phone", "on the day"],
    ),
    "plans": (
        ["customer", "due_on", "content"],
        ["K1", "2026-09-30", "too early"],
        ["K1", ADDED, "on the day"],
    ),
    "complaints": (
        ["customer", "received_at", "severity", "summary"],
        ["K1", "2026-09-30 10:00", "general", "too early"],
        ["K1", f"{ADDED} 10:00", "general", "on the day"],
    ),
    "surveys": (
        ["customer", "on", "method", "quality", "price", "delivery", "service"],
        ["K1", "2026-09-30", "phone", "5", "4", "3", "2"],
        ["K1", ADDED, "phone", "5", "4", "3", "2"],
    ),
    "projects": (
        ["customer", "name", "added_on"],
        ["K1", "too early", "2026-09-30"],
        ["K1", "on the day", ADDED],
    ),
}
COLUMN = {
    "sales": "date",
    "followups": "at",
    "plans": "due_on",
    "complaints": "received_at",
    "surveys": "on",
    "projects": "added_on",
}


@pytest.mark.parametrize("table", sorted(FILES))
def test_an_event_before_its_customer_was_added_is_refused_by_line(crm, acme, tmp_path, table):
    path = write(tmp_path / f"{table}.csv", [list(r) for r in FILES[table]])
    before = crm.ok("export", table).stdout
    stderr = crm.fails(2, "import", table, path, "--as-of", AS_OF)
    assert stderr.splitlines()[-2:] == [
        early(COLUMN[table], "2026-09-30"),
        INVALID.format(name=path.name),
    ]
    assert crm.ok("export", table).stdout == before  # nothing written
    # the rest, on the day the customer was added, goes in
    result = crm("import", table, path, "--as-of", AS_OF, "--skip-invalid", "--format", "json")
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)
    assert (found["added"], found["rejected"]) == (1, 1)


def test_sales_of_customers_the_import_adds_are_not_before_them(crm, tmp_path):
    """--create-customers adds a customer on the day of its first sale in the file, when
    that is before the import's day: it was a customer then."""
    path = write(
        tmp_path / "sales.csv",
        [
            ["customer", "date", "amount"],
            ["NewCo", "2026-03-05", "100"],
            ["NewCo", "2026-02-01", "50"],
            ["Later Ltd", "2026-12-01", "10"],
        ],
    )
    crm.ok("import", "sales", path, "--create-customers", "--as-of", AS_OF)
    added = {c["name"]: c["created_on"] for c in crm.json("customer", "list")}
    assert added == {"NewCo": "2026-02-01", "Later Ltd": AS_OF}
    assert sorted((s["customer_name"], s["sold_on"]) for s in crm.json("sale", "list")) == [
        ("Later Ltd", "2026-12-01"),
        ("NewCo", "2026-02-01"),
        ("NewCo", "2026-03-05"),
    ]


def test_a_follow_up_after_the_import_day_is_refused_by_line(crm, acme, tmp_path):
    """A follow-up dated after the import's day would become the customer's last contact
    and hide it from `crm overdue`: refused as `crm log --at` refuses it. The last moment
    of the day itself is not in the future."""
    path = write(
        tmp_path / "followups.csv",
        [
            ["customer", "at", "channel", "summary"],
            ["K1", "2026-12-01 00:00", "phone", "tomorrow"],
            ["K1", f"{AS_OF} 23:59", "phone", "tonight"],
        ],
    )
    before = crm.ok("export", "followups").stdout
    stderr = crm.fails(2, "import", "followups", path, "--as-of", AS_OF)
    assert stderr.splitlines()[-2:] == [
        f"line 2, column at: at 2026-12-01 is in the future (today is {AS_OF}); "
        "record what has happened",
        INVALID.format(name=path.name),
    ]
    assert crm.ok("export", "followups").stdout == before
    result = crm(
        "import", "followups", path, "--as-of", AS_OF, "--skip-invalid", "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    assert (json.loads(result.stdout)["added"], json.loads(result.stdout)["rejected"]) == (1, 1)
    assert [f["summary"] for f in crm.json("log", "list")] == ["tonight"]
