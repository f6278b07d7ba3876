"""Complaint SLA counting (SPEC §2 Complaint SLA; seed 003 三.1 "24小时内做出反馈"):
real and working time, statutory holidays and 调休, waiting spans. Every timestamp is
fixed; nothing depends on today's date."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcli.services import sla
from crmcli.services.sla import (
    Clock,
    calendar_known,
    counted_target,
    counting_from,
    deadline,
    elapsed,
    is_working_day,
)

REAL = Clock()
WORKING = Clock("working")
EARLY = Clock("working", time(8, 30), time(17, 30))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- the 2026 calendar as lunar-python 1.4.8 publishes it --------------------------------
#
# HolidayUtil.getHolidays(2026), printed (day, name, 调休 = working day, festival):
#   2026-01-01 元旦节 2026-01-01      2026-02-14 春节调休 2026-02-17
#   2026-01-02 元旦节 2026-01-01      2026-02-15 … 2026-02-23 春节 2026-02-17
#   2026-01-03 元旦节 2026-01-01      2026-02-28 春节调休 2026-02-17
#   2026-01-04 元旦节调休 2026-01-01  2026-04-04 … 2026-04-06 清明节 2026-04-05
#   2026-05-01 … 2026-05-05 劳动节     2026-05-09 劳动节调休 2026-05-01
#   2026-06-19 … 2026-06-21 端午节     2026-09-20 国庆节调休 2026-10-01
#   2026-09-25 … 2026-09-27 中秋节     2026-10-01 … 2026-10-07 国庆节
#   2026-10-10 国庆节调休 2026-10-01
# which is the State Council's 2026 schedule: 02-14 (Saturday) is a 调休 working day and
# 02-15…02-23 are off.


def _days(first: str, last: str) -> set[date]:
    day, end = date.fromisoformat(first), date.fromisoformat(last)
    found = set()
    while day <= end:
        found.add(day)
        day += timedelta(days=1)
    return found


OFF_2026 = (
    _days("2026-01-01", "2026-01-03")
    | _days("2026-02-15", "2026-02-23")
    | _days("2026-04-04", "2026-04-06")
    | _days("2026-05-01", "2026-05-05")
    | _days("2026-06-19", "2026-06-21")
    | _days("2026-09-25", "2026-09-27")
    | _days("2026-10-01", "2026-10-07")
)
MAKE_UP_2026 = {
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
}


def test_2026_working_days_follow_the_published_schedule():
    for day in _days("2026-01-01", "2026-12-31"):
        expected = day in MAKE_UP_2026 or (day.weekday() < 5 and day not in OFF_2026)
        assert is_working_day(day) is expected, day
    assert is_working_day(date(2026, 2, 14))  # Saturday, 春节调休
    assert not is_working_day(date(2026, 2, 16))  # Monday, 春节
    assert is_working_day(date(2026, 2, 24))


def test_calendar_known_for_published_years_only():
    assert calendar_known(2026)
    assert calendar_known(2002)
    assert not calendar_known(2099)
    # The data starts 2001-12-29, days off for 元旦 2002: 2001's own holidays are unknown.
    assert not calendar_known(2001)


def test_a_year_without_published_holidays_counts_weekends_only():
    assert not calendar_known(2099)
    assert is_working_day(date(2099, 1, 1))  # a Thursday: 元旦 is not known to be off
    assert not is_working_day(date(2099, 1, 3))  # Saturday
    assert deadline(at("2099-01-01 10:00"), 24, WORKING) == at("2099-01-02 10:00")
    assert deadline(at("2099-01-02 17:30"), 24, WORKING) == at("2099-01-05 17:30")


def test_importing_the_module_does_not_load_lunar_python():
    code = "import sys, crmcli.services.sla; print('lunar_python' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- real time ----------------------------------------------------------------------------


def test_real_time_23h59_is_in_time_and_24h01_is_late():
    received = at("2026-03-02 09:15")
    due = deadline(received, 24, REAL)
    assert due == at("2026-03-03 09:15")
    early = received + timedelta(hours=23, minutes=59)
    late = received + timedelta(hours=24, minutes=1)
    assert elapsed(received, early, REAL) == timedelta(hours=23, minutes=59)
    assert elapsed(received, late, REAL) == timedelta(hours=24, minutes=1)
    assert early <= due < late
    assert elapsed(received, due, REAL) == counted_target(24, REAL) == timedelta(hours=24)


def test_real_time_counts_weekends_and_holidays():
    received = at("2026-02-14 10:00")  # Saturday before 春节
    assert deadline(received, 24, REAL) == at("2026-02-15 10:00")
    assert counting_from(at("2026-11-28 20:00"), REAL) == at("2026-11-28 20:00")


def test_elapsed_is_zero_when_end_is_not_after_start():
    assert elapsed(at("2026-03-02 10:00"), at("2026-03-02 09:00"), REAL) == timedelta(0)
    assert elapsed(at("2026-03-02 10:00"), at("2026-03-02 10:00"), WORKING) == timedelta(0)


# --- working time -------------------------------------------------------------------------


def test_a_day_of_target_is_one_working_day():
    assert counted_target(24, WORKING) == timedelta(hours=9)
    assert counted_target(72, WORKING) == timedelta(hours=27)
    assert counted_target(12, EARLY) == timedelta(hours=4, minutes=30)
    assert counted_target(168, REAL) == timedelta(days=7)


def test_friday_evening_complaint_is_due_monday_evening():
    # 0.5 h on Friday, 8.5 h on Monday.
    received = at("2026-11-27 17:30")
    due = deadline(received, 24, WORKING)
    assert due == at("2026-11-30 17:30")
    assert elapsed(received, at("2026-11-27 18:00"), WORKING) == timedelta(minutes=30)
    assert elapsed(received, due, WORKING) == timedelta(hours=9)


def test_received_on_a_make_up_saturday_before_spring_festival():
    received = at("2026-02-14 10:00")  # 调休: a working Saturday
    assert deadline(received, 24, REAL) == at("2026-02-15 10:00")
    # 8 h on 02-14, 02-15…02-23 off, 1 h on 02-24.
    assert deadline(received, 24, WORKING) == at("2026-02-24 10:00")


def test_three_days_over_spring_festival():
    # Counted: 02-13 from 10:00 (8 h), 02-14 (9 h), 02-24 (9 h), 02-25 until 10:00 (1 h).
    received = at("2026-02-13 10:00")
    due = deadline(received, 72, WORKING)
    assert due == at("2026-02-25 10:00")
    assert elapsed(received, at("2026-02-24 09:00"), WORKING) == timedelta(hours=17)
    assert elapsed(received, at("2026-02-24 18:00"), WORKING) == timedelta(hours=26)


def test_start_at_night_counts_from_the_next_morning():
    received = at("2026-11-24 20:00")  # Tuesday evening
    assert counting_from(received, WORKING) == at("2026-11-25 09:00")
    assert elapsed(received, at("2026-11-25 09:00"), WORKING) == timedelta(0)
    # Nine working hours from Wednesday 09:00: due at the end of that day, not Thursday.
    assert deadline(received, 24, WORKING) == at("2026-11-25 18:00")
    assert deadline(received, 1, WORKING) == at("2026-11-25 09:22:30")
    # Before the day starts, the same day's start.
    assert counting_from(at("2026-11-25 06:00"), WORKING) == at("2026-11-25 09:00")


def test_start_on_a_weekend_counts_from_monday():
    assert counting_from(at("2026-11-28 20:00"), WORKING) == at("2026-11-30 09:00")
    assert deadline(at("2026-11-28 20:00"), 12, WORKING) == at("2026-11-30 13:30")


def test_configurable_working_day():
    assert EARLY.working_day == timedelta(hours=9)
    assert counting_from(at("2026-11-30 07:00"), EARLY) == at("2026-11-30 08:30")
    assert deadline(at("2026-11-30 08:30"), 12, EARLY) == at("2026-11-30 13:00")
    # 0.5 h Friday until 17:30, then 8.5 h from Monday 08:30.
    assert deadline(at("2026-11-27 17:00"), 24, EARLY) == at("2026-11-30 17:00")
    short = Clock("working", time(10), time(16))
    assert counted_target(24, short) == timedelta(hours=6)
    assert deadline(at("2026-11-27 15:00"), 24, short) == at("2026-11-30 15:00")


# --- pauses -------------------------------------------------------------------------------


def test_a_pause_in_working_time_moves_the_deadline_by_its_length():
    received = at("2026-11-23 10:00")  # Monday
    assert deadline(received, 24, WORKING) == at("2026-11-24 10:00")
    pause = (at("2026-11-23 14:00"), at("2026-11-23 15:30"))
    assert deadline(received, 24, WORKING, [pause]) == at("2026-11-24 11:30")
    # Over the night: 1 h on Monday, 0.5 h on Tuesday.
    night = (at("2026-11-23 17:00"), at("2026-11-24 09:30"))
    counted = elapsed(*night, WORKING)
    assert counted == timedelta(hours=1, minutes=30)
    assert deadline(received, 24, WORKING, [night]) == at("2026-11-24 10:00") + counted
    until_tuesday_evening = elapsed(received, at("2026-11-24 18:00"), WORKING, [night])
    assert until_tuesday_evening == timedelta(hours=15, minutes=30)


def test_a_pause_in_real_time_moves_the_deadline_by_its_length():
    received = at("2026-11-27 17:30")
    pause = (at("2026-11-28 08:00"), at("2026-11-28 10:15"))
    assert deadline(received, 24, REAL, [pause]) == at("2026-11-28 19:45")
    assert elapsed(received, at("2026-11-28 19:45"), REAL, [pause]) == timedelta(hours=24)


def test_a_pause_over_the_weekend_moves_nothing_in_working_time():
    received = at("2026-11-27 17:30")
    due = at("2026-11-30 17:30")
    saturday_to_sunday = (at("2026-11-28 10:00"), at("2026-11-29 12:00"))
    friday_close_to_monday_open = (at("2026-11-27 18:00"), at("2026-11-30 09:00"))
    assert deadline(received, 24, WORKING, [saturday_to_sunday]) == due
    assert deadline(received, 24, WORKING, [friday_close_to_monday_open]) == due
    assert elapsed(*friday_close_to_monday_open, WORKING) == timedelta(0)


def test_overlapping_and_outlying_pauses():
    received = at("2026-11-23 10:00")
    overlapping = [
        (at("2026-11-23 14:30"), at("2026-11-23 15:30")),
        (at("2026-11-23 14:00"), at("2026-11-23 15:00")),
        (at("2026-11-23 14:15"), at("2026-11-23 14:45")),
    ]
    assert deadline(received, 24, WORKING, overlapping) == at("2026-11-24 11:30")
    before = [(at("2026-11-20 10:00"), at("2026-11-20 12:00"))]
    assert deadline(received, 24, WORKING, before) == at("2026-11-24 10:00")
    empty = [(at("2026-11-23 12:00"), at("2026-11-23 12:00"))]
    assert deadline(received, 24, WORKING, empty) == at("2026-11-24 10:00")
    # Waiting already when received: counting starts when the wait ends.
    straddling = [(at("2026-11-23 08:00"), at("2026-11-23 11:00"))]
    assert counting_from(received, WORKING, straddling) == at("2026-11-23 11:00")
    assert deadline(received, 24, WORKING, straddling) == at("2026-11-24 11:00")


def test_an_open_pause_holds_the_clock():
    received = at("2026-11-23 10:00")
    waiting = [(at("2026-11-23 12:00"), None)]
    assert deadline(received, 24, WORKING, waiting) is None
    assert deadline(received, 24, REAL, waiting) is None
    assert counting_from(at("2026-11-23 13:00"), WORKING, waiting) is None
    # Nothing counts once the wait begins, however long it lasts.
    assert elapsed(received, at("2026-12-31 18:00"), WORKING, waiting) == timedelta(hours=2)
    assert elapsed(received, at("2026-12-31 18:00"), REAL, waiting) == timedelta(hours=2)
    # A target reached before the wait began keeps its deadline.
    assert deadline(received, 1, WORKING, waiting) == at("2026-11-23 10:22:30")
    # Closing the wait at "now" gives the deadline as of now.
    now = at("2026-11-24 09:00")
    assert deadline(received, 24, WORKING, [(at("2026-11-23 12:00"), now)]) == at(
        "2026-11-24 16:00"
    )


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize("hours", [0, -1, -0.5, float("nan"), float("inf")])
def test_a_target_must_be_a_positive_number_of_hours(hours):
    with pytest.raises(ValueError, match="positive number of hours"):
        deadline(at("2026-11-23 10:00"), hours, WORKING)


def test_a_target_must_be_a_number():
    with pytest.raises(ValueError, match="number of hours"):
        deadline(at("2026-11-23 10:00"), "24", REAL)  # type: ignore[arg-type]


@pytest.mark.parametrize(("start", "end"), [(time(18), time(9)), (time(9), time(9))])
def test_the_working_day_must_start_before_it_ends(start, end):
    with pytest.raises(ValueError, match="must start before it ends"):
        Clock("working", start, end)


def test_an_unknown_clock_is_refused():
    with pytest.raises(ValueError, match="'real' or 'working'"):
        Clock("business")


def test_a_pause_must_not_end_before_it_begins():
    with pytest.raises(ValueError, match="pause 1 ends"):
        backwards = (at("2026-11-23 12:00"), at("2026-11-23 11:00"))
        deadline(at("2026-11-23 10:00"), 24, REAL, [backwards])


def test_zoned_times_are_refused():
    aware = datetime(2026, 11, 23, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="without a zone"):
        deadline(aware, 24, REAL)
    with pytest.raises(ValueError, match="without a zone"):
        elapsed(at("2026-11-23 10:00"), aware, REAL)


# --- speed --------------------------------------------------------------------------------


def test_a_seven_day_target_walks_day_by_day(monkeypatch):
    looked_up: list[date] = []
    original = sla.is_working_day

    def counting(day: date) -> bool:
        looked_up.append(day)
        return original(day)

    monkeypatch.setattr(sla, "is_working_day", counting)
    # Seven working days over 春节 (02-28 a 调休 Saturday): 02-13 … 03-02, 18 days.
    due = deadline(at("2026-02-13 10:00"), 7 * 24, WORKING)
    assert due == at("2026-03-02 10:00")
    assert len(looked_up) <= 25


# --- elapsed and deadline agree -----------------------------------------------------------

CLOCKS = st.sampled_from([REAL, WORKING, EARLY, Clock("working", time(7, 45), time(20, 10))])
STARTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31, 23, 59, 59))
HOURS = st.floats(min_value=0.01, max_value=24 * 10, allow_nan=False, allow_infinity=False)


@settings(deadline=None)
@given(start=STARTS, hours=HOURS, clock=CLOCKS)
def test_elapsed_until_the_deadline_is_the_target(start, hours, clock):
    due = deadline(start, hours, clock)
    assert due is not None and due > start
    target = counted_target(hours, clock)
    assert elapsed(start, due, clock) == target
    # The deadline is the first moment the target is reached.
    assert elapsed(start, due - timedelta(microseconds=1), clock) < target


@st.composite
def closed_pauses(draw: st.DrawFn) -> list[tuple[datetime, datetime | None]]:
    spans: list[tuple[datetime, datetime | None]] = []
    for _ in range(draw(st.integers(0, 4))):
        begin = draw(STARTS)
        length = draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=5)))
        spans.append((begin, begin + length))
    return spans


@settings(deadline=None)
@given(start=STARTS, hours=HOURS, clock=CLOCKS, pauses=closed_pauses())
def test_elapsed_and_deadline_agree_with_pauses(start, hours, clock, pauses):
    due = deadline(start, hours, clock, pauses)
    assert due is not None
    target = counted_target(hours, clock)
    assert elapsed(start, due, clock, pauses) == target
    assert elapsed(start, due - timedelta(microseconds=1), clock, pauses) < target
    assert elapsed(start, due, clock) >= target  # pauses only ever push a deadline out
