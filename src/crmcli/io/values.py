"""Cell values: how a spreadsheet cell becomes a stored value and back.

The validating parsers live in ``services.fields`` (names, enumerations, phone, email);
this module adds what only files need: spreadsheet dates and Excel serial numbers (with
their day/month order decided once per column), amounts, multi-line text, formula
escaping, and cheap caches in front of the slow validators (phonenumbers and
email-validator cost ~100 µs a value) that return exactly what the validators return.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from crmcli.dates import check_range
from crmcli.errors import InvalidInput
from crmcli.i18n import N_, _
from crmcli.text import money, normalize
from crmcli.text.bounds import MAX_AMOUNT_CENTS

# Cells a spreadsheet would run as a formula (SPEC §4). A leading quote is escaped too, so
# that a value which really starts with a quote survives export and re-import.
FORMULA_START = ("=", "+", "-", "@")
_ESCAPED_START = (*FORMULA_START, "'")


def escape_formula(text: str) -> str:
    if text.startswith(FORMULA_START) or (
        len(text) > 1 and text[0] == "'" and text[1] in _ESCAPED_START
    ):
        return "'" + text
    return text


def unescape_formula(text: str) -> str:
    if len(text) > 1 and text[0] == "'" and text[1] in _ESCAPED_START:
        return text[1:]
    return text


def nfkc(text: str) -> str:
    """Full-width digits and brackets, no-break spaces → their plain forms."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


# --- text -------------------------------------------------------------------------------


def plain_text(text: str) -> str | None:
    """Kept as typed (summaries, products): only the ends are trimmed, as the services do."""
    return text.strip() or None


# A number a spreadsheet or a data tool wrote as a float: 17850.0 (pandas writes an id
# column with a missing value as floats). As a code it is the whole number.
_FLOAT_CODE = re.compile(r"([0-9]+)\.0+")


def code_text(text: str) -> str:
    """A code as the file gives it, but ``17850.0`` → ``17850``."""
    m = _FLOAT_CODE.fullmatch(text.strip())
    return m[1] if m else text


def multiline_text(text: str) -> str | None:
    """Notes: each line cleaned like a name (NFKC, spaces folded), line breaks kept."""
    lines = [normalize.clean_text(line) for line in text.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) or None


# --- phone and email, with caches that agree with services.normalize --------------------

_PHONE_CACHE: dict[str, str] = {}
_CN_VALID: dict[int, Callable[[str], Any]] | None = None


def _cn_valid() -> dict[int, Callable[[str], Any]]:
    """Length of a Chinese national number → a test whether it is a valid mobile or
    fixed-line number, by the patterns and lengths of the phonenumbers metadata (read
    from the library, not copied), as ``is_valid_number`` decides it for those two types:
    the general pattern and one of the two type patterns must match, each where its
    lengths allow. One regular expression a length does all of it."""
    global _CN_VALID
    if _CN_VALID is None:
        import phonenumbers

        meta = phonenumbers.PhoneMetadata.metadata_for_region("CN")
        assert meta is not None
        general: Any = meta.general_desc
        kinds: tuple[Any, ...] = (meta.mobile, meta.fixed_line)
        tests: dict[int, Callable[[str], Any]] = {}
        # A description without lengths allows any; then every number takes the long way.
        if all(desc is not None and desc.possible_length for desc in (general, *kinds)):
            whole = f"(?=(?:{general.national_number_pattern})\\Z)"
            for length in general.possible_length:
                allowed = [
                    f"(?:{desc.national_number_pattern})"
                    for desc in kinds
                    if length in desc.possible_length
                ]
                if allowed:
                    tests[length] = re.compile(f"{whole}(?:{'|'.join(allowed)})").fullmatch
        _CN_VALID = tests
    return _CN_VALID


# A mobile number as dialled at home or with +86; a landline with its trunk 0 or with +86.
_CN_SHAPE = re.compile(r"(?:\+86)?(1[0-9]{10})|(?:\+86|0)([1-9][0-9]{8,10})")
_PUNCTUATION = str.maketrans("", "", " -()")


