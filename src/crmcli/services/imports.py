"""crm import: a whole file validated first, then written in one transaction, as a batch
that ``crm import undo`` can take back (SPEC §4).

Two phases. First every row is read, cleaned and validated in Python and staged in a
private SQLite file beside nothing else: the database is not even locked while a large
file is checked, and memory stays flat however long the file is. Then, in one write
transaction on the database with the staging file attached, everything that depends on
the database is decided by set-based SQL — which customer a row names, which rows are
duplicates (in the file and against the database), generated codes — and the rows are
written with INSERT … SELECT, recorded as an ImportBatch with its ImportItems, given one
history line each and their due dates recomputed. A kill at any moment leaves the
database with all of the import or none of it.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from crmcli import schema
from crmcli.errors import InvalidInput, NotFound, StorageError
from crmcli.io import tables as io_tables
from crmcli.io.csvfile import (
    CsvInput,
    CsvSource,
    EncodingMismatch,
    file_blocks,
    starts_as_utf8,
    write_csv,
)
from crmcli.io.tables import Key, Layout, Table, UnrecognisedHeader
from crmcli.io.values import ColumnRefused, unescape_formula
from crmcli.services.context import Actor

WORK_CHUNK = 2000
CACHE_KIB = 48 * 1024
ON_DUPLICATE = ("skip", "update", "error")
REF_TARGETS = ("ref_code", "ref_name", "ref_any")
# Control columns of a staged row, beside the table's own.
_CONTROL = (
    "customer_id",
    "contact_id",
    "ref_n",
    "contact_n",
    "problem",
    "dup_of",
    "dup_key",
    "target_id",
    "target_n",
    "target_key",
    "decided",
    "missing",
    "action",
)

MESSAGES = {
    "required": "{field} is required",
    "extra_cells": "{count} more cells than the header has",
    "no_customer": "no customer given (a code or a name)",
    "no_code": "no customer with code {ref!r}",
    "no_name": "no customer matches {ref!r}",
    "ambiguous": "customer {ref!r} is ambiguous: {candidates}",
    "no_contact": "{customer} has no contact {ref!r}",
    "ambiguous_contact": "{customer} has {n} contacts named {ref!r}",
    "dup_line": "duplicate of line {line} (same {key})",
    "dup_db": "already in the database as {desc} (same {key})",
    "dup_many": "matches {n} {table} by {key}: {descs}; give a code to choose one",
    "dup_rejected": "duplicate of line {line}, which is rejected",
    "skip_line": "line {line}: skipped, duplicate of line {other} (same {key})",
    "skip_db": "line {line}: skipped, already in the database as {desc} (same {key})",
    "skip_many": "line {line}: skipped, matches {n} {table} by {key}",
    "merge": "line {line}: merged into line {other} (same {key})",
    "update": "line {line}: updates {desc} (same {key})",
    "unchanged": "line {line}: unchanged, {desc} already has its values (same {key})",
    "wrong_header": (
        "{name}: the header row has no column crm knows ({detail}){encoding_hint}; "
        "name the columns with --map 'HEADER=field'"
    ),
    "encoding_hint": "; read as {encoding} — if that is wrong, pass --encoding",
    "bad_utf8": (
        "{name}: line {line} is not valid UTF-8, though the text before it is; "
        "correct that line, or pass the file's encoding with --encoding"
    ),
    "neither": (
        "cannot tell the encoding of {name}: line {line} is neither UTF-8 nor GB18030; "
        "pass it with --encoding"
    ),
    "invalid": (
        "{bad} of {total} rows of {name} are invalid; nothing imported "
        "(fix them, or import the rest with --skip-invalid; --rejects FILE collects them)"
    ),
}


@dataclass
class ImportOptions:
    table: str
    path: str
    encoding: str | None = None
    delimiter: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    on_duplicate: str = "skip"
    dry_run: bool = False
    skip_invalid: bool = False
    rejects: str | None = None
    owner: str | None = None


@dataclass
class ImportResult:
    batch_id: int | None
    table: str
    source: str
    encoding: str
    delimiter: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    rejects_written: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch_id,
            "table": self.table,
            "source": self.source,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "rows": self.rows,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "dry_run": self.dry_run,
        }


Say = Callable[[str], None]
Progress = Callable[[int, int | None], None]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _model(tbl: Table) -> Any:
    from crmcli import models

    return getattr(models, tbl.model)


# --- phase 1: read, validate, stage ---------------------------------------------------------


class _Stage:
    """The private staging file: one row per valid input row, one per problem."""

    def __init__(self, directory: str, tbl: Table, dialect: Any, keep_raw: bool) -> None:
        self.path = os.path.join(directory, "stage.db")
        self.tbl = tbl
        self.dialect = dialect
        self.keep_raw = keep_raw
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = OFF")
        self.conn.execute("PRAGMA synchronous = OFF")
        self.columns: tuple[str, ...] = ()
        self.processors: list[tuple[int, Any]] = []
        self.insert_sql = ""

    def reset(self, lay: Layout) -> None:
        """An empty staging table; rows bind only the columns this file fills."""
        tbl = self.tbl
        table = _model(tbl).__table__
        self.columns = tbl.staged_columns([col.target for _, col in lay.fields])
        self.processors = []
        for i, name in enumerate(self.columns):
            col = table.c.get(name)
            if col is None:
                continue
            proc = col.type.dialect_impl(self.dialect).bind_processor(self.dialect)
            if proc is not None:
                self.processors.append((i, proc))
        cols = ", ".join(_q(c) for c in (*tbl.stored_columns, *_CONTROL))
        self.conn.execute("DROP TABLE IF EXISTS staged")
        self.conn.execute("DROP TABLE IF EXISTS problems")
        self.conn.execute(f"CREATE TABLE staged (line INTEGER PRIMARY KEY, raw, {cols})")
        self.conn.execute("CREATE TABLE problems (line INTEGER, col TEXT, message TEXT, raw)")
        # Every row is added unless phase 2 finds a reason not to (``_classify``).
        placeholders = ", ".join(["?", "?", "?", "'add'", *("?" for _ in self.columns)])
        names = ", ".join(_q(c) for c in self.columns)
        self.insert_sql = (
            f"INSERT INTO staged (line, raw, missing, action, {names}) VALUES ({placeholders})"
        )

    def close(self) -> None:
        self.conn.close()


class _Validator:
    """Turns raw rows into staged tuples and the problems found in them.

    A chunk of rows is checked a column at a time: each parser runs over a whole
    column in one comprehension, and only a column with a refused cell is gone over
    again cell by cell to say which. Per-row work is left to the rows that need it.
    """

    def __init__(self, lay: Layout, stage: _Stage) -> None:
        tbl = stage.tbl
        self.parsers = [
            (index, col.target, col.parse, col.parse_all, col.required, _label(lay, index), col.key)
            for index, col in lay.fields
        ]
        self.labels = {col.target: _label(lay, i) for i, col in lay.fields}
        self.unknown = lay.unknown
        self.notes = tbl.notes
        self.derive = tbl.derive
        self.width = len(lay.headers)
        self.order = stage.columns
        self.processors = stage.processors
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
            if by_index is not None:
                raw: Sequence[str] = by_index[index]
            else:
                raw = [row[index] if index < len(row) else "" for row in cells]
            texts = [text.strip() for text in raw]
            if "\n'" in "\n" + "\n".join(texts):
                texts = [unescape_formula(t) if t[:1] == "'" else t for t in texts]
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
        if self.derive is not None:
            for i, exc in self.derive(columns).items():
                if i not in found:
                    found[i] = [(self.labels.get(exc.column, exc.column), exc.message)]
        nothing: list[Any] = [None] * count
        ordered = [columns.get(name, nothing) for name in self.order]
        for i, proc in self.processors:
            ordered[i] = [None if value is None else proc(value) for value in ordered[i]]
        raws = [json.dumps(row, ensure_ascii=False) for row in cells] if self.keep_raw else nothing
        needs: list[str | None] = [None] * count
        for i, items in missing.items():
            needs[i] = "\n".join(items)
        staged = list(zip(lines, raws, needs, *ordered, strict=True))
        problems: list[tuple[Any, ...]] = []
        if found:
            staged = [row for i, row in enumerate(staged) if i not in found]
            for i in sorted(found):
                problems.extend((lines[i], col, msg, raws[i]) for col, msg in found[i])
        return staged, problems, len(found)

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


def _label(lay: Layout, index: int) -> str:
    return lay.headers[index].replace("\ufeff", "").strip()


def _chunks(src: CsvInput) -> Iterator[list[tuple[int, list[str]]]]:
    rows = src.rows()
    while chunk := list(islice(rows, WORK_CHUNK)):
        yield chunk


def _stage_rows(
    src: CsvInput,
    lay: Layout,
    stage: _Stage,
    *,
    say_progress: Progress | None,
) -> tuple[int, int]:
    """Validate every row into the staging file; returns (rows, rows with problems)."""
    validator = _Validator(lay, stage)
    conn = stage.conn
    total = bad = 0
    conn.execute("BEGIN")
    for chunk in _chunks(src):
        staged, problems, bad_rows = validator(chunk)
        total += len(staged) + bad_rows
        bad += bad_rows
        conn.executemany(stage.insert_sql, staged)
        if problems:
            conn.executemany("INSERT INTO problems VALUES (?, ?, ?, ?)", problems)
        if say_progress is not None:
            say_progress(src.bytes_read, src.size)
    conn.execute("COMMIT")
    return total, bad


def _read_file(
    opts: ImportOptions, tbl: Table, stage: _Stage, say: Say, progress: Progress | None
) -> tuple[CsvInput, Layout, int, int]:
    encoding = opts.encoding
    fell_back = False  # read again as GB18030 after UTF-8 failed past the sample
    while True:
        with CsvSource(opts.path, encoding=encoding, delimiter=opts.delimiter) as src:
            try:
                lay = io_tables.layout(
                    tbl, src.header, opts.mapping, adding=opts.on_duplicate != "update"
                )
            except UnrecognisedHeader as exc:
                hint = (
                    MESSAGES["encoding_hint"].format(encoding=src.encoding) if src.guessed else ""
                )
                detail = exc.message.partition(" in: ")[2] or "empty"
                raise InvalidInput(
                    MESSAGES["wrong_header"].format(
                        name=src.name, detail=f"headers: {detail}", encoding_hint=hint
                    )
                ) from None
            stage.reset(lay)
            try:
                total, bad = _stage_rows(src, lay, stage, say_progress=progress)
            except EncodingMismatch as exc:
                if stage.conn.in_transaction:
                    stage.conn.execute("ROLLBACK")
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
            for notice in lay.notices:
                say(notice)
            return src, lay, total, bad


# --- phase 2: decide against the database, then write -----------------------------------


class _Plan:
    """What phase 2 works with: the connection, the table, the labels of file columns."""

    def __init__(
        self, conn: Any, tbl: Table, lay: Layout, opts: ImportOptions, actor: Actor, source: str
    ) -> None:
        self.conn = conn
        self.source = source
        self.tbl = tbl
        self.opts = opts
        self.actor = actor
        self.labels = {
            col.target: lay.headers[i].replace("\ufeff", "").strip() for i, col in lay.fields
        }
        self.present = {col.target for _, col in lay.fields}
        self.table = tbl.table
        self.code_params: dict[str, Any] = {}
        self.adding = 0  # rows to add, once ``_classify`` has decided
        self.given: set[str] = set()  # the key columns some staged row has

    def sql(self, statement: str, params: dict[str, Any] | None = None) -> Any:
        from sqlalchemy import text

        return self.conn.execute(text(statement), params or {})

    def label(self, stored: str) -> str:
        if stored == "name_key":
            stored = "name"
        if stored in ("customer_id", "ref"):
            for ref in ("ref_code", "ref_any", "ref_name"):
                if ref in self.labels:
                    return self.labels[ref]
        return self.labels.get(stored, stored)

    def problem(self, line: int, col: str, message: str) -> None:
        self.sql(
            "INSERT INTO stage.problems (line, col, message, raw) "
            "SELECT :line, :col, :message, raw FROM stage.staged WHERE line = :line",
            {"line": line, "col": col, "message": message},
        )
        self.sql(
            "UPDATE stage.staged SET problem = 1, action = 'reject' WHERE line = :line",
            {"line": line},
        )


def _resolve_customers(plan: _Plan) -> None:
    """Rows name their customer by code, by exact (normalized) name, or either."""
    if not plan.tbl.customer_ref:
        return
    plan.sql(
        "UPDATE stage.staged SET customer_id = "
        "(SELECT c.id FROM main.customer c WHERE c.code = staged.ref_code) "
        "WHERE ref_code IS NOT NULL"
    )
    plan.sql(
        "UPDATE stage.staged SET customer_id = "
        "(SELECT c.id FROM main.customer c WHERE c.code = staged.ref_any) "
        "WHERE ref_code IS NULL AND ref_any IS NOT NULL"
    )
    by_name = "coalesce(staged.ref_name_key, staged.ref_any_key)"
    plan.sql(
        f"UPDATE stage.staged SET ref_n = (SELECT count(*) FROM main.customer c "
        f"WHERE c.name_key = {by_name}) "
        f"WHERE customer_id IS NULL AND ref_code IS NULL AND {by_name} IS NOT NULL"
    )
    plan.sql(
        f"UPDATE stage.staged SET customer_id = (SELECT c.id FROM main.customer c "
        f"WHERE c.name_key = {by_name}) WHERE customer_id IS NULL AND ref_n = 1"
    )
    missing = plan.sql(
        "SELECT line, ref_code, coalesce(ref_name, ref_any) AS ref, "
        "coalesce(ref_name_key, ref_any_key) AS key, ref_n "
        "FROM stage.staged WHERE customer_id IS NULL ORDER BY line"
    ).all()
    for row in missing:
        if row.ref_code is not None:
            plan.problem(
                row.line, plan.labels["ref_code"], MESSAGES["no_code"].format(ref=row.ref_code)
            )
            continue
        column = plan.labels.get("ref_name") or plan.labels.get("ref_any", "customer")
        if not row.ref_n:
            plan.problem(row.line, column, MESSAGES["no_name"].format(ref=row.ref))
            continue
        candidates = plan.sql(
            "SELECT code, name FROM main.customer WHERE name_key = :k ORDER BY id LIMIT 10",
            {"k": row.key},
        ).all()
        shown = "; ".join(f"{c.code} {c.name}" for c in candidates)
        plan.problem(row.line, column, MESSAGES["ambiguous"].format(ref=row.ref, candidates=shown))
    if plan.tbl.contact_ref and "contact_ref" in plan.present:
        plan.sql(
            "UPDATE stage.staged SET contact_n = (SELECT count(*) FROM main.contact k "
            "WHERE k.customer_id = staged.customer_id AND k.name = staged.contact_ref), "
            "contact_id = (SELECT min(k.id) FROM main.contact k "
            "WHERE k.customer_id = staged.customer_id AND k.name = staged.contact_ref) "
            "WHERE contact_ref IS NOT NULL AND customer_id IS NOT NULL AND problem IS NULL"
        )
        bad = plan.sql(
            "SELECT s.line, s.contact_ref, s.contact_n, c.code, c.name FROM stage.staged s "
            "JOIN main.customer c ON c.id = s.customer_id "
            "WHERE s.contact_ref IS NOT NULL AND s.problem IS NULL AND s.contact_n <> 1 "
            "ORDER BY s.line"
        ).all()
        for row in bad:
            customer = f"{row.code} {row.name}"
            key = "no_contact" if not row.contact_n else "ambiguous_contact"
            plan.problem(
                row.line,
                plan.labels["contact_ref"],
                MESSAGES[key].format(customer=customer, ref=row.contact_ref, n=row.contact_n),
            )


def _find_duplicates(plan: _Plan) -> None:
    """Key by key, in order: an earlier row of the file, else a record in the database.

    A key no row has (codes, in most files) and records of an empty table are not
    looked for: each would cost a pass over every staged row that finds nothing.
    """
    records = plan.sql(f"SELECT EXISTS (SELECT 1 FROM main.{_q(plan.table)})").scalar()
    for number, key in enumerate(plan.tbl.keys):
        applicable = " AND ".join(f"{_q(c)} IS NOT NULL" for c in key.columns)
        partition = ", ".join(_q(c) for c in (*key.columns, *key.optional))
        if not plan.sql(f"SELECT EXISTS (SELECT 1 FROM stage.staged WHERE {applicable})").scalar():
            continue
        plan.given.update(key.columns)
        if key.in_file:
            # With ``problem`` in the index, grouping reads the index alone, not every row.
            plan.sql(
                f"CREATE INDEX IF NOT EXISTS stage.staged_key{number} "
                f"ON staged ({partition}, problem)"
            )
        if key.in_file and key.apart:
            # Each row of a group with more than one: the first earlier row it is not
            # kept apart from (one of the two has no phone, say, or both the same).
            same = " AND ".join(f"e.{_q(c)} IS s.{_q(c)}" for c in (*key.columns, *key.optional))
            group = " AND ".join(f"s.{_q(c)} IS g.{_q(c)}" for c in (*key.columns, *key.optional))
            plan.sql(
                f"UPDATE stage.staged SET dup_of = f.first, dup_key = :label, decided = 1 "
                f"FROM (SELECT s.line, (SELECT min(e.line) FROM stage.staged e "
                f"WHERE {same} AND e.line < s.line AND e.problem IS NULL "
                f"AND {' AND '.join(_together(key, 'e', 's'))}) AS first "
                f"FROM stage.staged s JOIN (SELECT {partition} FROM stage.staged "
                f"WHERE {applicable} AND problem IS NULL GROUP BY {partition} "
                f"HAVING count(*) > 1) AS g ON {group} "
                f"WHERE s.decided IS NULL AND s.problem IS NULL) AS f "
                f"WHERE staged.line = f.line AND f.first IS NOT NULL",
                {"label": key.label},
            )
        elif key.in_file:
            # Only groups with more than one row are looked at: found through the index.
            same = " AND ".join(
                f"staged.{_q(c)} IS f.{_q(c)}" for c in (*key.columns, *key.optional)
            )
            plan.sql(
                f"UPDATE stage.staged SET dup_of = f.first, dup_key = :label, decided = 1 "
                f"FROM (SELECT {partition}, min(line) AS first FROM stage.staged "
                f"WHERE {applicable} AND problem IS NULL GROUP BY {partition} "
                f"HAVING count(*) > 1) AS f "
                f"WHERE {same} AND staged.line > f.first AND staged.decided IS NULL "
                f"AND staged.problem IS NULL",
                {"label": key.label},
            )
        match = " AND ".join(
            [f"t.{_q(c)} = staged.{_q(c)}" for c in key.columns]
            + [f"t.{_q(c)} IS staged.{_q(c)}" for c in key.optional]
            + _together(key, "t", "staged")
        )
        target = f"main.{_q(plan.table)} t"
        if records:
            plan.sql(
                f"UPDATE stage.staged SET target_n = (SELECT count(*) FROM {target} WHERE {match}), "
                f"target_id = (SELECT min(t.id) FROM {target} WHERE {match}), "
                f"target_key = :label, decided = 1 "
                f"WHERE decided IS NULL AND problem IS NULL AND {applicable} "
                f"AND EXISTS (SELECT 1 FROM {target} WHERE {match})",
                {"label": key.label},
            )
        if key.decisive:
            plan.sql(f"UPDATE stage.staged SET decided = 1 WHERE decided IS NULL AND {applicable}")


def _together(key: Key, a: str, b: str) -> list[str]:
    """SQL terms: rows ``a`` and ``b``, equal on ``key``, are not kept apart by its
    ``apart`` columns (each column missing from one of them, or the same in both)."""
    return [
        f"(coalesce({a}.{_q(c)}, '') = '' OR coalesce({b}.{_q(c)}, '') = '' "
        f"OR {a}.{_q(c)} = {b}.{_q(c)})"
        for c in key.apart
    ]


def _describe(plan: _Plan, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    if plan.tbl.name == "customers":
        found = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join(str(int(i)) for i in chunk)
            for row in plan.sql(f"SELECT id, code, name FROM main.customer WHERE id IN ({marks})"):
                found[row.id] = f"{row.code} {row.name}"
        return found
    return {i: f"{plan.tbl.singular} #{i}" for i in ids}


def _classify(plan: _Plan) -> None:
    """Each row's action: add, update, skip, merge (into an earlier row), or reject."""
    mode = plan.opts.on_duplicate
    key_column = {k.label: _key_label(plan, k.columns) for k in plan.tbl.keys}
    on_line = {"skip": "skip", "update": "merge", "error": "reject"}[mode]
    on_db = {"skip": "skip", "update": "update", "error": "reject"}[mode]
    on_many = "skip" if mode == "skip" else "reject"
    # Rows were staged as 'add': only those with a problem or a duplicate change, and
    # rewriting just them is much cheaper than rewriting every staged row.
    plan.sql(
        "UPDATE stage.staged SET action = CASE "
        "WHEN problem IS NOT NULL THEN 'reject' "
        "WHEN dup_of IS NOT NULL THEN :on_line "
        "WHEN target_n > 1 THEN :on_many "
        "WHEN target_id IS NOT NULL THEN :on_db "
        "ELSE 'add' END "
        "WHERE problem IS NOT NULL OR dup_of IS NOT NULL OR target_id IS NOT NULL "
        "OR target_n > 1",
        {"on_line": on_line, "on_db": on_db, "on_many": on_many},
    )
    rejected = plan.sql(
        "SELECT line, dup_of, dup_key, target_id, target_n, target_key FROM stage.staged "
        "WHERE action = 'reject' AND problem IS NULL ORDER BY line"
    ).all()
    names = _describe(plan, [r.target_id for r in rejected if r.target_id is not None])
    for row in rejected:
        if row.dup_of is not None:
            plan.problem(
                row.line,
                key_column[row.dup_key],
                MESSAGES["dup_line"].format(line=row.dup_of, key=row.dup_key),
            )
        elif row.target_n and row.target_n > 1:
            plan.problem(row.line, key_column[row.target_key], _many(plan, row))
        else:
            plan.problem(
                row.line,
                key_column[row.target_key],
                MESSAGES["dup_db"].format(desc=names.get(row.target_id), key=row.target_key),
            )
    incomplete = plan.sql(
        "SELECT line, missing FROM stage.staged WHERE action = 'add' AND missing IS NOT NULL "
        "ORDER BY line"
    ).all()
    for row in incomplete:
        for item in row.missing.split("\n"):
            label, _, key = item.partition("\t")
            plan.problem(row.line, label, MESSAGES["required"].format(field=key))
    if mode == "update":
        # A row merged into one that is itself rejected goes with it.
        while True:
            orphans = plan.sql(
                "SELECT s.line, s.dup_of, s.dup_key FROM stage.staged s "
                "JOIN stage.staged r ON r.line = s.dup_of "
                "WHERE s.action = 'merge' AND r.action = 'reject' ORDER BY s.line"
            ).all()
            if not orphans:
                break
            for row in orphans:
                plan.sql(
                    "UPDATE stage.staged SET action = 'reject' WHERE line = :l", {"l": row.line}
                )
                plan.problem(
                    row.line,
                    key_column[row.dup_key],
                    MESSAGES["dup_rejected"].format(line=row.dup_of),
                )


