"""The database as a whole: check, backup and restore, on either engine.

Everything goes through the engine factory of ``crmcli.db``. SQLite files are checked
read-only (integrity, foreign keys, schema revision), backed up and restored with
SQLite's online backup on the driver connections of its engines. A server is checked
for its schema revision and its row counts; its backups are pg_dump's job, and the
refusal says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from crmcli.errors import InvalidInput, StorageError

# One line each: what to run instead of db backup / db restore on a server.
SERVER_BACKUP = (
    "db backup copies SQLite files; back up a PostgreSQL database with pg_dump, "
    "e.g. pg_dump -Fc -f crm.dump '{url}'"
)
SERVER_RESTORE = (
    "db restore replaces SQLite files; restore a PostgreSQL database with pg_restore, "
    "e.g. pg_restore --clean --if-exists -d '{url}' crm.dump"
)
NOT_A_FILE = "{what} works on SQLite files; {target} is not one"


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
        raise InvalidInput(template.format(url=shown))
    path = sqlite_file(target)
    if path is None:
        raise InvalidInput(NOT_A_FILE.format(what=f"db {what}", target=target))
    return path


# --- check ------------------------------------------------------------------------------


def check_file(path: Path) -> list[str]:
    """What is wrong with an SQLite file: not SQLite, damaged pages, rows pointing at
    missing rows, no or a newer schema revision. Opened read-only: nothing is written."""
    from sqlalchemy.exc import DBAPIError

    from crmcli.db import REVISIONS, SQLITE_MAGIC, make_engine

    with path.open("rb") as fh:
        if fh.read(16) != SQLITE_MAGIC:
            return [f"{path} is not an SQLite file"]
    problems: list[str] = []
    engine = make_engine(str(path), write=False, read_only=True)
    try:
        with engine.connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
            if rows != ["ok"]:
                problems.extend(rows[:10])
            fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if fk:
                problems.append(f"{len(fk)} rows point at missing rows (first: table {fk[0][0]})")
            try:
                revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
            except DBAPIError:
                revision = None
            if revision is None:
                problems.append("no crmcli schema version")
            elif revision[0] not in REVISIONS:
                problems.append(f"schema {revision[0]} is newer than this crmcli knows")
    except DBAPIError as exc:
        problems.append(_reason(exc))
    finally:
        engine.dispose()
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
    """Schema revision, the tables of the schema and their row counts."""
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
            raise StorageError(f"cannot read database {report.shown}: {_reason(exc)}") from None
        if revision is None:
            raise StorageError(f"no crmcli database at {report.shown}; run `crm init` first")
        report.revision = revision
        if revision not in REVISIONS:
            report.problems.append(f"schema {revision} is newer than this crmcli knows")
            return report
        if revision != HEAD:
            report.note = f"schema {revision}; the next crm command upgrades it to {HEAD}"
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            for table in metadata.sorted_tables:
                if table.name not in present:
                    report.problems.append(f"table {table.name} is missing")
                    continue
                count = conn.execute(select(func.count()).select_from(table)).scalar_one()
                report.counts.append((table.name, count))
    finally:
        engine.dispose()
    return report


# --- backup and restore (SQLite) ---------------------------------------------------------


def backup(path: Path, dest: Path) -> None:
    """A consistent, private (0600) copy of the file at ``path`` while others write."""
    from crmcli.db import backup_file

    if dest.exists():
        raise InvalidInput(f"{dest} already exists; choose another name")
    if not dest.parent.is_dir():
        raise StorageError(f"directory {dest.parent} does not exist")
    backup_file(path, dest)


def restore_problems(source: Path) -> list[str]:
    """Why a backup must not replace the database (empty when it is sound)."""
    if not source.is_file():
        raise InvalidInput(f"no backup file {source}")
    return check_file(source)


def restore(path: Path, source: Path) -> None:
    """Replace the file at ``path`` with a checked backup, through the online backup."""
    from crmcli.db import backup_file

    if not path.parent.is_dir():
        raise StorageError(f"directory {path.parent} does not exist")
    backup_file(source, path, standalone=False)


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig or exc)
    return text.splitlines()[0] if text else type(orig or exc).__name__