def phone(text: str) -> str:
    """E.164 as ``normalize.phone_e164`` gives it; common Chinese numbers skip the parser.

    Anything but a plain mobile or landline number (extensions, other countries, carrier
    prefixes) goes through ``phone_e164`` itself; the property tests hold both equal.
    """
    raw = text.replace(";ext=", " ext ") if ";ext=" in text else text
    m = _CN_SHAPE.fullmatch(nfkc(raw).translate(_PUNCTUATION))
    if m is not None:
        national = m.group(1) or m.group(2)
        valid = _cn_valid().get(len(national))
        if valid is not None and valid(national):
            return "+86" + national
    value = _PHONE_CACHE.get(text)
    if value is None:
        value = normalize.phone_e164(raw)
        if len(_PHONE_CACHE) > 20_000:
            _PHONE_CACHE.clear()
        _PHONE_CACHE[text] = value
    return value


def phones(texts: list[str]) -> list[str | None]:
    """``phone`` over a column of stripped texts (None for an empty one); raises as
    ``phone`` does for the first refused one.

    The punctuation is taken out of the whole column in one ``translate``, and a plain
    Chinese number is checked without a call per cell; anything else goes to ``phone``.
    """
    joined = "\n".join(texts)
    cleaned = joined.translate(_PUNCTUATION).split("\n")
    if not joined.isascii() or ";ext=" in joined or len(cleaned) != len(texts):
        return [phone(text) if text else None for text in texts]
    shape, tests = _CN_SHAPE.fullmatch, _cn_valid()
    found: list[str | None] = []
    for text, digits in zip(texts, cleaned, strict=True):
        if not text:
            found.append(None)
            continue
        m = shape(digits)
        if m is not None:
            national = m[1] or m[2]
            valid = tests.get(len(national))
            if valid is not None and valid(national):
                found.append("+86" + national)
                continue
        found.append(phone(text))
    return found


_LOCAL_PART = re.compile(r"[a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~]+(?:\.[a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~]+)*")
_DOMAINS: dict[str, str | InvalidInput] = {}


def email(text: str) -> str:
    """``normalize.email_normalized``, checking each domain once per import.

    email-validator normalizes only the domain of a plain ASCII address; the local part
    is checked against the RFC 5322 dot-atom here and everything unusual goes through
    the validator itself.
    """
    value = nfkc(text).strip()
    local, at, domain = value.rpartition("@")
    if at and 0 < len(local) <= 64 and len(value) <= 254 and _LOCAL_PART.fullmatch(local):
        known = _DOMAINS.get(domain)
        if known is None:
            try:
                known = normalize.email_normalized(f"x@{domain}").partition("@")[2]
            except InvalidInput as exc:
                known = exc
            if len(_DOMAINS) > 10_000:
                _DOMAINS.clear()
            _DOMAINS[domain] = known
        if isinstance(known, str):
            return f"{local}@{known}"
    return normalize.email_normalized(value)


# --- pinyin keys, with each run of Chinese characters converted once ------------------

_PINYIN: Any = None
_RUN_CACHE_SIZE = 50_000
_WORD_CACHE_SIZE = 100_000