def _key_label(plan: _Plan, columns: tuple[str, ...]) -> str:
    """The file column a duplicate is reported under: the key's first own column."""
    own = [c for c in columns if c != "customer_id"]
    return plan.label(own[0] if own else "customer_id")


def _many(plan: _Plan, row: Any) -> str:
    key = next(k for k in plan.tbl.keys if k.label == row.target_key)
    match = " AND ".join(
        [f"t.{_q(c)} = s.{_q(c)}" for c in key.columns]
        + [f"t.{_q(c)} IS s.{_q(c)}" for c in key.optional]
        + _together(key, "t", "s")
    )
    ids = [
        r[0]
        for r in plan.sql(
            f"SELECT t.id FROM main.{_q(plan.table)} t JOIN stage.staged s ON {match} "
            f"WHERE s.line = :line ORDER BY t.id LIMIT 10",
            {"line": row.line},
        )
    ]
    names = _describe(plan, ids)
    return MESSAGES["dup_many"].format(
        n=row.target_n,
        table=plan.tbl.name,
        key=row.target_key,
        descs=", ".join(names[i] for i in ids),
    )


def _row_reports(plan: _Plan) -> Iterator[tuple[int, str]]:
    """Per-row lines for duplicates that are skipped, merged, update a record or leave
    it unchanged."""
    last = 0
    while True:
        rows = plan.sql(
            "SELECT line, action, dup_of, dup_key, target_id, target_n, target_key "
            "FROM stage.staged WHERE action IN ('skip', 'merge', 'update', 'unchanged') "
            "AND line > :last "
            "ORDER BY line LIMIT 2000",
            {"last": last},
        ).all()
        if not rows:
            return
        names = _describe(plan, [r.target_id for r in rows if r.target_id is not None])
        for r in rows:
            if r.action == "merge":
                text = MESSAGES["merge"].format(line=r.line, other=r.dup_of, key=r.dup_key)
            elif r.dup_of is not None:
                text = MESSAGES["skip_line"].format(line=r.line, other=r.dup_of, key=r.dup_key)
            elif r.target_n and r.target_n > 1:
                text = MESSAGES["skip_many"].format(
                    line=r.line, n=r.target_n, table=plan.tbl.name, key=r.target_key
                )
            elif r.action in ("update", "unchanged"):
                text = MESSAGES[r.action].format(
                    line=r.line, desc=names.get(r.target_id), key=r.target_key
                )
            else:
                text = MESSAGES["skip_db"].format(
                    line=r.line, desc=names.get(r.target_id), key=r.target_key
                )
            yield r.line, text
        last = rows[-1].line


