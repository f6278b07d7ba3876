"""How each user-facing customer/contact field is read from text and validated.

One table for the CLI options and (later) the importers, so a value is accepted or
refused the same way wherever it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time
from typing import Any

from crmcli import enums
from crmcli.errors import InvalidInput
from crmcli.i18n import _
from crmcli.io.values import date_fields, nfkc
from crmcli.text import normalize


def _text(value: str) -> str | None:
    cleaned = normalize.clean_text(value)
    return cleaned or None


def parse_score(text: str | int, label: str = "a score") -> int:
    """A survey score (seed 003 五): a whole number from 1 to 5."""
    raw = str(text).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 5:
        raise InvalidInput(
            _("{label} must be a whole number from 1 to 5, not {raw!r}").format(
                label=label, raw=raw
            )
        )
    return int(raw)


def _likelihood(value: str) -> int:
    text = value.strip().rstrip("%％")
    if not re.fullmatch(r"\d{1,3}", text) or int(text) > 100:
        raise InvalidInput(
            _("likelihood must be a whole percentage 0–100, not {value!r}").format(value=value)
        )
    return int(text)


def _bool(value: str) -> bool:
    folded = value.strip().lower()
    if folded in ("1", "true", "yes", "y", "是"):
        return True
    if folded in ("0", "false", "no", "n", "否", ""):
        return False
    raise InvalidInput(_("expected yes or no, not {value!r}").format(value=value))


def _tags(value: str) -> str | None:
    parts = [p.strip() for p in re.split(r"[,，;；]", value) if p.strip()]
    return ",".join(dict.fromkeys(parts)) or None


CUSTOMER_FIELDS: dict[str, Callable[[str], Any]] = {
    "name": _text,
    "code": _text,
    "kind": enums.KIND.parse,
    "contact_name": _text,
    "phone": normalize.phone_e164,
    "email": normalize.email_normalized,
    "address": _text,
    "region": _text,
    "industry": enums.INDUSTRY.parse,
    "scale": enums.SCALE.parse,
    "need": enums.NEED.parse,
    "needs_note": _text,
    "main_business": _text,
    "budget": _text,
    "source": enums.SOURCE.parse,
    "channel": enums.ACQUISITION.parse,
    "stage": enums.STAGE.parse,
    "tier": enums.TIER.parse,
    "potential": enums.POTENTIAL.parse,
    "likelihood": _likelihood,
    "cooperation_plan": _text,
    "owner": _text,
    "intake_by": _text,
    "project_lead": _text,
    "tags": _tags,
    "notes": _text,
    "tier_locked": _bool,
}

CONTACT_FIELDS: dict[str, Callable[[str], Any]] = {
    "name": _text,
    "title": _text,
    "phone": normalize.phone_e164,
    "email": normalize.email_normalized,
    "gender": enums.GENDER.parse,
    "notes": _text,
}


def parse_fields(
    spec: dict[str, Callable[[str], Any]], raw: dict[str, str | None]
) -> dict[str, Any]:
    """Parse the given (non-None) raw values; an empty string clears an optional field."""
    parsed: dict[str, Any] = {}
    for key, text in raw.items():
        if text is None:
            continue
        if text.strip() == "" and key not in ("name",):
            parsed[key] = None
            continue
        parsed[key] = spec[key](text)
    if "name" in parsed and not parsed["name"]:
        raise InvalidInput(_("name must not be empty"))
    return parsed


# A birthday without its year: 03-08, 3/8, 3.8, --03-08 (as vCard writes it), 3月8日.
_MONTH_DAY = re.compile(r"(?:--)?(\d{1,2})\s*[-/.]\s*(\d{1,2})|(\d{1,2})\s*月\s*(\d{1,2})\s*日?")


def parse_birthday(text: str, *, lunar: bool, leap: bool = False) -> str:
    """Normalize a birthday to "YYYY-MM-DD" or "MM-DD"; lunar dates are checked to exist.

    With a year it is read in every form a date cell of an import is (``values.date_fields``:
    2024/5/5, 4/15/2017, 1985年3月8日, Excel serial numbers, a midnight time after it);
    its numbers are a lunar date's when ``lunar``.
    """
    raw = nfkc(text).strip()
    m = _MONTH_DAY.fullmatch(raw)
    year: int | None = None
    if m:
        month, day = int(m[1] or m[3]), int(m[2] or m[4])
    else:
        found = date_fields(raw, "birthday")
        if found is None:
            raise InvalidInput(
                _("cannot read birthday {text!r}; use 1985-03-08 or 03-08").format(text=text)
            )
        year, month, day, clock = found
        if year == 0:
            raise InvalidInput(_("no such date {text!r}").format(text=text))
        if clock is not None and clock != time():
            raise InvalidInput(
                _("expected a birthday without a time, not {text!r}").format(text=text)
            )
    if leap and not lunar:
        raise InvalidInput(_("--leap applies to lunar (--lunar) birthdays only"))
    if lunar:
        if not (1 <= month <= 12 and 1 <= day <= 30):
            raise InvalidInput(
                _("no lunar date {text!r}: months are 1–12, days 1–30").format(text=text)
            )
        if year is not None:
            _check_lunar(year, month, day, leap, text)
    else:
        try:  # 2000 is a leap year: 02-29 stays valid
            date(2000 if year is None else year, month, day)
        except ValueError:
            raise InvalidInput(_("no such date {text!r}").format(text=text)) from None
    if year is None:
        return f"{month:02d}-{day:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _check_lunar(year: int, month: int, day: int, leap: bool, text: str) -> None:
    from lunar_python import LunarYear

    lunar_year = LunarYear.fromYear(year)
    target = lunar_year.getMonth(-month if leap else month) if leap else None
    if leap and target is None:
        raise InvalidInput(
            _("lunar year {year} has no leap month {month} ({text!r})").format(
                year=year, month=month, text=text
            )
        )
    lunar_month = target if leap else lunar_year.getMonth(month)
    if lunar_month is None or day > lunar_month.getDayCount():
        raise InvalidInput(
            _("lunar month {month} of {year} has no day {day} ({text!r})").format(
                month=month, year=year, day=day, text=text
            )
        )