def _pinyin() -> Any:
    """The syllables ``lazy_pinyin(text)`` gives, stripped, without the empty ones; each
    run of Chinese characters is segmented and converted once.

    pypinyin splits a text into runs of characters that have pinyin and runs that have
    none; the latter come back unchanged, each run of the former is cut into words by
    forward maximum matching (``mmseg``) and converted word by word. Neither step looks
    past its run, so caching a run's syllables gives exactly pypinyin's result. Forward
    matching takes the longest phrase at the start of a run and then cuts the rest on
    its own, so the rest's keys are cached too: company names, which share most of
    their ends (王伟科技有限公司), mostly cost one match and one lookup.
    """
    global _PINYIN
    if _PINYIN is None:
        from itertools import chain

        normalize.pypinyin(phrases=True)  # an import's names: most need them
        from pypinyin import Style
        from pypinyin.constants import PHRASES_DICT, RE_HANS
        from pypinyin.converter import DefaultConverter
        from pypinyin.seg import mmseg

        convert = DefaultConverter().convert
        # What ``mmseg.seg.cut`` consults: every start of a phrase, and the phrases.
        starts = mmseg.seg._prefix_set._set if PHRASES_DICT else set()
        # RE_HANS is ``^(?:[…])+$``: the same class, as runs to split on.
        pattern = RE_HANS.pattern
        assert pattern.startswith("^(?:[") and pattern.endswith("])+$"), pattern
        split = re.compile(f"({pattern[4:-3]}+)").split
        runs: dict[str, _Keys] = {}
        words: dict[str, _Keys] = {}

        def word_keys(word: str) -> _Keys:
            hit = words.get(word)
            if hit is None:
                converted = chain(*convert(word, Style.NORMAL, False, "default", strict=True))
                found = [s.strip() for s in converted if s.strip()]
                hit = _piece_keys(" ".join(found), [s[0] for s in found])
                if len(words) >= _WORD_CACHE_SIZE:
                    words.clear()
                words[word] = hit
            return hit

        def cut_start(run: str) -> tuple[list[str], str]:
            """The words ``mmseg.seg.cut(run)`` begins with, and the rest it goes on to
            cut as a run of its own."""
            if not PHRASES_DICT:
                return [run], ""
            longest = 0
            for end in range(1, len(run) + 1):
                word = run[:end]
                if word not in starts:
                    break
                if word in PHRASES_DICT:
                    longest = end
            else:
                if not longest:
                    # Every start of the run begins a phrase, none is one: mmseg gives
                    # the whole run character by character.
                    return list(run), ""
            if longest:
                return [run[:longest]], run[longest:]
            return [run[0]], run[1:]

        def run_keys(run: str) -> _Keys:
            heads: list[tuple[str, _Keys]] = []
            rest = run
            tail = _NO_KEYS
            while rest:
                hit = runs.get(rest)
                if hit is not None:
                    tail = hit
                    break
                cut, after = cut_start(rest)
                head = _NO_KEYS
                for word in cut:
                    head = _concat(head, word_keys(word))
                heads.append((rest, head))
                rest = after
            if len(runs) + len(heads) > _RUN_CACHE_SIZE:
                runs.clear()
            for suffix, head in reversed(heads):
                tail = _concat(head, tail)
                runs[suffix] = tail
            return tail

        def keys(text: str) -> _Keys:
            sort: list[str] = []
            joined: list[str] = []
            initials: list[str] = []
            for i, part in enumerate(split(text)):
                if i % 2:
                    hit = runs.get(part) or run_keys(part)
                else:
                    # Characters without pinyin come back as they are, one piece a run.
                    part = part.strip()
                    if not part:
                        continue
                    hit = normalize.piece_keys(part)
                if hit[0]:
                    sort.append(hit[0])
                    joined.append(hit[1])
                    initials.append(hit[2])
            return " ".join(sort), "".join(joined), "".join(initials)

        _PINYIN = keys
    return _PINYIN


_Keys = tuple[str, str, str]


def _piece_keys(sort: str, firsts: list[str]) -> _Keys:
    """(syllables with spaces, joined without spaces, initials) of some syllables, given
    as their sort key and their first characters."""
    return sort, "".join(sort.split()), "".join(c for c in firsts if c.isalnum())


_NO_KEYS: _Keys = ("", "", "")


def _concat(first: _Keys, then: _Keys) -> _Keys:
    """The keys of two pieces' syllables one after the other."""
    if not then[0]:
        return first
    if not first[0]:
        return then
    return f"{first[0]} {then[0]}", first[1] + then[1], first[2] + then[2]


def pinyin_keys(name: str) -> tuple[str, str]:
    """``normalize.pinyin_keys`` through the run cache (tests hold them equal)."""
    folded = unicodedata.normalize("NFKC", name).lower()
    if folded.isascii():
        return normalize.pinyin_keys(folded)  # no Chinese: no pypinyin, nothing to cache
    sort, joined, initials = _pinyin()(folded)
    return sort, f"{joined}|{initials}"


# --- dates, times, amounts ------------------------------------------------------------

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01, after Excel's 1900 leap-day bug
_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
# Day and month in some order, then the year: 4/15/2017, 15.04.2017, 11-08-16. The
# separator and the year's width make a value's form; each form's order is decided
# apart in a column (a system that writes 11-08-16 may not be the one that wrote 4/15/2017).
_DMY = re.compile(r"(\d{1,2})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})(?!\d)")
_SERIAL = re.compile(r"(\d{5})(?:\.(\d+))?")
# A time after the date: 24-hour, or 12-hour as Excel and WPS show it, with 上午/下午
# before it (下午 2:30) or AM/PM after it (2:30 PM).
_TIME = re.compile(
    r"(?:\s+|T|\s*日\s*)?(?:(上午|下午)\s*)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
    r"(?:\s*([AaPp])\.?[Mm]\.?)?"
)
_AFTERNOON = ("下午", "P", "p")
DATE_HINT = "use 2026-11-22, 2026/11/22, 11/22/2026, 2026年11月22日 or an Excel date number"

