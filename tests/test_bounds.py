"""Nothing a user types crashes crmcli (SPEC §3, §6): each class of value that once
reached the database or a date computation out of range — ids past the column, amounts
and sums past the column, --limit, config day and month counts — is refused where it
enters with one line and the documented exit code, and nothing is written. Click's own
usage errors, arguments that are not UTF-8 and errors nobody foresaw end the same way;
CRM_DEBUG=1 (and only it) adds the traceback."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crmcli.text.bounds import MAX_ID, MAX_LIMIT

HUGE = "99999999999999999999999"
ON = ("--as-of", "2026-11-01")


@pytest.fixture
def db(crm, db_dump):
    """A customer F with a contact, an open plan, a complaint and a project."""
    crm.ok("customer", "add", "Foo Trading", "--code", "F", "--as-of", "2026-01-01")
    crm.ok("contact", "add", "F", "王芳")
    crm.ok("plan", "add", "F", "--due", "2026-11-20", "--content", "quote", *ON)
    return db_dump


def refused(crm, db, code, *args):
    """The command fails with ``code``, says why in one line, and writes nothing."""
    before = db()
    err = crm.fails(code, *args)
    assert err.startswith("crm: ") and err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    assert db() == before
    return err


# --- ids within what the id column holds ---------------------------------------------


@pytest.mark.parametrize("ref", [HUGE, str(MAX_ID + 1), str(2**63), "²", "١٢"])
@pytest.mark.parametrize(
    "args",
    [
        ("customer", "show", "{}"),
        ("customer", "edit", "{}", "--region", "杭州"),
        ("customer", "history", "{}"),
        ("log", "{}", "-c", "phone", "-m", "hello", "--at", "2026-11-02"),
        ("sale", "add", "{}", "100", "--on", "2026-11-01"),
        ("contact", "add", "{}", "李四"),
        ("plan", "add", "{}", "--due", "2026-11-20", "--content", "x"),
        ("tier", "set", "{}", "core"),
        ("greet", "done", "{}", "--occasion", "birthday", "--date", "2026-11-01"),
    ],
)
def test_a_customer_id_past_what_the_column_holds_matches_no_customer(crm, db, args, ref):
    err = refused(crm, db, 3, *(a.format(ref) for a in args))
    assert err == f"crm: no customer matches {ref!r}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "done", HUGE), f"crm: no plan #{HUGE}\n"),
        (("plan", "cancel", HUGE), f"crm: no plan #{HUGE}\n"),
        (("complaint", "respond", HUGE, "-m", "x"), f"crm: no complaint #{HUGE}\n"),
        (("project", "show", HUGE), f"crm: no project #{HUGE}\n"),
        (("import", "undo", HUGE, "--yes"), f"crm: no import batch #{HUGE}\n"),
        (("complaint", "show", HUGE), f"crm: no complaint #{HUGE}\n"),
        (("log", "edit", HUGE, "--summary", "x"), f"crm: no follow-up #{HUGE}\n"),
        (("log", "delete", HUGE), f"crm: no follow-up #{HUGE}\n"),
        (("sale", "edit", HUGE, "--amount", "5"), f"crm: no sale #{HUGE}\n"),
        (("sale", "void", HUGE, "--reason", "x"), f"crm: no sale #{HUGE}\n"),
        (("plan", "edit", HUGE, "--content", "x"), f"crm: no plan #{HUGE}\n"),
        (("plan", "edit", str(MAX_ID + 1), "--content", "x"), f"crm: no plan #{MAX_ID + 1}\n"),
        (("customer", "merge", "F", HUGE, "--yes"), f"crm: no customer matches {HUGE!r}\n"),
        (("customer", "purge", HUGE, "--yes"), f"crm: no customer matches {HUGE!r}\n"),
        (("log", "list", HUGE), f"crm: no customer matches {HUGE!r}\n"),
        (
            ("contact", "delete", "F", HUGE),
            f"crm: Foo Trading has no contact matching '{HUGE}'\n",
        ),
        (
            ("contact", "edit", "F", HUGE, "--title", "x"),
            f"crm: Foo Trading has no contact matching '{HUGE}'\n",
        ),
        (
            ("campaign", "notify", HUGE, "F"),
            f"crm: no campaign '{HUGE}'; see `crm campaign list`\n",
        ),
    ],
)
def test_every_other_record_id_past_what_the_column_holds_is_not_found(crm, db, args, message):
    assert refused(crm, db, 3, *args) == message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "done", "²"), "crm: plan id must be a number, not '²'\n"),
        (("complaint", "respond", "٣", "-m", "x"), "crm: complaint id must be a number, not '٣'\n"),
        (("project", "show", "²"), "crm: project id must be a number, not '²'\n"),
    ],
)
def test_digits_that_are_not_ascii_are_no_record_number(crm, db, args, message):
    assert refused(crm, db, 2, *args) == message


def test_the_largest_id_is_an_id_like_any_other(crm, db, db_sql, engine_name):
    # The id columns are INTEGER: 32 bits on a server, so no larger id is handed out.
    if engine_name == "sqlite":  # the next rowid is one past the largest
        db_sql("UPDATE customer SET id = :big WHERE code = 'F'", big=MAX_ID - 1)
    else:
        db_sql("SELECT setval(pg_get_serial_sequence('customer', 'id'), :big)", big=MAX_ID - 1)
    crm.ok("customer", "add", "Last One", "--code", "L", *ON)
    assert crm.json("customer", "show", str(MAX_ID))["customer"]["code"] == "L"
    for ref in (str(MAX_ID + 1), str(2**32 + 1), str(2**63 - 1), str(2**63), str(2**64)):
        assert crm.fails(3, "customer", "show", ref) == f"crm: no customer matches {ref!r}\n"
        assert crm.fails(3, "plan", "done", ref) == f"crm: no plan #{ref}\n"


# --- amounts and the sums of them ---------------------------------------------------------

TOO_LARGE = "crm: amount {!r} is more than ¥1,000,000,000,000.00, the most one amount may be\n"


@pytest.mark.parametrize(
    "amount", [HUGE, "1000000000000.01", "¥1,000,000,000,001", "9" * 5000, "9223372036854775808"]
)
def test_an_amount_past_the_column_is_refused(crm, db, amount):
    err = refused(crm, db, 2, "sale", "add", "F", amount, "--on", "2026-11-01", *ON)
    assert err == TOO_LARGE.format(amount)
    err = refused(crm, db, 2, "project", "add", "F", "Big deal", "--amount", amount, *ON)
    assert err == TOO_LARGE.format(amount)


def test_the_largest_amount_is_kept_to_the_cent(crm, db):
    crm.ok("sale", "add", "F", "¥1,000,000,000,000", "--on", "2026-10-01", *ON)
    crm.ok("sale", "add", "F", "999999999999.99", "--on", "2026-10-02", *ON)
    assert [s["amount"] for s in crm.json("sale", "list")] == [
        "1000000000000.00",
        "999999999999.99",
    ]


SUM_TOO_LARGE = (
    "crm: sales and refunds would add up to more than ¥9,000,000,000,000.00, the most crmcli "
    "can total; check the amounts (nothing was written)\n"
)


def test_sales_that_would_add_up_past_the_column_are_refused_and_reports_still_work(crm, db):
    crm.ok("customer", "add", "Bar Ltd", "--code", "B", "--as-of", "2026-01-01")
    for day in range(1, 10):  # ¥9,000,000,000,000 in all: the most there may be
        who = "F" if day % 2 else "B"
        crm.ok("sale", "add", who, "1000000000000", "--on", f"2026-10-{day:02d}", *ON)
    refused(crm, db, 2, "sale", "add", "F", "0.01", "--on", "2026-10-20", *ON)
    # a refund counts too: it is money that moved
    assert (
        refused(crm, db, 2, "sale", "add", "B", "5", "--refund", "--on", "2026-10-20", *ON)
        == SUM_TOO_LARGE
    )
    crm.ok("reclassify", *ON)
    grades = {c["code"]: c["grade"] for c in crm.json("customer", "list")}
    # F holds 5 of the 9 trillion (55.6 %); B is the one that crosses 70 %: both A
    assert grades == {"F": "A", "B": "A"}
    abc = crm.json("report", "abc", *ON)
    assert abc  # the Pareto table adds the totals without overflowing


def test_an_import_whose_sales_would_add_up_past_the_column_writes_nothing(
    crm, db, tmp_path, db_sql
):
    rows = [["customer_code", "sold_on", "amount"]]
    rows += [["F", f"2026-10-{day:02d}", "1000000000000"] for day in range(1, 11)]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path = tmp_path / "sales.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    before = db()
    err = crm.fails(2, "import", "sales", path, *ON)
    assert err.endswith(SUM_TOO_LARGE)
    assert db() == before
    assert db_sql("SELECT count(*) FROM importbatch") == [(0,)]


# --- --limit -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("customer", "list"),
        ("customer", "show", "F"),
        ("overdue", *ON),
        ("reclassify", "--dry-run", *ON),
        ("report", "abc", *ON),
    ],
)
def test_limit_is_bounded_to_64_bits(crm, db, args):
    err = refused(crm, db, 2, *args, "--limit", str(MAX_LIMIT + 1))
    assert "'--limit'" in err and str(MAX_LIMIT) in err
    err = refused(crm, db, 2, *args, "--limit", HUGE)
    assert "'--limit'" in err
    crm.ok(*args, "--limit", str(MAX_LIMIT))


# --- config values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("cadence.core.days", HUGE, "must be at most 3,650 days"),
        ("cadence.core.days", "3000000", "must be at most 3,650 days"),
        ("cadence.key.visit_days", "3651", "must be at most 3,650 days"),
        ("outreach.callback_days", "100000", "must be at most 3,650 days"),
        ("classification.window_months", "99999999999", "must be at most 120 months"),
        ("surveys.interval_months", "121", "must be at most 120 months"),
        ("sla.response_hours", "8761", "must be at most 8,760 hours"),
        ("sla.resolution_days.major", "366", "must be at most 365 days"),
        ("fines.greeting", "1000001", "must be at most 1,000,000 yuan"),
        ("classification.grade_a_percent", "nan", "must be a percentage above 0 and at most 100"),
        ("classification.grade_a_percent", "inf", "must be a percentage above 0 and at most 100"),
    ],
)
def test_config_numbers_past_a_sane_range_are_refused(crm, db, isolated, key, value, message):
    config = isolated / "config.toml"
    before = config.read_bytes() if config.exists() else None
    assert refused(crm, db, 2, "config", "set", key, value) == f"crm: config {key} {message}\n"
    assert (config.read_bytes() if config.exists() else None) == before


def test_the_largest_sane_values_work_in_every_command_that_reckons_with_them(crm, db):
    for key, value in [
        ("cadence.core.days", "3650"),
        ("cadence.potential.days", "3650"),
        ("cadence.core.visit_days", "3650"),
        ("outreach.callback_days", "3650"),
        ("classification.window_months", "120"),
        ("surveys.interval_months", "120"),
    ]:
        crm.ok("config", "set", key, value)
    crm.ok("customer", "add", "Gold", "--code", "G", "--as-of", "2016-12-01")
    crm.ok("sale", "add", "G", "100", "--on", "2017-01-01", *ON)
    crm.ok("reclassify", *ON)
    shown = crm.json("customer", "show", "G")["customer"]
    # ten years of sales count: core, due 3,650 days after it was added
    assert (shown["tier"], shown["next_due_at"][:10]) == ("core", "2026-11-29")
    crm.ok("overdue", *ON)
    crm.ok("remind", *ON)
    crm.ok("survey", "due", *ON)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[cadence.core]\ndays = 3000000\n", "config cadence.core.days must be at most 3,650 days"),
        (
            "[classification]\nwindow_months = 99999999999\n",
            "config classification.window_months must be at most 120 months",
        ),
        (f"[cadence.core]\ndays = {HUGE}\n", None),
    ],
)
def test_a_hand_edited_config_past_the_range_is_refused_by_every_command(
    crm, db, isolated, text, message
):
    config = isolated / "config.toml"
    config.write_text(text, encoding="utf-8")
    for args in (("overdue", *ON), ("remind", *ON), ("reclassify", *ON), ("customer", "list")):
        err = refused(crm, db, 2, *args)
        if message is not None:
            assert err == f"crm: {message} (in {config})\n"


# --- Click's usage errors: one line, exit 2 ------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("customer", "list", "--bogus"), "No such option: --bogus (see crm customer list --help)"),
        (("customer", "add"), "Missing argument 'name'. (see crm customer add --help)"),
        (
            ("customer", "list", "extra"),
            "Got unexpected extra argument(s) (extra) (see crm customer list --help)",
        ),
        (
            ("custmer", "list"),
            "No such command 'custmer'. Did you mean 'customer'? (see crm --help)",
        ),
        (
            ("customer", "list", "--limit"),
            "Option '--limit' requires an argument.",
        ),
    ],
)
def test_usage_errors_are_one_line(crm, db, args, message):
    assert refused(crm, db, 2, *args) == f"crm: {message}\n"


def test_a_bad_number_is_one_line_too(crm, db):
    err = refused(crm, db, 2, "customer", "list", "--limit", "abc")
    assert err.startswith("crm: Invalid value for '--limit': ")


def test_a_group_without_its_command_still_shows_its_help(crm, db):
    result = crm("customer")
    assert result.exit_code == 2
    shown = result.stdout + result.stderr
    assert "Usage:" in shown and "customer" in shown and "list" in shown


# --- arguments that are not text -----------------------------------------------------------

NOT_UTF8 = "\udcff"  # how Python hands over the byte 0xff of an argument


@pytest.mark.parametrize(
    "args",
    [
        ("customer", "add", NOT_UTF8),
        ("customer", "list", "--search", NOT_UTF8),
        ("log", "F", "-c", "phone", "-m", f"hello {NOT_UTF8}", "--at", "2026-11-02"),
        ("config", "set", "user", NOT_UTF8),
    ],
)
def test_an_argument_that_is_not_utf8_is_refused(crm, db, isolated, args):
    err = refused(crm, db, 2, *args)
    position = args.index(next(a for a in args if NOT_UTF8 in a)) + 1
    shown = args[position - 1].replace(NOT_UTF8, "\\xff")
    assert err == (
        f"crm: argument {position} ('{shown}') is not valid UTF-8 text; "
        "type it in UTF-8 (check the terminal's encoding)\n"
    )
    assert not (isolated / "config.toml").exists() or "\\" not in (
        isolated / "config.toml"
    ).read_text(encoding="utf-8")


def test_a_nul_in_an_argument_is_refused(crm, db):
    assert refused(crm, db, 2, "customer", "add", "A\x00B") == (
        "crm: argument 3 contains a NUL character\n"
    )


def test_invalid_utf8_bytes_from_a_real_shell(isolated, database_target):
    """The bytes as a shell passes them (``crm customer add $'\\xff'``), in a process."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "crmcli", "customer", "add", os.fsdecode(b"\xff")]
    out = subprocess.run(command, capture_output=True, env=env, check=False)
    assert out.returncode == 2
    assert out.stderr.decode() == (
        "crm: argument 3 ('\\xff') is not valid UTF-8 text; "
        "type it in UTF-8 (check the terminal's encoding)\n"
    )


