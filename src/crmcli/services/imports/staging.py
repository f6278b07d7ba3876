"""Phase 1 of an import: every row read, cleaned and validated in Python, and staged in
a private SQLite file. The database is not even locked while a large file is checked,
and memory stays flat however long the file is.

The staging file is attached as ``stage`` to a local SQLite file of its own (where a
server's rows are copied for phase 2, ``decisions``); its tables are the Core tables of
``common.StageTables``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    String,
    bindparam,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy import Table as sa_table
from sqlalchemy.dialects import sqlite
from sqlalchemy.pool import StaticPool

from crmcli.errors import InvalidInput
from crmcli.io import tables as io_tables
from crmcli.io import values as cell_values
from crmcli.io.csvfile import (
    CsvInput,
    CsvSource,
    EncodingMismatch,
    file_blocks,
    starts_as_utf8,
)
from crmcli.io.tables import Layout, Table, UnrecognisedHeader, fold_header, map_values
from crmcli.io.values import PRODUCT_SEPARATOR, ColumnRefused, unescape_formula
from crmcli.io.vcards import CardInput
from crmcli.io.workbook import WorkbookInput
from crmcli.services.imports import orders
from crmcli.services.imports.common import (
    MESSAGES,
    REF_TARGETS,
    STAGE,
    ImportOptions,
    Progress,
    Say,
    StageTables,
)

# What an import reads from: a CSV file, a workbook's sheet, an address book's cards.
Source = CsvInput | WorkbookInput | CardInput

WORK_CHUNK = 2000
# The columns every staged row binds beside those the file fills.
_FIRST = ("line", "raw", "missing", "grp")


class Stage:
    """The private staging file, attached as ``stage`` to a local SQLite file."""

    def __init__(self, directory: str, tbl: Table, keep_raw: bool) -> None:
        self.path = os.path.join(directory, "stage.db")
        self.local_path = os.path.join(directory, "local.db")
        self.tbl = tbl
        self.keep_raw = keep_raw
        self.dialect = sqlite.dialect()
        self.engine = create_engine(f"sqlite:///{self.local_path}", poolclass=StaticPool)
        event.listen(self.engine, "connect", self._prepare)
        self.conn = self.engine.connect()
        self.tables = StageTables(tbl)
        self.columns: tuple[str, ...] = ()
        self.order: tuple[str, ...] = ()
        self.processors: dict[str, Any] = {}
        self.insert_sql = ""
        self.problem_sql = ""

    def _prepare(self, dbapi: Any, _record: Any) -> None:
        # Private scratch files, thrown away after the import: no journal, no syncing.
        # ATTACH and PRAGMA have no Core form; the path is bound, not spliced in.
        dbapi.execute("ATTACH DATABASE ? AS " + STAGE, (self.path,))
        for schema_name in ("main", STAGE):
            dbapi.execute(f"PRAGMA {schema_name}.journal_mode = OFF")
            dbapi.execute(f"PRAGMA {schema_name}.synchronous = OFF")

    def reset(self, lay: Layout) -> None:
        """Empty staging tables; rows bind only the columns this file fills."""
        tbl = self.tbl
        self.tables = StageTables(tbl)
        # Every date cell with the year last (4/15/2017, 11-08-16), its form and how it may
        # be read: each form's day/month order is decided once the whole file is read.
        self.dates = sa_table(
            "datecells",
            self.tables.metadata,
            Column("id", Integer, primary_key=True),
            Column("line", Integer),
            Column("target", String),
            Column("text", String),
            Column("form", String),
            Column("kind", String),
        )
        staged = self.tables.staged
        self.columns = tbl.staged_columns(lay.targets())
        self.processors = {}
        for name in self.columns:
            proc = staged.c[name].type.dialect_impl(self.dialect).bind_processor(self.dialect)
            if proc is not None:
                self.processors[name] = proc
        with self.conn.begin():
            self.tables.metadata.drop_all(self.conn)
            self.tables.metadata.create_all(self.conn)
        # Compiled once and run through the driver's executemany with plain tuples: a
        # dictionary per row (what Core's executemany takes) costs more than the insert.
        compiled = (
            insert(staged)
            .values({name: None for name in (*_FIRST, *self.columns)})
            .compile(dialect=self.dialect, column_keys=[*_FIRST, *self.columns])
        )
        self.insert_sql = str(compiled)
        self.order = tuple(compiled.positiontup or ())
        problems = self.tables.problems
        compiled = insert(problems).compile(
            dialect=self.dialect, column_keys=["line", "col", "message", "raw"]
        )
        self.problem_sql = str(compiled)
        self.problem_order = tuple(compiled.positiontup or ())

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()


class Validator:
    """Turns raw rows into staged tuples and the problems found in them.

    A chunk of rows is checked a column at a time: each parser runs over a whole
    column in one comprehension, and only a column with a refused cell is gone over
    again cell by cell to say which. Per-row work is left to the rows that need it.
    """

    def __init__(
        self,
        lay: Layout,
        stage: Stage,
        group: int | None = None,
        broken: dict[int, str] | None = None,
    ) -> None:
        tbl = stage.tbl
        # Lines the reader could not make a row of (a broken vCard): rejected as they are.
        self.broken = broken or {}
        self.parsers: list[tuple[Any, ...]] = [
            (index, col.target, col.parse, col.parse_all, col.required, _label(lay, index), col.key)
            for index, col in lay.fields
        ]
        # Fields made of several cells: their cells joined, parsed as one.
        self.parsers += [
            (
                c.indexes,
                c.column.target,
                c.column.parse,
                None,
                c.column.required,
                c.label,
                c.column.key,
            )
            for c in lay.computed
        ]
        self.labels = lay.labels()
        # --group-by: the column whose value says which invoice a line belongs to, and the
        # invoices with a refused line (each with its first such line).
        self.group = group
        self.group_label = _label(lay, group) if group is not None else ""
        self.bad_groups: dict[str, int] = {}
        # Date columns: read a chunk at a time, their order decided over the whole file.
        self.dates = {
            col.target: col.parse_all is cell_values.parse_moments
            for _, col in lay.fields
            if col.parse_all in (cell_values.parse_days, cell_values.parse_moments)
        }
        self.date_cells: list[dict[str, Any]] = []
        self.unknown = lay.unknown
        self.value_maps = lay.values
        self.notes = tbl.notes
        self.derive = tbl.derive
        self.width = len(lay.headers)
        self.order = stage.order
        self.processors = stage.processors
        problem_order = stage.problem_order

        def problem_row(**values: Any) -> tuple[Any, ...]:
            return tuple(values[name] for name in problem_order)

        self.problem_row = problem_row
        self.keep_raw = stage.keep_raw
        # Rows of contacts, follow-ups, sales… must name their customer somehow.
        refs = [(i, col) for i, col in lay.fields if col.target in REF_TARGETS]
        self.ref_label = _label(lay, refs[0][0]) if tbl.customer_ref and refs else None

    def __call__(
        self, rows: list[tuple[int, list[str]]]
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]:
        count, width = len(rows), self.width
        lines = [line for line, _ in rows]
        cells = [row for _, row in rows]
        uniform = all(len(row) == width for row in cells)
        by_index = list(zip(*cells, strict=True)) if uniform else None
        found: dict[int, list[tuple[str, str]]] = {}
        missing: dict[int, list[str]] = {}
        columns: dict[str, list[Any]] = {}
        given: list[tuple[list[str], dict[int, str]]] = []  # the customer references
        for index, target, parse, parse_all, required, label, key in self.parsers:
            if isinstance(index, tuple):
                texts = _joined(cells, index)
            else:
                if by_index is not None:
                    raw: Sequence[str] = by_index[index]
                else:
                    raw = [row[index] if index < len(row) else "" for row in cells]
                texts = [text.strip() for text in raw]
                if index in self.value_maps:
                    texts = map_values(texts, self.value_maps[index])
            if "\n'" in "\n" + "\n".join(texts):
                texts = [unescape_formula(t) if t[:1] == "'" else t for t in texts]
            if target in self.dates:
                values, refused, cells_read = cell_values.read_date_column(
                    texts, self.dates[target]
                )
                self.date_cells.extend(
                    {"line": lines[i], "target": target, "text": texts[i], "form": f, "kind": k}
                    for i, f, k in cells_read
                )
            else:
                values, refused = _parse_column(parse, parse_all, texts)
            columns[target] = values
            if required and "" in texts:
                for i, text in enumerate(texts):
                    if not text:
                        # Needed to add a record, not to update one: decided in phase 2.
                        missing.setdefault(i, []).append(f"{label}\t{key}")
            for i, message in refused.items():
                found.setdefault(i, []).append((label, message))
            if target in REF_TARGETS:
                given.append((texts, refused))
        if self.unknown or not uniform:
            self._extra_cells(cells, columns, found)
        if self.ref_label is not None:
            for i in range(count):
                if not any(texts[i] and i not in refused for texts, refused in given):
                    found.setdefault(i, []).append((self.ref_label, MESSAGES["no_customer"]))
        if self.broken:
            for i, line in enumerate(lines):
                if line in self.broken:
                    found[i] = [("", self.broken[line])]
        if self.derive is not None:
            for i, exc in self.derive(columns).items():
                if i not in found:
                    found[i] = [(self.labels.get(exc.column, exc.column), exc.message)]
        if self.group is not None:
            self._group(cells, lines, columns, found)
        nothing: list[Any] = [None] * count
        for name, proc in self.processors.items():
            if name in columns:
                columns[name] = [None if value is None else proc(value) for value in columns[name]]
        raws = [json.dumps(row, ensure_ascii=False) for row in cells] if self.keep_raw else nothing
        needs: list[str | None] = [None] * count
        for i, items in missing.items():
            needs[i] = "\n".join(items)
        columns.update(line=lines, raw=raws, missing=needs)
        staged = list(zip(*(columns.get(name, nothing) for name in self.order), strict=True))
        problems: list[tuple[Any, ...]] = []
        if found:
            staged = [row for i, row in enumerate(staged) if i not in found]
            for i in sorted(found):
                problems.extend(
                    self.problem_row(line=lines[i], col=col, message=msg, raw=raws[i])
                    for col, msg in found[i]
                )
        return staged, problems, len(found)

    def _group(
        self,
        cells: list[list[str]],
        lines: list[int],
        columns: dict[str, list[Any]],
        found: dict[int, list[tuple[str, str]]],
    ) -> None:
        index, label = self.group, self.group_label
        assert index is not None
        keys = [row[index].strip() if index < len(row) else "" for row in cells]
        for i, key in enumerate(keys):
            if not key:
                found.setdefault(i, []).append(
                    (label, orders.MESSAGES["no_group"].format(label=label))
                )
        for i in found:
            if keys[i]:
                self.bad_groups.setdefault(keys[i], lines[i])
        columns["grp"] = [key or None for key in keys]

    def _extra_cells(
        self,
        cells: list[list[str]],
        columns: dict[str, list[Any]],
        found: dict[int, list[tuple[str, str]]],
    ) -> None:
        """Cells under unknown headers, or past the header's last column, into notes."""
        notes, unknown, width = self.notes, self.unknown, self.width
        for i, row in enumerate(cells):
            n = len(row)
            if not unknown and n <= width:
                continue
            extra = [f"{name}: {row[j].strip()}" for j, name in unknown if j < n and row[j].strip()]
            spill = [(j, c.strip()) for j, c in enumerate(row[width:], width) if c.strip()]
            if spill and notes:
                extra.extend(f"column {j + 1}: {c}" for j, c in spill)
            elif spill:
                found.setdefault(i, []).append(
                    ("", MESSAGES["extra_cells"].format(count=len(spill)))
                )
            if extra and notes:
                kept = columns.setdefault(notes, [None] * len(cells))
                kept[i] = "\n".join(filter(None, [kept[i], *extra]))