# How a date with the year last may be read: 15/4/2017 only day first, 4/15/2017 only
# month first, 4/5/2017 either way (5/5/2017 reads the same both ways: it is none of these).
DAY_FIRST, MONTH_FIRST, EITHER = "day first", "month first", "either"
# Excel's US dates: a column of slash dates with a four-digit year, none of which tells
# the order, is month first. Every other form must show its order somewhere in the column.
US_FORM = "/4"
MIXED_ORDER = (
    "date {text!r}: this column has both day-first ({day!r}) and month-first ({month!r}) "
    "dates; write them as YYYY-MM-DD"
)
AMBIGUOUS = N_(
    "date {text!r} may be {month_first} or {day_first}, and no other date of its form in "
    "this column tells which; write it as YYYY-MM-DD"
)
# Two-digit years as POSIX strptime's %y reads them: 69–99 are 1969–1999, 00–68 2000–2068.
_CENTURY_PIVOT = 69

_Form = str  # the separator and the year's width: "/4" for 4/15/2017, "-2" for 11-08-16
_Fields = tuple[int, int, int, time | None, str | None, _Form | None]


def _clock(rest: str, what: str, text: str) -> time | None:
    """The time of day after a date; None when ``rest`` is not one."""
    t = _TIME.fullmatch(rest)
    if not t or (t.group(1) and t.group(6)):
        return None
    hour, minute = int(t.group(2)), int(t.group(3))
    half = t.group(1) or t.group(6)
    if half:
        if not 1 <= hour <= 12:
            raise InvalidInput(_("no such time in {what} {text!r}").format(what=what, text=text))
        hour = hour % 12 + (12 if half in _AFTERNOON else 0)
    second = int(t.group(4) or 0)
    micro = int((t.group(5) or "0").ljust(6, "0"))
    try:
        return time(hour, minute, second, micro)
    except ValueError:
        raise InvalidInput(
            _("no such time in {what} {text!r}").format(what=what, text=text)
        ) from None


def _fields(raw: str, what: str, text: str, order: str | None) -> _Fields | None:
    """Year, month and day as the cell gives them (not yet checked to exist), its time of
    day, and for a date with the year last how it may be read and its form; None when the
    cell is in no date form. ``order`` DAY_FIRST reads a date that may go either way day
    first, MONTH_FIRST month first; None reads it as its form's default (month first)."""
    m = _SERIAL.fullmatch(raw)
    if m:
        serial = Decimal(raw)
        day = _EXCEL_EPOCH + timedelta(days=int(serial))
        seconds = round((serial - int(serial)) * 86400)
        clock = (datetime.min + timedelta(seconds=min(seconds, 86399))).time() if seconds else None
        return day.year, day.month, day.day, clock, None, None
    for pattern in (_YMD, _DMY):
        m = pattern.match(raw)
        if not m:
            continue
        kind = form = None
        if pattern is _YMD:
            year, month, day_ = (int(g) for g in m.groups())
        else:
            a, sep, b, y = m.groups()
            first, second = int(a), int(b)
            form = f"{sep}{len(y)}"
            year = int(y)
            if len(y) == 2:
                year += 1900 if year >= _CENTURY_PIVOT else 2000
            if first > 12 >= second:
                kind = DAY_FIRST
            elif second > 12 >= first:
                kind = MONTH_FIRST
            elif first <= 12 and second <= 12 and first != second:
                kind = EITHER
            if kind == DAY_FIRST or (kind == EITHER and order == DAY_FIRST):
                month, day_ = second, first
            else:  # 4/15/2017: Excel's US month/day/year
                month, day_ = first, second
        rest = raw[m.end() :]
        clock = None
        if rest.strip():
            clock = _clock(rest, what, text)
            if clock is None:
                return None
        return year, month, day_, clock, kind, form
    return None


def clock_of(text: str, what: str = "time") -> time | None:
    """A time of day alone, in any form a date cell's time is read in (14:30, 2:30 PM,
    下午 2:30); None when the text is not one."""
    return _clock(nfkc(text).strip(), what, text)


def date_fields(text: str, what: str = "date") -> tuple[int, int, int, time | None] | None:
    """The year, month and day a text gives in any form a date cell is read in, and its time
    of day; the day is not checked to exist (a lunar 2-30 does). None when the text is in
    none of those forms."""
    found = _fields(nfkc(text).strip(), what, text, None)
    return None if found is None else found[:4]


