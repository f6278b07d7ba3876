"""The database as a whole: check, backup, restore and copy, on either engine.

Everything goes through the engine factory of ``crmcli.db``. SQLite files are checked
read-only (integrity, foreign keys, schema revision), backed up and restored with
SQLite's online backup on the driver connections of its engines. A server is checked
for its schema revision and its row counts; its backups are pg_dump's job, and the
refusal says so.

``copy_database`` copies every table of ``crmcli.schema`` (parents before children) and
the schema revision into an empty target, in chunks, keeping the ids, then reads the
target back and compares a checksum per table; it is one transaction on the target, so a
copy that does not verify leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmcli.errors import InvalidInput, StorageError
from crmcli.i18n import N_, _

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Engine

CHUNK = 10_000  # rows read and written at a time

# One line each: what to run instead of db backup / db restore on a server.
SERVER_BACKUP = N_(
    "db backup copies SQLite files; back up a PostgreSQL database with pg_dump, "
    "e.g. pg_dump -Fc -f crm.dump '{url}'"
)
SERVER_RESTORE = N_(
    "db restore replaces SQLite files; restore a PostgreSQL database with pg_restore, "
    "e.g. pg_restore --clean --if-exists -d '{url}' crm.dump"
)
NOT_A_FILE = N_("db {what} works on SQLite files; {target} is not one")
NEWER = N_("schema {revision} is newer than this crmcli knows")


def libpq_url(target: str) -> str:
    """A server URL as pg_dump and psql take it: no driver suffix, no password."""
    from sqlalchemy.engine import make_url

    url = make_url(target)
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


def sqlite_path(target: str, what: str) -> Path:
    """The file of an SQLite target for ``db backup``/``db restore``; refused (exit 2)
    with the pg_dump/pg_restore to use instead for a server."""
    from crmcli.db import is_sqlite, sqlite_file

    if not is_sqlite(target):
        shown = libpq_url(target)
        template = SERVER_BACKUP if what == "backup" else SERVER_RESTORE
        raise InvalidInput(_(template).format(url=shown))
    path = sqlite_file(target)
    if path is None:
        raise InvalidInput(_(NOT_A_FILE).format(what=what, target=target))
    return path


# --- check ------------------------------------------------------------------------------


def check_file(path: Path) -> list[str]:
    """What is wrong with an SQLite file: not SQLite, damaged pages, rows pointing at
    missing rows, no or a newer schema revision. Opened read-only: nothing is written."""
    from sqlalchemy.exc import DBAPIError

    from crmcli.db import REVISIONS, SQLITE_MAGIC, make_engine

    with path.open("rb") as fh:
        if fh.read(16) != SQLITE_MAGIC:
            return [_("{path} is not an SQLite file").format(path=path)]
    problems: list[str] = []
    engine = make_engine(str(path), write=False, read_only=True)
    try:
        with engine.connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
            if rows != ["ok"]:
                problems.extend(rows[:10])
            fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if fk:
                problems.append(
                    _("{n} rows point at missing rows (first: table {table})").format(
                        n=len(fk), table=fk[0][0]
                    )
                )
            try:
                revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
            except DBAPIError:
                revision = None
            if revision is None:
                problems.append(_("no crmcli schema version"))
            elif revision[0] not in REVISIONS:
                problems.append(_(NEWER).format(revision=revision[0]))
            else:
                problems.extend(schema_problems(conn, revision[0]))
    except DBAPIError as exc:
        problems.append(_reason(exc))
    finally:
        engine.dispose()
    return problems


def promised_columns(revision: str) -> dict[str, list[str]]:
    """Every table and its columns that a database at ``revision`` must have: at HEAD
    those of ``crmcli.schema``; at an older revision what its migrations build, replayed
    into an in-memory database (only ``db check`` and ``db restore`` of an old file pay
    for Alembic)."""
    from crmcli.db import HEAD, make_engine, upgrade
    from crmcli.schema import metadata

    if revision == HEAD:
        promised = {t.name: [c.name for c in t.columns] for t in metadata.sorted_tables}
        promised["alembic_version"] = ["version_num"]
        return promised
    from sqlalchemy import inspect

    engine = make_engine("sqlite://", write=True)
    try:
        upgrade(engine, revision)
        with engine.connect() as conn:
            found = inspect(conn)
            return {
                name: [c["name"] for c in found.get_columns(name)]
                for name in found.get_table_names()
            }
    finally:
        engine.dispose()


def schema_problems(conn: Connection, revision: str) -> list[str]:
    """The tables and columns ``revision`` promises that the database lacks: a file with a
    table dropped passes ``integrity_check`` and would fail the first command using it."""
    from sqlalchemy import inspect

    found = inspect(conn)
    present = set(found.get_table_names())
    problems = []
    for table, columns in promised_columns(revision).items():
        if table not in present:
            problems.append(_("table {table} is missing").format(table=table))
            continue
        have = {c["name"] for c in found.get_columns(table)}
        lacking = [c for c in columns if c not in have]
        if lacking:
            problems.append(
                _("table {table} lacks column {columns}").format(
                    table=table, columns=", ".join(lacking)
                )
            )
    return problems


@dataclass
class ServerCheck:
    """What ``db check`` found on a server."""

    shown: str
    revision: str | None = None
    counts: list[tuple[str, int]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    note: str | None = None


def check_server(target: str) -> ServerCheck:
    """Schema revision, the tables of the schema and their row counts (as the acting
    user may see them), and row-level security wherever a crmcli role may read."""
    from sqlalchemy import func, inspect, select

    from crmcli.db import HEAD, REVISIONS, current_revision, make_engine
    from crmcli.db import shown as _shown
    from crmcli.schema import metadata

    report = ServerCheck(_shown(target))
    engine = make_engine(target, write=False)
    try:
        try:
            revision = current_revision(engine)
        except StorageError:
            raise
        except Exception as exc:
            raise StorageError(
                _("cannot read database {shown}: {exc}").format(
                    shown=report.shown, exc=_reason(exc)
                )
            ) from None
        if revision is None:
            # As for a missing file: the server's database is there, crmcli's is not.
            raise StorageError(_("no database at {shown}").format(shown=report.shown))
        report.revision = revision
        if revision not in REVISIONS:
            report.problems.append(_(NEWER).format(revision=revision))
            return report
        if revision != HEAD:
            report.note = _("schema {revision}; the next crm command upgrades it to {HEAD}").format(
                revision=revision, HEAD=HEAD
            )
        with engine.connect() as conn:
            report.problems.extend(schema_problems(conn, revision))
            present = set(inspect(conn).get_table_names())
            for table in metadata.sorted_tables:
                if table.name not in present:
                    continue
                count = conn.execute(select(func.count()).select_from(table)).scalar_one()
                report.counts.append((table.name, count))
            from crmcli.services.access import unprotected_tables

            for table_name, groups in unprotected_tables(conn).items():
                report.problems.append(
                    _(
                        "row-level security is off on {table}, which {groups} may read; "
                        "run crm db grant again"
                    ).format(table=table_name, groups=_(" and ").join(groups))
                )
    finally:
        engine.dispose()
    return report


# --- backup and restore (SQLite) ---------------------------------------------------------


def backup(path: Path, dest: Path) -> None:
    """A consistent, private (0600) copy of the file at ``path`` while others write."""
    from crmcli.db import backup_file

    if dest.exists():
        raise InvalidInput(_("{dest} already exists; choose another name").format(dest=dest))
    if not dest.parent.is_dir():
        raise StorageError(_("directory {parent} does not exist").format(parent=dest.parent))
    try:
        backup_file(path, dest)
    except OSError as exc:
        raise StorageError(
            _("cannot write backup {dest}: {value}").format(dest=dest, value=exc.strerror or exc)
        ) from None


def restore_problems(source: Path, path: Path | None = None) -> list[str]:
    """Why a backup must not replace the database at ``path`` (empty when it is sound)."""
    if not source.is_file():
        raise InvalidInput(_("no backup file {source}").format(source=source))
    if path is not None and _same_file(source, path):
        raise InvalidInput(
            _("{source} is the database itself; name a backup to restore").format(source=source)
        )
    return check_file(source)


def _same_file(source: Path, path: Path) -> bool:
    """The database, one of its journal files, or a link to any of them."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        twin = Path(f"{path}{suffix}")
        if os.path.realpath(source) == os.path.realpath(twin):
            return True
        try:
            if twin.exists() and os.path.samefile(source, twin):
                return True
        except OSError:
            continue
    return False


