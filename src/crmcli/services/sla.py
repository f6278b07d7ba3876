"""Counting complaint SLA targets in real or working time (SPEC §2 "Complaint SLA").

Pure functions on naive local datetimes (the wall-clock of the configured zone, which for
Asia/Shanghai has no daylight saving time): no database, no CLI, no output.

Where each rule comes from:

- **24 hours to the first answer** — seed 003 三、客户服务 3.1 服务标准 1.快速响应
  "对客户的咨询和问题,需在24小时内做出反馈", and 四、客户投诉处理 第十四条 (投诉得到
  及时、有效的解决). The targets themselves (``sla.response_hours``, and
  ``sla.resolution_days`` by the severities of 第十三条 一般/重要/重大) live in the config;
  this module only counts a given number of hours.
- **Real or working time** — the seed says only "24小时内", which read literally is real
  time, the default (``sla.clock = "real"``). Counting in working time is the team's
  option in SPEC §2 / the config (``sla.clock = "working"``, ``sla.day_start`` 09:00,
  ``sla.day_end`` 18:00), not seed text. One day of target is one working day, so a
  target of ``h`` hours is ``h / 24 × (day_end − day_start)`` of working time: 24 h is
  one working day of 9 h by default. Received Friday 17:30 with 24 h → Monday 17:30.
- **Days off** — weekends and China's statutory holidays 国家法定节假日 (the same State
  Council schedule the seed 003 三 greeting rules name), with the make-up working days
  调休 counted as working days (a working Saturday counts). The schedule is
  lunar-python's ``HolidayUtil``; for a year it has not published (``calendar_known``
  is False) only weekends are days off, and callers should say so.
- **Start outside working time** — counting begins at the next working moment (received
  Saturday 20:00 → counting from Monday 09:00); in real time it begins at once.
- **Waiting on the customer** — the spans ``[from, to)`` of a complaint's waiting steps
  (the wait/resume of ``crm complaint``, SPEC §3) are not counted; they may overlap
  nights, weekends and each other. A span with ``to = None`` is still open: the clock
  stands still from its start with no end in sight, so ``deadline`` returns None when the
  target is not reached before it starts (there is no ``as_of`` to guess an end from;
  callers that want "as of now" close the span at now), and ``elapsed`` counts nothing
  after its start.

A deadline is the first moment the counted time reaches the target: a target used up
exactly at the end of a working day is due at that day's end (18:00), not at the next
day's start. Deadlines are found by walking counted stretches (one per working day, or
one per gap between pauses), never minute by minute: a 7-day target over 春节 takes a
few dozen steps. Holiday look-ups are cached per day and per year, and lunar-python is
imported only when a working day is first looked up.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from functools import lru_cache

REAL = "real"
WORKING = "working"
CLOCKS = (REAL, WORKING)

Pause = tuple[datetime, datetime | None]

# The end of an open pause, and of the one counted stretch of real time.
_FOREVER = datetime.max
_ONE_DAY = timedelta(days=1)
_MICROSECONDS_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class Clock:
    """How targets are counted: every hour ("real") or working hours only ("working").

    ``day_start``/``day_end`` bound the working day; they are checked whatever the kind,
    so a configuration that is wrong is refused even while the clock is real.
    """

    kind: str = REAL  # "real" | "working"
    day_start: time = time(9)
    day_end: time = time(18)

    def __post_init__(self) -> None:
        if self.kind not in CLOCKS:
            raise ValueError(f"unknown SLA clock {self.kind!r}: expected 'real' or 'working'")
        if self.day_start.tzinfo is not None or self.day_end.tzinfo is not None:
            raise ValueError("the working day's start and end must be local times without a zone")
        if self.day_start >= self.day_end:
            raise ValueError(
                f"the working day must start before it ends: day_start "
                f"{self.day_start.isoformat('minutes')} is not before day_end "
                f"{self.day_end.isoformat('minutes')}"
            )

    @property
    def working_day(self) -> timedelta:
        """The length of one working day (day_end − day_start)."""
        return datetime.combine(date.min, self.day_end) - datetime.combine(date.min, self.day_start)


# --- the calendar ----------------------------------------------------------------------


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day in mainland China.

    A statutory holiday is off, a make-up working day 调休 is on (even on a weekend), any
    other day is on from Monday to Friday. Years the library has not published count
    weekends only (see ``calendar_known``).
    """
    return _is_working_day(day.year, day.month, day.day)


@lru_cache(maxsize=4096)
def _is_working_day(year: int, month: int, day: int) -> bool:
    from lunar_python.util import HolidayUtil

    holiday = HolidayUtil.getHoliday(year, month, day)
    if holiday is not None:
        return bool(holiday.isWork())
    return date(year, month, day).weekday() < 5


@lru_cache(maxsize=256)
def calendar_known(year: int) -> bool:
    """Whether the library holds the statutory holiday schedule of ``year``.

    Known when it lists at least one day off or 调休 *for a holiday of that year*: a
    year's first days may be listed only because the previous year's 元旦 reached into
    them (the data starts 2001-12-29, for 元旦 2002, so 2001 is not known).
    """
    from lunar_python.util import HolidayUtil

    prefix = f"{year:04d}-"
    return any(h.getTarget().startswith(prefix) for h in HolidayUtil.getHolidays(f"{year:04d}"))


# --- counting --------------------------------------------------------------------------