def _problem_lines(plan: _Plan) -> Iterator[tuple[int, str]]:
    result = plan.sql("SELECT line, col, message FROM stage.problems ORDER BY line, rowid")
    for row in result:
        where = f"line {row.line}, column {row.col}" if row.col else f"line {row.line}"
        yield row.line, f"{where}: {row.message}"


def _write_rejects(plan: _Plan, src: CsvInput, lay: Layout, path: str) -> int:
    width = len(lay.headers)

    def rows() -> Iterator[list[str]]:
        result = plan.sql(
            "SELECT line, min(raw) AS raw, group_concat(CASE WHEN col <> '' "
            "THEN 'column ' || col || ': ' || message ELSE message END, '; ') AS reason "
            "FROM (SELECT * FROM stage.problems ORDER BY line, rowid) GROUP BY line ORDER BY line"
        )
        for row in result:
            cells = json.loads(row.raw) if row.raw else []
            cells = (cells + [""] * width)[: max(width, len(cells))]
            yield [*cells, f"line {row.line}: {row.reason}"]

    return write_csv(
        path,
        [h.replace("\ufeff", "") for h in lay.headers] + [io_tables.REJECT_REASON],
        rows(),
        encoding=src.encoding,
        delimiter=src.delimiter,
    )


def _counts(plan: _Plan) -> dict[str, int]:
    counts = dict.fromkeys(("add", "update", "unchanged", "skip", "merge", "reject"), 0)
    for row in plan.sql("SELECT action, count(*) AS n FROM stage.staged GROUP BY action"):
        counts[row.action] = row.n
    return counts


