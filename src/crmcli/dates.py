"""Date words of SPEC §3: ISO dates and times, today/tomorrow/yesterday, +3d/-2w/+1m/+1y,
weekdays (``fri`` = the coming Friday, today included; ``next fri`` = Friday of next week).

Every function takes the reference day explicitly so commands can honour ``--as-of``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from crmcli.errors import InvalidInput
from crmcli.i18n import _

_RELATIVE = re.compile(r"^([+-])\s*(\d+)\s*([dwmy])$")
_WEEKDAYS = {
    "mon": 0,
    "monday": 0,
    "周一": 0,
    "星期一": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "周二": 1,
    "星期二": 1,
    "wed": 2,
    "wednesday": 2,
    "周三": 2,
    "星期三": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "周四": 3,
    "星期四": 3,
    "fri": 4,
    "friday": 4,
    "周五": 4,
    "星期五": 4,
    "sat": 5,
    "saturday": 5,
    "周六": 5,
    "星期六": 5,
    "sun": 6,
    "sunday": 6,
    "周日": 6,
    "星期日": 6,
    "周天": 6,
    "星期天": 6,
}
_WORDS = {"today": 0, "今天": 0, "tomorrow": 1, "明天": 1, "yesterday": -1, "昨天": -1}


def _relative(text: str, today: date) -> date | None:
    if text in _WORDS:
        return today + timedelta(days=_WORDS[text])
    m = _RELATIVE.match(text)
    if m:
        from dateutil.relativedelta import relativedelta

        sign = 1 if m.group(1) == "+" else -1
        n = sign * int(m.group(2))
        unit = m.group(3)
        delta = {
            "d": relativedelta(days=n),
            "w": relativedelta(weeks=n),
            "m": relativedelta(months=n),
            "y": relativedelta(years=n),
        }[unit]
        return today + delta
    words = text.split()
    if len(words) == 2 and words[0] in ("next", "下") and words[1] in _WEEKDAYS:
        monday_next_week = today - timedelta(days=today.weekday()) + timedelta(days=7)
        return monday_next_week + timedelta(days=_WEEKDAYS[words[1]])
    if text in _WEEKDAYS:
        return today + timedelta(days=(_WEEKDAYS[text] - today.weekday()) % 7)
    return None


# The days a command accepts: wide enough for any birthday and any plan, narrow enough
# that a day's neighbours and its lunar year always exist.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def check_range(day: date, text: str, *, what: str = "date") -> None:
    """Refuse a day outside FIRST_DAY…LAST_DAY (a typo such as 9999-12-31)."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(
            _("{what} {strip!r} is out of range; use a day from {FIRST_DAY} to {LAST_DAY}").format(
                what=what, strip=text.strip(), FIRST_DAY=FIRST_DAY, LAST_DAY=LAST_DAY
            )
        )


_ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_LOOSE = re.compile(r"^(\d{8}|.*[-/.:\s].*)$")


def parse_datetime(text: str, today: date, *, what: str = "date") -> tuple[datetime, bool]:
    """Parse a date or date-time; returns the value and whether a time was given."""
    value, has_time = _parse_datetime(text, today, what)
    check_range(value.date(), text, what=what)
    return value, has_time


def _parse_datetime(text: str, today: date, what: str) -> tuple[datetime, bool]:
    raw = text.strip()
    if _ISO_DAY.fullmatch(raw):
        # The common case (every --as-of of a cron job) needs no parser to be imported.
        try:
            return datetime.combine(date.fromisoformat(raw), time()), False
        except ValueError:
            pass  # not a real day: the parser below says why, like any other text
    folded = raw.lower()
    try:
        day = _relative(folded, today)
    except (ValueError, OverflowError):
        raise InvalidInput(
            _("cannot read {what} {text!r}; use 2026-11-22, today, +3d or fri").format(
                what=what, text=text
            )
        ) from None
    if day is not None:
        return datetime.combine(day, time()), False
    found = _as_in_files(raw, text, today, what)
    if found is not None:
        return found
    if re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", raw):
        raw = raw.replace("年", "-").replace("月", "-").replace("日", "")
    if not re.fullmatch(r"[\d\s:/.T-]+", raw) or not _LOOSE.match(raw):
        raise InvalidInput(
            _("cannot read {what} {text!r}; use 2026-11-22, today, +3d or fri").format(
                what=what, text=text
            )
        )
    from dateutil import parser

    try:
        value = (
            parser.isoparse(raw)
            if re.fullmatch(r"\d{4}-\d\d-\d\d(T.*)?", raw)
            else (parser.parse(raw, default=datetime.combine(today, time()), yearfirst=True))
        )
    except (ValueError, OverflowError):
        raise InvalidInput(
            _("cannot read {what} {text!r}; use 2026-11-22, today, +3d or fri").format(
                what=what, text=text
            )
        ) from None
    has_time = bool(re.search(r"\d:\d", raw))
    return value.replace(tzinfo=None), has_time


def _as_in_files(raw: str, text: str, today: date, what: str) -> tuple[datetime, bool] | None:
    """The forms an import reads in a date column (crmcli.io.values: 2026年11月26日 14:30,
    11/26/2026 2:30 PM, 2026/11/26 下午 2:30), and a time alone (today at it): one reading
    of dates for options and files alike."""
    from crmcli.io.values import clock_of, date_fields

    if raw.isdigit():
        return None  # a bare number is no day here (an Excel serial only in a file)
    try:
        fields = date_fields(raw, what)
        if fields is not None:
            year, month, day_, clock = fields
            value = date(year, month, day_)
            return datetime.combine(value, clock or time()), clock is not None
        clock = clock_of(raw, what)
    except (InvalidInput, ValueError):
        raise InvalidInput(
            _("cannot read {what} {text!r}; use 2026-11-22, today, +3d or fri").format(
                what=what, text=text
            )
        ) from None
    if clock is not None:
        return datetime.combine(today, clock), True
    return None


def parse_date(text: str, today: date, *, what: str = "date") -> date:
    value, _ = parse_datetime(text, today, what=what)
    return value.date()


def today_in(tz_name: str) -> date:
    return now_in(tz_name).date()


def now_in(tz_name: str) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(tz_name)).replace(tzinfo=None, microsecond=0)


def local_time(utc: datetime, tz_name: str) -> datetime:
    """A stored UTC time (history rows keep naive UTC) on the team's clock, naive, to the second."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    return utc.replace(tzinfo=UTC).astimezone(ZoneInfo(tz_name)).replace(tzinfo=None, microsecond=0)
