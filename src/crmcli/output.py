"""The one renderer: table / json / csv / tsv; colour only on a terminal.

Data goes to stdout, messages to stderr. JSON is the stable contract for scripts;
the table is for people and may change. On a terminal the table is drawn with Rich;
piped, it is plain aligned text so that ``grep``/``awk`` and cron mail stay readable.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, TextIO

from crmcli.errors import InvalidInput
from crmcli.i18n import _

if TYPE_CHECKING:
    from crmcli.enums import Choice

FORMATS = ("table", "json", "csv", "tsv")


# Columns of free text, by the key every table gives them: on a terminal they take the
# width the other columns leave and wrap at words; in a plain table a very long one is cut.
# Every other column (codes, dates, times, numbers, tiers, stages, owners) is kept whole
# on one line: it is never broken across lines.
FREE_TEXT = frozenset(
    {
        "name", "customer", "reason", "why", "summary", "detail", "content", "note",
        "notes", "comment", "title", "product", "result", "old", "new", "command",
        "audience", "response", "resolution", "source", "stages",
    }
)  # fmt: skip
# Below this many columns a free-text column is no longer worth reading: the rows are
# shown one field per line instead.
FREE_MIN = 12
# A cell of text people typed (a name, a summary, a note) wider than this is cut in a
# plain (piped) table: one pasted page in a name must not widen every row; csv, tsv and
# json keep it whole. What crm composes itself (reasons, details) is never cut.
PLAIN_CUT = 120
COMPOSED = frozenset({"reason", "why", "detail", "response", "resolution", "stages", "audience"})


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    justify: str = "left"
    # The enumeration of the column's values: a table shows them by their Chinese
    # label in Chinese (csv, tsv and json keep the English value).
    choice: Choice | None = None

    @property
    def free(self) -> bool:
        return self.key in FREE_TEXT


def check_format(fmt: str, allowed: Sequence[str] = FORMATS) -> str:
    folded = fmt.strip().lower()
    if folded not in allowed:
        raise InvalidInput(
            _("unknown format {fmt!r}; expected one of: {allowed}").format(
                fmt=fmt, allowed=", ".join(allowed)
            )
        )
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
    return value


def _cell(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value
    if kind is int:
        return str(value)
    if kind is date:
        return value.isoformat()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    return str(jsonable(value))


def _json_default(value: Any) -> Any:
    converted = jsonable(value)
    if converted is value:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")
    return converted


def print_json(data: Any, out: TextIO | None = None) -> None:
    """Indented JSON; a long list, alone or as a value of an object, is written one
    compact element per line, which keeps it greppable and lets the C encoder do the
    work (the indenting encoder is pure Python: seconds for a digest of 100,000 duties)."""
    out = out or sys.stdout
    out.write(_json_text(data, ""))
    out.write("\n")


_LONG = 100


def _json_text(data: Any, indent: str) -> str:
    inner = indent + "  "
    if isinstance(data, list) and len(data) > _LONG:
        encode = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode
        return "[\n" + ",\n".join([inner + encode(item) for item in data]) + f"\n{indent}]"
    if isinstance(data, dict) and any(
        isinstance(value, list) and len(value) > _LONG for value in data.values()
    ):
        members = [
            f"{inner}{json.dumps(key, ensure_ascii=False)}: {_json_text(value, inner)}"
            for key, value in data.items()
        ]
        return "{\n" + ",\n".join(members) + f"\n{indent}}}"
    text = json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
    # A string in JSON holds no raw line break, so every one is between elements.
    return text.replace("\n", "\n" + indent) if indent else text


def render(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Col],
    fmt: str,
    *,
    json_rows: Sequence[Any] | Callable[[], Sequence[Any]] | None = None,
    title: str | None = None,
    out: TextIO | None = None,
) -> None:
    """Print rows in a format; ``json_rows`` (or a function that makes them, so other
    formats do not pay for it) is the JSON shape when it differs from the table's."""
    if fmt == "json":
        shaped = json_rows() if callable(json_rows) else json_rows
        print_json(list(shaped if shaped is not None else rows), out or sys.stdout)
        return
    values = [[row.get(c.key) for row in rows] for c in columns]
    render_columns(values, columns, fmt, title=title, out=out)