# --- errors nobody foresaw; CRM_DEBUG -------------------------------------------------------


@pytest.fixture
def broken_list(monkeypatch):
    from crmcli.services import customer_list

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(customer_list, "list_customers", broken)


def test_an_unforeseen_error_is_one_line_with_exit_70(crm, db, broken_list, monkeypatch):
    monkeypatch.delenv("CRM_DEBUG", raising=False)
    result = crm("customer", "list")
    assert result.exit_code == 70
    assert result.stderr == (
        "crm: internal error: ZeroDivisionError: division by zero "
        "(a bug; CRM_DEBUG=1 shows where)\n"
    )


def test_crm_debug_shows_the_traceback_and_keeps_the_exit_code(crm, db, broken_list, monkeypatch):
    monkeypatch.setenv("CRM_DEBUG", "1")
    result = crm("customer", "list")
    assert result.exit_code == 70
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert 'in broken\n    raise ZeroDivisionError("division by zero")' in result.stderr
    assert result.stderr.endswith("(a bug; CRM_DEBUG=1 shows where)\n")
    # a refusal keeps its code and its line, after the traceback
    shown = crm("customer", "show", "nobody")
    assert shown.exit_code == 3
    assert "Traceback" in shown.stderr
    assert shown.stderr.endswith("crm: no customer matches 'nobody'\n")