def _parse_column(
    parse: Callable[[str], Any],
    parse_all: Callable[[list[str]], list[Any]] | None,
    texts: list[str],
) -> tuple[list[Any], dict[int, str]]:
    """Each non-empty text parsed (None for an empty one), and the messages of those
    refused by their position. Refusals are rare: a column is parsed in one go first."""
    try:
        if parse_all is not None:
            return parse_all(texts), {}
        return [parse(text) if text else None for text in texts], {}
    except ColumnRefused as exc:
        return exc.values, exc.refused
    except InvalidInput:
        pass
    values: list[Any] = []
    refused: dict[int, str] = {}
    for i, text in enumerate(texts):
        value = None
        if text:
            try:
                value = parse(text)
            except InvalidInput as exc:
                refused[i] = exc.message
        values.append(value)
    return values, refused


def _decide_dates(stage: Stage, validator: Validator) -> int:
    """Each date column's forms decided over the whole file (``values.order_rule``): the
    dates that may be read either way re-read day first, or refused with their lines,
    never read one way in one part of a file and the other way in the next. Returns the
    number of lines refused here."""
    d, s, p = stage.dates, stage.tables.staged, stage.tables.problems
    conn = stage.conn
    kinds: dict[tuple[str, str], set[str]] = {}
    for target, form, kind in conn.execute(select(d.c.target, d.c.form, d.c.kind).distinct()):
        kinds.setdefault((target, form), set()).add(kind)
    refusals: list[dict[str, Any]] = []
    for (target, form), found in sorted(kinds.items()):
        rule = cell_values.order_rule(form, found)
        if rule is None:
            continue
        cells = select(d.c.line, d.c.text, d.c.kind).where(d.c.target == target, d.c.form == form)
        label = validator.labels.get(target, target)
        if rule == cell_values.DAY_FIRST:
            moment = validator.dates[target]
            changes = [
                {"b_at": line, "b_value": cell_values.reread(text, moment)}
                for line, text, _ in conn.execute(cells.where(d.c.kind == cell_values.EITHER))
            ]
            if changes:
                column = s.c[target]
                conn.execute(
                    update(s)
                    .where(s.c.line == bindparam("b_at"))
                    .values({column: bindparam("b_value")}),
                    changes,
                )
            continue
        if rule == cell_values.MIXED:
            example = {
                kind: conn.execute(cells.where(d.c.kind == kind).order_by(d.c.id).limit(1)).one()[1]
                for kind in (cell_values.DAY_FIRST, cell_values.MONTH_FIRST)
            }
            refusals.extend(
                {
                    "b_at": line,
                    "b_col": label,
                    "b_message": cell_values.mixed_message(
                        text, example[cell_values.DAY_FIRST], example[cell_values.MONTH_FIRST]
                    ),
                }
                for line, text, _ in conn.execute(cells.order_by(d.c.id))
            )
        else:
            refusals.extend(
                {"b_at": line, "b_col": label, "b_message": cell_values.undecided_message(text)}
                for line, text, _ in conn.execute(
                    cells.where(d.c.kind == cell_values.EITHER).order_by(d.c.id)
                )
            )
    if not refusals:
        return 0
    raw = select(s.c.raw).where(s.c.line == bindparam("b_at")).scalar_subquery()
    conn.execute(
        insert(p).values(
            line=bindparam("b_at"), col=bindparam("b_col"), message=bindparam("b_message"), raw=raw
        ),
        refusals,
    )
    lines = sorted({r["b_at"] for r in refusals})
    refused = 0
    for start in range(0, len(lines), WORK_CHUNK):
        refused += conn.execute(
            delete(s).where(s.c.line.in_(lines[start : start + WORK_CHUNK]))
        ).rowcount
    return refused


