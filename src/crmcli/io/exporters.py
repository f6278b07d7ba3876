"""Writing a table: csv, json, jsonl and xlsx from one description of its columns.

A csv (or tsv) export is written so that ``crm import`` reads it back unchanged: phones
in their national form (``138 1234 5678``, international ones with ``+``), formula-like
text escaped with a leading ``'`` that the importer removes (SPEC §4), yes/no flags, ISO
dates, tags as the comma-separated text the importer splits. JSON keeps stored values
(phones in E.164) as the stable contract for scripts, with tags as an array as
``crm customer list`` gives them. In xlsx, codes and phones are text cells, dates are
dates and amounts numbers.

Times are written as stored (``YYYY-MM-DD HH:MM``, with seconds or a fraction only when
the stored time has them) so that they re-import unchanged, except the record stamps
``created_at`` and ``updated_at``: the importer does not read them, and their
microseconds are the clock's, not anything a user entered, so they are written to the
second (``YYYY-MM-DD HH:MM:SS``, UTC).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import IO, Any

from crmcli.io import tables as t
from crmcli.io import values as v
from crmcli.text import normalize

FORMATS = ("csv", "tsv", "json", "jsonl", "xlsx", "vcf", "ics")
SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
    ".vcf": "vcf",
    ".ics": "ics",
}


# Columns stored as comma-separated text that JSON gives as an array (``cli.views``
# does the same for ``crm customer list``); csv and xlsx keep the text, which re-imports.
LISTS = frozenset({"tags"})
# Record stamps: written to the second (see above).
STAMPS = (t.CREATED_AT, t.UPDATED_AT)


def _is_stamp(col: t.Column) -> bool:
    return any(col is stamp for stamp in STAMPS)


def stored(col: t.Column, row: Mapping[str, Any]) -> Any:
    value = row.get(col.field)
    if value is not None and col.export is not None:
        value = col.export(value)
    if isinstance(value, datetime) and _is_stamp(col):
        value = value.replace(microsecond=0)
    return value


def _stamp(value: Any) -> Any:
    """A created_at/updated_at cell: ``YYYY-MM-DD HH:MM:SS``, the microseconds dropped."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return value


def _stamp_text(value: Any) -> str:
    return "" if value is None else str(_stamp(value))


def _split_list(value: Any) -> list[str]:
    return value.split(",") if value else []


def masked(col: t.Column, value: Any, redact: bool) -> Any:
    if not redact or value is None:
        return value
    if col.kind == t.PHONE:
        return v.mask_phone(value)
    if col.kind == t.EMAIL:
        return v.mask_email(value)
    return value


def text_cell(col: t.Column, value: Any, redact: bool) -> str:
    """The cell a csv (or a text xlsx cell) holds."""
    return _text_writer(col.kind, redact)(value)


Convert = Callable[[Any], Any]


@lru_cache(maxsize=64)
def _text_writer(kind: str, redact: bool) -> Convert:
    """``text_cell`` for one kind of column, decided once rather than once per cell."""
    escape = v.escape_formula

    def text(value: Any) -> str:
        return "" if value is None else escape(str(value))

    if kind == t.PHONE:
        shown = v.mask_phone if redact else normalize.phone_display
        return lambda value: "" if value is None else escape(shown(value))
    if kind == t.EMAIL and redact:
        return lambda value: "" if value is None else escape(v.mask_email(value))
    if kind == t.BOOL:
        return lambda value: "" if value is None else "yes" if value else "no"
    if kind == t.DATETIME:
        moment = v.format_moment
        return lambda value: moment(value) if isinstance(value, datetime) else text(value)
    if kind == t.DATE:
        return lambda value: value.isoformat() if isinstance(value, date) else text(value)
    if kind in (t.AMOUNT, t.INT):
        return lambda value: "" if value is None else str(value)
    return text


