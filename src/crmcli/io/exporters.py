"""Writing a table: csv, json, jsonl and xlsx from one description of its columns.

A csv export is written so that ``crm import`` reads it back unchanged: phones in their
national form (``138 1234 5678``, international ones with ``+``), formula-like text
escaped with a leading ``'`` that the importer removes (SPEC §4), yes/no flags, ISO dates.
JSON keeps stored values (phones in E.164) as the stable contract for scripts. In xlsx,
codes and phones are text cells, dates are dates and amounts numbers.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from crmcli.io import tables as t
from crmcli.io import values as v
from crmcli.services import normalize

FORMATS = ("csv", "json", "jsonl", "xlsx", "vcf", "ics")
SUFFIXES = {
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
    ".vcf": "vcf",
    ".ics": "ics",
}


def stored(col: t.Column, row: Mapping[str, Any]) -> Any:
    value = row.get(col.field)
    if value is not None and col.export is not None:
        value = col.export(value)
    return value


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
    if value is None:
        return ""
    if col.kind == t.PHONE:
        text = v.mask_phone(value) if redact else normalize.phone_display(value)
    elif col.kind == t.EMAIL and redact:
        text = v.mask_email(value)
    elif col.kind == t.BOOL:
        return "yes" if value else "no"
    elif col.kind == t.DATETIME and isinstance(value, datetime):
        return v.format_moment(value)
    elif col.kind == t.DATE and isinstance(value, date):
        return value.isoformat()
    elif col.kind in (t.AMOUNT, t.INT):
        return str(value)
    else:
        text = str(value)
    return v.escape_formula(text)


def json_value(col: t.Column, value: Any, redact: bool) -> Any:
    value = masked(col, value, redact)
    if isinstance(value, datetime):
        return v.format_moment(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def write_csv(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[t.Column],
    out: IO[str],
    *,
    redact: bool,
    excel: bool,
) -> int:
    if excel:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n" if excel else "\n")
    writer.writerow([c.key for c in columns])
    count = 0
    for row in rows:
        writer.writerow([text_cell(c, stored(c, row), redact) for c in columns])
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
    for row in rows:
        record = {c.key: json_value(c, stored(c, row), redact) for c in columns}
        text = json.dumps(record, ensure_ascii=False)
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
                cell.number_format = "0.00"
            elif col.kind == t.INT:
                cell.value = value
            else:
                text = ILLEGAL_CHARACTERS_RE.sub("", text_cell(col, value, redact))
                cell.value = text
                cell.data_type = "s"
                if col.kind in (t.PHONE, t.CODE):
                    cell.number_format = "@"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    book.save(out)
    return count