def restore(path: Path, source: Path) -> Path | None:
    """Replace the file at ``path`` with a checked backup, through the online backup,
    after keeping a private copy of what it replaces (named as the upgrade backups are);
    where that copy went, or None when there was no database to keep."""
    from crmcli.db import backup_file, backup_name

    if not path.parent.is_dir():
        raise StorageError(_("directory {parent} does not exist").format(parent=path.parent))
    if _same_file(source, path):
        raise InvalidInput(
            _("{source} is the database itself; name a backup to restore").format(source=source)
        )
    kept = None
    if path.exists() and path.stat().st_size > 0:
        kept = backup_name(path, "restore")
        try:
            backup_file(path, kept)
        except Exception as exc:
            # A database too damaged to copy page by page (why one restores) is kept
            # as its bytes are.
            if isinstance(exc, InvalidInput):
                raise
            _copy_bytes(path, kept)
    backup_file(source, path, standalone=False)
    return kept


def _copy_bytes(path: Path, dest: Path) -> None:
    """A private copy of a file's bytes, written under a temporary name and renamed."""
    import shutil

    temporary = dest.with_name(f".{dest.name}.tmp")
    fd = os.open(temporary, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "wb") as out, path.open("rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, dest)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# --- checksums -----------------------------------------------------------------------------


# A checksum reads a table in blocks of this many rows, whatever size its reads come in.
BLOCK = 10_000

Column_ = Sequence[Any]


_ISO_MICRO = operator.methodcaller("isoformat", " ", "microseconds")
_ISO = operator.methodcaller("isoformat")


def _datetimes(values: Column_) -> list[Any]:
    return [None if v is None else _ISO_MICRO(v) for v in values]


def _dates(values: Column_) -> list[Any]:
    return [None if v is None else v.isoformat() for v in values]


def _booleans(values: Column_) -> list[Any]:
    return [None if v is None else int(v) for v in values]


def _required(convert: Callable[[Any], Any]) -> Callable[[Column_], list[Any]]:
    """A column that holds no None: converted by ``map``, without a test per value."""
    return lambda values: list(map(convert, values))


class Checksum:
    """sha256 of a table, computed alike on both engines from the values their drivers
    give back: the rows in primary-key order, in blocks of ``BLOCK`` rows, each block one
    JSON array of rows (UTF-8, no spaces), every value normalised: dates ISO
    (``2026-11-22``), date-times ISO to the microsecond (``2026-11-22 14:30:00.000000``),
    booleans 0/1, text and whole numbers as they are, None as null."""

    def __init__(self, table: Table) -> None:
        from sqlalchemy import Boolean, Date, DateTime

        self.converters: list[tuple[int, Callable[[Column_], list[Any]]]] = []
        for index, column in enumerate(table.columns):
            kind, required = column.type, not column.nullable
            if isinstance(kind, DateTime):
                self.converters.append((index, _required(_ISO_MICRO) if required else _datetimes))
            elif isinstance(kind, Date):
                self.converters.append((index, _required(_ISO) if required else _dates))
            elif isinstance(kind, Boolean):
                self.converters.append((index, _required(int) if required else _booleans))
        self.encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        self.digest = hashlib.sha256()
        self.pending: list[Sequence[Any]] = []
        self.rows = 0

    def normalised(self, rows: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
        """The rows as the checksum sees them, a column at a time."""
        if not self.converters or not rows:
            return list(rows)
        columns: list[Column_] = list(zip(*rows, strict=True))
        for index, convert in self.converters:
            columns[index] = convert(columns[index])
        return list(zip(*columns, strict=True))

    def _block(self, rows: Sequence[Sequence[Any]]) -> None:
        self.digest.update(self.encode(rows).encode())

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        self.add_normalised(self.normalised(rows))

    def add_normalised(self, rows: Sequence[Sequence[Any]]) -> None:
        """Rows already as ``normalised`` gives them."""
        self.rows += len(rows)
        if not self.pending and len(rows) == BLOCK:
            self._block(rows)
            return
        self.pending.extend(rows)
        while len(self.pending) >= BLOCK:
            self._block(self.pending[:BLOCK])
            del self.pending[:BLOCK]

    def hexdigest(self) -> str:
        if self.pending:
            self._block(self.pending)
            self.pending = []
        return self.digest.hexdigest()


def _integer_key(table: Table) -> bool:
    from sqlalchemy import Integer

    return all(isinstance(c.type, Integer) for c in table.primary_key.columns)


def _chunks(conn: Connection, table: Table, size: int) -> Iterable[Sequence[Sequence[Any]]]:
    """The rows of a table in primary-key order, ``size`` at a time: an integer key is
    ordered by the engine, any other key (``meta``: a few rows) here, so that the order
    never depends on an engine's collation."""
    from sqlalchemy import select

    if _integer_key(table):
        stmt = select(table).order_by(*table.primary_key.columns)
        result = conn.execution_options(yield_per=size).execute(stmt)
        yield from result.partitions()
        return
    keys = [list(table.columns).index(c) for c in table.primary_key.columns]
    rows = [tuple(r) for r in conn.execute(select(table))]
    rows.sort(key=lambda r: tuple(r[k] for k in keys))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def table_checksums(conn: Connection, *, size: int = CHUNK) -> list[tuple[str, int, str]]:
    """(table, rows, checksum) of every table of the schema, parents first."""
    from crmcli.schema import metadata

    out = []
    for table in metadata.sorted_tables:
        checksum = Checksum(table)
        for part in _chunks(conn, table, size):
            checksum.add(part)
        out.append((table.name, checksum.rows, checksum.hexdigest()))
    return out


# --- copy ------------------------------------------------------------------------------------


@dataclass
class TableCopy:
    name: str
    rows: int
    checksum: str


@dataclass
class CopyResult:
    source: str
    target: str
    revision: str
    tables: list[TableCopy]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


# progress(table, rows copied so far, rows of the table)
CopyProgress = Callable[[str, int, int], None]


def _same_database(source: str, target: str) -> bool:
    from crmcli.db import is_sqlite, sqlite_file

    if is_sqlite(source) and is_sqlite(target):
        a, b = sqlite_file(source), sqlite_file(target)
        return a is not None and b is not None and os.path.realpath(a) == os.path.realpath(b)
    if is_sqlite(source) or is_sqlite(target):
        return False
    from sqlalchemy.engine import make_url

    a_url, b_url = make_url(source), make_url(target)
    return (a_url.host, a_url.port, a_url.database) == (b_url.host, b_url.port, b_url.database)


def _open_source(source: str) -> Any:
    """The source at HEAD (an older one is upgraded, as any command would); refused when
    it is missing, not crmcli's, or holds no crmcli schema at all (nothing is created)."""
    from crmcli.db import current_revision, make_engine, open_database, require_sqlite_file
    from crmcli.db import shown as _shown
    from crmcli.db import sqlite_file as file_of

    path = file_of(source)
    if path is not None:
        require_sqlite_file(path)
        source = str(path)
    probe = make_engine(source, write=False)
    try:
        revision = current_revision(probe)
    except StorageError:
        raise
    except Exception as exc:
        raise StorageError(
            _("cannot read database {source}: {exc}").format(
                source=_shown(source), exc=_reason(exc)
            )
        ) from None
    finally:
        probe.dispose()
    if revision is None:
        raise StorageError(
            _("no crmcli database at {source}; nothing to copy").format(source=_shown(source))
        )
    return open_database(source, write=False, create=False)


def _crm_tables() -> set[str]:
    from crmcli.schema import metadata

    return {t.name for t in metadata.sorted_tables} | {"alembic_version"}


def _prepare_target(target: str) -> tuple[Engine, Path | None]:
    """An engine on an empty target: a new SQLite file (created 0600), or a server
    database holding no crmcli table. Anything else is refused (exit 2) untouched."""
    from sqlalchemy import inspect

    from crmcli.db import create_sqlite_file, is_sqlite, make_engine, sqlite_file
    from crmcli.db import shown as _shown

    path = sqlite_file(target)
    if path is None and is_sqlite(target):
        raise InvalidInput(
            _("db copy writes a database file or a server; {target} is neither").format(
                target=target
            )
        )
    if path is not None:
        if path.exists():
            raise InvalidInput(
                _("{path} already exists; db copy writes a new database file, name another").format(
                    path=path
                )
            )
        create_sqlite_file(path)
        return make_engine(str(path), write=True), path
    engine = make_engine(target, write=True)
    try:
        with engine.connect() as conn:
            found = sorted(_crm_tables() & set(inspect(conn).get_table_names()))
    except Exception as exc:
        engine.dispose()
        if isinstance(exc, StorageError):
            raise
        raise StorageError(
            _("cannot open database {target}: {exc}").format(
                target=_shown(target), exc=_reason(exc)
            )
        ) from None
    if found:
        engine.dispose()
        raise InvalidInput(
            _(
                "{target} already holds crmcli tables ({found}{value}); db copy needs an empty database"
            ).format(
                target=_shown(target),
                found=", ".join(found[:4]),
                value=", …" if len(found) > 4 else "",
            )
        )
    return engine, None


def _reset_sequences(conn: Connection) -> None:
    """After rows kept their ids, each id sequence continues after the largest."""
    from sqlalchemy import text

    from crmcli.schema import metadata

    for table in metadata.sorted_tables:
        if [c.name for c in table.primary_key.columns] != ["id"] or not _integer_key(table):
            continue
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:t, 'id'), COALESCE(MAX(id), 1), "
                f'MAX(id) IS NOT NULL) FROM "{table.name}"'
            ),
            {"t": f'"{table.name}"'},
        )


