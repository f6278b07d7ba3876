"""Date words of SPEC §3, always against an explicit reference day (never the real today)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from crmcli.dates import parse_date, parse_datetime
from crmcli.errors import InvalidInput

SUNDAY = date(2026, 11, 22)
MONDAY = date(2026, 11, 23)
FRIDAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", SUNDAY),
        ("Today", SUNDAY),
        ("今天", SUNDAY),
        ("tomorrow", date(2026, 11, 23)),
        ("明天", date(2026, 11, 23)),
        ("yesterday", date(2026, 11, 21)),
        ("昨天", date(2026, 11, 21)),
        ("+3d", date(2026, 11, 25)),
        ("-2w", date(2026, 11, 8)),
        ("+1m", date(2026, 12, 22)),
        ("+2m", date(2027, 1, 22)),
        ("+1y", date(2027, 11, 22)),
        ("+0d", SUNDAY),
        ("-10d", date(2026, 11, 12)),
        ("+ 3 d", date(2026, 11, 25)),
        # A bare weekday is the coming one, today included.
        ("fri", date(2026, 11, 27)),
        ("FRI", date(2026, 11, 27)),
        ("friday", date(2026, 11, 27)),
        ("周五", date(2026, 11, 27)),
        ("sun", SUNDAY),
        ("mon", date(2026, 11, 23)),
        # "next fri" is Friday of next week; from a Sunday, next week starts tomorrow.
        ("next fri", date(2026, 11, 27)),
        ("next mon", date(2026, 11, 23)),
        ("next sun", date(2026, 11, 29)),
        ("下 周五", date(2026, 11, 27)),
        ("2026-11-22", SUNDAY),
        ("2026-12-01", date(2026, 12, 1)),
        ("2026/12/01", date(2026, 12, 1)),
        ("2026.12.01", date(2026, 12, 1)),
        ("2026年11月22日", SUNDAY),
        ("2027年1月2日", date(2027, 1, 2)),
        ("  2026-11-22  ", SUNDAY),
    ],
)
def test_dates_from_a_sunday(text, expected):
    assert parse_date(text, SUNDAY) == expected


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (MONDAY, "fri", date(2026, 11, 27)),
        (MONDAY, "next fri", date(2026, 12, 4)),
        (MONDAY, "mon", MONDAY),
        (MONDAY, "next mon", date(2026, 11, 30)),
        (FRIDAY, "fri", FRIDAY),
        (FRIDAY, "next fri", date(2026, 12, 4)),
        (FRIDAY, "thu", date(2026, 12, 3)),
        (date(2026, 12, 31), "+1d", date(2027, 1, 1)),
        # Month arithmetic clamps to the month's last day.
        (date(2026, 1, 31), "+1m", date(2026, 2, 28)),
        (date(2028, 1, 31), "+1m", date(2028, 2, 29)),
        (date(2026, 3, 31), "-1m", date(2026, 2, 28)),
        (date(2028, 2, 29), "+1y", date(2029, 2, 28)),
    ],
)
def test_dates_relative_to_other_days(today, text, expected):
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("2026-11-22 14:30", datetime(2026, 11, 22, 14, 30), True),
        ("2026-11-22T14:30", datetime(2026, 11, 22, 14, 30), True),
        ("2026-11-22 14:30:15", datetime(2026, 11, 22, 14, 30, 15), True),
        ("2026-11-22 9:05", datetime(2026, 11, 22, 9, 5), True),
        ("2026-11-22", datetime(2026, 11, 22), False),
        ("tomorrow", datetime(2026, 11, 23), False),
        ("fri", datetime(2026, 11, 27), False),
        ("2026年11月22日", datetime(2026, 11, 22), False),
    ],
)
def test_datetimes_and_whether_a_time_was_given(text, expected, has_time):
    assert parse_datetime(text, SUNDAY) == (expected, has_time)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "soon",
        "next",
        "next week",
        "next foo",
        "+3x",
        "3d",
        "--",
        "T",
        "2026-13-01",
        "2026-02-30",
        "2026-11-22 25:00",
        "2026-11-22 14:60",
        "2026年13月1日",
        "fri 15:00:00:00",
        "+10000y",
        "+99999999d",
    ],
)
def test_garbage_is_invalid_input_naming_what_was_read(text):
    with pytest.raises(InvalidInput) as caught:
        parse_date(text, SUNDAY, what="--due date")
    assert caught.value.message == (
        f"cannot read --due date {text!r}; use 2026-11-22, today, +3d or fri"
    )
    assert caught.value.exit_code == 2


def test_the_reference_day_is_what_relative_words_count_from():
    assert parse_date("+1d", date(2020, 2, 28)) == date(2020, 2, 29)
    assert parse_date("yesterday", date(2026, 3, 1)) == date(2026, 2, 28)
    assert parse_date("2026-11-22", date(1999, 1, 1)) == SUNDAY


@pytest.mark.parametrize(
    "text", ["9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01", "+1000y", "-200y"]
)
def test_days_outside_the_calendar_are_refused(text):
    # The day after 9999-12-31 and the lunar year of 0001 do not exist: refused up front.
    with pytest.raises(InvalidInput) as caught:
        parse_date(text, SUNDAY, what="--as-of date")
    assert caught.value.message == (
        f"--as-of date {text!r} is out of range; use a day from 1900-01-01 to 2999-12-31"
    )


def test_the_first_and_last_days_are_accepted():
    assert parse_date("1900-01-01", SUNDAY) == date(1900, 1, 1)
    assert parse_date("2999-12-31", SUNDAY) == date(2999, 12, 31)
