"""The one engine factory: pragmas, sessions, and schema versions checked on every open.

Every SQLite target, a path or a ``sqlite:///`` URL, is opened the same way: created
0600, foreign keys on, WAL, a busy timeout and ``BEGIN IMMEDIATE`` for writers. A
PostgreSQL URL (``postgresql+psycopg://…``) gets psycopg 3, imported only then; there the
acting user (``CRM_USER``) is the connection's role: it logs in when the URL names no
user, and a connection user acting for someone ``crm db grant`` made a salesperson or a
manager takes that role (``SET ROLE``), so row-level security shows it its own rows.

The up-to-date check reads one row (``alembic_version``) and compares it with
``HEAD``; Alembic itself is imported only when a database must be created or upgraded.
A new, empty database is built from ``crmcli.schema`` and stamped at ``HEAD``; an older
one is upgraded through the migrations after a backup. A database from a newer crmcli is
refused (exit 4) and left untouched.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmcli.errors import StorageError
from crmcli.i18n import _

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session


def _revisions() -> tuple[str, ...]:
    """Every schema revision this release knows, oldest first, from the migrations'
    file names (``0006_history_day.py`` is revision 0006; a test checks each file's
    ``revision`` and ``down_revision`` agree); the last one is the head."""
    versions = Path(__file__).parent / "migrations" / "versions"
    return tuple(
        sorted(
            name.split("_", 1)[0]
            for name in os.listdir(versions)
            if name.endswith(".py") and name[:4].isdigit()
        )
    )


REVISIONS = _revisions()
HEAD = REVISIONS[-1]
BUSY_TIMEOUT_MS = 15_000
# How long a command waits for another one's upgrade (or its own turn to upgrade): the
# copy and the migrations of a large file take longer than a writer's busy timeout.
UPGRADE_WAIT_MS = 300_000
# Several commands opening a server database at HEAD's first release wait on this
# (pg_advisory_xact_lock) to create or upgrade its schema one at a time.
UPGRADE_LOCK = 0x63726D_7570  # "crm" "up"
SQLITE_MAGIC = b"SQLite format 3\x00"
# The group roles of ``crm db grant`` (crmcli.services.access): their members act as
# themselves on a server.
GROUP_ROLES = ("crm_sales", "crm_manager")


def is_url(target: str) -> bool:
    return "://" in target


def sqlite_file(target: str) -> Path | None:
    """The file behind an SQLite target, a path or a ``sqlite:///`` URL; None for a
    server URL (and for an in-memory SQLite URL, which has no file)."""
    if not is_url(target):
        return Path(target).expanduser()
    if not target.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url

    database = make_url(target).database
    if not database or database == ":memory:":
        return None
    return Path(database).expanduser()


def is_sqlite(target: str) -> bool:
    return not is_url(target) or target.startswith("sqlite")


def server_url(target: str) -> Any:
    """A PostgreSQL URL with psycopg 3 as its driver, whichever spelling was given."""
    from sqlalchemy.engine import make_url

    url = make_url(target)
    if url.get_backend_name() != "postgresql":
        raise StorageError(
            _(
                "cannot open database {render_as_string}: crmcli works with SQLite files and PostgreSQL servers (postgresql+psycopg://user@host/db)"
            ).format(render_as_string=url.render_as_string(hide_password=True))
        )
    if url.drivername != "postgresql+psycopg":
        url = url.set(drivername="postgresql+psycopg")
    return url


def _check_sqlite_path(path: Path, create: bool) -> None:
    parent = path.parent
    if not parent.is_dir():
        raise StorageError(
            _("cannot open database {path}: directory {parent} does not exist").format(
                path=path, parent=parent
            )
        )
    if path.exists():
        if path.is_dir():
            raise StorageError(
                _("cannot open database {path}: it is a directory").format(path=path)
            )
        if not os.access(path, os.R_OK | os.W_OK):
            raise StorageError(
                _("cannot open database {path}: permission denied").format(path=path)
            )
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
        if head and head != SQLITE_MAGIC:
            raise StorageError(
                _("{path} is not a crmcli database (not an SQLite file)").format(path=path)
            )
        return
    if not create:
        raise StorageError(_("no database at {path}; run `crm init` first").format(path=path))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise StorageError(
            _("cannot create database {path}: directory {parent} is not writable").format(
                path=path, parent=parent
            )
        )
    # Created readable by its owner only (SPEC §6); SQLite gives -wal/-shm the same mode.
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, stat.S_IRUSR | stat.S_IWUSR)
    except OSError as exc:
        raise StorageError(
            _("cannot create database {path}: {strerror}").format(path=path, strerror=exc.strerror)
        ) from None
    os.close(fd)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event decide how transactions start (BEGIN IMMEDIATE for
    # writers, so two writers queue on the busy timeout instead of failing to upgrade a lock).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA secure_delete = ON")
    cur.close()


def _acting_user() -> str:
    from crmcli.config import load

    return load().acting_user()


# Is the acting user a member of a crmcli group role? Read from the catalogue, so a
# connection acting for anyone else (the admin as ``tester``) stays what it logged in as.
_GRANTED_ROLE = (
    "SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
    "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s AND g.rolname = ANY(%s)"
)


def _set_role(role: str) -> Any:
    """A connect event: ``SET ROLE`` to the acting user when ``crm db grant`` made it a
    crmcli role, committed so that the pool's rollback on return keeps it."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        from psycopg import sql

        with dbapi_connection.cursor() as cur:
            cur.execute(_GRANTED_ROLE, (role, list(GROUP_ROLES)))
            if cur.fetchone() is not None:
                cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
        dbapi_connection.commit()

    return on_connect


