"""Every test runs against its own config and database in a temporary directory.

The database is an SQLite file in the test's ``tmp_path`` unless ``CRM_TEST_PG_URL``
names a PostgreSQL server (``postgresql+psycopg://user@host:port/db``, a user who may
CREATE DATABASE): then every test gets a fresh, empty database of its own on that server
(``$CRM_DB`` is its URL), dropped when the test ends. ``.ci/pg-cluster start DIR PORT``
starts a throw-away server and prints such a URL.

Tests about the SQLite file itself carry ``@pytest.mark.sqlite_only(reason="…")`` and
are skipped on PostgreSQL; ``engine_name`` says which engine a test runs on.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from crmcli.cli import app

# Property tests drive whole commands: on a machine busy with other work one example
# can take longer than Hypothesis' default 200 ms deadline without anything being wrong.
settings.register_profile("crmcli", deadline=None)
settings.load_profile("crmcli")

PG_URL_VARIABLE = "CRM_TEST_PG_URL"


def _realdata() -> Path:
    """Real external files: ``../shared/realdata`` from the repository root (see its
    README.txt); for a clone of a repository on this machine, beside the one it was
    cloned from."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    places = [root.parent]
    origin = subprocess.run(
        ["git", "-C", str(root), "config", "--get", "remote.origin.url"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if origin and "://" not in origin and Path(origin).is_dir():
        places.append(Path(origin).resolve().parent)
    found = [place / "shared" / "realdata" for place in places]
    return next((path for path in found if path.is_dir()), found[0])


REALDATA = _realdata()


def pg_server_url() -> str | None:
    return os.environ.get(PG_URL_VARIABLE) or None


# --- markers ---------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): the test is about the SQLite file itself (its mode, pragmas, "
        "backups, damage); skipped when the suite runs on PostgreSQL. The reason is required.",
    )


def _sqlite_only_reason(mark: pytest.Mark, item: pytest.Item) -> str:
    reason = mark.kwargs.get("reason", mark.args[0] if mark.args else None)
    if not isinstance(reason, str) or not reason.strip():
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.sqlite_only needs a reason: "
            "sqlite_only(reason='what about the SQLite file it tests')"
        )
    return reason


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_pg = pg_server_url() is not None
    for item in items:
        for mark in item.iter_markers("sqlite_only"):
            reason = _sqlite_only_reason(mark, item)
            if on_pg:
                item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


def pytest_report_header(config: pytest.Config) -> str:
    url = pg_server_url()
    return f"crmcli database: {'PostgreSQL at ' + url if url else 'SQLite files'}"


# --- PostgreSQL: one database per test -------------------------------------------------