def _split_date(
    text: str, what: str, order: str | None = None
) -> tuple[date, time | None, str | None, _Form | None]:
    found = _fields(nfkc(text).strip(), what, text, order)
    if found is None:
        raise InvalidInput(
            _("cannot read {what} {text!r}; {DATE_HINT}").format(
                what=what, text=text, DATE_HINT=DATE_HINT
            )
        )
    year, month, day_, clock, kind, form = found
    try:
        day = date(year, month, day_)
    except ValueError:
        raise InvalidInput(_("no such {what} {text!r}").format(what=what, text=text)) from None
    check_range(day, text, what=what)
    return day, clock, kind, form


def _ambiguous(text: str) -> str:
    month_first = _split_date(text, "date", MONTH_FIRST)[0]
    day_first = _split_date(text, "date", DAY_FIRST)[0]
    return _(AMBIGUOUS).format(text=text, month_first=month_first, day_first=day_first)


def _day(day: date, clock: time | None, text: str) -> date:
    """A day column's value: a date exported with its time of day (2011-10-17 12:25:00,
    as order systems write the moment of an order) gives its date."""
    return day


def _moment(day: date, clock: time | None, text: str) -> datetime:
    return datetime.combine(day, clock or time())


def _one(text: str) -> tuple[date, time | None]:
    """One cell read alone: a date whose form does not say its order is refused unless
    it is one of Excel's US dates."""
    day, clock, kind, form = _split_date(text, "date")
    if kind == EITHER and form != US_FORM:
        raise InvalidInput(_ambiguous(text))
    return day, clock


def parse_day(text: str) -> date:
    day, clock = _one(text)
    return _day(day, clock, text)


def parse_moment(text: str) -> datetime:
    day, clock = _one(text)
    return _moment(day, clock, text)


class ColumnRefused(InvalidInput):
    """Cells a column parser refused, with the values of the others (None where refused)
    and each refused cell's reason by position. Being an InvalidInput, a caller that knows
    nothing of it goes over the column again cell by cell."""

    def __init__(self, values: list[Any], refused: dict[int, str]) -> None:
        super().__init__(next(iter(refused.values())))
        self.values = values
        self.refused = refused


# What a column's dates of one form, all of them seen, make of those that may be read
# either way: read them day first, refuse every date of the form (both orders occur),
# refuse the undecided ones (nothing tells), or keep them month first (None).
MIXED, UNDECIDED = "mixed", "undecided"


def order_rule(form: _Form, kinds: set[str]) -> str | None:
    if DAY_FIRST in kinds and MONTH_FIRST in kinds:
        return MIXED
    if DAY_FIRST in kinds:
        return DAY_FIRST if EITHER in kinds else None
    if MONTH_FIRST not in kinds and EITHER in kinds and form != US_FORM:
        return UNDECIDED
    return None


def mixed_message(text: str, day_first: str, month_first: str) -> str:
    return MIXED_ORDER.format(text=text, day=day_first, month=month_first)


def undecided_message(text: str) -> str:
    return _ambiguous(text)


def reread(text: str, moment: bool) -> Any:
    """A date that may be read either way, read day first."""
    day, clock, _, _ = _split_date(text, "date", DAY_FIRST)
    return _moment(day, clock, text) if moment else _day(day, clock, text)


def read_date_column(
    texts: list[str], moment: bool
) -> tuple[list[Any], dict[int, str], list[tuple[int, _Form, str]]]:
    """Each text of a column read as a date (None for an empty one), those that may be
    read either way month first for now; returns the values, the refused cells' reasons
    by position, and (position, form, kind) of every date with the year last, for the
    caller to decide each form's order once it has seen the whole column (``order_rule``)."""
    finish = _moment if moment else _day
    values: list[Any] = [None] * len(texts)
    refused: dict[int, str] = {}
    cells: list[tuple[int, _Form, str]] = []
    for i, text in enumerate(texts):
        if not text:
            continue
        try:
            day, clock, kind, form = _split_date(text, "date")
            values[i] = finish(day, clock, text)
        except InvalidInput as exc:
            refused[i] = exc.message
            continue
        if kind is not None and form is not None:
            cells.append((i, form, kind))
    return values, refused, cells