def _joined(cells: list[list[str]], indexes: tuple[int, ...]) -> list[str]:
    """The cells of each row at ``indexes``, stripped and joined (empty when all are)."""
    texts = []
    for row in cells:
        parts = [row[j].strip() if j < len(row) else "" for j in indexes]
        texts.append(PRODUCT_SEPARATOR.join(parts) if any(parts) else "")
    return texts


def _label(lay: Layout, index: int) -> str:
    return lay.headers[index].replace("\ufeff", "").strip()


def _chunks(
    src: Source, keep: Callable[[list[str]], bool] | None, left_out: list[int]
) -> Iterator[list[tuple[int, list[str]]]]:
    """The rows a chunk at a time; with ``keep`` only the rows it keeps (``left_out``
    counts the others)."""
    rows: Iterator[tuple[int, list[str]]] = src.rows()
    if keep is not None:
        every = rows

        def kept() -> Iterator[tuple[int, list[str]]]:
            for line, cells in every:
                if keep(cells):
                    yield line, cells
                else:
                    left_out[0] += 1

        rows = kept()
    while chunk := list(islice(rows, WORK_CHUNK)):
        yield chunk


class Shape:
    """What the order-line options make of a file (``orders``): the rows kept, the
    column whose lines make one sale, and what the user is told of both."""

    def __init__(self, opts: ImportOptions, header: list[str]) -> None:
        conditions = orders.parse_where(opts.where)
        self.keep = orders.row_filter(header, conditions) if conditions else None
        self.where = " ".join(c.text for c in conditions)
        self.group = (
            io_tables.header_index(header, opts.group_by, f"--group-by {opts.group_by}")
            if opts.group_by
            else None
        )
        self.left_out = [0]
        self.sales = 0