def _plain(table: Table) -> bool:
    """Whether every column is of a type whose values both drivers take as they come
    (whole numbers, text, booleans, dates, date-times): then rows bypass SQLAlchemy's
    per-value processing on the way in."""
    from sqlalchemy import Boolean, Date, DateTime, Integer, String

    return all(
        isinstance(column.type, (Integer, String, Boolean, Date, DateTime))
        for column in table.columns
    )


def _copy_rows(
    src: Connection,
    dst: Connection,
    table: Table,
    chunk: int,
    progress: CopyProgress | None,
    total: int | None,
) -> TableCopy:
    """Stream one table's rows, ``chunk`` at a time and ids kept, into the target.

    PostgreSQL takes them by COPY (about four times the rate of a pipelined executemany
    there). SQLite takes them by executemany of the normalised rows: dates and date-times
    in the very text SQLAlchemy stores them as (``2026-11-22 14:30:00.000000``), booleans
    0/1, so one pass over a chunk serves both the checksum and the insert. A table with a
    column of any other type goes through SQLAlchemy's own executemany.
    """
    checksum = Checksum(table)
    names = [c.name for c in table.columns]
    done = 0

    def advanced(rows: int) -> None:
        nonlocal done
        done += rows
        if progress is not None and total is not None:
            progress(table.name, done, total)

    advanced(0)
    plain = _plain(table)
    if plain and dst.dialect.name == "postgresql":
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
        )
        raw = dst.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            write = copy.write_row
            for part in _chunks(src, table, chunk):
                for row in part:
                    write(row)
                checksum.add(part)
                advanced(len(part))
    elif plain:
        quoted = ", ".join(f'"{name}"' for name in names)
        marks = ", ".join("?" * len(names))
        insert = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})'
        for part in _chunks(src, table, chunk):
            rows = checksum.normalised(part)
            dst.exec_driver_sql(insert, rows)  # type: ignore[arg-type]
            checksum.add_normalised(rows)
            advanced(len(part))
    else:
        statement_ = table.insert()
        for part in _chunks(src, table, chunk):
            dst.execute(statement_, [dict(zip(names, row, strict=True)) for row in part])
            checksum.add(part)
            advanced(len(part))
    return TableCopy(table.name, done, checksum.hexdigest())


