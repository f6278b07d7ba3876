"""Team mode: ``db check``, ``db backup`` and ``db restore`` of a server.

Everything that needs a server runs when ``CRM_TEST_PG_URL`` names one
(``postgresql+psycopg://postgres@127.0.0.1:55432/postgres``: a user who may create
databases and roles); each such test gets a fresh database of its own, dropped
afterwards, with the roles it made.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PG_URL = os.environ.get("CRM_TEST_PG_URL") or None
needs_pg = pytest.mark.skipif(
    PG_URL is None,
    reason="needs a PostgreSQL server: set CRM_TEST_PG_URL=postgresql+psycopg://user@host:port/db "
    "(a user who may create databases and roles)",
)
SALES = ("li", "wang")
MANAGER = "zhao"
ROLES = (*SALES, MANAGER)
GROUPS = ("crm_sales", "crm_manager")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o000)
    try:
        yield
    finally:
        os.umask(old)


# --- in-process commands on a server close their connections ------------------------------


class Engines:
    """Every server engine a command made, disposed when it returns (as the end of a
    ``crm`` process would), so that connections do not pile up and block DROP DATABASE."""

    def __init__(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self.seen: weakref.WeakSet[Any] = weakref.WeakSet()
        event.listen(Engine, "engine_connect", self._connected)

    def _connected(self, connection: Any) -> None:
        if connection.engine.dialect.name != "sqlite":
            self.seen.add(connection.engine)

    def dispose(self) -> None:
        for engine in list(self.seen):
            engine.dispose()

    def close(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self.dispose()
        event.remove(Engine, "engine_connect", self._connected)


@pytest.fixture
def engines() -> Iterator[Engines]:
    tracker = Engines()
    try:
        yield tracker
    finally:
        tracker.close()


@pytest.fixture
def crm(crm: Any, engines: Engines) -> Any:
    invoke = crm.runner.invoke

    def disposing(*args: Any, **kwargs: Any) -> Any:
        try:
            return invoke(*args, **kwargs)
        finally:
            engines.dispose()

    crm.runner.invoke = disposing
    return crm


# --- a server with a fresh database per test ------------------------------------------------


class Server:
    """The server of ``CRM_TEST_PG_URL``: fresh databases, SQL as its admin, cleanup."""

    def __init__(self, url: str) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        self.url = make_url(url)
        if self.url.get_backend_name() != "postgresql":
            raise pytest.UsageError(f"CRM_TEST_PG_URL must be a postgresql URL, not {url}")
        self.admin = psycopg.connect(self._libpq(self.url.database), autocommit=True)
        self.made: list[str] = []
        self.roles_before = self._roles()

    def _libpq(self, database: str | None) -> str:
        url = self.url.set(drivername="postgresql", database=database)
        return url.render_as_string(hide_password=False)

    def _roles(self) -> set[str]:
        rows = self.admin.execute(
            "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (list(ROLES + GROUPS),)
        )
        return {r[0] for r in rows}

    def database(self) -> str:
        """A new, empty database's crmcli URL."""
        from psycopg import sql

        name = f"crmteam_{os.getpid()}_{secrets.token_hex(4)}"
        self.admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                sql.Identifier(name)
            )
        )
        self.made.append(name)
        return self.url.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )

    def sql(self, url: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        """One statement in database ``url`` as the admin; its rows."""
        import psycopg
        from sqlalchemy.engine import make_url

        with psycopg.connect(self._libpq(make_url(url).database), autocommit=True) as conn:
            cur = conn.execute(statement, params or None)
            return list(cur.fetchall()) if cur.description else []

    def close(self) -> None:
        from psycopg import sql

        for name in self.made:
            self.admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        # Roles belong to the whole server: drop the ones this test made, unless another
        # database still depends on them.
        for role in (*ROLES, *GROUPS):
            if role in self.roles_before:
                continue
            with contextlib.suppress(Exception):
                self.admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        self.admin.close()


@pytest.fixture
def server() -> Iterator[Server]:
    assert PG_URL is not None
    srv = Server(PG_URL)
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture
def pg(server: Server) -> str:
    """The URL of a fresh, empty database."""
    return server.database()


# --- data that uses every table and every kind of value -------------------------------------


def populate(crm: Any, db: str) -> None:
    """Customers of two salespeople, with contacts (a lunar leap birthday), follow-ups at
    times with seconds, plans done and open, sales and a refund, a greeting, a campaign
    and its notice, a locked tier and edits in history."""
    on = ("--as-of", "2026-11-01")
    crm.ok("--db", db, "init")
    for name, code, owner, extra in (
        ("华为技术有限公司", "HW", "li", ("--phone", "13812345678", "--tier", "core")),
        ("杭州西湖茶业", "XH", "li", ("--stage", "customer", "--email", "tea@example.com")),
        ("Acme Trading", "ACME", "wang", ("--channel", "outreach", "--stage", "qualified")),
        ("王芳", "WF", "wang", ("--kind", "person", "--birthday", "1985-03-08")),
    ):
        crm.ok("--db", db, "customer", "add", name, "--code", code, "--owner", owner, *on, *extra)
    crm.ok(
        "--db", db, "contact", "add", "HW", "赵强", "--birthday", "1979-06-30", "--lunar", "--leap"
    )
    crm.ok(
        "--db", db, "contact", "add", "ACME", "Bob", "--title", "buyer", "--phone", "13900001111"
    )
    crm.ok(
        "--db",
        db,
        "log",
        "HW",
        "--channel",
        "visit",
        "--summary",
        "季度回访",
        "--at",
        "2026-11-02 09:15:27",
        "--next",
        "2026-11-20",
        "--next-action",
        "报价",
    )
    crm.ok("--db", db, "log", "ACME", "--channel", "phone", "--summary", "call", "--contact", "Bob")
    crm.ok("--db", db, "plan", "add", "XH", "--due", "2026-11-10", "--content", "样品")
    crm.ok("--db", db, "plan", "done", "2", "--result", "已送")
    crm.ok(
        "--db", db, "sale", "add", "HW", "128000.50", "--on", "2026-10-12", "--product", "服务器"
    )
    crm.ok("--db", db, "sale", "add", "HW", "5000", "--refund", "--on", "2026-10-20")
    crm.ok("--db", db, "sale", "add", "ACME", "990", "--on", "2026-09-01")
    crm.ok("--db", db, "tier", "set", "ACME", "key", "--reason", "战略客户", "--lock")
    crm.ok("--db", db, "customer", "edit", "XH", "--region", "杭州", "--reason", "地址")
    crm.ok("--db", db, "greet", "done", "XH", "--occasion", "立冬", "--date", "2026-11-07")
    crm.ok("--db", db, "campaign", "add", "答谢会", "--on", "2026-12-20", "--stages", "customer")
    crm.ok("--db", db, "campaign", "notify", "答谢会", "XH", "--channel", "wechat")


# --- PostgreSQL: check, backup ------------------------------------------------------------------


@needs_pg
def test_check_a_server_reports_rows_per_table(crm, pg):
    populate(crm, pg)
    result = crm.ok("--db", pg, "db", "check")
    shown = pg
    assert result.stderr == f"{shown}: ok\n"
    counts = {r["table"]: r["rows"] for r in crm.json("--db", pg, "db", "check")}
    assert counts["customer"] == 4 and counts["sale"] == 3 and counts["meta"] >= 1
    from crmcli.schema import metadata

    assert list(counts) == [t.name for t in metadata.sorted_tables]


@needs_pg
def test_check_a_server_refuses_a_newer_schema_and_an_empty_database(crm, pg, server):
    assert crm.fails(4, "--db", pg, "db", "check") == (
        f"crm: no crmcli database at {pg}; run `crm init` first\n"
    )
    assert server.sql(pg, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
    crm.ok("--db", pg, "init")
    server.sql(pg, "UPDATE alembic_version SET version_num = '9999'")
    assert crm.fails(4, "--db", pg, "db", "check") == (
        f"crm: {pg}: schema 9999 is newer than this crmcli knows\n"
    )


@needs_pg
def test_backup_and_restore_of_a_server_write_nothing(crm, pg, server, isolated):
    crm.ok("--db", pg, "init")
    err = crm.fails(2, "--db", pg, "db", "backup", str(isolated / "b.bak"))
    assert "pg_dump -Fc -f crm.dump" in err and err.count("\n") == 1
    (isolated / "b.bak").write_bytes(b"x")
    err = crm.fails(2, "--db", pg, "db", "restore", str(isolated / "b.bak"), "--yes")
    assert "pg_restore" in err and err.count("\n") == 1
    assert (isolated / "b.bak").read_bytes() == b"x"
