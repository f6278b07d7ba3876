"""Reading an address book (.vcf) as the rows of a contacts import.

A third reader beside ``csvfile`` and ``workbook``: each card becomes one row (its line
is the line its BEGIN:VCARD is on) under the contacts' own field names, so validation,
dry runs, rejects, duplicates and undo are those of every import. Cards are parsed with
vobject, which reads what phones export: Android's vCard 2.1 with quoted-printable UTF-8
(``CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE``), iOS's 3.0, and 4.0, one or many cards a
file. A card vobject cannot read, or one without an end, is a rejected row with its
line; the others are imported.

What a card gives: FN (else N) the name; the first TEL (a mobile before others) the
phone and the other numbers into notes, with their types; the first EMAIL likewise;
TITLE; BDAY (``1985-03-08``, ``19850308``, year-less ``--0308``; one in no date form goes
to notes); NOTE; X-GENDER (as crm writes it) or GENDER; and the customer: ``--customer
REF`` for every card, ``--by-org`` the card's ORG, else X-CRM-CUSTOMER (the code crm's
own export writes).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from crmcli.errors import InvalidInput
from crmcli.i18n import N_, Catalogue, _

SUFFIXES = (".vcf", ".vcard")
HEADER = ["customer", "name", "title", "phone", "email", "birthday", "gender", "notes"]

MESSAGES = Catalogue(
    {
        "stdin": N_("an address book cannot be read from stdin; name the .vcf file"),
        "empty": N_("{name} holds no vCard (no BEGIN:VCARD line)"),
        "no_customer": N_(
            "the cards of {name} do not say which customer they belong to; pass --customer REF, or --by-org to take each card's ORG"
        ),
        "both": N_("--customer and --by-org exclude each other: give one"),
        "no_end": N_("the card has no END:VCARD"),
        "broken": N_("cannot read the card: {reason}"),
        "no_name": N_("the card has no name (FN or N)"),
        "no_org": N_("the card has no ORG to name its customer (--by-org)"),
    }
)

_BEGIN = re.compile(r"^\s*BEGIN\s*:\s*VCARD\s*$", re.IGNORECASE)
_END = re.compile(r"^\s*END\s*:\s*VCARD\s*$", re.IGNORECASE)
_ISO_DAY = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?")
_NO_YEAR = re.compile(r"--(\d{2})-?(\d{2})")
_GENDERS = {"m": "male", "f": "female"}


def is_vcard(path: str) -> bool:
    """A vCard file by its name, or by its first line (an address book saved as .txt)."""
    if path == "-":
        return False
    if os.path.splitext(path)[1].lower() in SUFFIXES:
        return True
    if not os.path.isfile(path):
        return False  # a pipe's bytes, once read to look, would be lost to the CSV reader
    try:
        with open(path, "rb") as fh:
            start = fh.read(64).lstrip(b"\xef\xbb\xbf").lstrip()
    except OSError:
        return False
    return start[:11].upper() == b"BEGIN:VCARD"


@dataclass
class CardInput:
    """The cards of a file as rows (line, cells) under ``HEADER``; ``broken`` maps the
    line of each card that could not be read to why."""

    name: str
    header: list[str]
    size: int | None
    _rows: list[tuple[int, list[str]]] = field(repr=False)
    broken: dict[int, str] = field(default_factory=dict)
    encoding: str = "utf-8"
    delimiter: str = ","
    guessed: bool = False
    seekable: bool = True
    head: bytes = field(default=b"", repr=False)
    header_line: int = 0
    _done: int = 0

    @property
    def bytes_read(self) -> int:
        if not self.size or not self._rows:
            return 0
        return self.size * self._done // len(self._rows)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        for index, row in enumerate(self._rows):
            self._done = index + 1
            yield row


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", "replace")  # an old Chinese phone's export


def split_cards(text: str) -> Iterator[tuple[int, str | None]]:
    """(line of BEGIN:VCARD, the card's text) for each card; None for one with no end."""
    start = 0
    lines: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if _BEGIN.match(line):
            if start:
                yield start, None  # a new card began before this one ended
            start, lines = number, [line]
        elif start:
            lines.append(line)
            if _END.match(line):
                yield start, "\r\n".join(lines) + "\r\n"
                start, lines = 0, []
    if start:
        yield start, None


def open_cards(path: str, *, customer: str | None, by_org: bool) -> CardInput:
    if path == "-":
        raise InvalidInput(MESSAGES["stdin"])
    if customer is not None and by_org:
        raise InvalidInput(MESSAGES["both"])
    name = os.path.basename(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise InvalidInput(_("no such file: {path}").format(path=path)) from None
    except PermissionError:
        raise InvalidInput(_("cannot read {path}: permission denied").format(path=path)) from None
    rows: list[tuple[int, list[str]]] = []
    broken: dict[int, str] = {}
    own_codes = False
    for line, card_text in split_cards(_decode(data)):
        if card_text is None:
            broken[line] = MESSAGES["no_end"]
            rows.append((line, [""] * len(HEADER)))
            continue
        try:
            fields = card_fields(card_text)
        except InvalidInput as exc:
            broken[line] = exc.message
            rows.append((line, [""] * len(HEADER)))
            continue
        if customer is not None:
            fields["customer"] = customer
        elif by_org:
            fields["customer"] = fields.pop("org", "")
            if not fields["customer"]:
                broken[line] = MESSAGES["no_org"]
        else:
            fields["customer"] = fields.pop("crm_customer", "")
            own_codes = own_codes or bool(fields["customer"])
        rows.append((line, [fields.get(key, "") for key in HEADER]))
    if not rows:
        raise InvalidInput(MESSAGES["empty"].format(name=name))
    if customer is None and not by_org and not own_codes:
        raise InvalidInput(MESSAGES["no_customer"].format(name=name))
    return CardInput(name=name, header=list(HEADER), size=len(data), _rows=rows, broken=broken)


def card_fields(text: str) -> dict[str, str]:
    """The fields of one card's text; InvalidInput when vobject cannot read it."""
    import vobject

    try:
        card = vobject.readOne(text, ignoreUnreadable=False)
        # Values are decoded lazily (quoted-printable, escapes): do it while errors are caught.
        contents: dict[str, list[Any]] = card.contents
        for items in contents.values():
            for item in items:
                _decoded = item.value
    except Exception as exc:  # vobject raises ParseError and a few plain errors
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise InvalidInput(MESSAGES["broken"].format(reason=reason[:200])) from None
    fields: dict[str, str] = {}
    notes: list[str] = []
    name = _first_text(contents, "fn") or _from_n(contents)
    if not name:
        raise InvalidInput(MESSAGES["no_name"])
    fields["name"] = name
    org = contents.get("org")
    if org:
        value = org[0].value
        parts = value if isinstance(value, list) else [str(value)]
        fields["org"] = " ".join(p.strip() for p in parts if p and p.strip())
    title = _first_text(contents, "title")
    if title:
        fields["title"] = title
    phones = sorted(
        (item for item in contents.get("tel", []) if _text(item.value)),
        key=lambda item: "CELL" not in _types(item),
    )
    if phones:
        fields["phone"] = _tel(phones[0].value)
        notes.extend(f"tel{_shown_types(p)}: {_tel(p.value)}" for p in phones[1:])
    mails = [item for item in contents.get("email", []) if _text(item.value)]
    mails.sort(key=lambda item: "PREF" not in _types(item))
    if mails:
        fields["email"] = _text(mails[0].value)
        notes.extend(f"email{_shown_types(m)}: {_text(m.value)}" for m in mails[1:])
    bday = _first_text(contents, "bday")
    if bday:
        day = birthday_text(bday)
        if day is None:
            notes.append(f"birthday: {bday}")
        else:
            fields["birthday"] = day
    gender = _first_text(contents, "x-gender") or _gender(contents)
    if gender:
        fields["gender"] = gender
    note = _first_text(contents, "note")
    fields["notes"] = "\n".join(filter(None, [note, *notes]))
    code = _first_text(contents, "x-crm-customer")
    if code:
        fields["crm_customer"] = code
    return fields


def birthday_text(value: str) -> str | None:
    """A BDAY as the importer reads birthdays: ``1985-03-08``, or ``03-08`` without a year."""
    text = value.strip()
    m = _NO_YEAR.fullmatch(text)
    if m:
        return f"{m[1]}-{m[2]}"
    m = _ISO_DAY.fullmatch(text)
    if m:
        return f"{m[1]}-{m[2]}-{m[3]}"
    return None


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = " ".join(str(v) for v in value if v)
    return " ".join(str(value or "").split())


def _first_text(contents: dict[str, list[Any]], key: str) -> str:
    for item in contents.get(key, []):
        value = item.value
        text = str(value or "").strip() if key == "note" else _text(value)
        if text:
            return text
    return ""


def _from_n(contents: dict[str, list[Any]]) -> str:
    for item in contents.get("n", []):
        n = item.value
        family, given = _text(getattr(n, "family", "")), _text(getattr(n, "given", ""))
        if not (family or given):
            continue
        if re.search(r"[\u3400-\u9fff]", family + given):
            return family + given  # 张伟: no space between a Chinese family and given name
        return " ".join(filter(None, [given, family]))
    return ""


def _types(item: Any) -> list[str]:
    found: list[str] = []
    for key, values in item.params.items():
        if key.upper() == "TYPE":
            for v in values:
                found.extend(part.strip().upper() for part in str(v).split(","))
    # vCard 2.1: TEL;CELL;VOICE:… lists its types as bare names.
    found.extend(str(name).upper() for name in getattr(item, "singletonparams", []))
    return found


def _shown_types(item: Any) -> str:
    kinds = [t for t in _types(item) if t not in ("VOICE", "INTERNET", "PREF")]
    return f" ({', '.join(k.lower() for k in kinds)})" if kinds else ""


def _tel(value: Any) -> str:
    text = _text(value)
    return text[4:] if text.lower().startswith("tel:") else text


def _gender(contents: dict[str, list[Any]]) -> str:
    value = _first_text(contents, "gender")
    return _GENDERS.get(value.split(";")[0].strip().lower(), "")