def _stage_rows(
    src: Source,
    lay: Layout,
    stage: Stage,
    shape: Shape,
    *,
    say_progress: Progress | None,
) -> tuple[int, int]:
    """Validate every row into the staging file; returns (rows, rows with problems)."""
    validator = Validator(lay, stage, shape.group, getattr(src, "broken", None))
    total = bad = 0
    with stage.conn.begin():
        cursor = stage.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        for chunk in _chunks(src, shape.keep, shape.left_out):
            staged, problems, bad_rows = validator(chunk)
            total += len(staged) + bad_rows
            bad += bad_rows
            cursor.executemany(stage.insert_sql, staged)
            if problems:
                cursor.executemany(stage.problem_sql, problems)
            if validator.date_cells:
                stage.conn.execute(insert(stage.dates), validator.date_cells)
                validator.date_cells = []
            if say_progress is not None:
                say_progress(src.bytes_read, src.size)
        cursor.close()
        bad += _decide_dates(stage, validator)
        if shape.group is not None:
            refused, shape.sales = orders.collapse(
                stage.conn,
                stage.tables.staged,
                stage.tables.problems,
                validator.bad_groups,
                validator.group_label,
            )
            bad += refused
    return total, bad


def _layout(opts: ImportOptions, tbl: Table, header: list[str]) -> Layout:
    return io_tables.layout(
        tbl,
        header,
        orders.mapping(opts),
        adding=opts.on_duplicate != "update",
        computed=orders.computed(opts),
        keep_unknown=opts.group_by is None,
        used=orders.read_columns(opts),
        values=opts.value_maps,
    )


