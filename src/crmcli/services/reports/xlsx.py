"""The xlsx report: a sheet per section, numbers as numbers, dates as dates.

Each sheet starts with its first table's header row, frozen; the section's other tables
follow below it, each after an empty row and a title row, and the definitions of the
rates close the sheet. Money is in units of its currency (``#,##0.00####``), rates are fractions shown as
percent (``0.0%``), phones and e-mails text (masked with ``--redact``).
"""

from __future__ import annotations

from typing import IO, Any

from crmcli.i18n import _
from crmcli.services.reports import values
from crmcli.services.reports.model import DATE, MONEY, NUMBER, PCT, Report

# Money with its cents, and the digits below the cent a sale kept (15.552).
FORMATS = {MONEY: "#,##0.00####", PCT: "0.0%", NUMBER: "0.00", DATE: "yyyy-mm-dd"}


def write_xlsx(report: Report, out: IO[Any], *, redact: bool) -> None:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from crmcli.io.values import escape_formula

    bold = Font(bold=True)
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for section in report.sections:
        sheet = book.create_sheet(section.key)
        row_no = 1
        definitions: list[tuple[str, str]] = []
        for index, table in enumerate(section.tables):
            if index:
                row_no += 1
                sheet.cell(row_no, 1, table.title).font = bold
                row_no += 1
            for col_no, c in enumerate(table.columns, start=1):
                sheet.cell(row_no, col_no, c.header).font = bold
            if index == 0:
                sheet.freeze_panes = sheet.cell(row_no + 1, 1)
            row_no += 1
            for row in table.rows:
                for col_no, c in enumerate(table.columns, start=1):
                    value = values.typed(c, row, redact)
                    if isinstance(value, str):
                        value = ILLEGAL_CHARACTERS_RE.sub("", escape_formula(value))
                    cell = sheet.cell(row_no, col_no, value)
                    kind = values.kind_of(c, row)
                    if kind in FORMATS and value is not None:
                        cell.number_format = FORMATS[kind]
                row_no += 1
            definitions += [
                (_("{header}: {definition}").format(header=table.title, definition=h), d)
                for h, d in table.definitions.items()
            ]
            if table.note:
                definitions.append((table.title, table.note))
        if definitions:
            row_no += 1
            sheet.cell(row_no, 1, _("Definitions")).font = bold
            for label, text in definitions:
                row_no += 1
                sheet.cell(row_no, 1, label)
                sheet.cell(row_no, 2, text)
        for col_no in range(1, sheet.max_column + 1):
            sheet.column_dimensions[get_column_letter(col_no)].width = 24 if col_no == 1 else 14
    book.save(out)