def _date_column(texts: list[str], moment: bool) -> list[Any]:
    """Each text of a column read as a date (None for an empty one). The dates with the
    year last are read form by form (4/15/2017 and 11-08-16 are two forms), each form in
    one order for the whole column: day first when any of its dates can only be read day
    first (15/4/2017), month first when any can only be read month first; a form with both
    kinds refuses them all. A form none of whose dates tells is month first for Excel's
    US dates (4/5/2017) and refused otherwise: never guessed. Raises ColumnRefused for the
    refused cells."""
    values, refused, cells = read_date_column(texts, moment)
    forms: dict[_Form, dict[int, str]] = {}
    for i, form, kind in cells:
        forms.setdefault(form, {})[i] = kind
    for form, kinds_at in forms.items():
        rule = order_rule(form, set(kinds_at.values()))
        if rule == MIXED:
            day_first = next(texts[i] for i, k in kinds_at.items() if k == DAY_FIRST)
            month_first = next(texts[i] for i, k in kinds_at.items() if k == MONTH_FIRST)
            for i in kinds_at:
                values[i] = None
                refused[i] = mixed_message(texts[i], day_first, month_first)
        for i, kind in kinds_at.items():
            if kind != EITHER:
                continue
            if rule == DAY_FIRST:
                values[i] = reread(texts[i], moment)
            elif rule == UNDECIDED:
                values[i] = None
                refused[i] = undecided_message(texts[i])
    if refused:
        raise ColumnRefused(values, dict(sorted(refused.items())))
    return values


def parse_days(texts: list[str]) -> list[date | None]:
    """``parse_day`` over a column of stripped texts, deciding day/month order once."""
    return _date_column(texts, moment=False)


def parse_moments(texts: list[str]) -> list[datetime | None]:
    """``parse_moment`` over a column of stripped texts, deciding day/month order once."""
    return _date_column(texts, moment=True)


def parse_clock(text: str) -> str:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", nfkc(text).strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise InvalidInput(_("cannot read time {text!r}; use 14:30").format(text=text))
    return f"{int(m.group(1)):02d}:{m.group(2)}"


# An amount in yuan: a sign before or after the currency (-¥12, ¥-12), ¥/CNY/RMB/人民币
# before the number or 元/CNY/RMB after it, commas (or spaces) only between groups of three
# digits, a point for the decimals.
_AMOUNT = re.compile(
    r"([-+]?)\s*(?:¥|CNY|RMB|人民币)?\s*([-+]?)\s*"
    r"(\d+|\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+)(?:\.(\d+))?\s*(?:元|CNY|RMB)?",
    re.IGNORECASE,
)
_SEPARATORS = str.maketrans("", "", ", ")
TOO_LARGE = N_("amount {text!r} is more than {most}, the most one amount may be")
# Sale amounts are stored in millionths of the currency unit: order lines priced to the
# tenth of a cent (15.552) and their sums stay exact to the last digit of the source.
MICROS = 1_000_000
MICRO_PLACES = 6
_PLACES = {2: "two", MICRO_PLACES: "six"}


