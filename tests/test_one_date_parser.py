"""--at and the other date options read every form an import reads in its files."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from crmcli.dates import parse_datetime
from crmcli.errors import InvalidInput

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "value", "has_time"),
    [
        ("2:30 PM", datetime(2026, 11, 26, 14, 30), True),
        ("下午 2:30", datetime(2026, 11, 26, 14, 30), True),
        ("上午 9:05", datetime(2026, 11, 26, 9, 5), True),
        ("2026年11月26日 14:30", datetime(2026, 11, 26, 14, 30), True),
        ("2026年11月26日下午2:30", datetime(2026, 11, 26, 14, 30), True),
        ("11/26/2026 2:30 PM", datetime(2026, 11, 26, 14, 30), True),
        ("2026/11/20", datetime(2026, 11, 20), False),
        ("2026-11-22 14:30", datetime(2026, 11, 22, 14, 30), True),
        ("+3d", datetime(2026, 11, 29), False),
    ],
)
def test_option_dates_read_like_file_dates(text, value, has_time):
    assert parse_datetime(text, TODAY, what="--at date") == (value, has_time)


@pytest.mark.parametrize("text", ["13:30 PM", "2026年2月30日", "45000", "soon"])
def test_what_no_file_reads_is_refused(text):
    with pytest.raises(InvalidInput):
        parse_datetime(text, TODAY, what="--at date")


def test_log_at_in_chinese_form(crm):
    crm.ok("customer", "add", "华为技术", "--code", "HW", "--as-of", "2026-11-01")
    crm.ok(
        "log",
        "HW",
        "-c",
        "phone",
        "-m",
        "a",
        "--at",
        "2026年11月20日 下午 2:30",
        "--as-of",
        "2026-11-26",
    )
    assert [r["at"] for r in crm.json("log", "list")] == ["2026-11-20 14:30"]
