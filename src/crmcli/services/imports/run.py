"""One whole import: the file staged (``staging``), then, in one write transaction on
the database, the rows decided (``decisions``) and written (``writing``) as a batch that
``crm import undo`` can take back (``batches``). A kill at any moment leaves the
database with all of the import or none of it.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import os
import sqlite3
from typing import Any

from sqlalchemy import func, select

from crmcli import schema
from crmcli.errors import InvalidInput
from crmcli.i18n import _
from crmcli.io import tables as io_tables
from crmcli.io.csvfile import write_csv
from crmcli.io.tables import Layout, Table
from crmcli.services.context import Actor
from crmcli.services.imports import decisions, orders, writing
from crmcli.services.imports.common import (
    MESSAGES,
    ON_DUPLICATE,
    STAGE,
    ImportOptions,
    ImportResult,
    Plan,
    Progress,
    Say,
)
from crmcli.services.imports.decisions import Mirror
from crmcli.services.imports.scratch import staging_directory
from crmcli.services.imports.staging import Source, Stage, read_file

# One import at a time writes to a server: two at once would each find the other's new
# customers missing and add them twice. (SQLite's writers queue on BEGIN IMMEDIATE.)
SERVER_LOCK = 0x63726D_696D70  # "crm" "imp"


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
            _("unknown --on-duplicate {on_duplicate!r}; expected one of: {ON_DUPLICATE}").format(
                on_duplicate=opts.on_duplicate, ON_DUPLICATE=", ".join(ON_DUPLICATE)
            )
        )
    tbl = io_tables.table(opts.table)
    if tbl.name not in io_tables.IMPORTABLE:
        raise InvalidInput(_("{name} cannot be imported").format(name=tbl.name))
    orders.check_options(opts)
    if opts.customer is not None and opts.by_org:
        from crmcli.io.vcards import MESSAGES as CARDS

        raise InvalidInput(_(CARDS["both"]))
    if opts.customer is not None:
        # --customer of an address book: named as everywhere (code, name part, pinyin),
        # then given to every card by its code.
        from dataclasses import replace

        from crmcli.services.customers import find_customer

        with database.engine.connect() as conn:
            opts = replace(opts, customer=find_customer(conn, opts.customer).code)
    with staging_directory() as directory:
        stage = Stage(directory, tbl, keep_raw=opts.rejects is not None)
        try:
            src, lay, total, _bad = read_file(opts, tbl, stage, say, progress)
            if database.engine.dialect.name == "sqlite":
                # The database attaches the staging file itself: let go of it here.
                stage.close()
            return _decide_and_write(database, actor, opts, tbl, src, lay, stage, total, say)
        finally:
            stage.close()


@contextlib.contextmanager
def _attached(conn: Any, stage: Stage) -> Any:
    """An SQLite database's connection with the staging file attached as ``stage``.

    ATTACH and the PRAGMAs have no Core form, and ATTACH must come before the write
    transaction begins, so they go to the driver's connection itself.
    """
    dbapi = conn.connection.dbapi_connection
    dbapi.execute("ATTACH DATABASE ? AS " + STAGE, (stage.path,))
    # Inserting many rows into a table with a dozen indexes: a 48 MiB page cache
    # instead of 2 MiB keeps the index pages in memory.
    dbapi.execute(f"PRAGMA main.cache_size = {-writing.CACHE_KIB}")
    dbapi.execute(f"PRAGMA {STAGE}.cache_size = {-writing.CACHE_KIB // 4}")
    try:
        yield
    finally:
        with contextlib.suppress(sqlite3.Error):
            dbapi.execute("DETACH DATABASE " + STAGE)
            dbapi.execute("PRAGMA main.cache_size = -2000")


def _decide_and_write(
    database: Any,
    actor: Actor,
    opts: ImportOptions,
    tbl: Table,
    src: Source,
    lay: Layout,
    stage: Stage,
    total: int,
    say: Say,
) -> ImportResult:
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
    same = engine.dialect.name == "sqlite"
    with engine.connect() as conn, _attached(conn, stage) if same else contextlib.nullcontext():
        local = conn if same else stage.conn
        trans = conn.begin()
        try:
            if engine.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(SERVER_LOCK)))
            plan = Plan(
                local,
                conn,
                None if same else Mirror(local, conn, _read_tables(tbl)),
                tbl,
                stage.tables,
                lay,
                opts,
                actor,
                os.path.basename(result.source),
            )
            decisions.resolve_customers(plan)
            decisions.check_event_days(plan)
            decisions.find_duplicates(plan)
            decisions.classify(plan)
            decisions.merge_rows(plan)
            decisions.mark_unchanged(plan)
            counts = decisions.counts(plan)
            # A file imported again skips every row: the summary says so in one line,
            # not one line per row (thousands of them).
            result.nothing_new = decisions.all_known(plan)
            reports = decisions.row_reports(plan, known=not result.nothing_new)
            for _, text in heapq.merge(decisions.problem_lines(plan), reports):
                say(text)
            plan.adding = counts["add"]
            bad = decisions.rejected_lines(plan)
            result.rejected = bad
            result.added = counts["add"]
            result.updated = counts["update"]
            result.unchanged = counts["unchanged"]
            result.skipped = counts["skip"] + counts["merge"] + counts["unchanged"]
            if opts.rejects is not None:
                result.rejects_written = _write_rejects(plan, src, lay, opts.rejects)
            if bad and not opts.skip_invalid:
                raise InvalidInput(MESSAGES["invalid"].format(bad=bad, total=total, name=src.name))
            if opts.dry_run:
                trans.rollback()
                return result
            batch_id = writing.open_batch(plan, result)
            result.batch_id = batch_id
            writing.write(plan, batch_id, result)
            if tbl.table == "sale":
                from crmcli.services.sales import check_sales_total

                check_sales_total(conn)
            writing.close_batch(plan, batch_id, result)
            trans.commit()
        except BaseException:
            if trans.is_active:
                trans.rollback()
            raise
    return result


def _read_tables(tbl: Table) -> list[Any]:
    """The tables whose rows phase 2 reads: the customers (rows name them, their owners
    fill rows that name none), the contacts rows name, the table written."""
    names = dict.fromkeys(["customer", *(["contact"] if tbl.contact_ref else []), tbl.table])
    return [schema.metadata.tables[name] for name in names]


def _write_rejects(plan: Plan, src: Source, lay: Layout, path: str) -> int:
    width = len(lay.headers)

    def rows() -> Any:
        for line, raw, why in decisions.rejected_rows(plan):
            cells = json.loads(raw) if raw else []
            cells = (cells + [""] * width)[: max(width, len(cells))]
            yield [*cells, f"line {line}: {why}"]

    return write_csv(
        path,
        [h.replace("\ufeff", "") for h in lay.headers] + [io_tables.REJECT_REASON],
        rows(),
        encoding=src.encoding,
        delimiter=src.delimiter,
    )
