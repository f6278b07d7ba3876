"""The one renderer: table / json / csv / tsv; colour only on a terminal.

Data goes to stdout, messages to stderr. JSON is the stable contract for scripts;
the table is for people and may change. On a terminal the table is drawn with Rich;
piped, it is plain aligned text so that ``grep``/``awk`` and cron mail stay readable.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

from crmcli.errors import InvalidInput

FORMATS = ("table", "json", "csv", "tsv")


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    justify: str = "left"


def check_format(fmt: str, allowed: Sequence[str] = FORMATS) -> str:
    folded = fmt.strip().lower()
    if folded not in allowed:
        raise InvalidInput(f"unknown format {fmt!r}; expected one of: {', '.join(allowed)}")
    return folded


def use_color(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


def is_terminal(stream: TextIO | None = None) -> bool:
    return (stream or sys.stdout).isatty()


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return (
            value.isoformat(sep=" ", timespec="minutes")
            if value.second == 0
            else value.isoformat(sep=" ")
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    return str(jsonable(value))


def print_json(data: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    json.dump(jsonable(data), out, ensure_ascii=False, indent=2)
    out.write("\n")


def render(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Col],
    fmt: str,
    *,
    json_rows: Sequence[Any] | None = None,
    title: str | None = None,
    out: TextIO | None = None,
) -> None:
    out = out or sys.stdout
    if fmt == "json":
        print_json(list(json_rows if json_rows is not None else rows), out)
        return
    if fmt in ("csv", "tsv"):
        writer = csv.writer(out, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow([c.key for c in columns])
        for row in rows:
            writer.writerow([_cell(row.get(c.key)) for c in columns])
        return
    if not rows:
        return
    if is_terminal(out):
        _rich_table(rows, columns, title, out)
    else:
        _plain_table(rows, columns, out)


def _rich_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[Col], title: str | None, out: TextIO
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, no_color=not use_color(out), highlight=False)
    table = Table(title=title, header_style="bold", show_lines=False)
    for col in columns:
        table.add_column(col.header, justify=col.justify, overflow="fold")  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*(_cell(row.get(c.key)) for c in columns))
    console.print(table)


def _plain_table(rows: Sequence[dict[str, Any]], columns: Sequence[Col], out: TextIO) -> None:
    from rich.cells import cell_len

    cells = [[_cell(row.get(c.key)).replace("\n", " ") for c in columns] for row in rows]
    headers = [c.header for c in columns]
    widths = [cell_len(h) for h in headers]
    for line in cells:
        for i, text in enumerate(line):
            widths[i] = max(widths[i], cell_len(text))

    def fmt_line(values: Sequence[str]) -> str:
        parts = []
        for i, (text, col) in enumerate(zip(values, columns, strict=True)):
            pad = " " * (widths[i] - cell_len(text))
            last = i == len(columns) - 1
            parts.append(pad + text if col.justify == "right" else text + ("" if last else pad))
        return "  ".join(parts).rstrip()

    out.write(fmt_line(headers) + "\n")
    out.writelines(fmt_line(line) + "\n" for line in cells)


def render_record(
    sections: Sequence[tuple[str, Sequence[tuple[str, Any]]]], out: TextIO | None = None
) -> None:
    """Key/value sections for one object (``customer show``) in the table format."""
    from rich.cells import cell_len

    out = out or sys.stdout
    for index, (heading, pairs) in enumerate(sections):
        shown = [(k, _cell(v)) for k, v in pairs if v not in (None, "", [])]
        if not shown and index:
            continue
        if index:
            out.write("\n")
        out.write(f"{heading}\n")
        width = max((cell_len(k) for k, _ in shown), default=0)
        for key, value in shown:
            out.write(f"  {key}{' ' * (width - cell_len(key))}  {value}\n")


def shown(value: Any) -> str:
    """A value in a message: '—' for nothing, yes/no for flags."""
    return "—" if value is None or value == "" else _cell(value)


def message(text: str) -> None:
    """A notice for the person at the terminal: stderr, never mixed with data."""
    sys.stderr.write(text + "\n")