def _tell(say: Say, lay: Layout, shape: Shape, total: int) -> None:
    """What the user should know of a file read: its columns, the lines left out and
    the sales its lines made."""
    for notice in lay.notices:
        say(notice)
    if shape.left_out[0]:
        key = "left_out" if shape.left_out[0] > 1 else "left_out_one"
        say(orders.MESSAGES[key].format(count=shape.left_out[0], conditions=shape.where))
    if shape.group is not None:
        key = "grouped" if shape.sales != 1 else "grouped_one"
        say(
            orders.MESSAGES[key].format(
                lines=total, sales=shape.sales, label=_label(lay, shape.group)
            )
        )


def _header_detail(exc: Any) -> str:
    """The headers of a file none of whose headers is known, for its refusal."""
    from crmcli.i18n import _

    if exc.headers:
        return _("headers: {headers}").format(headers=exc.headers)
    return _("headers: empty")


def read_file(
    opts: ImportOptions, tbl: Table, stage: Stage, say: Say, progress: Progress | None
) -> tuple[Source, Layout, int, int]:
    other = _other_reader(opts, tbl)
    if other is not None:
        return _read_other(other, opts, tbl, stage, say, progress)
    encoding = opts.encoding
    fell_back = False  # read again as GB18030 after UTF-8 failed past the sample
    while True:
        with CsvSource(opts.path, encoding=encoding, delimiter=opts.delimiter) as src:
            try:
                lay = _layout(opts, tbl, src.header)
            except UnrecognisedHeader as exc:
                hint = (
                    MESSAGES["encoding_hint"].format(encoding=src.encoding) if src.guessed else ""
                )
                detail = _header_detail(exc)
                raise InvalidInput(
                    MESSAGES["wrong_header"].format(
                        name=src.name, detail=detail, encoding_hint=hint
                    )
                ) from None
            shape = Shape(opts, src.header)
            stage.reset(lay)
            try:
                total, bad = _stage_rows(src, lay, stage, shape, say_progress=progress)
            except EncodingMismatch as exc:
                if fell_back:
                    raise InvalidInput(
                        MESSAGES["neither"].format(name=src.name, line=exc.line)
                    ) from None
                if not (src.guessed and src.encoding == "utf-8"):
                    raise
                blocks = file_blocks(opts.path) if src.seekable else [src.head]
                if starts_as_utf8(blocks):
                    # UTF-8 text up to a bad byte: a damaged UTF-8 file, not another encoding.
                    raise InvalidInput(
                        MESSAGES["bad_utf8"].format(name=src.name, line=exc.line)
                    ) from None
                if not src.seekable:
                    raise
                # ASCII up to bytes that are not UTF-8: a GB18030 file whose first 64 KiB
                # happen to be ASCII. Read it again, as GB18030.
                encoding = "gb18030"
                fell_back = True
                continue
            _tell(say, lay, shape, total)
            return src, lay, total, bad