class PgDatabases:
    """Creates and drops the tests' databases on one server.

    ``CREATE DATABASE`` costs 0.1 s on a quiet server and several times that on a busy
    one, so a worker thread (with its own admin connection) keeps the next tests'
    databases made ahead while the current test runs, and drops finished ones there
    too: a test only waits when tests come faster than the server makes databases.
    """

    AHEAD = 2

    def __init__(self, server_url: str) -> None:
        from sqlalchemy.engine import make_url

        url = make_url(server_url)
        if url.get_backend_name() != "postgresql":
            raise pytest.UsageError(f"{PG_URL_VARIABLE} must be a postgresql URL, not {url}")
        self.url = url
        # Unique per run: several people may run the suite on one server at once.
        self.prefix = f"crmtest_{os.getpid()}_{secrets.token_hex(3)}_"
        self.numbers = itertools.count(1)
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-test-pg")
        self.admin: Any = None
        self.ahead: deque[Future[str]] = deque()
        self.drops: list[Future[None]] = []
        # What it cost: seconds the worker spent creating and dropping, and tests waited.
        self.created = 0
        self.create_seconds = 0.0
        self.drop_seconds = 0.0
        self.wait_seconds = 0.0

    def url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def _admin(self) -> Any:
        # Only ever used on the worker thread.
        if self.admin is None:
            import psycopg

            libpq = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.admin = psycopg.connect(libpq, autocommit=True)
        return self.admin

    def _create(self) -> str:
        from psycopg import sql

        started = time.perf_counter()
        name = f"{self.prefix}{next(self.numbers)}"
        self._admin().execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                sql.Identifier(name)
            )
        )
        self.created += 1
        self.create_seconds += time.perf_counter() - started
        return name

    def _drop(self, name: str) -> None:
        from psycopg import sql

        started = time.perf_counter()
        admin = self._admin()
        # Connections a test left open (a crashed subprocess, an engine nobody disposed)
        # would make DROP fail: end them first.
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        self.drop_seconds += time.perf_counter() - started

    def take(self) -> str:
        """A fresh, empty database's name; the next ones are being made meanwhile."""
        started = time.perf_counter()
        while len(self.ahead) <= self.AHEAD:
            self.ahead.append(self.worker.submit(self._create))
        name = self.ahead.popleft().result()
        self.wait_seconds += time.perf_counter() - started
        return name

    def give_back(self, name: str) -> None:
        self.drops.append(self.worker.submit(self._drop, name))

    def close(self) -> None:
        while self.ahead:
            self.give_back(self.ahead.popleft().result())
        for drop in self.drops:
            drop.result()
        if self.admin is not None:
            self.worker.submit(self.admin.close).result()
        self.worker.shutdown()

    def summary(self) -> str:
        n = max(self.created, 1)
        return (
            f"PostgreSQL test databases: {self.created} made, "
            f"{1000 * self.create_seconds / n:.0f} ms to create and "
            f"{1000 * self.drop_seconds / n:.0f} ms to drop each on the server; "
            f"tests waited {1000 * self.wait_seconds / n:.0f} ms each for theirs"
        )


_pg_databases: list[PgDatabases] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for databases in _pg_databases:
        terminalreporter.write_line(databases.summary())


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases | None]:
    url = pg_server_url()
    if url is None:
        yield None
        return
    databases = PgDatabases(url)
    _pg_databases.append(databases)
    try:
        yield databases
    finally:
        databases.close()


@pytest.fixture(scope="session")
def engine_name(pg_databases: PgDatabases | None) -> str:
    """The engine the tests' databases use: ``sqlite`` or ``postgresql``."""
    return "sqlite" if pg_databases is None else "postgresql"


