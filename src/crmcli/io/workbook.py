"""Reading a workbook (.xlsx, .xlsm, .xls, .et of WPS, .ods) as the rows of an import.

A second reader beside ``csvfile``: it gives the same header and (line, cells) rows, so
every check, dry run, rejects file, duplicate rule and undo of an import works on a
workbook exactly as on CSV. Read with python-calamine (Rust's calamine): it reads all
these formats, and reads a 100,000-row sheet several times faster than openpyxl.

Cells are turned into the text a user sees in the spreadsheet, not Python's repr of the
stored number: a phone stored as a number is ``13812345678`` (not ``1.38e10`` or
``13812345678.0``), a whole number is written without ``.0``, a date cell is an ISO date
(with its time only when it has one), a text cell is kept as it is (a code ``007`` keeps
its zeros). Line numbers are the sheet's row numbers, as the spreadsheet shows them.

Rows above the header (a title, a date, an empty row) are skipped: the header is the row
``--header-row`` names, or else the first of the top rows with the most cells that are
headers of the table.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from crmcli.errors import InvalidInput
from crmcli.i18n import N_, Catalogue, _
from crmcli.io.values import FORMULA_START

_QUOTED = "'"
ESCAPED = (*FORMULA_START, _QUOTED)

SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".et", ".ods")
# The signatures of the two containers workbooks come in: zip (xlsx, ods, newer .et) and
# OLE2 (xls, older .et).
MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
# How far down the header is looked for when --header-row does not say.
HEADER_SEARCH_ROWS = 30

MESSAGES = Catalogue(
    {
        "unreadable": N_("cannot read {name} as a workbook: {reason}"),
        "no_sheet": N_("{name} has no sheet {sheet!r}; its sheets are: {sheets}"),
        "no_index": N_("{name} has no sheet {sheet}: it has {count} (numbered from 1)"),
        "empty_sheet": N_("sheet {sheet!r} of {name} is empty"),
        "header_row": N_(
            "--header-row {row} is past the last row ({last}) of sheet {sheet!r} of {name}"
        ),
        "empty_header": N_(
            "row {row} of sheet {sheet!r} of {name} is empty; --header-row names the header row"
        ),
        "stdin": N_("a workbook cannot be read from stdin; name the file"),
        "bad_header_row": N_("--header-row must be a row number from 1, not {row!r}"),
    }
)


def is_workbook(path: str) -> bool:
    """A workbook by its name, or by its first bytes (a workbook saved as .csv)."""
    if path == "-":
        return False
    if os.path.splitext(path)[1].lower() in SUFFIXES:
        return True
    if not os.path.isfile(path):
        return False  # a pipe's bytes, once read to look, would be lost to the CSV reader
    try:
        with open(path, "rb") as fh:
            return fh.read(4) in MAGIC
    except OSError:
        return False


def parse_header_row(text: str | None) -> int | None:
    if text is None:
        return None
    stripped = text.strip()
    if not stripped.isdigit() or int(stripped) < 1:
        raise InvalidInput(MESSAGES["bad_header_row"].format(row=text))
    return int(stripped)


def cell_text(value: Any) -> str:
    """A cell as the spreadsheet shows it, in the forms the importer reads."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        # Excel shows 15 significant digits: 0.1+0.2 is 0.3 there, as it was typed.
        return f"{value:.15g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, timedelta):  # a time of day in an .ods or .xls
        minutes = int(value.total_seconds()) // 60
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    return str(value)


@dataclass
class WorkbookInput:
    """An opened sheet: its header and a stream of (row number, cells), as ``CsvInput``.

    ``encoding`` and ``delimiter`` are those of the rejects file written for it: CSV that
    Excel opens (UTF-8 with its byte-order mark)."""

    name: str
    sheet: str
    header: list[str]
    header_line: int
    size: int | None
    _rows: list[list[Any]] = field(repr=False)
    _first_line: int = 1  # the sheet row number of _rows[0]
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    guessed: bool = False
    seekable: bool = True
    head: bytes = field(default=b"", repr=False)
    broken: dict[int, str] = field(default_factory=dict)
    _done: int = 0

    @property
    def bytes_read(self) -> int:
        """Progress in the file's bytes, reckoned from the rows read."""
        if not self.size or not self._rows:
            return 0
        return self.size * self._done // len(self._rows)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        text = cell_text
        quote = _QUOTED
        start = self.header_line - self._first_line + 1
        for index in range(start, len(self._rows)):
            self._done = index + 1
            cells = [text(value) for value in self._rows[index]]
            if "'" in [c[:1] for c in cells]:
                # The importer takes csv's ' before =+-@ away; a workbook's text is as typed.
                cells = [quote + c if c[:1] == quote and c[1:2] in ESCAPED else c for c in cells]
            if "".join(cells).strip():
                yield self._first_line + index, cells
        self._done = len(self._rows)


