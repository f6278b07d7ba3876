"""Normalized forms stored beside what the user typed: name keys, pinyin, phone, email."""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from contextlib import suppress
from functools import cache
from pathlib import Path

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
    pypinyin(phrases=needs_phrases(folded))
    from pypinyin import Style, lazy_pinyin

    syllables = [s.strip() for s in lazy_pinyin(folded, style=Style.NORMAL) if s.strip()]
    sort_key = " ".join(syllables)
    initials = "".join(s[0] for s in syllables if s[0].isalnum())
    joined = "".join("".join(s.split()) for s in syllables)
    return sort_key, f"{joined}|{initials}"


_phrases_loaded = False


def pypinyin(*, phrases: bool) -> None:
    """Import pypinyin, with its phrase dictionary only when asked (or asked before).

    The phrase dictionary takes longer to load than the rest of ``crm customer add``
    (a sixth of a second of JSON), and a name reads the same without it unless one of
    its characters is one a phrase reads otherwise than pypinyin's first reading of it
    without tones (行 in 银行, 重 in 重庆: ``needs_phrases``). So 上海科技有限公司 does
    not load it; 重庆银行, and every import, do.
    """
    global _phrases_loaded
    if "pypinyin.constants" not in sys.modules:
        # pypinyin reads PYPINYIN_NO_PHRASES once, when its constants are first imported.
        before = os.environ.get("PYPINYIN_NO_PHRASES")
        os.environ["PYPINYIN_NO_PHRASES"] = "1"
        try:
            import pypinyin.constants  # noqa: F401
        finally:
            if before is None:
                del os.environ["PYPINYIN_NO_PHRASES"]
            else:
                os.environ["PYPINYIN_NO_PHRASES"] = before
    if phrases and not _phrases_loaded:
        from pypinyin import load_phrases_dict
        from pypinyin.constants import PHRASES_DICT

        if not PHRASES_DICT:  # pypinyin imported elsewhere has them already
            from pypinyin.phrases_dict import phrases_dict

            load_phrases_dict(phrases_dict)  # also retrains the segmenter on them
        _phrases_loaded = True
        _remember_phrase_chars()


def needs_phrases(text: str) -> bool:
    """Whether a phrase could change ``text``'s syllables: it has a character some phrase
    reads otherwise, or those characters are not known yet for this pypinyin."""
    if _phrases_loaded:
        return True
    chars = _phrase_chars()
    return chars is None or any(c in chars for c in text)


def _phrase_chars_path() -> Path:
    """Where the characters ``needs_phrases`` looks for are kept, one file per version of
    pypinyin (they are worked out from its dictionaries the first time it loads them)."""
    from crmcli.config import cache_dir

    pypinyin(phrases=False)
    from pypinyin import __version__

    return cache_dir() / f"pypinyin-{__version__}-phrase-chars.txt"


_known_chars: dict[Path, frozenset[str]] = {}


def _phrase_chars() -> frozenset[str] | None:
    path = _phrase_chars_path()
    if path not in _known_chars:
        try:
            with open(path, encoding="utf-8") as f:
                _known_chars[path] = frozenset(f.read())
        except OSError:
            return None
    return _known_chars[path]


def phrase_chars() -> frozenset[str]:
    """The characters some phrase reads otherwise than the first reading pypinyin gives
    them on their own, both without tones: the only ones a phrase can change."""
    pypinyin(phrases=True)
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT
    from pypinyin.contrib.tone_convert import to_normal

    plain = cache(to_normal)  # a few thousand readings, each met many times
    first: dict[str, str] = {}
    chars = set()
    for phrase, readings in PHRASES_DICT.items():
        for char, reading in zip(phrase, readings, strict=False):
            if char not in first:
                own = PINYIN_DICT.get(ord(char))
                first[char] = plain(own.split(",")[0]) if own else ""
            if plain(reading[0]) != first[char]:
                chars.add(char)
    return frozenset(chars)


def _remember_phrase_chars() -> None:
    """Written once per pypinyin version (under a temporary name, then renamed); a cache
    that cannot be written only means the phrases are loaded for every Chinese name."""
    from crmcli.config import make_private_dir
    from crmcli.io.files import replacing

    path = _phrase_chars_path()
    if path.exists():
        return
    with suppress(OSError, InvalidInput):
        make_private_dir(path.parent)
        with replacing(str(path), str(path), binary=False) as out:
            out.write("".join(sorted(phrase_chars())))


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