# typed: True is refused where 1 is a target; a report asks for the same few targets
# for each of its (up to 100,000) complaints, and exact arithmetic is not free.
@lru_cache(maxsize=64, typed=True)
def counted_target(hours: float, clock: Clock) -> timedelta:
    """The counted time a target of ``hours`` amounts to on ``clock``.

    Real: the hours themselves. Working: ``hours / 24`` working days, so 24 h is one
    working day (9 h from 09:00 to 18:00). Rounded once, to the microsecond.
    """
    if isinstance(hours, bool) or not isinstance(hours, (int, float)):
        raise ValueError(f"an SLA target must be a number of hours, not {hours!r}")
    if not math.isfinite(hours) or hours <= 0:
        raise ValueError(f"an SLA target must be a positive number of hours, not {hours!r}")
    per_day = (
        _MICROSECONDS_PER_DAY
        if clock.kind == REAL
        else clock.working_day // timedelta(microseconds=1)
    )
    return timedelta(microseconds=round(Fraction(hours) * per_day / 24))


def deadline(
    start: datetime,
    hours: float,
    clock: Clock,
    pauses: Sequence[Pause] = (),
) -> datetime | None:
    """When a target of ``hours`` counted from ``start`` is reached.

    Pauses ``[from, to)`` are not counted. None when an open pause (``to`` None) begins
    before the target is reached: no deadline can be reached while the complaint waits.
    """
    return deadline_after(start, counted_target(hours, clock), clock, pauses)


def deadline_after(
    start: datetime,
    left: timedelta,
    clock: Clock,
    pauses: Sequence[Pause] = (),
) -> datetime | None:
    """``deadline`` of a target given as its counted time (``counted_target``)."""
    _check_naive(start, "start")
    if not pauses and clock.kind == REAL:
        return start + left  # the one stretch of real time, nothing cut out of it
    for begin, end in _counted(start, clock, _merge(pauses)):
        if end == _FOREVER or end - begin >= left:
            return begin + left
        left -= end - begin
    return None


def elapsed(
    start: datetime,
    end: datetime,
    clock: Clock,
    pauses: Sequence[Pause] = (),
) -> timedelta:
    """The counted time between ``start`` and ``end`` (working or real), pauses left out.

    Zero when ``end`` is not after ``start``. An open pause counts nothing after it starts.
    Comparable with ``counted_target``: ``elapsed(s, deadline(s, h)) == counted_target(h)``.
    """
    _check_naive(start, "start")
    _check_naive(end, "end")
    total = timedelta(0)
    if end <= start:
        return total
    for begin, stop in _counted(start, clock, _merge(pauses)):
        if begin >= end:
            break
        total += min(stop, end) - begin
    return total


def counting_from(start: datetime, clock: Clock, pauses: Sequence[Pause] = ()) -> datetime | None:
    """The first moment at or after ``start`` that counts (e.g. Saturday 20:00 → Monday
    09:00 in working time); None when an open pause holds the clock from then on."""
    _check_naive(start, "start")
    for begin, _end in _counted(start, clock, _merge(pauses)):
        return begin
    return None


def _check_naive(value: datetime, what: str) -> None:
    if value.tzinfo is not None:
        raise ValueError(
            f"SLA times are local wall-clock times without a zone; the {what} {value} has one"
        )


def _merge(pauses: Sequence[Pause]) -> list[tuple[datetime, datetime]]:
    """The pauses as sorted, disjoint spans; an open one runs to ``_FOREVER``."""
    spans: list[tuple[datetime, datetime]] = []
    for number, (begin, until) in enumerate(pauses, start=1):
        _check_naive(begin, f"start of pause {number}")
        if until is None:
            until = _FOREVER
        else:
            _check_naive(until, f"end of pause {number}")
            if until < begin:
                raise ValueError(
                    f"pause {number} ends ({until.isoformat(' ')}) before it begins "
                    f"({begin.isoformat(' ')})"
                )
        if until > begin:
            spans.append((begin, until))
    spans.sort()
    merged: list[tuple[datetime, datetime]] = []
    for begin, until in spans:
        if merged and begin <= merged[-1][1]:
            if until > merged[-1][1]:
                merged[-1] = (merged[-1][0], until)
        else:
            merged.append((begin, until))
    return merged


def _stretches(start: datetime, clock: Clock) -> Iterator[tuple[datetime, datetime]]:
    """The clock's counted stretches from ``start`` on, endlessly.

    Real time is one stretch to ``_FOREVER``; working time is each working day's
    ``[day_start, day_end)``, the first one cut at ``start``.
    """
    if clock.kind == REAL:
        yield start, _FOREVER
        return
    day = start.date()
    while True:
        if is_working_day(day):
            end = datetime.combine(day, clock.day_end)
            begin = max(start, datetime.combine(day, clock.day_start))
            if begin < end:
                yield begin, end
        day += _ONE_DAY


def _counted(
    start: datetime, clock: Clock, pauses: list[tuple[datetime, datetime]]
) -> Iterator[tuple[datetime, datetime]]:
    """The counted stretches from ``start`` on with the (merged) pauses cut out.

    Ends when an open pause covers everything that is left.
    """
    index = 0
    for begin, end in _stretches(start, clock):
        while index < len(pauses) and pauses[index][1] <= begin:
            index += 1
        while index < len(pauses) and pauses[index][0] < end:
            pause_begin, pause_end = pauses[index]
            if pause_begin > begin:
                yield begin, pause_begin
            if pause_end == _FOREVER:
                return
            begin = max(begin, pause_end)
            if begin >= end:
                break
            index += 1
        if begin < end:
            yield begin, end