def _sqlite_read_only(path: Path) -> Any:
    """Connections that cannot write the file (``mode=ro``): for checking files."""
    from urllib.parse import quote

    uri = f"file:{quote(str(path.absolute()))}?mode=ro"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)

    return connect


def make_engine(target: str, *, write: bool, read_only: bool = False) -> Engine:
    """The engine of a database target; the one way crmcli reaches any database.

    ``read_only`` opens an SQLite file so that nothing can write it (checking a backup or
    a file of unknown origin); it has no effect on a server.
    """
    from sqlalchemy import create_engine, event

    if not is_sqlite(target):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise StorageError(
                _("PostgreSQL needs the psycopg driver: pip install 'crmcli[postgresql]'")
            ) from None
        url = server_url(target)
        user = _acting_user()
        if url.username is None:
            url = url.set(username=user)
        # Timestamps are stored as UTC wall-clock values: the session zone is pinned so
        # that the server's own setting never shifts a date.
        engine = create_engine(
            url,
            connect_args={"options": "-c timezone=UTC", "connect_timeout": 10},
            pool_pre_ping=False,
        )
        if user != url.username:
            event.listen(engine, "connect", _set_role(user))
        return engine
    path = sqlite_file(target)
    if read_only and path is not None:
        engine = create_engine("sqlite://", creator=_sqlite_read_only(path))
    else:
        engine = create_engine(
            f"sqlite:///{path}" if path is not None else "sqlite://",
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
        )
    event.listen(engine, "connect", _sqlite_pragmas)
    begin = "BEGIN IMMEDIATE" if write else "BEGIN"
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
    return engine


class Database:
    """An opened, up-to-date database: the engine and where it lives."""

    def __init__(self, target: str, engine: Engine, *, created: bool = False) -> None:
        self.target = target
        self.engine = engine
        # Whether opening it made crmcli's schema (a new file, or an empty server database).
        self.created = created
        # Called with each new session, before the work in it: what every unit of work
        # keeps current whoever writes in it (the derived due days).
        self.on_session: list[Callable[[Session], None]] = []

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back on any error."""
        from sqlalchemy.orm import Session

        with Session(self.engine, expire_on_commit=False) as session:
            for hook in self.on_session:
                hook(session)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A consistent read (one transaction, never committed) on a Core connection,
        for commands that only read: they need neither the ORM nor the model classes."""
        with self.engine.connect() as connection, connection.begin() as transaction:
            yield connection
            transaction.rollback()