def _other_reader(opts: ImportOptions, tbl: Table) -> WorkbookInput | CardInput | None:
    """A workbook's sheet or an address book, read by their own readers; None for CSV."""
    from crmcli.io import vcards, workbook

    if workbook.is_workbook(opts.path):
        mapped = set(orders.mapping(opts))
        return workbook.open_workbook(
            opts.path,
            sheet=opts.sheet,
            header_row=opts.header_row,
            is_header=lambda text: (
                tbl.match_header(text) is not None or fold_header(text) in mapped
            ),
        )
    if opts.sheet is not None or opts.header_row is not None:
        raise InvalidInput(MESSAGES["not_workbook"].format(name=os.path.basename(opts.path)))
    if vcards.is_vcard(opts.path):
        if tbl.name != "contacts":
            raise InvalidInput(MESSAGES["vcard_table"].format(name=os.path.basename(opts.path)))
        return vcards.open_cards(opts.path, customer=opts.customer, by_org=opts.by_org)
    if opts.customer is not None or opts.by_org:
        raise InvalidInput(MESSAGES["not_vcard"].format(name=os.path.basename(opts.path)))
    return None


def _read_other(
    src: WorkbookInput | CardInput,
    opts: ImportOptions,
    tbl: Table,
    stage: Stage,
    say: Say,
    progress: Progress | None,
) -> tuple[Source, Layout, int, int]:
    try:
        lay = _layout(opts, tbl, src.header)
    except UnrecognisedHeader as exc:
        detail = _header_detail(exc)
        raise InvalidInput(
            MESSAGES["wrong_header"].format(name=src.name, detail=detail, encoding_hint="")
        ) from None
    shape = Shape(opts, src.header)
    stage.reset(lay)
    total, bad = _stage_rows(src, lay, stage, shape, say_progress=progress)
    _tell(say, lay, shape, total)
    return src, lay, total, bad
