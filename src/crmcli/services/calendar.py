"""The Chinese calendar of the greeting duties: statutory holidays, the 24 solar terms
and lunar birthdays, for any year (seed 003 三: 国家法定节假日、各种节气、客户生日).

Dates come from lunar-python's calendar computations (lunar months, leap months and
solar-term times), never from a table of days that runs out: only *which* lunar or solar
day each festival is on is written here, as the law states it.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from crmcli.enums import HOLIDAY_ALIASES, HOLIDAYS
from crmcli.errors import InvalidInput
from crmcli.i18n import _

SOLAR_TERMS = (
    "小寒",
    "大寒",
    "立春",
    "雨水",
    "惊蛰",
    "春分",
    "清明",
    "谷雨",
    "立夏",
    "小满",
    "芒种",
    "夏至",
    "小暑",
    "大暑",
    "立秋",
    "处暑",
    "白露",
    "秋分",
    "寒露",
    "霜降",
    "立冬",
    "小雪",
    "大雪",
    "冬至",
)
BIRTHDAY = "生日"


@dataclass(frozen=True)
class Occasion:
    name: str
    kind: str  # holiday | solar_term | birthday
    day: date


def _solar(value: object) -> date:
    return date(value.getYear(), value.getMonth(), value.getDay())  # type: ignore[attr-defined]


@lru_cache(maxsize=64)
def solar_terms(year: int) -> dict[str, date]:
    """The 24 solar terms that fall in a Gregorian year, by Chinese name."""
    from lunar_python import Lunar

    # A lunar year's table runs from the 大雪 before it to the 惊蛰 after it; the terms
    # outside the year itself carry pinyin keys (DA_XUE, DONG_ZHI…) in the library's
    # JIE_QI_IN_USE, 24 places from the same term under its Chinese name.
    in_use = Lunar.JIE_QI_IN_USE
    names = {
        key: key if key in Lunar.JIE_QI else in_use[i + 24 if i < 24 else i - 24]
        for i, key in enumerate(in_use)
    }
    found: dict[str, date] = {}
    for lunar_year in (year - 1, year, year + 1):
        for key, solar in Lunar.fromYmd(lunar_year, 1, 1).getJieQiTable().items():
            day = _solar(solar)
            if day.year == year:
                found[names[key]] = day
    return dict(sorted(found.items(), key=lambda item: item[1]))


@lru_cache(maxsize=256)
def holiday_date(name: str, year: int) -> date:
    _, rule, month, day = HOLIDAYS[name]
    if rule == "solar":
        return date(year, month, day)
    if rule == "term":
        return solar_terms(year)[name]
    from lunar_python import LunarMonth, Solar

    # The lunar month's first day plus the day: a whole Lunar (with its solar-term
    # table) is not needed for that, and costs twice as much.
    first = LunarMonth.fromYm(year, month).getFirstJulianDay()
    return _solar(Solar.fromJulianDay(first + day - 1))


def holidays(year: int, names: list[str] | tuple[str, ...] = tuple(HOLIDAYS)) -> dict[str, date]:
    return {name: holiday_date(name, year) for name in names}


def occasions_on(day: date, *, holiday_names: list[str], kinds: list[str]) -> list[Occasion]:
    """Holidays and solar terms falling on a day (one occasion per name: 清明 is both)."""
    found: dict[str, Occasion] = {}
    if "holiday" in kinds:
        for name in holiday_names:
            if holiday_date(name, day.year) == day:
                found[name] = Occasion(name, "holiday", day)
    if "solar_term" in kinds:
        for name, when in solar_terms(day.year).items():
            if when == day and name not in found:
                found[name] = Occasion(name, "solar_term", day)
    return list(found.values())


def parse_occasion(text: str) -> tuple[str, str]:
    """An occasion typed by a user → (name, kind); English aliases for holidays."""
    folded = text.strip().lower().replace("_", "-").replace(" ", "-")
    folded = HOLIDAY_ALIASES.get(folded, folded)
    for name, (alias, *_rest) in HOLIDAYS.items():
        if folded in (name, alias, alias.replace("-", "")):
            return name, "holiday"
    if text.strip() in SOLAR_TERMS:
        return text.strip(), "solar_term"
    if folded in (BIRTHDAY, "birthday"):
        return BIRTHDAY, "birthday"
    raise InvalidInput(
        _(
            "unknown occasion {text!r}; expected a holiday ({HOLIDAYS}), a solar term (立春, 清明, 冬至 …) or {BIRTHDAY}/birthday"
        ).format(text=text, HOLIDAYS=", ".join(HOLIDAYS), BIRTHDAY=BIRTHDAY)
    )


@dataclass(frozen=True)
class BirthdayKeys:
    """Which stored birthdays (month-day; lunar ones with their leap flag) fall on a day."""

    solar: tuple[str, ...]
    lunar: tuple[str, ...]
    lunar_leap: tuple[str, ...]


def birthday_keys(day: date) -> BirthdayKeys:
    """Keys for the birthdays on ``day``.

    Solar: the month-day, and 02-29 on 28 February of common years. Lunar: the lunar
    month-day of ``day``; a 30th that this month lacks falls on its 29th (last) day; a
    leap-month birthday falls in the leap month when the year has it, otherwise in the
    regular month of that number.
    """
    return birthday_keys_between(day, day)[0][1]


def birthday_keys_between(start: date, end: date) -> list[tuple[date, BirthdayKeys]]:
    """``birthday_keys`` of every day from ``start`` to ``end``, in one pass: the lunar
    months covering the period are built once, where converting each day on its own
    builds its lunar year again (a year of days took a second)."""
    from lunar_python import LunarYear, Solar

    first_jd = int(Solar.fromYmd(start.year, start.month, start.day).getJulianDay() + 0.5)
    months: dict[int, object] = {}
    for lunar_year in range(start.year - 1, end.year + 1):
        for m in LunarYear.fromYear(lunar_year).getMonths():
            months[int(m.getFirstJulianDay() + 0.5)] = m
    firsts = sorted(months)
    leap_of: dict[int, int] = {}
    found = []
    i = bisect_right(firsts, first_jd) - 1
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        jd = first_jd + offset
        while i + 1 < len(firsts) and firsts[i + 1] <= jd:
            i += 1
        lunar_month: Any = months[firsts[i]]
        month, lday, lyear = lunar_month.getMonth(), jd - firsts[i] + 1, lunar_month.getYear()
        solar = [f"{day:%m-%d}"]
        if day.month == 2 and day.day == 28 and not _is_leap_year(day.year):
            solar.append("02-29")
        days = [lday]
        if lday == 29 and lunar_month.getDayCount() == 29:
            days.append(30)
        keys = tuple(f"{abs(month):02d}-{d:02d}" for d in days)
        if month < 0:  # a leap month: only leap-month birthdays are celebrated in it
            found.append((day, BirthdayKeys(tuple(solar), (), keys)))
            continue
        if lyear not in leap_of:
            leap_of[lyear] = LunarYear.fromYear(lyear).getLeapMonth()
        leap_too = leap_of[lyear] != month
        found.append((day, BirthdayKeys(tuple(solar), keys, keys if leap_too else ())))
    return found


def _is_leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def birthday_in_year(birthday: str, lunar: bool, leap: bool, year: int) -> date:
    """The Gregorian day of a birthday in a given (Gregorian) year.

    For lunar birthdays, the lunar year that starts in ``year`` is used (so 腊月 dates may
    fall in January/February of ``year + 1``); 30ths and leap months as in birthday_keys.
    """
    month, day = int(birthday[-5:-3]), int(birthday[-2:])
    if not lunar:
        if month == 2 and day == 29 and not _is_leap_year(year):
            return date(year, 2, 28)
        return date(year, month, day)
    from lunar_python import Lunar, LunarMonth, LunarYear

    lunar_month = -month if leap and LunarYear.fromYear(year).getLeapMonth() == month else month
    last = LunarMonth.fromYm(year, lunar_month).getDayCount()
    return _solar(Lunar.fromYmd(year, lunar_month, min(day, last)).getSolar())