def current_revision(engine: Engine, target: str | None = None) -> str | None:
    """The schema revision stamped in the database; None for an empty one. Refuses a
    database that holds tables of another program (``target`` names it in the message)."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception as exc:
            if "no such table" not in str(exc) and "does not exist" not in str(exc):
                raise
            conn.rollback()
            if inspect(conn).get_table_names():
                raise StorageError(
                    _(
                        "{value} holds tables but no crmcli schema version; it is not a crmcli database"
                    ).format(value=_shown(target) if target else engine.url.database)
                ) from None
            return None


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.connect() as conn:
        _without_foreign_keys(conn)
        with conn.begin():
            _upgrade_on(conn, revision)


def _without_foreign_keys(conn: Connection) -> None:
    """Foreign keys off for the migrations (outside any transaction, where SQLite takes
    the pragma): a batch migration rebuilds a table by copying it and dropping the old
    one, and with foreign keys on that drop would run every ``ON DELETE`` of the rows
    pointing at it — setting each plan's follow-up to NULL when ``followup`` is rebuilt,
    deleting every contact when ``customer`` is. ``_upgrade_on`` checks the references
    before the upgrade commits; the connection is not used for anything else."""
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]


def _upgrade_on(conn: Connection, revision: str) -> None:
    from alembic import command

    command.upgrade(_alembic_config(conn), revision)
    if conn.dialect.name == "sqlite":
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise StorageError(
                _(
                    "the upgrade would leave {n} rows pointing at missing rows (first: table {broken}); nothing was changed"
                ).format(n=len(broken), broken=broken[0][0])
            )


def create_sqlite_file(path: Path) -> None:
    """A new, empty SQLite file readable by its owner only; refused (exit 4) when its
    directory is missing or not writable, or when the file exists."""
    _check_sqlite_path(path, create=True)


def backup_file(source: Path, dest: Path, *, standalone: bool = True) -> None:
    """A consistent copy through SQLite's online backup, created 0600.

    ``standalone`` copies are switched out of WAL so they are one plain file, written
    under a temporary name beside ``dest``, synced and renamed into place only when
    whole: a kill or a full disk never leaves something named like a backup that is not
    one (a failed copy is removed). A restore into the live database (standalone=False)
    is the online backup's own transaction there, and leaves its journal mode to its
    users. Both ends are engines of ``make_engine`` (pragmas and busy timeout as every
    connection has them); the backup itself runs on their driver connections.
    """
    if not standalone:
        _online_backup(source, dest, standalone=False)
        return
    import secrets

    while True:
        temporary = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, _PRIVATE)
            break
        except FileExistsError:
            continue
    os.close(fd)
    try:
        _online_backup(source, temporary, standalone=True)
        _fsync(temporary)
        os.replace(temporary, dest)
        _fsync(dest.parent)
    except BaseException:
        remove_sqlite_file(temporary)
        raise


_PRIVATE = stat.S_IRUSR | stat.S_IWUSR


def _online_backup(source: Path, dest: Path, *, standalone: bool) -> None:
    fd = os.open(dest, os.O_CREAT | os.O_WRONLY, _PRIVATE)
    os.close(fd)
    src = make_engine(str(source), write=False)
    dst = make_engine(str(dest), write=True)
    try:
        with src.connect() as reading, dst.connect() as writing:
            into = writing.connection.driver_connection
            reading.connection.driver_connection.backup(into)  # type: ignore[union-attr]
            if standalone:
                into.execute("PRAGMA journal_mode = DELETE")  # type: ignore[union-attr]
    finally:
        dst.dispose()
        src.dispose()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_sqlite_file(path: Path) -> None:
    """Remove an SQLite file and the journal files beside it, whichever exist."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def backup_name(path: Path, reason: str) -> Path:
    """Where a copy kept before a change goes: ``crm.db.before-0009-20261203141500.bak``
    before an upgrade to 0009, ``crm.db.before-restore-….bak`` before a restore."""
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    return path.with_name(f"{path.name}.before-{reason}-{stamp}.bak")


def _sweep_failed_backups(path: Path) -> None:
    """Remove what killed pre-upgrade backups left (their temporary files); called under
    the upgrade lock, so no other process is writing one."""
    for leftover in path.parent.glob(f".{path.name}.before-*.tmp*"):
        leftover.unlink(missing_ok=True)


def stamp_head(connection: Connection) -> None:
    """Record ``HEAD`` as the schema revision of a database built from ``crmcli.schema``."""
    from alembic import command

    command.stamp(_alembic_config(connection), "head")


def create_schema(engine: Engine) -> None:
    """Build a new, empty database from ``crmcli.schema`` and stamp it at ``HEAD``: what
    the migrations would build (``tests/test_migrations.py`` compares the two), in one
    statement per table instead of a replay of every migration."""
    with engine.begin() as conn:
        _create_on(conn)


def _create_on(conn: Connection) -> None:
    from crmcli.schema import metadata

    metadata.create_all(conn)
    stamp_head(conn)


def open_database(target: str, *, write: bool, create: bool | None = None) -> Database:
    """Open (creating when allowed) and bring the schema to HEAD, or refuse.

    An SQLite file's revision is first read through a read-only connection, so that a
    file refused (another program's, or a newer crmcli's left in WAL mode) is not
    written at all, not even by the checkpoint that closing a writable connection makes.
    """
    create_new = write if create is None else create
    path = sqlite_file(target)
    if path is not None:
        _check_sqlite_path(path, create_new)
        target = str(path)
        revision = _probe_file(path)
        engine = make_engine(target, write=write)
    else:
        engine = make_engine(target, write=write)
        revision = _probe(engine, target)
    if revision == HEAD:
        _use_wal(engine)
        return Database(target, engine)
    _refuse_newer(target, revision)
    if revision is None and not create_new:
        # A file is refused before it exists; on a server the empty database does exist,
        # and what a read must not make is crmcli's schema in it.
        engine.dispose()
        raise StorageError(
            _("no database at {target}; run `crm init` first").format(target=_shown(target))
        )
    created = _bring_to_head(target, path)
    _use_wal(engine)
    return Database(target, engine, created=created)