def open_workbook(
    path: str,
    *,
    sheet: str | None,
    header_row: int | None,
    is_header: Callable[[str], bool],
) -> WorkbookInput:
    """Open one sheet (by name or 1-based index; the first by default) and find its header.

    ``is_header`` says whether a cell's text names a column of the table: the header is
    the top row with most such cells when ``header_row`` is not given."""
    from python_calamine import CalamineWorkbook

    if path == "-":
        raise InvalidInput(MESSAGES["stdin"])
    name = os.path.basename(path)
    try:
        size: int | None = os.path.getsize(path)
        with open(path, "rb") as fh:
            # By content, not by suffix: a WPS .et is either container.
            book = CalamineWorkbook.from_filelike(fh)
    except FileNotFoundError:
        raise InvalidInput(_("no such file: {path}").format(path=path)) from None
    except PermissionError:
        raise InvalidInput(_("cannot read {path}: permission denied").format(path=path)) from None
    except Exception as exc:  # calamine's errors: a damaged or password-protected file
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInput(MESSAGES["unreadable"].format(name=name, reason=reason)) from None
    names = list(book.sheet_names)
    chosen = _choose_sheet(name, names, sheet)
    try:
        grid = book.get_sheet_by_name(chosen)
        rows: list[list[Any]] = grid.to_python(skip_empty_area=False)
        first_line = 1
    except Exception as exc:
        raise InvalidInput(MESSAGES["unreadable"].format(name=name, reason=exc)) from None
    finally:
        book.close()
    if not rows or not any(cell_text(c).strip() for row in rows for c in row):
        raise InvalidInput(MESSAGES["empty_sheet"].format(sheet=chosen, name=name))
    if header_row is not None:
        if header_row > len(rows):
            raise InvalidInput(
                MESSAGES["header_row"].format(
                    row=header_row, last=len(rows), sheet=chosen, name=name
                )
            )
        line = header_row
        header = [cell_text(c).strip() for c in rows[line - first_line]]
        if not any(header):
            raise InvalidInput(
                MESSAGES["empty_header"].format(row=header_row, sheet=chosen, name=name)
            )
    else:
        line = _find_header(rows, first_line, is_header)
        header = [cell_text(c).strip() for c in rows[line - first_line]]
    while header and not header[-1]:
        header.pop()  # a sheet's used area is wider than its header: the rest is empty
    return WorkbookInput(
        name=name,
        sheet=chosen,
        header=header,
        header_line=line,
        size=size,
        _rows=rows,
        _first_line=first_line,
    )


def _choose_sheet(name: str, names: list[str], sheet: str | None) -> str:
    if sheet is None or not sheet.strip():
        if not names:
            raise InvalidInput(MESSAGES["unreadable"].format(name=name, reason=_("no sheets")))
        return names[0]
    wanted = sheet.strip()
    if wanted in names:
        return wanted
    folded = {n.strip().casefold(): n for n in names}
    if wanted.casefold() in folded:
        return folded[wanted.casefold()]
    if wanted.isdigit():
        index = int(wanted)
        if 1 <= index <= len(names):
            return names[index - 1]
        raise InvalidInput(MESSAGES["no_index"].format(name=name, sheet=index, count=len(names)))
    shown = ", ".join(repr(n) for n in names)
    raise InvalidInput(MESSAGES["no_sheet"].format(name=name, sheet=wanted, sheets=shown))


def _find_header(rows: list[list[Any]], first_line: int, is_header: Callable[[str], bool]) -> int:
    """The first of the top rows with the most cells naming a column; the first non-empty
    row when none names one (the import then says which headers it found)."""
    best_line, best = 0, 0
    first_filled = 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        texts = [cell_text(c).strip() for c in row]
        if not any(texts):
            continue
        if not first_filled:
            first_filled = first_line + index
        known = sum(1 for t in texts if t and is_header(t))
        if known > best:
            best_line, best = first_line + index, known
    return best_line or first_filled