def _merge_rows(plan: _Plan) -> None:
    """--on-duplicate update: a later row's values fill in (and win over) the first one's."""
    if plan.opts.on_duplicate != "update":
        return  # only this mode merges rows (``_classify``)
    merges = plan.sql(
        "SELECT line, dup_of FROM stage.staged WHERE action = 'merge' ORDER BY line"
    ).all()
    if not merges:
        return
    parent = {r.line: r.dup_of for r in merges}
    columns = [c for c in plan.tbl.stored_columns if c in _stored_present(plan)]
    sets = ", ".join(
        f"{_q(c)} = coalesce((SELECT m.{_q(c)} FROM stage.staged m WHERE m.line = :m), {_q(c)})"
        for c in columns
    )
    for line in parent:
        root = parent[line]
        while root in parent:
            root = parent[root]
        plan.sql(f"UPDATE stage.staged SET {sets} WHERE line = :root", {"m": line, "root": root})


def _stored_present(plan: _Plan) -> set[str]:
    """Stored columns this file gives: its own columns and what is derived from them."""
    return set(plan.tbl.staged_columns(list(plan.present)))


GENERATED_CODE = "C%06d"


def _generate_codes(plan: _Plan) -> str:
    """Customers added without a code get C000123, numbered after the highest id.

    Returns the SQL that gives an added row its code. When no code already taken (in the
    database or in the file) falls in the range the new ones will use — the usual case —
    they are numbered as they are inserted; otherwise each is assigned here, skipping
    the taken ones.
    """
    if plan.tbl.name != "customers":
        return "s.code"
    base = plan.sql("SELECT coalesce(max(id), 0) FROM main.customer").scalar() or 0
    # The rows to number, in line order, get 1, 2, 3… as the ids of a narrow table.
    # (A running count over the staged rows themselves has SQLite buffer every whole
    # row of the INSERT … SELECT, which costs more than the insert into this table.)
    plan.sql("DROP TABLE IF EXISTS stage.numbered")
    plan.sql("CREATE TABLE stage.numbered (n INTEGER PRIMARY KEY, line INTEGER UNIQUE)")
    needed = plan.sql(
        "INSERT INTO stage.numbered (line) SELECT line FROM stage.staged "
        "WHERE action = 'add' AND code IS NULL ORDER BY line"
    ).rowcount
    if not needed:
        return "s.code"
    low, high = GENERATED_CODE % (base + 1), GENERATED_CODE % (base + needed)
    taken = plan.sql(
        "SELECT EXISTS (SELECT 1 FROM main.customer WHERE code BETWEEN :low AND :high)",
        {"low": low, "high": high},
    ).scalar()
    if not taken and "code" in plan.given:
        taken = plan.sql(
            "SELECT EXISTS (SELECT 1 FROM stage.staged WHERE code BETWEEN :low AND :high)",
            {"low": low, "high": high},
        ).scalar()
    if not taken and len(low) == len(high):
        plan.code_params = {"code_base": base}
        return (
            f"coalesce(s.code, printf('{GENERATED_CODE}', :code_base + "
            "(SELECT q.n FROM stage.numbered q WHERE q.line = s.line)))"
        )
    # As ``customers._next_code`` does for one customer: the next numbers, skipping taken ones.
    pattern = "C" + "[0-9]" * 6
    taken = {
        r[0]
        for r in plan.sql(
            "SELECT code FROM main.customer WHERE code >= :low AND code GLOB :pattern "
            "UNION SELECT code FROM stage.staged WHERE code >= :low AND code GLOB :pattern",
            {"low": low, "pattern": pattern},
        )
    }
    number = base
    assigned = []
    last = 0
    while True:
        lines = [
            r[0]
            for r in plan.sql(
                "SELECT line FROM stage.staged WHERE action = 'add' AND code IS NULL "
                "AND line > :last ORDER BY line LIMIT 5000",
                {"last": last},
            )
        ]
        if not lines:
            break
        for line in lines:
            number += 1
            while GENERATED_CODE % number in taken:
                number += 1
            assigned.append({"code": GENERATED_CODE % number, "line": line})
        last = lines[-1]
    for start in range(0, len(assigned), 5000):
        plan.conn.execute(
            _text("UPDATE stage.staged SET code = :code WHERE line = :line"),
            assigned[start : start + 5000],
        )
    return "s.code"