def amount_decimal(text: str) -> Decimal:
    """An amount cell as an exact signed number (zero allowed), as ``amount_cents`` reads
    it; ``text`` is named in each refusal."""
    cleaned = nfkc(text).strip()
    m = _AMOUNT.fullmatch(cleaned)
    if m is None or (m[1] and m[2]):
        if m is None and "," in cleaned and _AMOUNT.fullmatch(cleaned.translate(_SEPARATORS)):
            raise InvalidInput(
                _(
                    "cannot read amount {text!r}: use a point for decimals and commas only between thousands (1,234.50)"
                ).format(text=text)
            )
        raise InvalidInput(_("amount {text!r} is not a number").format(text=text))
    digits = m[3].translate(_SEPARATORS)
    # The length is measured before Decimal reads it: a column holds 64 bits, not 10,000
    # digits. The bound is in whole units (yuan), whatever the decimals.
    most = Decimal(MAX_AMOUNT_CENTS) / 100
    number = None
    if len(digits.lstrip("0")) <= len(str(MAX_AMOUNT_CENTS // 100)):
        number = Decimal(f"{digits}.{m[4] or '0'}")
    if number is None or number > most:
        raise InvalidInput(_(TOO_LARGE).format(text=text, most=money(MAX_AMOUNT_CENTS)))
    return -number if "-" in (m[1], m[2]) else number


def _units(number: Decimal, places: int, shown: str) -> int:
    """``number`` in units of 10**-places, refused when it has more decimals."""
    scaled = number.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise InvalidInput(
            _("amount {shown!r} has more than {PLACES} decimals").format(
                shown=shown, PLACES=_PLACES[places]
            )
        )
    return int(scaled)


def amount_cents(text: str, *, zero: bool = False) -> int:
    """An amount (¥1,280.50, ￥128,000, 1,234.50元, RMB 1,234.50) → cents, negative when it
    has a minus sign before or after the currency. ``text`` is named in each refusal.
    Zero is refused unless ``zero`` (a sale of nothing is a typo; a lost deal worth 0 is not)."""
    cents = _units(amount_decimal(text), 2, text)
    if cents == 0 and not zero:
        raise InvalidInput(_("amount must not be zero"))
    return cents


def amount_micros(text: str) -> int:
    """A sale amount, read as ``amount_cents`` reads one, → millionths (up to six decimals)."""
    micros = _units(amount_decimal(text), MICRO_PLACES, text)
    if micros == 0:
        raise InvalidInput(_("amount must not be zero"))
    return micros


def parse_project_cents(text: str) -> int:
    """A project's amount → cents: never negative; 0 is kept (a lost deal's value)."""
    cents = amount_cents(text, zero=True)
    if cents < 0:
        raise InvalidInput(_("project amount must not be negative, not {text!r}").format(text=text))
    return cents


def parse_micros(text: str) -> int:
    """An amount cell → millionths; a negative amount, its minus sign before or after the
    currency, is a refund (a file has no --refund to say so)."""
    return amount_micros(text)


# ``--amount "Quantity*UnitPrice"``: the cell this module is given for such a column is
# the two cells joined by PRODUCT_SEPARATOR.
PRODUCT_SEPARATOR = "\x00"  # no cell holds it, and str.strip() keeps it


def amount_product(text: str, *, zero: bool = False) -> int:
    """Two cells joined by PRODUCT_SEPARATOR (a quantity and a price, in either order) →
    their exact product in millionths. A negative quantity is a cancelled line: a refund.
    ``zero`` allows a product of 0 (an order line given away within an invoice)."""
    left, _sep, right = text.partition(PRODUCT_SEPARATOR)
    factors = []
    for cell in (left, right):
        if not cell.strip():
            raise InvalidInput(_("one of the two cells of the product is empty"))
        factors.append(amount_decimal(cell))
    product = factors[0] * factors[1]
    micros = _units(product, MICRO_PLACES, f"{left.strip()} × {right.strip()} = {product}")
    if micros == 0 and not zero:
        raise InvalidInput(_("amount must not be zero"))
    return micros


def parse_currency(text: str) -> str:
    code = nfkc(text).strip().upper()
    if code in ("¥", "RMB", "人民币", "元"):
        return "CNY"
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise InvalidInput(
            _("currency must be a three-letter code like CNY, not {text!r}").format(text=text)
        )
    return code


def parse_grade(text: str) -> str:
    grade = nfkc(text).strip().upper()
    if grade not in ("A", "B", "C"):
        raise InvalidInput(_("grade must be A, B or C, not {text!r}").format(text=text))
    return grade


def parse_value_level(text: str) -> str:
    folded = nfkc(text).strip().lower()
    from crmcli.enums import VALUE

    for level, names in VALUE.labels.items():
        if folded == level or folded in names:
            return level
    raise InvalidInput(_("value must be high, mid or low, not {text!r}").format(text=text))


# --- export formatting ------------------------------------------------------------------


def format_moment(value: datetime) -> str:
    if value.microsecond:
        return value.isoformat(sep=" ")
    return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")


def format_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def format_micros(micros: int) -> Decimal:
    """A stored sale amount as an exact number: two decimals at least (1234.50), more
    when it has them (15.552)."""
    value = Decimal(micros).scaleb(-MICRO_PLACES).normalize()
    exponent = value.as_tuple().exponent
    return value if isinstance(exponent, int) and exponent < -2 else value.quantize(_CENT)


_CENT = Decimal("0.01")


def mask_phone(stored: str) -> str:
    """138****5678: the first three and last four digits of the number as dialled."""
    digits = "".join(
        ch for ch in normalize.phone_display(stored).partition(" 转 ")[0] if ch.isdigit()
    )
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_email(stored: str) -> str:
    local, _, domain = stored.partition("@")
    return f"{local[:1]}***@{domain}"