def json_value(col: t.Column, value: Any, redact: bool) -> Any:
    value = masked(col, value, redact)
    if isinstance(value, datetime):
        return v.format_moment(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _cells(
    columns: Sequence[t.Column], redact: bool, cell: Callable[[t.Column, bool], Convert]
) -> Callable[[Mapping[str, Any]], list[Any]]:
    """A row's cells, each column's conversion chosen once: a 100,000-row export makes
    millions of cells, and asking a column's kind and field for each cost most of it."""
    plans = []
    for col in columns:
        write, export = cell(col, redact), col.export
        if export is not None:
            write = _after(export, write)
        plans.append((col.field, write))

    def cells(row: Mapping[str, Any]) -> list[Any]:
        get = row.get
        return [write(get(name)) for name, write in plans]

    return cells


def _after(export: Convert, write: Convert) -> Convert:
    return lambda value: write(None if value is None else export(value))


def _csv_writer(col: t.Column, redact: bool) -> Convert:
    if _is_stamp(col):
        return _stamp_text
    return _text_writer(col.kind, redact)


def _json_writer(col: t.Column, redact: bool) -> Convert:
    if _is_stamp(col):
        return _stamp
    if col.key in LISTS and col.kind == t.TEXT:
        return _split_list
    return lambda value: json_value(col, value, redact)


def write_csv(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[t.Column],
    out: IO[str],
    *,
    redact: bool,
    excel: bool,
    delimiter: str = ",",
) -> int:
    """csv, or tsv with ``delimiter="\\t"`` (a tab or line break inside a value is quoted,
    as in csv; the importer detects the tab and reads those quotes)."""
    if excel:
        out.write("\ufeff")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n" if excel else "\n")
    writer.writerow([c.key for c in columns])
    cells = _cells(columns, redact, _csv_writer)
    count = 0
    for row in rows:
        writer.writerow(cells(row))
        count += 1
    return count


def write_json(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[t.Column],
    out: IO[str],
    *,
    redact: bool,
    lines: bool,
) -> int:
    count = 0
    if not lines:
        out.write("[")
    keys = [c.key for c in columns]
    cells = _cells(columns, redact, _json_writer)
    encode = json.JSONEncoder(ensure_ascii=False).encode
    for row in rows:
        text = encode(dict(zip(keys, cells(row), strict=True)))
        if lines:
            out.write(text + "\n")
        else:
            out.write(("\n  " if not count else ",\n  ") + text)
        count += 1
    if not lines:
        out.write("\n]\n" if count else "]\n")
    return count


def write_xlsx(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[t.Column],
    out: IO[bytes],
    *,
    redact: bool,
    title: str,
) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    bold = Font(bold=True)
    header = []
    for col in columns:
        cell = WriteOnlyCell(sheet, value=col.key)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        cells = []
        for col in columns:
            value = stored(col, row)
            cell = WriteOnlyCell(sheet)
            if value is None:
                cell.value = None
            elif col.kind == t.DATE and isinstance(value, date):
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
            elif col.kind == t.DATETIME and isinstance(value, datetime):
                cell.value = value
                cell.number_format = "yyyy-mm-dd hh:mm:ss" if value.second else "yyyy-mm-dd hh:mm"
            elif col.kind == t.AMOUNT:
                cell.value = value
                cell.number_format = "0.00####"  # cents, and any finer digits kept
            elif col.kind == t.INT:
                cell.value = value
            else:
                # A text cell is never run as a formula: the workbook's own quote-prefix
                # style (what Excel sets for a typed '=…) keeps it shown as typed, where
                # csv's leading apostrophe would show as a stray character.
                text = ILLEGAL_CHARACTERS_RE.sub(
                    "", v.unescape_formula(text_cell(col, value, redact))
                )
                cell.value = text
                cell.data_type = "s"
                if text.startswith(v.FORMULA_START):
                    cell.quotePrefix = True
                if col.kind in (t.PHONE, t.CODE):
                    cell.number_format = "@"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    book.save(out)
    return count