def _text(statement: str) -> Any:
    from sqlalchemy import text

    return text(statement)


def _insert_added(plan: _Plan, batch_id: int, dialect: Any, code_sql: str) -> int:
    """INSERT … SELECT the added rows; returns the highest id before them."""
    from crmcli.schema import utcnow

    tbl, actor = plan.tbl, plan.actor
    model = _model(tbl)
    table = model.__table__
    staged = set(tbl.stored_columns) | {"customer_id", "contact_id"}
    names: list[str] = []
    exprs: list[str] = []
    params: dict[str, Any] = {}

    def bind(column: Any, value: Any) -> Any:
        proc = column.type.dialect_impl(dialect).bind_processor(dialect)
        return proc(value) if proc is not None and value is not None else value

    now = utcnow()
    for column in table.columns:
        name = column.name
        if name == "id":
            continue
        default = None
        info = model.model_fields.get(name)
        if info is not None and info.default is not None and not callable(info.default):
            text_default = str(info.default)
            if "PydanticUndefined" not in text_default:
                default = info.default
        if name in ("created_at", "updated_at"):
            names.append(name)
            exprs.append(":now")
            params["now"] = bind(column, now)
            continue
        if name == tbl.owner:
            fallbacks = [":owner_opt"]
            if tbl.customer_ref:
                fallbacks.append("(SELECT c.owner FROM main.customer c WHERE c.id = s.customer_id)")
            fallbacks.append(":user")
            names.append(name)
            exprs.append(f"coalesce(s.{_q(name)}, {', '.join(fallbacks)})")
            params["owner_opt"] = plan.opts.owner
            params["user"] = actor.user
            continue
        if name in tbl.defaults_today:
            names.append(name)
            exprs.append(f"coalesce(s.{_q(name)}, :today)")
            params["today"] = bind(column, actor.today)
            continue
        if name == "code" and tbl.name == "customers":
            names.append(name)
            exprs.append(code_sql)
            params.update(plan.code_params)
            continue
        if name in staged:
            names.append(name)
            if default is not None:
                params[f"d_{name}"] = bind(column, default)
                exprs.append(f"coalesce(s.{_q(name)}, :d_{name})")
            else:
                exprs.append(f"s.{_q(name)}")
        elif default is not None:
            names.append(name)
            params[f"d_{name}"] = bind(column, default)
            exprs.append(f":d_{name}")
    if tbl.name == "customers":
        for name, expr in _new_customer_dues(plan, dict(zip(names, exprs, strict=True)), dialect):
            names.append(name)
            exprs.append(expr)
    before = plan.sql(f"SELECT coalesce(max(id), 0) FROM main.{_q(tbl.table)}").scalar() or 0
    rebuild = _defer_indexes(plan, dialect)
    plan.sql(
        f"INSERT INTO main.{_q(tbl.table)} ({', '.join(_q(n) for n in names)}) "
        f"SELECT {', '.join(exprs)} FROM stage.staged s WHERE s.action = 'add' ORDER BY s.line",
        params,
    )
    if rebuild:
        # Each CREATE INDEX sorts in as much memory as the page cache may hold: half the
        # cache for each keeps a 1,000,000-row import at 225 MB peak instead of 253 MB.
        plan.conn.exec_driver_sql(f"PRAGMA main.cache_size = {-CACHE_KIB // 2}")
        for statement in rebuild:
            plan.conn.exec_driver_sql(statement)
        plan.conn.exec_driver_sql(f"PRAGMA main.cache_size = {-CACHE_KIB}")
    plan.sql(
        f"INSERT INTO main.importitem (batch_id, table_name, row_id, action) "
        f"SELECT :batch, :table, id, 'added' FROM main.{_q(tbl.table)} WHERE id > :before",
        {"batch": batch_id, "table": tbl.table, "before": before},
    )
    if tbl.history is not None:
        field_sql, new_sql = tbl.history
        owner_id = "id" if tbl.name == "customers" else "customer_id"
        plan.sql(
            f'INSERT INTO main.history (customer_id, at, "on", user, field, old, new, command, reason) '
            f"SELECT {owner_id}, :now, :on, :user, {field_sql}, NULL, {new_sql}, :command, :reason "
            f"FROM main.{_q(tbl.table)} WHERE id > :before",
            {
                "now": params["now"],
                "on": actor.today,
                "user": actor.user,
                "command": actor.command,
                "reason": f"import #{batch_id} from {plan.source}",
                "before": before,
            },
        )
    return before