def render_columns(
    values: Sequence[Sequence[Any]],
    columns: Sequence[Col],
    fmt: str,
    *,
    title: str | None = None,
    out: TextIO | None = None,
) -> None:
    """Print rows held column by column (``values[i]`` is the whole of ``columns[i]``) as
    a table, csv or tsv: a long list made by one query costs no dict per row."""
    out = out or sys.stdout
    if fmt in ("csv", "tsv"):
        writer = csv.writer(out, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow([c.key for c in columns])
        writer.writerows([_cell(v) for v in row] for row in zip(*values, strict=True))
        return
    if not values or not values[0]:
        return
    values = _labelled(values, columns)
    if is_terminal(out):
        _rich_table(values, columns, title, out)
    else:
        _plain_table(values, columns, out)


def _labelled(values: Sequence[Sequence[Any]], columns: Sequence[Col]) -> Sequence[Sequence[Any]]:
    """The values of enumeration columns by their labels, when the interface is Chinese."""
    from crmcli.i18n import label, language

    if language() == "en" or not any(c.choice for c in columns):
        return values
    return [
        column if col.choice is None else [label(col.choice, v) for v in column]
        for col, column in zip(columns, values, strict=True)
    ]


def _rich_table(
    values: Sequence[Sequence[Any]], columns: Sequence[Col], title: str | None, out: TextIO
) -> None:
    from rich.cells import cell_len
    from rich.console import Console
    from rich.padding import Padding
    from rich.text import Text

    from crmcli.styles import styler

    colour = use_color(out)
    console = Console(file=out, color_system="auto" if colour else None, highlight=False)
    headers = [_(col.header) for col in columns]
    cells = [[_cell(v).replace("\n", " ") for v in column] for column in values]
    natural = [
        max(cell_len(header), *map(cell_len, column))
        for header, column in zip(headers, cells, strict=True)
    ]
    # What a column needs at least: its widest cell unless it is free text, and its
    # header's longest word (a header may wrap at its spaces).
    least = [
        max(
            max(map(cell_len, header.split() or [""])),
            0 if col.free else max(map(cell_len, cells_)),
        )
        for header, col, cells_ in zip(headers, columns, cells, strict=True)
    ]
    free = [col.free for col in columns]
    stylers = [styler(col.key) if colour else None for col in columns]
    # Free-text columns that would be too narrow in the table, the last first, go on
    # lines of their own under each row, as wide as the terminal allows.
    shown = list(range(len(columns)))
    widths = _fit(natural, least, free, console.width)
    below: list[int] = []
    while widths is None or (len(below) < sum(free) and _narrow(widths, shown, natural, free)):
        candidates = [i for i in shown[1:] if free[i]]
        if not candidates:
            break
        below.insert(0, candidates[-1])
        shown.remove(candidates[-1])
        widths = _fit(
            [natural[i] for i in shown],
            [least[i] for i in shown],
            [free[i] for i in shown],
            console.width,
        )
    if widths is None:
        _rich_records(console, headers, cells, colour)
        return
    if not below:
        console.print(
            _table(headers, columns, widths, zip(*cells, strict=True), stylers, colour, title)
        )
        return
    pick = [columns[i] for i in shown]
    styles = [stylers[i] for i in shown]
    indent = widths[0] + 2
    console.print(_table([headers[i] for i in shown], pick, widths, [], styles, colour, title))
    for row in zip(*cells, strict=True):
        console.print(_table(None, pick, widths, [[row[i] for i in shown]], styles, colour))
        for i in below:
            if row[i]:
                style = stylers[i]
                text = Text(row[i], style=(style(row[i]) or "") if style else "")
                if len(below) > 1:
                    text = Text.assemble(_("{header}: ").format(header=headers[i]), text)
                text.overflow = "fold"
                console.print(Padding(text, (0, 0, 0, indent)))


def _narrow(widths: list[int], shown: list[int], natural: list[int], free: list[bool]) -> bool:
    """A free-text column of the table would take more than two lines."""
    return any(free[i] and natural[i] > 2 * width for i, width in zip(shown, widths, strict=True))


def _table(
    headers: Sequence[str] | None,
    columns: Sequence[Col],
    widths: Sequence[int],
    rows: Any,
    stylers: Sequence[Any],
    colour: bool,
    title: str | None = None,
) -> Any:
    """A Rich table of fixed column widths: no border, a rule under the header."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=title,
        box=box.SIMPLE_HEAD,
        show_header=headers is not None,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        header_style="bold" if colour else "",
    )
    for index, (col, width) in enumerate(zip(columns, widths, strict=True)):
        header = headers[index] if headers is not None else ""
        table.add_column(header, justify=col.justify, width=width, overflow="fold")  # type: ignore[arg-type]
    for row in rows:
        table.add_row(
            *(
                Text(text, style=(style(text) or "") if style else "")
                for text, style in zip(row, stylers, strict=False)
            )
        )
    return table


def _fit(natural: list[int], least: list[int], free: list[bool], width: int) -> list[int] | None:
    """Column widths within ``width`` terminal columns (two between columns): every
    column whole if they fit; else kept columns at ``least`` and free-text ones sharing
    what is left, the narrower ones whole; None when that leaves too little for them."""
    room = width - 2 * (len(natural) - 1)
    if sum(natural) <= room:
        return list(natural)
    widths = [n if f else m for n, m, f in zip(natural, least, free, strict=True)]
    if sum(widths) <= room:
        return widths
    flexible = [i for i, is_free in enumerate(free) if is_free]
    left = room - sum(w for i, w in enumerate(widths) if not free[i])
    if not flexible or left < max(FREE_MIN, *(least[i] for i in flexible)) * len(flexible):
        return None
    # Water-filling: a column narrower than an equal share keeps its width, and the
    # others share the rest equally.
    pending = sorted(flexible, key=widths.__getitem__)
    while pending:
        share = left // len(pending)
        index = pending[0]
        if widths[index] > share:
            for j, i in enumerate(pending):
                widths[i] = share + (1 if j < left - share * len(pending) else 0)
            break
        left -= widths[index]
        pending.pop(0)
    return widths


def _rich_records(console: Any, headers: list[str], cells: list[list[str]], colour: bool) -> None:
    """Rows too wide for the terminal, one field per line, a blank line between rows."""
    from rich.table import Table
    from rich.text import Text

    for index, row in enumerate(zip(*cells, strict=True)):
        if index:
            console.print()
        grid = Table.grid(padding=(0, 2, 0, 0))
        grid.add_column(no_wrap=True, style="bold" if colour else "")
        grid.add_column(overflow="fold")
        for header, text in zip(headers, row, strict=True):
            if text:
                grid.add_row(Text(header), Text(text))
        console.print(grid)


# East Asian Wide and Fullwidth ranges (Hangul, CJK, kana, fullwidth forms): two columns.
# Those of the Basic Multilingual Plane are all three bytes long in UTF-8.
WIDE_BMP = (
    "\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
)


@cache
def _scripts() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The wide characters, and any character that is neither ASCII nor a wide one of the
    BMP: compiled when a table first needs them (several milliseconds that the commands
    printing no table, such as ``crm log``, need not pay)."""
    return (
        re.compile(f"[{WIDE_BMP}\U00020000-\U0003fffd]"),
        re.compile(f"[^\x00-\x7f{WIDE_BMP}]"),
    )


def cell_width(text: str) -> int:
    """Terminal columns of a cell (wide CJK characters count two)."""
    if text.isascii():
        return len(text)
    return len(text) + len(_scripts()[0].findall(text))


def _widths(cells: list[str], joined: str) -> list[int]:
    """The width of every cell of a column (``joined`` is the cells run together)."""
    if joined.isascii():
        return list(map(len, cells))
    if _scripts()[1].search(joined) is None:
        # Only ASCII (one byte, one column) and wide BMP characters (three bytes, two
        # columns): the width is the mean of the length and the UTF-8 size.
        return [(len(text) + len(text.encode())) >> 1 for text in cells]
    return [len(text) if text.isascii() else cell_width(text) for text in cells]


def _cut(text: str) -> str:
    """A cell of at most PLAIN_CUT columns: a longer one ends in an ellipsis."""
    if len(text) <= PLAIN_CUT // 2 or cell_width(text) <= PLAIN_CUT:
        return text
    from rich.cells import set_cell_size

    # (a wide character that would straddle the cut leaves a space, dropped here)
    return set_cell_size(text, PLAIN_CUT - 1).rstrip() + "…"


def _plain_table(values: Sequence[Sequence[Any]], columns: Sequence[Col], out: TextIO) -> None:
    # Column by column, so that a long list costs a few list comprehensions per column
    # rather than a function call per cell.
    padded: list[list[str]] = []
    last = len(columns) - 1
    for i, (col, column) in enumerate(zip(columns, values, strict=True)):
        cells = [_(col.header)]
        cells += [v if type(v) is str else _cell(v) for v in column]
        joined = "".join(cells)
        if "\n" in joined:  # a line break becomes a space: same length, same script
            cells = [text.replace("\n", " ") for text in cells]
        if col.free and col.key not in COMPOSED and max(map(len, cells)) > PLAIN_CUT // 2:
            cells = [_cut(text) for text in cells]
            joined = "".join(cells)
        if i == last and col.justify != "right":
            padded.append(cells)  # nothing follows it: no padding
            continue
        right = col.justify == "right"
        distinct = set(cells)
        if len(distinct) * 4 < len(cells):
            # Owners, duties, days: few values, each measured and padded once.
            unique = list(distinct)
            sizes = _widths(unique, "".join(unique))
            width = max(sizes)
            pad = {
                text: " " * (width - size) + text if right else text + " " * (width - size)
                for text, size in zip(unique, sizes, strict=True)
            }
            padded.append([pad[text] for text in cells])
            continue
        sizes = _widths(cells, joined)
        width = max(sizes)
        spaces = [" " * n for n in range(width + 1)]
        if right:
            padded.append([spaces[width - n] + t for t, n in zip(cells, sizes, strict=True)])
        else:
            padded.append([t + spaces[width - n] for t, n in zip(cells, sizes, strict=True)])
    out.write("\n".join("  ".join(line).rstrip() for line in zip(*padded, strict=True)))
    out.write("\n")


def render_record(
    sections: Sequence[tuple[str, Sequence[tuple[str, Any]]]], out: TextIO | None = None
) -> None:
    """Key/value sections for one object (``customer show``) in the table format."""
    from rich.cells import cell_len

    out = out or sys.stdout
    console = None
    if is_terminal(out):
        # On a terminal a long value wraps under itself, not under its key.
        from rich.console import Console

        colour = use_color(out)
        console = Console(file=out, color_system="auto" if colour else None, highlight=False)
    for index, (heading, pairs) in enumerate(sections):
        shown = [(k, _cell(v).replace("\n", " ")) for k, v in pairs if v not in (None, "", [])]
        if not shown and index:
            continue
        if index:
            out.write("\n")
        if console is not None:
            _rich_section(console, heading, shown, colour)
            continue
        out.write(f"{heading}\n")
        width = max((cell_len(k) for k, _ in shown), default=0)
        for key, value in shown:
            out.write(f"  {key}{' ' * (width - cell_len(key))}  {value}\n")


def _rich_section(console: Any, heading: str, pairs: list[tuple[str, str]], colour: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    console.print(Text(heading, style="bold" if colour else ""))
    grid = Table.grid(padding=(0, 2, 0, 0), pad_edge=False)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in pairs:
        grid.add_row(Text("  " + key), Text(value))
    console.print(grid)


def shown(value: Any) -> str:
    """A value in a message: '—' for nothing, yes/no for flags."""
    return "—" if value is None or value == "" else _cell(value)


def message(text: str) -> None:
    """A notice for the person at the terminal: stderr, never mixed with data."""
    sys.stderr.write(text + "\n")
