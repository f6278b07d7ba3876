"""The greeting calendar (SPEC §2 Greetings): exact days of holidays, solar terms and
birthdays, solar and lunar, pinned against the published Chinese calendar."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from crmcli.errors import InvalidInput
from crmcli.services import calendar
from crmcli.services.calendar import birthday_in_year, birthday_keys


def test_statutory_holidays_of_2026():
    assert calendar.holidays(2026) == {
        "元旦": date(2026, 1, 1),
        "春节": date(2026, 2, 17),
        "清明": date(2026, 4, 5),
        "劳动节": date(2026, 5, 1),
        "端午": date(2026, 6, 19),
        "中秋": date(2026, 9, 25),
        "国庆": date(2026, 10, 1),
    }


@pytest.mark.parametrize(
    ("name", "year", "expected"),
    [
        ("春节", 2027, date(2027, 2, 6)),
        ("中秋", 2027, date(2027, 9, 15)),
        ("端午", 2027, date(2027, 6, 9)),
        ("春节", 2024, date(2024, 2, 10)),
        ("中秋", 2024, date(2024, 9, 17)),
        ("春节", 2040, date(2040, 2, 12)),
        ("清明", 2040, date(2040, 4, 4)),
    ],
)
def test_lunar_and_term_holidays_in_other_years(name, year, expected):
    assert calendar.holiday_date(name, year) == expected


def test_the_24_solar_terms_of_2026():
    terms = calendar.solar_terms(2026)
    assert {name: f"{day:%m-%d}" for name, day in terms.items()} == {
        "小寒": "01-05",
        "大寒": "01-20",
        "立春": "02-04",
        "雨水": "02-18",
        "惊蛰": "03-05",
        "春分": "03-20",
        "清明": "04-05",
        "谷雨": "04-20",
        "立夏": "05-05",
        "小满": "05-21",
        "芒种": "06-05",
        "夏至": "06-21",
        "小暑": "07-07",
        "大暑": "07-23",
        "立秋": "08-07",
        "处暑": "08-23",
        "白露": "09-07",
        "秋分": "09-23",
        "寒露": "10-08",
        "霜降": "10-23",
        "立冬": "11-07",
        "小雪": "11-22",
        "大雪": "12-07",
        "冬至": "12-22",
    }


def test_pinned_solar_terms_in_2027_and_2040():
    assert calendar.solar_terms(2027)["立春"] == date(2027, 2, 4)
    assert calendar.solar_terms(2027)["惊蛰"] == date(2027, 3, 6)
    assert calendar.solar_terms(2040)["冬至"] == date(2040, 12, 21)
    assert calendar.solar_terms(2040)["清明"] == date(2040, 4, 4)


@pytest.mark.parametrize("year", [1950, 1999, 2000, 2026, 2027, 2033, 2040, 2057, 2099])
def test_all_24_terms_exist_in_calendar_order_for_any_year(year):
    terms = calendar.solar_terms(year)
    assert tuple(terms) == calendar.SOLAR_TERMS  # each once, 小寒 first, 冬至 last
    days = list(terms.values())
    assert all(day.year == year for day in days)
    assert days == sorted(days) and len(set(days)) == 24
    # Terms are about half a month apart; none is skipped or doubled.
    gaps = [(b - a).days for a, b in pairwise(days)]
    assert all(13 <= gap <= 17 for gap in gaps), gaps


def test_occasions_on_a_day():
    qingming = calendar.occasions_on(
        date(2026, 4, 5),
        holiday_names=list(calendar.HOLIDAYS),
        kinds=["holiday", "solar_term"],
    )
    # 清明 is both a statutory holiday and a solar term: greeted once.
    assert qingming == [calendar.Occasion("清明", "holiday", date(2026, 4, 5))]
    lichun = calendar.occasions_on(
        date(2027, 2, 4), holiday_names=list(calendar.HOLIDAYS), kinds=["holiday", "solar_term"]
    )
    assert lichun == [calendar.Occasion("立春", "solar_term", date(2027, 2, 4))]
    assert (
        calendar.occasions_on(
            date(2026, 11, 10),
            holiday_names=list(calendar.HOLIDAYS),
            kinds=["holiday", "solar_term"],
        )
        == []
    )
    # Only the configured kinds count.
    assert calendar.occasions_on(date(2027, 2, 4), holiday_names=["春节"], kinds=["holiday"]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("春节", ("春节", "holiday")),
        ("spring-festival", ("春节", "holiday")),
        ("Mid Autumn", ("中秋", "holiday")),
        ("national_day", ("国庆", "holiday")),
        ("清明", ("清明", "holiday")),
        ("立春", ("立春", "solar_term")),
        ("冬至", ("冬至", "solar_term")),
        ("生日", ("生日", "birthday")),
        ("Birthday", ("生日", "birthday")),
    ],
)
def test_parse_occasion(text, expected):
    assert calendar.parse_occasion(text) == expected


@pytest.mark.parametrize("text", ["圣诞", "christmas", "", "立春节"])
def test_unknown_occasions_are_refused(text):
    with pytest.raises(InvalidInput, match="unknown occasion"):
        calendar.parse_occasion(text)


# -- birthdays -------------------------------------------------------------------------


def test_solar_birthdays():
    assert birthday_keys(date(2026, 3, 8)).solar == ("03-08",)
    assert birthday_in_year("1985-03-08", False, False, 2026) == date(2026, 3, 8)
    assert birthday_in_year("03-08", False, False, 2031) == date(2031, 3, 8)


def test_feb_29_birthdays_fall_on_feb_28_in_common_years():
    assert birthday_keys(date(2027, 2, 28)).solar == ("02-28", "02-29")
    assert birthday_keys(date(2100, 2, 28)).solar == ("02-28", "02-29")  # 2100: no 29th
    assert birthday_keys(date(2028, 2, 28)).solar == ("02-28",)
    assert birthday_keys(date(2028, 2, 29)).solar == ("02-29",)
    assert birthday_keys(date(2000, 2, 28)).solar == ("02-28",)  # 2000 is a leap year
    assert birthday_keys(date(2027, 3, 1)).solar == ("03-01",)
    assert birthday_in_year("1992-02-29", False, False, 2027) == date(2027, 2, 28)
    assert birthday_in_year("1992-02-29", False, False, 2028) == date(2028, 2, 29)
    assert birthday_in_year("02-29", False, False, 2100) == date(2100, 2, 28)


def test_lunar_birthdays_move_with_the_lunar_calendar():
    # 农历八月十五 (中秋): 2026-09-25, 2027-09-15.
    assert birthday_in_year("1979-08-15", True, False, 2026) == date(2026, 9, 25)
    assert birthday_in_year("08-15", True, False, 2027) == date(2027, 9, 15)
    keys = birthday_keys(date(2026, 9, 25))
    assert keys.solar == ("09-25",)
    assert "08-15" in keys.lunar
    assert "08-15" in keys.lunar_leap  # 2026 has no leap month: leap-8 births fall here too
    assert "08-15" not in birthday_keys(date(2026, 8, 15)).lunar


def test_la_yue_30th_in_a_29_day_month_falls_on_its_last_day():
    # Lunar 2025's 12th month has 29 days: 腊月廿九 = 2026-02-16, the eve of 春节 2026-02-17.
    keys = birthday_keys(date(2026, 2, 16))
    assert set(keys.lunar) == {"12-29", "12-30"}
    assert "12-30" not in birthday_keys(date(2026, 2, 15)).lunar
    assert "12-30" not in birthday_keys(date(2026, 2, 17)).lunar  # 正月初一
    assert birthday_keys(date(2026, 2, 17)).lunar == ("01-01",)
    assert birthday_in_year("1990-12-30", True, False, 2025) == date(2026, 2, 16)
    assert birthday_in_year("12-29", True, False, 2025) == date(2026, 2, 16)
    # Lunar 2023's 12th month has 30 days: 腊月三十 = 2024-02-09, its own day.
    assert birthday_in_year("12-30", True, False, 2023) == date(2024, 2, 9)
    assert birthday_keys(date(2024, 2, 9)).lunar == ("12-30",)
    assert birthday_keys(date(2024, 2, 8)).lunar == ("12-29",)


def test_leap_month_birthday_falls_in_the_regular_month_without_a_leap_month():
    # Born 1987 闰六月初十. 2025 has a leap 6th month, 2026 has none.
    assert birthday_in_year("1987-06-10", True, True, 2025) == date(2025, 8, 3)  # 闰六月初十
    assert birthday_in_year("1987-06-10", True, True, 2026) == date(2026, 7, 23)  # 六月初十
    leap_day = birthday_keys(date(2025, 8, 3))
    assert leap_day.lunar == () and leap_day.lunar_leap == ("06-10",)
    regular_day = birthday_keys(date(2025, 7, 4))  # 2025 六月初十 (regular)
    assert regular_day.lunar == ("06-10",) and regular_day.lunar_leap == ()
    no_leap_year = birthday_keys(date(2026, 7, 23))
    assert no_leap_year.lunar == ("06-10",) and no_leap_year.lunar_leap == ("06-10",)
    # A regular-month birthday stays in the regular month of a leap year.
    assert birthday_in_year("06-10", True, False, 2025) == date(2025, 7, 4)


def test_leap_month_30th_in_a_29_day_leap_month():
    # 2025's leap 6th month has 29 days: 闰六月三十 falls on 闰六月廿九 (2025-08-22).
    assert birthday_in_year("06-30", True, True, 2025) == date(2025, 8, 22)
    keys = birthday_keys(date(2025, 8, 22))
    assert keys.lunar == () and set(keys.lunar_leap) == {"06-29", "06-30"}


@pytest.mark.parametrize("year", [1984, 2026, 2033])
def test_solar_terms_agree_with_the_library_day_by_day(year):
    """The year's table names every term the library gives for a day of that year."""
    from lunar_python import Solar

    day, found = date(year, 1, 1), {}
    while day.year == year:
        name = Solar.fromYmd(day.year, day.month, day.day).getLunar().getJieQi()
        if name:
            found[name] = day
        day += timedelta(days=1)
    assert calendar.solar_terms(year) == found


