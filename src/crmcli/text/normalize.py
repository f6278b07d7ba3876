"""Normalized forms stored beside what the user typed: name keys, pinyin, phone, email."""

from __future__ import annotations

import re
import unicodedata

from crmcli.errors import InvalidInput
from crmcli.i18n import _

_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x)\s*(\d{1,6})\s*$", re.IGNORECASE)
_TRAILING_EXT = re.compile(r"^(.*\d)\s*-\s*(\d{1,5})$")


def _nfkc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


# ``str.split()`` splits on the characters ``\s`` matches (``str.isspace``), runs and
# ends included: the same result as substituting ``\s+`` and stripping, at a fraction.


def name_key(name: str) -> str:
    """Full-width folded, case-folded, spaces removed: 华为 技术 == 华为技术, ＡＢＣ == abc."""
    return "".join(_nfkc(name).split()).casefold()


def clean_text(text: str) -> str:
    return " ".join(_nfkc(text).split())


def pinyin_keys(name: str) -> tuple[str, str]:
    """(sort key, search key): syllables with spaces for ordering; joined and initials for search."""
    folded = unicodedata.normalize("NFKC", name).lower()
    if folded.isascii():
        # pypinyin gives text without Chinese characters back whole: an English name
        # needs none of its dictionaries (a third of a second to load).
        piece = folded.strip()
        sort_key, joined, initials = piece_keys(piece) if piece else ("", "", "")
        return sort_key, f"{joined}|{initials}"
    from pypinyin import Style, lazy_pinyin

    syllables = [s.strip() for s in lazy_pinyin(folded, style=Style.NORMAL) if s.strip()]
    sort_key = " ".join(syllables)
    initials = "".join(s[0] for s in syllables if s[0].isalnum())
    joined = "".join("".join(s.split()) for s in syllables)
    return sort_key, f"{joined}|{initials}"


def piece_keys(piece: str) -> tuple[str, str, str]:
    """The sort key, joined syllables and initials of a stripped, non-empty piece that
    pypinyin gives back whole, as one syllable (text without Chinese characters)."""
    first = piece[0]
    return piece, "".join(piece.split()), first if first.isalnum() else ""


def phone_e164(text: str, region: str = "CN") -> str:
    """E.164, with ``;ext=NNN`` for an extension (转/分机/trailing -NNNN)."""
    import phonenumbers

    raw = unicodedata.normalize("NFKC", text).strip()
    extension = None
    m = _EXTENSION.search(raw)
    if m:
        extension, raw = m.group(1), raw[: m.start()]
    candidates = [(raw, extension)]
    m = _TRAILING_EXT.match(raw)
    if m and not extension:
        candidates.append((m.group(1), m.group(2)))
    for number_text, ext in candidates:
        try:
            number = phonenumbers.parse(number_text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return f"{e164};ext={ext}" if ext else e164
    raise InvalidInput(_("invalid phone number {text!r}").format(text=text))


_STORED_CN = re.compile(r"\+86[1-9]\d{6,11}")


def phone_display(stored: str | None) -> str:
    """National format for Chinese numbers, international for others."""
    if not stored:
        return ""
    import phonenumbers

    number_text, _, ext = stored.partition(";ext=")
    if _STORED_CN.fullmatch(number_text):
        # As stored (E.164 of a Chinese number): no need to parse it again, which is
        # half the cost of an export's phone column.
        number = phonenumbers.PhoneNumber(country_code=86, national_number=int(number_text[3:]))
    else:
        try:
            number = phonenumbers.parse(number_text, "CN")
        except phonenumbers.NumberParseException:
            return stored
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 86
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    shown = phonenumbers.format_number(number, style)
    return f"{shown} 转 {ext}" if ext else shown


def email_normalized(text: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidInput(
            _("invalid email address {strip!r}").format(strip=text.strip())
        ) from None