@pytest.mark.parametrize("value", ["", "0"])
def test_crm_debug_off_shows_no_traceback(crm, db, monkeypatch, value):
    monkeypatch.setenv("CRM_DEBUG", value)
    assert crm.fails(3, "customer", "show", "nobody") == "crm: no customer matches 'nobody'\n"


# --- a writer locked out -------------------------------------------------------------------


@pytest.mark.sqlite_only(reason="holds SQLite's write lock on the file from another connection")
def test_a_writer_locked_out_past_the_timeout_is_told_the_database_is_busy(
    crm, db, database_target, monkeypatch
):
    import crmcli.db

    monkeypatch.setattr(crmcli.db, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(database_target, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        for args in (
            ("customer", "add", "Locked Out", *ON),
            ("log", "F", "-c", "phone", "-m", "x", "--at", "2026-11-02"),
        ):
            err = crm.fails(4, *args)
            assert err == "crm: database is busy (locked past the timeout): database is locked\n"
        # readers are not kept out by a writer
        assert [c["code"] for c in crm.json("customer", "list")] == ["F"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_bounds_module_speaks_for_every_entry(tmp_path: Path):
    from crmcli.text.bounds import looks_like_id, record_id

    assert [record_id(t) for t in ("42", "#42", " 7 ", str(MAX_ID), str(MAX_ID + 1), "²", "")] == [
        42,
        42,
        7,
        MAX_ID,
        None,
        None,
        None,
    ]
    assert looks_like_id(HUGE) and not looks_like_id("4a") and not looks_like_id("²")