def _defer_indexes(plan: _Plan, dialect: Any) -> list[str]:
    """SQLite: drop the table's plain (not unique) indexes when the rows about to be
    added outnumber the rows it has; returns the statements that build them again.

    Built afterwards, an index gets all rows sorted in one pass instead of one B-tree
    insert a row at a random place: 100,000 customers into an empty table are written
    in 1.8 s instead of 2.5 s. Unique indexes stay, checking every row as it comes; a
    table with ANALYZE statistics keeps its indexes (dropping one drops its figures).
    Drop and rebuild are in the import's transaction: a kill takes back both.
    """
    if dialect.name != "sqlite":
        return []
    table = plan.table
    adding = plan.adding
    having = plan.sql(f"SELECT count(*) FROM main.{_q(table)}").scalar() or 0
    if adding <= having:
        return []
    analysed = plan.sql(
        "SELECT count(*) FROM main.sqlite_master WHERE name = 'sqlite_stat1'"
    ).scalar()
    if analysed:
        return []
    indexes = plan.sql(
        "SELECT name, sql FROM main.sqlite_master "
        "WHERE type = 'index' AND tbl_name = :table AND sql IS NOT NULL ORDER BY rowid",
        {"table": table},
    ).all()
    plain = [(name, sql) for name, sql in indexes if not sql.upper().startswith("CREATE UNIQUE")]
    for name, _ in plain:
        plan.sql(f"DROP INDEX main.{_q(name)}")
    return [sql for _, sql in plain]


def _new_customer_dues(plan: _Plan, written: dict[str, str], dialect: Any) -> list[tuple[str, str]]:
    """SQL for the due columns of the customers being added, over the expressions the
    INSERT … SELECT writes into tier, created_on, channel and stage: their due days are
    written with them, instead of updating every new row again afterwards."""
    from sqlalchemy import literal_column

    from crmcli.services.cadence import new_customer_dues

    def source(name: str) -> Any:
        return literal_column(written.get(name, "NULL"))

    dues = new_customer_dues(
        plan.actor.config,
        tier=source("tier"),
        created_on=source("created_on"),
        channel=source("channel"),
        stage=source("stage"),
    )
    return [
        (
            name,
            "NULL"
            if expr is None
            else str(expr.compile(dialect=dialect, compile_kwargs={"literal_binds": True})),
        )
        for name, expr in dues.items()
    ]


def _display(value: Any) -> str | None:
    return None if value is None else str(value)


def _update_columns(plan: _Plan) -> list[str]:
    """The stored columns an 'update' row may write: those this file gives."""
    table = _model(plan.tbl).__table__
    present = _stored_present(plan)
    return [c for c in plan.tbl.stored_columns if c in present and c in table.c and c != "id"]