@pytest.mark.parametrize("year", [1901, 1984, 2023, 2025, 2026, 2033, 2057, 2099])
def test_lunar_festivals_agree_with_the_library_in_years_with_and_without_a_leap_month(year):
    """春节, 端午 and 中秋 are the first, fifth and fifteenth of their lunar months, as the
    library's own lunar date says (2023, 2025, 2033 and 2057 have leap months)."""
    from lunar_python import Solar

    for name, (lunar_month, lunar_day) in {"春节": (1, 1), "端午": (5, 5), "中秋": (8, 15)}.items():
        day = calendar.holiday_date(name, year)
        lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
        assert (lunar.getYear(), lunar.getMonth(), lunar.getDay()) == (
            year,
            lunar_month,
            lunar_day,
        )


@pytest.mark.parametrize("year", [1984, 2023, 2025, 2026])
def test_birthday_keys_of_a_period_agree_with_the_librarys_lunar_date_day_by_day(year):
    """The keys of a whole year, found in one pass over its lunar months, name each day's
    own lunar month-day as the library converts it (1984, 2023 and 2025 have leap months;
    a leap month's days are keys of leap-month birthdays only)."""
    from lunar_python import Solar

    found = calendar.birthday_keys_between(date(year, 1, 1), date(year, 12, 31))
    assert [day for day, _ in found] == [
        date(year, 1, 1) + timedelta(days=i) for i in range(len(found))
    ]
    assert found[-1][0] == date(year, 12, 31)
    leap_days = 0
    for day, keys in found:
        lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
        own = f"{abs(lunar.getMonth()):02d}-{lunar.getDay():02d}"
        assert keys.solar[0] == f"{day:%m-%d}"
        if lunar.getMonth() < 0:
            leap_days += 1
            assert keys.lunar == () and own in keys.lunar_leap
        else:
            assert own in keys.lunar
    assert (leap_days == 0) == (year == 2026)
