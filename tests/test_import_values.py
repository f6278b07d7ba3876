"""Cells as users type them: amounts, refunds, birthdays, day/month order and 12-hour times,
read the same way by ``crm import`` and by the commands that share its parsers."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest

from crmcli.io import values

ON = "2026-11-01"
INVALID = (
    "crm: {bad} of {rows} rows of {name} are invalid; nothing imported (fix them, or import the "
    "rest with --skip-invalid; --rejects FILE collects them)"
)
COMMAS = "use a point for decimals and commas only between thousands (1,234.50)"


def write(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def imported(crm, *args, as_of=ON):
    result = crm("import", *args, "--as-of", as_of, "--format", "json")
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout)


@pytest.fixture
def hw(crm):
    crm.ok("customer", "add", "华为技术", "--code", "HW", "--as-of", ON)
    return "HW"


def sales(crm):
    return [(s["sold_on"], s["amount"]) for s in crm.json("sale", "list")]


# --- amounts ------------------------------------------------------------------------------


def test_decimal_commas_are_refused_not_read_a_hundred_times_too_big(crm, tmp_path, hw):
    path = write(
        tmp_path / "sales.csv",
        [
            ["customer", "date", "amount"],
            ["HW", "2026-11-01", "¥ 1 234,50"],
            ["HW", "2026-11-01", "12,34"],
            ["HW", "2026-11-01", "1,23,4.5"],
            ["HW", "2026-11-01", "1.234,50"],
            ["HW", "2026-11-01", "1,234"],
        ],
    )
    stderr = crm.fails(2, "import", "sales", path)
    assert stderr.splitlines() == [
        f"line 2, column amount: cannot read amount '¥ 1 234,50': {COMMAS}",
        f"line 3, column amount: cannot read amount '12,34': {COMMAS}",
        f"line 4, column amount: cannot read amount '1,23,4.5': {COMMAS}",
        f"line 5, column amount: cannot read amount '1.234,50': {COMMAS}",
        INVALID.format(bad=4, rows=5, name="sales.csv"),
    ]
    assert sales(crm) == []


def test_thousands_separators_and_currency_words_are_read_exactly(crm, tmp_path, hw):
    path = write(
        tmp_path / "sales.csv",
        [
            ["customer", "date", "amount"],
            ["HW", "2026-11-01", "1,234"],
            ["HW", "2026-11-02", "12,345,678.90"],
            ["HW", "2026-11-03", "1,234.50元"],
            ["HW", "2026-11-04", "RMB 1,234.56"],
            ["HW", "2026-11-05", "人民币 2,000 元"],
            ["HW", "2026-11-06", "￥１２，３４５.６"],
            ["HW", "2026-11-07", "1 234.07"],
        ],
    )
    assert imported(crm, "sales", path)["added"] == 7
    assert sales(crm) == [
        ("2026-11-01", "1234.00"),
        ("2026-11-02", "12345678.90"),
        ("2026-11-03", "1234.50"),
        ("2026-11-04", "1234.56"),
        ("2026-11-05", "2000.00"),
        ("2026-11-06", "12345.60"),
        ("2026-11-07", "1234.07"),
    ]


def test_a_minus_before_or_after_the_currency_is_a_refund_in_a_file(crm, tmp_path, hw):
    path = write(
        tmp_path / "sales.csv",
        [
            ["customer", "date", "amount"],
            ["HW", "2026-11-01", "￥-12.00"],
            ["HW", "2026-11-02", "-￥13.00"],
            ["HW", "2026-11-03", "-5000"],
            ["HW", "2026-11-04", "¥ - 1,000"],
            ["HW", "2026-11-05", "RMB -7"],
        ],
    )
    assert imported(crm, "sales", path)["added"] == 5
    assert sales(crm) == [
        ("2026-11-01", "-12.00"),
        ("2026-11-02", "-13.00"),
        ("2026-11-03", "-5000.00"),
        ("2026-11-04", "-1000.00"),
        ("2026-11-05", "-7.00"),
    ]


def test_two_minus_signs_and_an_import_never_mention_the_refund_option(crm, tmp_path, hw):
    path = write(
        tmp_path / "sales.csv",
        [["customer", "date", "amount"], ["HW", "2026-11-01", "-¥-12"]],
    )
    assert crm.fails(2, "import", "sales", path).splitlines()[0] == (
        "line 2, column amount: amount '-¥-12' is not a number"
    )


@pytest.mark.parametrize("amount", ["-￥12.00", "￥-12.00", "-12"])
def test_sale_add_needs_refund_for_a_minus_on_either_side_of_the_currency(crm, hw, amount):
    stderr = crm.fails(2, "sale", "add", "HW", "--on", ON, "--", amount)
    assert stderr == f"crm: amount {amount} is negative: record a refund with --refund\n"
    crm.ok("sale", "add", "HW", "--refund", "--on", ON, "--", amount)
    assert sales(crm) == [(ON, "-12.00")]


def test_sale_add_refuses_a_decimal_comma_with_the_same_reason(crm, hw):
    stderr = crm.fails(2, "sale", "add", "HW", "12,34", "--on", ON)
    assert stderr == f"crm: cannot read amount '12,34': {COMMAS}\n"
    crm.ok("sale", "add", "HW", "1,234.50元", "--on", ON)
    assert sales(crm) == [(ON, "1234.50")]


# --- birthdays ----------------------------------------------------------------------------


def test_birthdays_accept_every_date_form_of_the_other_date_columns(crm, tmp_path):
    path = write(
        tmp_path / "customers.csv",
        [
            ["name", "birthday", "农历"],
            ["A", "4/15/2017", ""],
            ["B", "31125", ""],
            ["C", "1985-03-08 00:00:00", ""],
            ["D", "1985年3月8日", ""],
            ["E", "1985/3/8", ""],
            ["F", "03-08", ""],
            ["G", "--03-08", ""],
            ["H", "3月8日", ""],
            ["I", "2025/1/30", "是"],
            ["J", "--08-15", "是"],
        ],
    )
    assert imported(crm, "customers", path)["added"] == 10
    found = {c["name"]: c for c in crm.json("customer", "list")}
    assert {name: (c["birthday"], c["birthday_lunar"]) for name, c in found.items()} == {
        "A": ("2017-04-15", False),
        "B": ("1985-03-19", False),
        "C": ("1985-03-08", False),
        "D": ("1985-03-08", False),
        "E": ("1985-03-08", False),
        "F": ("03-08", False),
        "G": ("03-08", False),
        "H": ("03-08", False),
        "I": ("2025-01-30", True),
        "J": ("08-15", True),
    }


def test_contact_birthdays_read_the_same_and_refuse_in_one_line(crm, tmp_path, hw):
    path = write(
        tmp_path / "contacts.csv",
        [
            ["customer", "name", "birthday", "lunar"],
            ["HW", "孙亚芳", "15/4/1985", ""],
            ["HW", "任正非", "1944-10-25 14:30", ""],
            ["HW", "徐直军", "2025/2/30", "yes"],
            ["HW", "郭平", "1990/2/30", ""],
            ["HW", "胡厚崑", "someday", ""],
        ],
    )
    stderr = crm.fails(2, "import", "contacts", path)
    assert stderr.splitlines() == [
        "line 3, column birthday: expected a birthday without a time, not '1944-10-25 14:30'",
        "line 4, column birthday: lunar month 2 of 2025 has no day 30 ('2025/2/30')",
        "line 5, column birthday: no such date '1990/2/30'",
        "line 6, column birthday: cannot read birthday 'someday'; use 1985-03-08 or 03-08",
        INVALID.format(bad=4, rows=5, name="contacts.csv"),
    ]
    imported(crm, "contacts", path, "--skip-invalid")
    [contact] = crm.json("customer", "show", "HW")["contacts"]
    assert (contact["name"], contact["birthday"]) == ("孙亚芳", "1985-04-15")


def test_customer_add_birthday_takes_the_same_forms(crm):
    crm.ok("customer", "add", "Acme", "--code", "AC", "--birthday", "4/15/1985")
    assert crm.json("customer", "show", "AC")["customer"]["birthday"] == "1985-04-15"


# --- day/month order, decided once per column ---------------------------------------------


def test_a_column_with_a_day_first_date_reads_all_its_slash_dates_day_first():
    assert values.parse_days(["15/4/2017", "4/5/2017", "", "2017-01-02", "5/5/2017"]) == [
        date(2017, 4, 15),
        date(2017, 5, 4),
        None,
        date(2017, 1, 2),
        date(2017, 5, 5),
    ]
    assert values.parse_moments(["4/5/2017 2:30 PM", "25/12/2017 9:00"]) == [
        datetime(2017, 5, 4, 14, 30),
        datetime(2017, 12, 25, 9, 0),
    ]


def test_a_column_without_one_reads_them_month_first_as_excel_us_dates():
    assert values.parse_days(["4/15/2017", "4/5/2017", "2017/4/5"]) == [
        date(2017, 4, 15),
        date(2017, 4, 5),
        date(2017, 4, 5),
    ]


def test_a_column_with_both_orders_refuses_its_slash_dates_and_keeps_the_rest():
    with pytest.raises(values.ColumnRefused) as caught:
        values.parse_days(["15/4/2017", "2017-01-01", "4/5/2017", "4/15/2017", "2024/13/45"])
    mixed = (
        "this column has both day-first ('15/4/2017') and month-first ('4/15/2017') dates; "
        "write them as YYYY-MM-DD"
    )
    assert caught.value.values == [None, date(2017, 1, 1), None, None, None]
    assert caught.value.refused == {
        0: f"date '15/4/2017': {mixed}",
        2: f"date '4/5/2017': {mixed}",
        3: f"date '4/15/2017': {mixed}",
        4: "no such date '2024/13/45'",
    }
    # Being an InvalidInput, a caller that does not know it reads the cells one by one.
    assert isinstance(caught.value, values.InvalidInput)


def test_an_import_reads_a_day_first_column_day_first(crm, tmp_path):
    path = write(
        tmp_path / "uk.csv",
        [["name", "created_on"], ["A", "15/4/2017"], ["B", "4/5/2017"]],
    )
    imported(crm, "customers", path)
    found = {c["name"]: c["created_on"] for c in crm.json("customer", "list")}
    assert found == {"A": "2017-04-15", "B": "2017-05-04"}


# --- times as spreadsheets show them --------------------------------------------------------


def test_followups_read_am_pm_and_chinese_half_days(crm, tmp_path, hw):
    path = write(
        tmp_path / "calls.csv",
        [
            ["customer", "at", "channel", "summary"],
            ["HW", "11/4/2026 2:30 PM", "phone", "a"],
            ["HW", "2026/11/7 下午 2:30", "phone", "b"],
            ["HW", "2026年11月8日上午9:05", "phone", "c"],
            ["HW", "11/9/2026 12:15 AM", "phone", "d"],
            ["HW", "11/10/2026 12:15 pm", "phone", "e"],
        ],
    )
    assert imported(crm, "followups", path, as_of="2026-11-10")["added"] == 5
    followups = crm.json("customer", "show", "HW")["followups"]
    assert sorted((f["summary"], f["at"]) for f in followups) == [
        ("a", "2026-11-04 14:30"),
        ("b", "2026-11-07 14:30"),
        ("c", "2026-11-08 09:05"),
        ("d", "2026-11-09 00:15"),
        ("e", "2026-11-10 12:15"),
    ]


def test_a_twelve_hour_time_past_twelve_is_refused_in_one_line(crm, tmp_path, hw):
    path = write(
        tmp_path / "calls.csv",
        [
            ["customer", "at", "channel", "summary"],
            ["HW", "11/4/2026 13:30 PM", "phone", "a"],
            ["HW", "2026/11/7 下午 0:30", "phone", "b"],
        ],
    )
    assert crm.fails(2, "import", "followups", path).splitlines() == [
        "line 2, column at: no such time in date '11/4/2026 13:30 PM'",
        "line 3, column at: no such time in date '2026/11/7 下午 0:30'",
        INVALID.format(bad=2, rows=2, name="calls.csv"),
    ]


def test_a_date_column_takes_a_midnight_twelve_hour_time():
    assert values.parse_day("11/4/2026 12:00 AM") == date(2026, 11, 4)