def _updates(plan: _Plan, columns: list[str]) -> Iterator[tuple[Any, dict[str, tuple[Any, Any]]]]:
    """Each 'update' row, with the values it changes in its record: column → (old, new).

    A page of rows is read whole before any is given out: the caller may write the
    records between pages.
    """
    tbl = plan.tbl
    owner_of = "t.id" if tbl.name == "customers" else "t.customer_id"
    select_cols = ", ".join(
        f"s.{_q(c)} AS {_q('new_' + c)}, t.{_q(c)} AS {_q('old_' + c)}" for c in columns
    )
    last = 0
    while True:
        rows = (
            plan.sql(
                f"SELECT s.line, s.target_id, {owner_of} AS owner_id, {select_cols} "
                f"FROM stage.staged s JOIN main.{_q(tbl.table)} t ON t.id = s.target_id "
                f"WHERE s.action = 'update' AND s.line > :last ORDER BY s.line LIMIT 1000",
                {"last": last},
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        last = rows[-1]["line"]
        for row in rows:
            changes = {
                c: (row["old_" + c], row["new_" + c])
                for c in columns
                if row["new_" + c] is not None and row["new_" + c] != row["old_" + c]
            }
            yield row, changes


def _mark_unchanged(plan: _Plan) -> None:
    """'update' rows whose values their record already has become 'unchanged': reported
    and counted as such, not as updates."""
    if plan.opts.on_duplicate != "update":
        return  # only this mode updates records (``_classify``)
    columns = _update_columns(plan)
    if not columns:
        plan.sql("UPDATE stage.staged SET action = 'unchanged' WHERE action = 'update'")
        return
    same = [{"line": row["line"]} for row, changes in _updates(plan, columns) if not changes]
    for start in range(0, len(same), 5000):
        plan.conn.execute(
            _text("UPDATE stage.staged SET action = 'unchanged' WHERE line = :line"),
            same[start : start + 5000],
        )


def _apply_updates(plan: _Plan, batch_id: int, dialect: Any) -> tuple[int, int, list[int]]:
    """Write each 'update' row's non-empty values over its record; returns
    (updated, unchanged, customer ids whose due dates may move)."""
    from crmcli.schema import utcnow

    tbl = plan.tbl
    table = _model(tbl).__table__
    columns = _update_columns(plan)
    if not columns:
        return 0, 0, []
    derived = {"name_key", "sort_key", "search_key", "birth_md"}
    now_proc = table.c.updated_at.type.dialect_impl(dialect).bind_processor(dialect)
    now = now_proc(utcnow()) if now_proc else utcnow()
    updated = unchanged = 0
    touched: list[int] = []
    for row, changes in _updates(plan, columns):
        if not changes:
            unchanged += 1
            continue
        updated += 1
        touched.append(row["owner_id"])
        sets = ", ".join(f"{_q(c)} = :{c}" for c in changes)
        plan.sql(
            f"UPDATE main.{_q(tbl.table)} SET {sets}, updated_at = :now WHERE id = :id",
            {**{c: new for c, (_, new) in changes.items()}, "now": now, "id": row["target_id"]},
        )
        plan.sql(
            "INSERT INTO main.importitem (batch_id, table_name, row_id, action, before) "
            "VALUES (:batch, :table, :id, 'updated', :before)",
            {
                "batch": batch_id,
                "table": tbl.table,
                "id": row["target_id"],
                "before": json.dumps(
                    {c: old for c, (old, _) in changes.items()}, ensure_ascii=False
                ),
            },
        )
        prefix = "" if tbl.name == "customers" else f"{tbl.table}.{row['target_id']}."
        for c, (old, new) in changes.items():
            if c in derived:
                continue
            plan.sql(
                'INSERT INTO main.history (customer_id, at, "on", user, field, old, new, command, reason) '
                "VALUES (:cid, :now, :on, :user, :field, :old, :new, :command, :reason)",
                {
                    "cid": row["owner_id"],
                    "now": now,
                    "on": plan.actor.today,
                    "user": plan.actor.user,
                    "field": prefix + c,
                    "old": _display(old),
                    "new": _display(new),
                    "command": plan.actor.command,
                    "reason": f"import #{batch_id} from {plan.source}",
                },
            )
    return updated, unchanged, touched


def _refresh(plan: _Plan, session: Any, before: int, touched: list[int]) -> None:
    from sqlalchemy import select

    from crmcli.models import FollowUp, Plan
    from crmcli.services import cadence

    config = plan.actor.config
    # Added customers got their due days in the INSERT (_new_customer_dues).
    if plan.tbl.name in ("followups", "plans"):
        model = FollowUp if plan.tbl.name == "followups" else Plan
        cadence.refresh_due(
            session,
            config,
            among=select(model.customer_id).where(model.id > before),
        )
    if touched and plan.tbl.name in ("customers", "followups", "plans"):
        cadence.refresh_due(session, config, sorted(set(touched)))


# --- the whole import ---------------------------------------------------------------------


def run_import(
    database: Any,
    actor: Actor,
    opts: ImportOptions,
    *,
    say: Say,
    progress: Progress | None = None,
) -> ImportResult:
    """Import one file; raises InvalidInput (nothing written) when rows are bad."""
    if opts.on_duplicate not in ON_DUPLICATE:
        raise InvalidInput(
            f"unknown --on-duplicate {opts.on_duplicate!r}; expected one of: {', '.join(ON_DUPLICATE)}"
        )
    tbl = io_tables.table(opts.table)
    if tbl.name not in io_tables.IMPORTABLE:
        raise InvalidInput(f"{tbl.name} cannot be imported")
    engine = database.engine
    if engine.dialect.name != "sqlite":
        raise StorageError("crm import writes to SQLite databases only")
    with tempfile.TemporaryDirectory(prefix="crm-import-") as directory:
        stage = _Stage(directory, tbl, engine.dialect, keep_raw=opts.rejects is not None)
        try:
            src, lay, total, _bad = _read_file(opts, tbl, stage, say, progress)
        finally:
            stage.close()
        return _decide_and_write(database, actor, opts, tbl, src, lay, stage.path, total, say)


def _decide_and_write(
    database: Any,
    actor: Actor,
    opts: ImportOptions,
    tbl: Table,
    src: CsvInput,
    lay: Layout,
    stage_path: str,
    total: int,
    say: Say,
) -> ImportResult:
    from sqlmodel import Session

    from crmcli.models import ImportBatch

    result = ImportResult(
        batch_id=None,
        table=tbl.name,
        source=opts.path if opts.path != "-" else "<stdin>",
        encoding=src.encoding,
        delimiter=src.delimiter,
        rows=total,
        dry_run=opts.dry_run,
    )
    engine = database.engine
    with engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        dbapi.execute("ATTACH DATABASE ? AS stage", (stage_path,))
        # Inserting many rows into a table with a dozen indexes: a 48 MiB page cache
        # instead of 2 MiB keeps the index pages in memory.
        dbapi.execute(f"PRAGMA main.cache_size = {-CACHE_KIB}")
        dbapi.execute(f"PRAGMA stage.cache_size = {-CACHE_KIB // 4}")
        try:
            trans = conn.begin()
            try:
                plan = _Plan(conn, tbl, lay, opts, actor, os.path.basename(result.source))
                _resolve_customers(plan)
                _find_duplicates(plan)
                _classify(plan)
                _merge_rows(plan)
                _mark_unchanged(plan)
                for _, text in heapq.merge(_problem_lines(plan), _row_reports(plan)):
                    say(text)
                counts = _counts(plan)
                plan.adding = counts["add"]
                bad = plan.sql("SELECT count(DISTINCT line) FROM stage.problems").scalar() or 0
                result.rejected = bad
                result.added = counts["add"]
                result.updated = counts["update"]
                result.unchanged = counts["unchanged"]
                result.skipped = counts["skip"] + counts["merge"] + counts["unchanged"]
                if opts.rejects is not None:
                    result.rejects_written = _write_rejects(plan, src, lay, opts.rejects)
                if bad and not opts.skip_invalid:
                    trans.rollback()
                    raise InvalidInput(
                        MESSAGES["invalid"].format(bad=bad, total=total, name=src.name)
                    )
                if opts.dry_run:
                    trans.rollback()
                    return result
                batch = ImportBatch(
                    kind=tbl.name,
                    source=result.source,
                    encoding=src.encoding,
                    delimiter=src.delimiter,
                    user=actor.user,
                )
                with Session(bind=conn) as session:
                    session.add(batch)
                    session.flush()
                    batch_id = int(batch.id)  # type: ignore[arg-type]
                    result.batch_id = batch_id
                    code_sql = _generate_codes(plan)
                    before = _insert_added(plan, batch_id, engine.dialect, code_sql)
                    updated, unchanged, touched = _apply_updates(plan, batch_id, engine.dialect)
                    result.updated = updated
                    result.unchanged += unchanged
                    result.skipped += unchanged
                    _refresh(plan, session, before, touched)
                    batch.added = result.added
                    batch.updated = result.updated
                    batch.skipped = result.skipped
                    batch.rejected = result.rejected
                    session.flush()
                trans.commit()
            except BaseException:
                if trans.is_active:
                    trans.rollback()
                raise
        finally:
            with contextlib.suppress(sqlite3.Error):
                dbapi.execute("DETACH DATABASE stage")
                dbapi.execute("PRAGMA main.cache_size = -2000")
    return result


# --- list and undo ---------------------------------------------------------------------------


def list_batches(session: Any) -> list[Any]:
    from sqlalchemy import select

    from crmcli.models import ImportBatch

    return list(session.scalars(select(ImportBatch).order_by(ImportBatch.id)).all())


@dataclass
class UndoResult:
    batch_id: int
    kind: str
    source: str
    removed: dict[str, int]
    restored: dict[str, int]
    blocked_by: list[int] = field(default_factory=list)
    dependents: dict[str, int] = field(default_factory=dict)
    # Values it would restore that were changed since by hand ("C0001 industry").
    edited: list[str] = field(default_factory=list)


_NOUNS = {
    "customer": ("customer", "customers"),
    "contact": ("contact", "contacts"),
    "followup": ("follow-up", "follow-ups"),
    "plan": ("plan", "plans"),
    "sale": ("sale", "sales"),
    "greeting": ("greeting", "greetings"),
    "campaignnotice": ("campaign notice", "campaign notices"),
}


def describe_counts(counts: dict[str, int]) -> str:
    parts = []
    for table_name, n in counts.items():
        if n:
            one, many = _NOUNS.get(table_name, (table_name, table_name))
            parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts)


def get_batch(session: Any, ref: str) -> Any:
    from crmcli.models import ImportBatch

    text = ref.strip().lstrip("#")
    if not text.isdigit():
        raise InvalidInput(f"import batch must be a number, not {ref!r}")
    batch = session.get(ImportBatch, int(text))
    if batch is None:
        raise NotFound(f"no import batch #{text}")
    return batch


def _referencing(table_name: str) -> list[tuple[Any, Any]]:
    """(table, column) pairs with a foreign key to ``table_name``.id, besides history."""
    found = []
    for table in schema.metadata.sorted_tables:
        if table.name in ("history", "importitem"):
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == table_name and fk.column.name == "id":
                found.append((table, fk.parent))
    return found


def _edited_since(sql: Callable[..., Any], batch: Any, restored: list[Any]) -> list[str]:
    """The fields a batch updated that something else changed afterwards, as
    "CODE field": restoring them would silently undo that later change."""
    if not restored:
        return []
    # Each updated row's customer: history is kept per customer.
    owners: dict[tuple[str, int], int] = {}
    for table_name in sorted({item.table_name for item in restored} - {"customer"}):
        owners.update(
            ((table_name, row_id), customer_id)
            for row_id, customer_id in sql(
                f"SELECT i.row_id, r.customer_id FROM importitem i "
                f"JOIN {_q(table_name)} r ON r.id = i.row_id "
                f"WHERE i.batch_id = :b AND i.table_name = :t AND i.action = 'updated'",
                t=table_name,
            ).all()
        )
    changes = sql(
        "SELECT h.customer_id, h.field, c.code FROM history h "
        "JOIN customer c ON c.id = h.customer_id "
        "WHERE h.at >= :at AND (h.reason IS NULL OR h.reason NOT LIKE :mine) "
        "ORDER BY h.id",
        at=batch.at,
        mine=f"import #{batch.id} from %",
    ).all()
    changed = {(row.customer_id, row.field): row.code for row in changes}
    edited: set[str] = set()
    for item in restored if changed else []:
        if item.table_name == "customer":
            owner, prefix = item.row_id, ""
        else:
            owner = owners.get((item.table_name, item.row_id))
            prefix = f"{item.table_name}.{item.row_id}."
        for column in json.loads(item.before or "{}"):
            code = changed.get((owner, prefix + column))
            if code is not None:
                edited.add(f"{code} {prefix}{column}")
    return sorted(edited)


def undo_batch(
    session: Any, actor: Actor, batch: Any, *, force: bool = False, dry_run: bool = False
) -> UndoResult:
    """Remove what a batch added, restore what it updated; refuse what would break later work."""
    from sqlalchemy import text

    from crmcli.schema import utcnow

    if batch.undone_at is not None:
        raise InvalidInput(
            f"import #{batch.id} was already undone on {batch.undone_at:%Y-%m-%d %H:%M} (UTC) "
            f"by {batch.undone_by}"
        )

    def sql(statement: str, **params: Any) -> Any:
        return session.execute(text(statement), {"b": batch.id, **params})

    result = UndoResult(batch.id, batch.kind, batch.source, {}, {})
    result.blocked_by = [
        r[0]
        for r in sql(
            "SELECT DISTINCT later.batch_id FROM importitem mine "
            "JOIN importitem later ON later.table_name = mine.table_name "
            "AND later.row_id = mine.row_id AND later.batch_id > mine.batch_id "
            "JOIN importbatch b ON b.id = later.batch_id "
            "WHERE mine.batch_id = :b AND b.undone_at IS NULL ORDER BY later.batch_id"
        )
    ]
    tables_added = [
        r[0]
        for r in sql(
            "SELECT DISTINCT table_name FROM importitem WHERE batch_id = :b AND action = 'added'"
        )
    ]
    later: set[int] = set(result.blocked_by)
    for table_name in tables_added:
        for table, column in _referencing(table_name):
            rows = sql(
                f"SELECT i.batch_id AS batch, count(*) AS n FROM {_q(table.name)} r "
                f"LEFT JOIN importitem i ON i.table_name = :rt AND i.row_id = r.id "
                f"AND i.action = 'added' AND i.batch_id IN "
                f"(SELECT id FROM importbatch WHERE undone_at IS NULL) "
                f"WHERE r.{_q(column.name)} IN (SELECT row_id FROM importitem WHERE batch_id = :b "
                f"AND table_name = :t AND action = 'added') "
                f"AND r.id NOT IN (SELECT row_id FROM importitem WHERE batch_id = :b "
                f"AND table_name = :rt AND action = 'added') GROUP BY i.batch_id",
                rt=table.name,
                t=table_name,
            ).all()
            for row in rows:
                if row.batch is not None:
                    later.add(row.batch)
                else:
                    result.dependents[table.name] = result.dependents.get(table.name, 0) + row.n
    result.blocked_by = sorted(later)
    if result.blocked_by or (result.dependents and not force):
        return result
    touched = [
        r[0]
        for r in sql(
            "SELECT DISTINCT customer_id FROM followup WHERE id IN (SELECT row_id FROM importitem "
            "WHERE batch_id = :b AND table_name = 'followup') UNION "
            "SELECT DISTINCT customer_id FROM plan WHERE id IN (SELECT row_id FROM importitem "
            "WHERE batch_id = :b AND table_name = 'plan') UNION "
            "SELECT row_id FROM importitem WHERE batch_id = :b AND table_name = 'customer' "
            "AND action = 'updated'"
        )
    ]
    restored = sql(
        "SELECT id, table_name, row_id, before FROM importitem "
        "WHERE batch_id = :b AND action = 'updated' ORDER BY id DESC"
    ).all()
    for item in restored:
        result.restored[item.table_name] = result.restored.get(item.table_name, 0) + 1
    result.edited = _edited_since(sql, batch, restored)
    for table_name in tables_added:
        result.removed[table_name] = sql(
            "SELECT count(*) FROM importitem WHERE batch_id = :b AND table_name = :t "
            "AND action = 'added'",
            t=table_name,
        ).scalar()
    if dry_run:
        return result
    now = utcnow()
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    reason = f"undo of import #{batch.id} from {os.path.basename(batch.source)}"
    for item in restored:
        before = json.loads(item.before or "{}")
        if not before:
            continue
        current = (
            sql(
                f"SELECT {', '.join(_q(c) for c in before)} FROM {_q(item.table_name)} WHERE id = :id",
                id=item.row_id,
            )
            .mappings()
            .first()
        )
        if current is None:
            continue
        sets = ", ".join(f"{_q(c)} = :v_{i}" for i, c in enumerate(before))
        values = {f"v_{i}": v for i, v in enumerate(before.values())}
        sql(f"UPDATE {_q(item.table_name)} SET {sets} WHERE id = :id", id=item.row_id, **values)
        owner = item.row_id
        prefix = ""
        if item.table_name != "customer":
            owner = sql(
                f"SELECT customer_id FROM {_q(item.table_name)} WHERE id = :id", id=item.row_id
            ).scalar()
            prefix = f"{item.table_name}.{item.row_id}."
        for column, old in before.items():
            if column in ("name_key", "sort_key", "search_key", "birth_md"):
                continue
            session.execute(
                text(
                    'INSERT INTO history (customer_id, at, "on", user, field, old, new, command, reason) '
                    "VALUES (:cid, :at, :on, :user, :field, :old, :new, :command, :reason)"
                ),
                {
                    "cid": owner,
                    "at": stamp,
                    "on": actor.today,
                    "user": actor.user,
                    "field": prefix + column,
                    "old": _display(current[column]),
                    "new": _display(old),
                    "command": actor.command,
                    "reason": reason,
                },
            )
    for table_name in sorted(tables_added, key=lambda t: t == "customer"):
        sql(
            f"DELETE FROM {_q(table_name)} WHERE id IN (SELECT row_id FROM importitem "
            f"WHERE batch_id = :b AND table_name = :t AND action = 'added')",
            t=table_name,
        )
    batch.undone_at = now
    batch.undone_by = actor.user
    session.add(batch)
    session.execute(
        text(
            'INSERT INTO history (customer_id, at, "on", user, field, old, new, command, reason) '
            "VALUES (NULL, :at, :on, :user, 'import', :old, 'undone', :command, :reason)"
        ),
        {
            "at": stamp,
            "on": actor.today,
            "user": actor.user,
            "old": f"#{batch.id}",
            "command": actor.command,
            "reason": f"{reason}: removed {describe_counts(result.removed) or 'nothing'}, "
            f"restored {describe_counts(result.restored) or 'nothing'}",
        },
    )
    session.flush()
    from crmcli.services import cadence

    remaining = [
        r[0]
        for start in range(0, len(touched), 500)
        for r in session.execute(
            text(
                "SELECT id FROM customer WHERE id IN ("
                + ", ".join(str(int(i)) for i in touched[start : start + 500])
                + ")"
            )
        )
    ]
    if remaining:
        cadence.refresh_due(session, actor.config, remaining)
    return result
