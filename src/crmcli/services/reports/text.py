"""The text formats of a report: table (with a bar chart per section), markdown, csv
and json."""

from __future__ import annotations

import csv
from typing import IO, Any

from crmcli.i18n import _
from crmcli.services.reports import values
from crmcli.services.reports.model import Report, Section, Table

BAR_WIDTH = 36  # label (≤ 18) + bar + figure stay within 80 columns
LABEL_WIDTH = 18


def heading(report: Report) -> str:
    """``Report 2026-01-01 to 2026-12-31, owner 张伟``: the title of a report for people."""
    p = report.period
    if p.owner:
        return _("Report {start} to {end}, owner {owner}").format(
            start=p.start, end=p.end, owner=p.owner
        )
    return _("Report {start} to {end}").format(start=p.start, end=p.end)


def bars(section: Section) -> list[str]:
    """The section's chart as lines of ``█`` blocks, scaled to the largest figure."""
    if section.chart is None:
        return []
    chart = section.chart
    table = section.table(chart.table)
    label_col = next(c for c in table.columns if c.key == chart.label)
    value_col = next(c for c in table.columns if c.key == chart.value)
    points = [
        (
            values.text(label_col, row, False),
            values.number(value_col, row),
            values.text(value_col, row, False),
        )
        for row in table.rows
    ]
    largest = max((v for _, v, _ in points if v is not None and v > 0), default=0)
    lines = [chart.title]
    for label, value, shown in points:
        length = round((value or 0) / largest * BAR_WIDTH) if largest else 0
        cut = label if len(label) <= LABEL_WIDTH else label[: LABEL_WIDTH - 1] + "…"
        lines.append(f"  {_pad(cut, LABEL_WIDTH)} {'█' * length}{' ' if length else ''}{shown}")
    return lines


def _pad(text: str, width: int) -> str:
    from rich.cells import cell_len

    return text + " " * max(width - cell_len(text), 0)


def write_table(report: Report, out: IO[Any], *, redact: bool, terminal: bool = False) -> None:
    from crmcli.output import Col, render

    out.write(heading(report) + "\n")
    for section in report.sections:
        out.write(f"\n== {section.title} ==\n")
        for line in bars(section):
            out.write(line + "\n")
        for table in section.tables:
            out.write(f"\n{table.title}\n")
            if not table.rows:
                out.write("  " + _("(none)") + "\n")
                continue
            cols = [
                Col(
                    c.key,
                    c.header,
                    "right" if values.kind_of(c, table.rows[0]) in _RIGHT else "left",
                )
                for c in table.columns
            ]
            rows = [
                {c.key: values.text(c, row, redact) for c in table.columns} for row in table.rows
            ]
            render(rows, cols, "table", out=out)
            _definitions(table, out, "  ")


_RIGHT = frozenset({"int", "money", "pct", "number"})


def _definitions(table: Table, out: IO[Any], prefix: str) -> None:
    for header, definition in table.definitions.items():
        out.write(prefix + _("{header}: {definition}").format(header=header, definition=definition))
        out.write("\n")
    if table.note:
        out.write(f"{prefix}{table.note}\n")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_markdown(report: Report, out: IO[Any], *, redact: bool, terminal: bool = False) -> None:
    out.write(f"# {heading(report)}\n")
    for section in report.sections:
        out.write(f"\n## {section.title}\n")
        chart = bars(section)
        if chart:
            out.write("\n```text\n" + "\n".join(chart) + "\n```\n")
        for table in section.tables:
            out.write(f"\n### {table.title}\n\n")
            if not table.rows:
                out.write(_("(none)") + "\n")
                continue
            out.write("| " + " | ".join(_md(c.header) for c in table.columns) + " |\n")
            out.write(
                "|"
                + "|".join(
                    " ---: " if values.kind_of(c, table.rows[0]) in _RIGHT else " --- "
                    for c in table.columns
                )
                + "|\n"
            )
            for row in table.rows:
                cells = (_md(values.text(c, row, redact)) for c in table.columns)
                out.write("| " + " | ".join(cells) + " |\n")
            if table.definitions or table.note:
                out.write("\n")
                for header, definition in table.definitions.items():
                    out.write(f"- *{_md(header)}*: {_md(definition)}\n")
                if table.note:
                    out.write(f"- {_md(table.note)}\n")


def write_csv(report: Report, out: IO[Any], *, redact: bool, terminal: bool = False) -> None:
    """Blocks, one per table: a title row (``section: table``), the header, the rows and
    an empty row; rates as fractions, money in yuan, as a spreadsheet reads them."""
    writer = csv.writer(out, lineterminator="\n")
    for section in report.sections:
        for table in section.tables:
            writer.writerow([f"{section.key}: {table.key}", table.title])
            writer.writerow([c.key for c in table.columns])
            for row in table.rows:
                writer.writerow([values.text(c, row, redact, plain=True) for c in table.columns])
            for header, definition in table.definitions.items():
                writer.writerow(["definition", header, definition])
            writer.writerow([])


def as_json(report: Report, redact: bool) -> dict[str, Any]:
    p = report.period
    return {
        "from": p.start,
        "to": p.end,
        "owner": p.owner,
        "sections": {
            section.key: {
                "title": section.title,
                "chart": None
                if section.chart is None
                else {
                    "table": section.chart.table,
                    "label": section.chart.label,
                    "value": section.chart.value,
                    "title": section.chart.title,
                },
                "tables": {
                    table.key: {
                        "title": table.title,
                        "columns": [
                            {
                                "key": c.key,
                                "header": c.header,
                                "kind": c.kind,
                                "definition": c.definition,
                            }
                            for c in table.columns
                        ],
                        "rows": [
                            {c.key: values.typed(c, row, redact) for c in table.columns}
                            | ({"kind": row["kind"]} if "kind" in row else {})
                            for row in table.rows
                        ],
                        "note": table.note,
                    }
                    for table in section.tables
                },
            }
            for section in report.sections
        },
    }


def write_json(report: Report, out: IO[Any], *, redact: bool, terminal: bool = False) -> None:
    from crmcli.output import print_json

    print_json(as_json(report, redact), out)


WRITERS = {
    "table": write_table,
    "markdown": write_markdown,
    "csv": write_csv,
    "json": write_json,
}