def _probe(engine: Engine, target: str) -> str | None:
    try:
        return current_revision(engine, target)
    except StorageError:
        raise
    except Exception as exc:
        raise StorageError(_unreadable(target, exc)) from None


def _unreadable(target: str, exc: BaseException) -> str:
    reason = _reason(exc)
    if "locked" in reason or "busy" in reason:
        return _("database {target} is busy (locked past the timeout): {reason}").format(
            target=_shown(target), reason=reason
        )
    return _("cannot read database {target}: {reason}").format(target=_shown(target), reason=reason)


def _probe_file(path: Path) -> str | None:
    """The revision stamped in an SQLite file, read without any right to write it."""
    conn = _sqlite_read_only(path)()
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "alembic_version" not in names:
            if any(not name.startswith("sqlite_") for name in names):
                raise StorageError(
                    _(
                        "{path} holds tables but no crmcli schema version; it is not a crmcli database"
                    ).format(path=path)
                )
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])
    except sqlite3.Error as exc:
        raise StorageError(_unreadable(str(path), exc)) from None
    finally:
        conn.close()


def _refuse_newer(target: str, revision: str | None) -> None:
    if revision is not None and revision not in REVISIONS:
        raise StorageError(
            _(
                "database {target} has schema {revision}, newer than this crmcli knows (up to {HEAD}); upgrade crmcli to use it"
            ).format(target=_shown(target), revision=revision, HEAD=HEAD)
        )


def _bring_to_head(target: str, path: Path | None) -> bool:
    """Create or upgrade the schema, one process at a time; whether it was created.

    Every command that finds an older (or no) schema comes here, readers as well as
    writers: each takes the write lock (BEGIN IMMEDIATE on SQLite, waiting up to
    ``UPGRADE_WAIT_MS``; an advisory lock on a server), then reads the revision again.
    The first one backs the file up and upgrades it; the others find HEAD and go on.
    """
    from sqlalchemy import func, select

    engine = make_engine(target, write=True)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                raw = conn.connection.driver_connection
                raw.execute(f"PRAGMA busy_timeout = {UPGRADE_WAIT_MS}")  # type: ignore[union-attr]
                _without_foreign_keys(conn)
            verb = "upgrade"
            try:
                with conn.begin():
                    if engine.dialect.name == "postgresql":
                        conn.execute(select(func.pg_advisory_xact_lock(UPGRADE_LOCK)))
                    revision = _revision_in(conn)
                    if revision == HEAD:
                        return False
                    _refuse_newer(target, revision)
                    if revision is None:
                        verb = "create"
                        _create_on(conn)
                        return True
                    if path is not None:
                        _sweep_failed_backups(path)
                        backup_file(path, backup_name(path, HEAD))
                    _upgrade_on(conn, "head")
                    return False
            except StorageError:
                raise
            except Exception as exc:
                reason = _reason(exc)
                if "locked" in reason or "busy" in reason:
                    raise StorageError(_unreadable(target, exc)) from None
                raise StorageError(
                    _("cannot {verb} database {target}: {reason}").format(
                        verb=verb, target=_shown(target), reason=reason
                    )
                ) from None
    finally:
        engine.dispose()


def _revision_in(conn: Connection) -> str | None:
    """The revision, read inside a transaction: looked up without an error that would
    abort a PostgreSQL transaction."""
    from sqlalchemy import inspect, text

    if not inspect(conn).has_table("alembic_version"):
        return None
    value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if value is None else str(value)


def _shown(target: str) -> str:
    """A target as messages show it: a server URL without its password."""
    if is_sqlite(target):
        return target
    from sqlalchemy.engine import make_url

    return make_url(target).render_as_string(hide_password=True)


def _use_wal(engine: Engine) -> None:
    """WAL (readers never block the writer), set only once the file is known to be ours."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA journal_mode = WAL")
        cur.close()
    finally:
        raw.close()


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).splitlines()[0]


def shown(target: str) -> str:
    """A target as messages show it (a server URL without its password)."""
    return _shown(target)


def require_sqlite_file(path: Path) -> None:
    """Refuse (exit 4) a path that is no SQLite file crmcli may open; creates nothing."""
    _check_sqlite_path(path, create=False)


def use_wal(engine: Engine) -> None:
    """Switch a new SQLite file to WAL, as every database crmcli opens is."""
    _use_wal(engine)