class EngineTracker:
    """Every SQLAlchemy engine that connects while a test runs, to be disposed.

    A ``crm`` process closes its connections when it exits; a command run in-process
    leaves its engine to the garbage collector, and on a server those idle connections
    would pile up (and keep the database from being dropped). crmcli makes a new engine
    per command and keeps none, so disposing them after each command is what exiting
    would have done.
    """

    def __init__(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self.engines: weakref.WeakSet[Any] = weakref.WeakSet()
        self._listen = event.listen
        self._remove = event.remove
        self._engine_class = Engine
        self._listen(Engine, "engine_connect", self._seen)

    def _seen(self, connection: Any) -> None:
        engine = connection.engine
        if engine.dialect.name != "sqlite":
            self.engines.add(engine)

    def dispose_all(self) -> None:
        for engine in list(self.engines):
            engine.dispose()

    def close(self) -> None:
        self.dispose_all()
        self._remove(self._engine_class, "engine_connect", self._seen)


@pytest.fixture
def database_target(tmp_path: Path, pg_databases: PgDatabases | None) -> Iterator[str]:
    """What ``$CRM_DB`` names: the test's SQLite file, or its PostgreSQL database URL."""
    if pg_databases is None:
        yield str(tmp_path / "crm.db")
        return
    name = pg_databases.take()
    try:
        yield pg_databases.url_of(name)
    finally:
        pg_databases.give_back(name)


@pytest.fixture(autouse=True)
def engine_tracker(
    database_target: str, pg_databases: PgDatabases | None
) -> Iterator[EngineTracker | None]:
    """On PostgreSQL, the engines a test made; all disposed before its database is dropped."""
    if pg_databases is None:
        yield None
        return
    tracker = EngineTracker()
    try:
        yield tracker
    finally:
        tracker.close()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_target: str) -> Path:
    monkeypatch.setenv("CRM_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("CRM_DB", database_target)
    monkeypatch.setenv("CRM_USER", "tester")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("NO_COLOR", "1")
    for variable in ("CRM_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):  # English unless a test asks
        monkeypatch.delenv(variable, raising=False)
    from crmcli import i18n

    i18n.reset()  # a language chosen by an earlier test in this process is chosen again
    return tmp_path


@pytest.fixture
def db_sql(database_target: str) -> Iterator[Callable[..., list[tuple[Any, ...]]]]:
    """Run one SQL statement on the test's database, whichever engine: the rows it
    returns (``[]`` for statements that return none). Named parameters as ``:name``."""
    from sqlalchemy import create_engine, text

    url = database_target if "://" in database_target else f"sqlite:///{database_target}"
    engine = create_engine(url)

    def run(statement: str, **params: Any) -> list[tuple[Any, ...]]:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return [tuple(row) for row in result] if result.returns_rows else []

    try:
        yield run
    finally:
        engine.dispose()


@pytest.fixture
def database_made(
    engine_name: str, database_target: str, db_sql: Callable[..., list[tuple[Any, ...]]]
) -> Callable[[], bool]:
    """Whether a command made the test's database: the SQLite file exists; on a server,
    where the (empty) database always exists, crmcli's schema has any table."""

    def made() -> bool:
        if engine_name == "sqlite":
            return Path(database_target).exists()
        return bool(
            db_sql(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            )
        )

    return made


@pytest.fixture
def db_dump(
    engine_name: str, database_target: str, db_sql: Callable[..., list[tuple[Any, ...]]]
) -> Callable[[], list[Any]]:
    """Everything in the test's database, to compare before and after: SQLite's own
    ``iterdump`` of the file; on a server every table's columns and sorted rows."""

    def dump() -> list[Any]:
        if engine_name == "sqlite":
            import sqlite3

            conn = sqlite3.connect(database_target)
            try:
                return list(conn.iterdump())
            finally:
                conn.close()
        out: list[Any] = []
        tables = db_sql(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() ORDER BY table_name"
        )
        for (name,) in tables:
            columns = db_sql(
                "SELECT column_name, data_type, is_nullable, column_default"
                " FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = :name"
                " ORDER BY ordinal_position",
                name=name,
            )
            rows = db_sql(f'SELECT * FROM "{name}"')
            out.append((name, columns, sorted(repr(row) for row in rows)))
        return out

    return dump


class Run:
    """Invoke ``crm`` in-process; ``ok`` asserts success, ``fails`` asserts the exit code."""

    def __init__(self, engines: EngineTracker | None = None) -> None:
        self.runner = CliRunner()
        self.engines = engines

    def __call__(self, *args: Any, input: str | None = None) -> Any:
        try:
            return self.runner.invoke(app, [str(a) for a in args], input=input)
        finally:
            if self.engines is not None:
                # What the end of a `crm` process would do: close its connections.
                self.engines.dispose_all()

    def ok(self, *args: Any) -> Any:
        result = self(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return result

    def json(self, *args: Any) -> Any:
        return json.loads(self.ok(*args, "--format", "json").stdout)

    def add_customer(
        self, name: str, code: str, stage: str, *extra: Any, owner: str, on: str
    ) -> Any:
        """Add a customer with a code, stage, owner and the day it was added."""
        return self.ok(
            "customer",
            "add",
            name,
            "--code",
            code,
            "--stage",
            stage,
            "--owner",
            owner,
            "--as-of",
            on,
            *extra,
        )

    def fails(self, code: int, *args: Any) -> str:
        result = self(*args)
        assert result.exit_code == code, (
            result.exit_code,
            result.stdout,
            result.stderr,
            result.exception,
        )
        assert "Traceback" not in result.stderr
        return result.stderr


@pytest.fixture
def crm(engine_tracker: EngineTracker | None) -> Callable[..., Any]:
    return Run(engine_tracker)