def copy_database(
    source: str,
    target: str,
    *,
    progress: CopyProgress | None = None,
    chunk: int = CHUNK,
) -> CopyResult:
    """Copy every table and the schema revision from ``source`` into an empty ``target``,
    verify, and commit only a copy whose row counts and checksums are the source's."""
    from sqlalchemy import func, select
    from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable

    from crmcli.db import HEAD, stamp_head
    from crmcli.db import shown as _shown
    from crmcli.schema import metadata

    if _same_database(source, target):
        raise InvalidInput(_("source and target are the same database"))
    database = _open_source(source)
    engine, new_file = _prepare_target(target)
    tables = metadata.sorted_tables
    copied: list[TableCopy] = []
    try:
        with database.engine.connect() as src, engine.connect() as dst:
            if src.dialect.name == "postgresql":
                # One snapshot of every table: a consistent copy while others write.
                src = src.execution_options(isolation_level="REPEATABLE READ")
            with src.begin() as reading, dst.begin():
                if dst.dialect.name == "sqlite":
                    dst.exec_driver_sql("PRAGMA cache_size = -65536")
                # Tables first; indexes once their rows are in (one sort per index instead
                # of a million insertions into it), and on PostgreSQL the foreign keys too
                # (one join each instead of a trigger per row). SQLite cannot add a
                # foreign key later: there the tables are made whole.
                server = dst.dialect.name == "postgresql"
                for table in tables:
                    dst.execute(
                        CreateTable(table, include_foreign_key_constraints=[])
                        if server
                        else CreateTable(table)
                    )
                for table in tables:
                    total = None
                    if progress is not None:
                        total = src.execute(select(func.count()).select_from(table)).scalar_one()
                    copied.append(_copy_rows(src, dst, table, chunk, progress, total))
                for table in tables:
                    for index in sorted(table.indexes, key=lambda i: i.name or ""):
                        dst.execute(CreateIndex(index))
                    if server:
                        for constraint in table.foreign_key_constraints:
                            # Not isolated: the tables' own CREATE TABLE keeps its keys.
                            add = AddConstraint(constraint, isolate_from_table=False)
                            dst.execute(add)
                if dst.dialect.name == "postgresql":
                    _reset_sequences(dst)
                stamp_head(dst)
                verified = table_checksums(dst, size=chunk)
                wrong = [
                    (mine, theirs)
                    for mine, theirs in zip(copied, verified, strict=True)
                    if (mine.rows, mine.checksum) != theirs[1:]
                ]
                if wrong:
                    differ = ", ".join(
                        f"{m.name} ({m.rows} rows {m.checksum[:12]} → {t[1]} rows {t[2][:12]})"
                        for m, t in wrong
                    )
                    raise StorageError(
                        _(
                            "the copy in {target} does not match its source: {differ}; nothing was written"
                        ).format(target=_shown(target), differ=differ)
                    )
                reading.rollback()
        _settle(engine, [t.name for t in tables])
    except BaseException as exc:
        engine.dispose()
        if new_file is not None:
            from crmcli.db import remove_sqlite_file

            remove_sqlite_file(new_file)
        if isinstance(exc, (StorageError, InvalidInput)) or not isinstance(exc, Exception):
            raise
        raise StorageError(
            _("cannot copy into {target}: {exc}; nothing was written").format(
                target=_shown(target), exc=_reason(exc)
            )
        ) from None
    finally:
        database.engine.dispose()
    engine.dispose()
    return CopyResult(_shown(database.target), _shown(target), HEAD, copied)


def _settle(engine: Engine, tables: list[str]) -> None:
    """After the copy: statistics for the server's planner, WAL for a new SQLite file."""
    from crmcli.db import use_wal

    if engine.dialect.name != "postgresql":
        use_wal(engine)
        return
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("ANALYZE " + ", ".join(f'"{name}"' for name in tables))


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig or exc)
    return text.splitlines()[0] if text else type(orig or exc).__name__
