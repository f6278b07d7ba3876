"""Team mode: ``crm db copy`` between SQLite and PostgreSQL, ``db check`` of a server, and
``crm db grant`` with row-level security (seed 000 第九条 访问权限控制).

The copies into new files run on either engine: their source is the test's database
(``$CRM_DB``, a file or, with ``CRM_TEST_PG_URL``, a server database). What needs a
server runs only with ``CRM_TEST_PG_URL`` (a user who may create databases and roles,
e.g. ``postgresql+psycopg://postgres@127.0.0.1:55432/postgres``): on the test's own
server database, with the roles it made dropped afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
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

    def close(self, used: str | None) -> None:
        """Drop the databases made here and the roles this test made. A role that still
        holds privileges or policies in a database cannot be dropped, so those of the
        test's own database (``used``, dropped by the suite after this) go first."""
        from psycopg import sql

        for name in self.made:
            self.admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        mine = sorted(self._roles() - self.roles_before)
        if mine and used is not None and "://" in used:
            names = sql.SQL(", ").join(map(sql.Identifier, mine))
            with contextlib.suppress(Exception):
                self.sql(used, sql.SQL("DROP OWNED BY {}").format(names).as_string(self.admin))
        for role in mine:
            with contextlib.suppress(Exception):
                self.admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        self.admin.close()


@pytest.fixture
def server(database_target: str) -> Iterator[Server]:
    assert PG_URL is not None
    srv = Server(PG_URL)
    try:
        yield srv
    finally:
        srv.close(database_target)


@pytest.fixture
def pg(database_target: str, server: Server) -> str:
    """The URL of the test's fresh, empty server database (the roles its test makes are
    dropped afterwards)."""
    assert "://" in database_target, "the suite runs on PostgreSQL here"
    return database_target


# --- data that uses every table and every kind of value -------------------------------------


def populate(crm: Any, db: str) -> None:
    """Customers of two salespeople, with contacts (a lunar leap birthday), follow-ups at
    times with seconds, plans done and open, sales and a refund, a greeting, a campaign
    and its notice, a locked tier, edits in history, complaints with their steps,
    surveys, and projects with their stages."""
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
    crm.ok("--db", db, "complaint", "open", "HW", "-s", "major", "-m", "服务器宕机", "--at",
           "2026-11-03 08:00")  # fmt: skip
    crm.ok("--db", db, "complaint", "respond", "1", "-m", "已派工程师", "--at", "2026-11-03 09:30")
    crm.ok("--db", db, "complaint", "open", "ACME", "-s", "general", "-m", "late delivery")
    crm.ok("--db", db, "survey", "add", "XH", "--method", "phone", "--quality", "5", "--price",
           "4", "--delivery", "5", "--service", "4", "--on", "2026-11-05")  # fmt: skip
    crm.ok("--db", db, "survey", "add", "WF", "--method", "online", "--quality", "3", "--price",
           "3", "--delivery", "2", "--service", "3", "--on", "2026-11-06")  # fmt: skip
    crm.ok("--db", db, "project", "add", "HW", "2027 服务器扩容", "--amount", "860000.50",
           "--expected", "2027-03-31", "--at", "2026-11-04 10:00")  # fmt: skip
    crm.ok("--db", db, "project", "stage", "1", "negotiation", "--at", "2026-11-10 15:00")
    crm.ok("--db", db, "project", "add", "ACME", "Pilot", "--at", "2026-11-05 11:00")


def copy_table(crm: Any, *args: str) -> list[dict[str, Any]]:
    return json.loads(crm.ok(*args, "--format", "json").stdout)


def exported(crm: Any, db: str) -> dict[str, Any]:
    """What the export commands and the complaint and survey lists give."""
    kinds = ("customers", "contacts", "followups", "sales", "plans")
    out = {k: json.loads(crm.ok("--db", db, "export", k, "-f", "json").stdout) for k in kinds}
    on = ("--as-of", "2026-11-30", "-f", "json")
    out["complaints"] = json.loads(crm.ok("--db", db, "complaint", "list", *on).stdout)
    out["surveys"] = json.loads(crm.ok("--db", db, "survey", "list", *on).stdout)
    out["projects"] = json.loads(crm.ok("--db", db, "project", "list", *on).stdout)
    return out


# --- copies into new files, from either engine ------------------------------------------


def tables() -> list[str]:
    from crmcli.schema import metadata

    return [t.name for t in metadata.sorted_tables]


def test_copy_to_a_new_file_keeps_every_row_and_id(
    crm, isolated, database_target, permissive_umask
):
    from crmcli.db import shown

    populate(crm, database_target)
    copy = isolated / "copy.db"
    result = crm.ok("db", "copy", "--to", str(copy))
    assert mode(copy) == 0o600
    assert result.stderr.startswith(f"copied {len(tables())} tables (") and result.stderr.endswith(
        f"from {shown(database_target)} to {copy}; row counts and checksums match\n"
    )
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Table", "Rows", "sha256"]
    assert [line.split()[0] for line in lines[1:]] == tables()
    assert exported(crm, str(copy)) == exported(crm, database_target)
    assert crm.ok("--db", str(copy), "db", "check").stderr == f"{copy}: ok\n"
    # The copy is a database like any other: ids go on after the largest.
    crm.ok("--db", str(copy), "customer", "add", "New", "--code", "NEW")
    assert crm.json("--db", str(copy), "customer", "show", "NEW")["customer"]["id"] == 5


def test_copy_both_ways_gives_the_same_rows_and_checksums(crm, isolated, database_target):
    populate(crm, database_target)
    there = copy_table(crm, "db", "copy", "--to", str(isolated / "a.db"))
    again = copy_table(crm, "--db", str(isolated / "b.db"), "db", "copy", "--from", database_target)
    assert there == again
    assert [row["table"] for row in there] == tables()
    rows = {row["table"]: row["rows"] for row in there}
    assert (rows["customer"], rows["contact"], rows["followup"], rows["sale"]) == (4, 2, 3, 3)
    assert (rows["complaint"], rows["complaintstep"], rows["survey"]) == (2, 3, 2)
    assert (rows["project"], rows["projectstage"]) == (2, 3)
    assert (rows["campaignnotice"], rows["greeting"], rows["meta"]) == (1, 1, 1)
    assert all(len(row["checksum"]) == 64 for row in there)
    # A copy of the copy: the same again.
    third = copy_table(
        crm, "--db", str(isolated / "a.db"), "db", "copy", "--to", str(isolated / "c.db")
    )
    assert third == there


def test_copy_refuses_a_target_that_exists(crm, isolated, database_target):
    populate(crm, database_target)
    other = isolated / "other.db"
    crm.ok("--db", str(other), "init")
    before = other.read_bytes()
    err = crm.fails(2, "db", "copy", "--to", str(other))
    assert err == (
        f"crm: {other} already exists; db copy writes a new database file, name another\n"
    )
    assert other.read_bytes() == before
    empty = isolated / "empty.db"
    empty.write_bytes(b"")
    assert crm.fails(2, "db", "copy", "--to", str(empty)).startswith(f"crm: {empty} already")
    assert empty.read_bytes() == b""


@pytest.mark.parametrize(
    ("args", "err"),
    [
        ((), "crm: db copy needs --to TARGET or --from SOURCE (one of them)\n"),
        (
            ("--to", "a.db", "--from", "b.db"),
            "crm: db copy needs --to TARGET or --from SOURCE (one of them)\n",
        ),
        (("--to", " "), "crm: db copy needs a database file or URL after --to/--from\n"),
        (
            ("--to", "sqlite://"),
            "crm: db copy writes a database file or a server; sqlite:// is neither\n",
        ),
        (
            ("--to", "x.db", "--format", "xml"),
            "crm: unknown format 'xml'; expected one of: table, json, csv, tsv\n",
        ),
    ],
)
def test_copy_refuses_bad_usage(crm, isolated, args, err):
    crm.ok("init")
    assert crm.fails(2, "db", "copy", *args) == err
    assert not (isolated / "x.db").exists()


def test_copy_refuses_the_database_itself(crm, isolated, database_target):
    crm.ok("init")
    same = str(isolated / "." / "crm.db") if "://" not in database_target else database_target
    assert crm.fails(2, "db", "copy", "--to", same) == (
        "crm: source and target are the same database\n"
    )


def test_copy_of_what_is_no_crmcli_database_is_refused(crm, isolated):
    missing = isolated / "missing.db"
    assert crm.fails(4, "--db", str(missing), "db", "copy", "--to", str(isolated / "x.db")) == (
        f"crm: no database at {missing}; run `crm init` first\n"
    )
    blank = isolated / "blank.db"
    blank.write_bytes(b"")
    assert crm.fails(4, "--db", str(blank), "db", "copy", "--to", str(isolated / "x.db")) == (
        f"crm: no crmcli database at {blank}; nothing to copy\n"
    )
    assert blank.read_bytes() == b""
    assert not (isolated / "x.db").exists()


def test_copy_into_a_missing_directory_creates_nothing(crm, isolated):
    crm.ok("init")
    target = isolated / "nowhere" / "x.db"
    err = crm.fails(4, "db", "copy", "--to", str(target))
    assert err.startswith("crm: ") and str(target.parent) in err
    assert not target.parent.exists()


def test_a_copy_whose_checksums_differ_is_removed(crm, isolated, database_target, monkeypatch):
    from crmcli.services import storage

    populate(crm, database_target)
    real = storage.table_checksums

    def damaged(conn, **kw):
        out = real(conn, **kw)
        return [(t, n - 1, c) if t == "followup" else (t, n, c) for t, n, c in out]

    monkeypatch.setattr(storage, "table_checksums", damaged)
    target = isolated / "copy.db"
    err = crm.fails(4, "db", "copy", "--to", str(target))
    assert err.startswith(f"crm: the copy in {target} does not match its source: followup (3 rows ")
    assert " → 2 rows " in err and err.endswith("; nothing was written\n")
    assert sorted(p.name for p in isolated.iterdir() if p.name.startswith("copy")) == []


def test_a_copy_that_fails_half_way_leaves_no_file(crm, isolated, database_target, monkeypatch):
    from crmcli.services import storage

    populate(crm, database_target)

    def broken(conn, **kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(storage, "table_checksums", broken)
    err = crm.fails(4, "db", "copy", "--to", str(isolated / "copy.db"))
    assert err == f"crm: cannot copy into {isolated / 'copy.db'}: disk full; nothing was written\n"
    assert sorted(p.name for p in isolated.iterdir() if p.name.startswith("copy")) == []


def test_checksums_do_not_depend_on_the_chunk_size(crm, database_target, monkeypatch):
    from crmcli.db import open_database
    from crmcli.services import storage

    populate(crm, database_target)
    monkeypatch.setattr(storage, "BLOCK", 3)  # blocks of 3 rows: several per table
    database = open_database(database_target, write=False)
    try:
        with database.engine.connect() as conn:
            whole = storage.table_checksums(conn, size=10_000)
            assert storage.table_checksums(conn, size=1) == whole
            assert storage.table_checksums(conn, size=2) == whole
    finally:
        database.engine.dispose()


def test_every_table_is_guarded_or_holds_no_customer_data():
    """A new table must say how a salesperson sees it (crmcli.services.access)."""
    from crmcli.schema import metadata
    from crmcli.services.access import SALES_ROWS, UNGUARDED

    names = {t.name for t in metadata.sorted_tables}
    assert set(SALES_ROWS) | set(UNGUARDED) == names
    assert not set(SALES_ROWS) & set(UNGUARDED)
    # Whatever refers to a guarded table is guarded itself.
    for table in metadata.sorted_tables:
        parents = {fk.column.table.name for fk in table.foreign_keys}
        if parents & set(SALES_ROWS):
            assert table.name in SALES_ROWS, table.name


def test_checksum_normalises_values_as_documented():
    import hashlib
    from datetime import date, datetime

    from crmcli.schema import contact, plan
    from crmcli.services.storage import Checksum

    checksum = Checksum(contact)
    row = (7, 3, "赵强", None, None, None, None, "04-30", True, False, "04-30", None,
           datetime(2026, 11, 2, 9, 15), datetime(2026, 11, 2, 9, 15, 27, 5))  # fmt: skip
    assert len(row) == len(contact.columns)
    assert checksum.normalised([row]) == [
        (7, 3, "赵强", None, None, None, None, "04-30", 1, 0, "04-30", None,
         "2026-11-02 09:15:00.000000", "2026-11-02 09:15:27.000005"),
    ]  # fmt: skip
    checksum.add([row])
    text = '[[7,3,"赵强",null,null,null,null,"04-30",1,0,"04-30",null,'
    text += '"2026-11-02 09:15:00.000000","2026-11-02 09:15:27.000005"]]'
    assert checksum.hexdigest() == hashlib.sha256(text.encode()).hexdigest()
    at = datetime(2026, 1, 4, 8, 0, 0, 120000)
    planned = (1, 2, date(2026, 1, 5), None, "phone", "call", None, "open", None, None, at, at)
    assert len(planned) == len(plan.columns)
    assert Checksum(plan).normalised([planned]) == [
        (1, 2, "2026-01-05", None, "phone", "call", None, "open", None, None,
         "2026-01-04 08:00:00.120000", "2026-01-04 08:00:00.120000"),
    ]  # fmt: skip


# --- PostgreSQL: check, backup, copy ------------------------------------------------------------


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
    assert crm.fails(4, "--db", pg, "db", "check") == f"crm: no database at {pg}\n"
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


@needs_pg
def test_copy_to_a_server_and_back_gives_the_same_rows(crm, pg, server, isolated):
    src = str(isolated / "crm.db")
    populate(crm, src)
    # The server's clock and zone must not move a time.
    server.sql(pg, "SELECT 1")
    there = copy_table(crm, "--db", src, "db", "copy", "--to", pg)
    back_file = isolated / "back.db"
    back = copy_table(crm, "--db", pg, "db", "copy", "--to", str(back_file))
    assert there == back
    assert mode(back_file) == 0o600
    assert exported(crm, pg) == exported(crm, src) == exported(crm, str(back_file))
    assert server.sql(pg, "SELECT version_num FROM alembic_version") == [
        (__import__("crmcli.db").db.HEAD,)
    ]
    # Ids kept, and each sequence goes on after the largest.
    assert server.sql(pg, "SELECT id FROM customer ORDER BY id") == [(1,), (2,), (3,), (4,)]
    crm.ok("--db", pg, "customer", "add", "New", "--code", "NEW")
    crm.ok("--db", pg, "log", "NEW", "--channel", "phone", "--summary", "first")
    assert crm.json("--db", pg, "customer", "show", "NEW")["customer"]["id"] == 5
    assert server.sql(pg, "SELECT max(id) FROM followup") == [(4,)]


@needs_pg
def test_copy_from_a_file_into_an_empty_server_database(crm, pg, server, isolated):
    src = isolated / "crm.db"
    populate(crm, str(src))
    # Tables of another program are no crmcli tables: the database counts as empty.
    server.sql(pg, "CREATE TABLE notes (id int)")
    result = crm.ok("--db", pg, "db", "copy", "--from", str(src))
    assert result.stderr.endswith(f"from {src} to {pg}; row counts and checksums match\n")
    assert crm.ok("--db", pg, "db", "check").stderr == f"{pg}: ok\n"


SCHEMA_OF = (
    "SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
    "FROM pg_constraint WHERE connamespace = 'public'::regnamespace UNION ALL "
    "SELECT 'index', tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
    "UNION ALL SELECT 'column', table_name, column_name, "
    "concat_ws(' ', data_type, collation_name, is_nullable, column_default) "
    "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2, 3"
)


@needs_pg
def test_a_copy_on_a_server_has_the_schema_crm_init_makes(crm, pg, server, isolated):
    src = str(isolated / "crm.db")
    populate(crm, src)
    crm.ok("--db", src, "db", "copy", "--to", pg)
    made = server.database()
    crm.ok("--db", made, "init")
    assert server.sql(pg, SCHEMA_OF) == server.sql(made, SCHEMA_OF)
    # And a new SQLite database made afterwards in the same process still has its keys.
    crm.ok("--db", str(isolated / "new.db"), "init")
    import sqlite3

    conn = sqlite3.connect(isolated / "new.db")
    try:
        assert conn.execute("PRAGMA foreign_key_list(followup)").fetchall()
    finally:
        conn.close()


@needs_pg
def test_copy_refuses_a_server_database_with_crmcli_tables(crm, pg, server, isolated):
    src = str(isolated / "crm.db")
    populate(crm, src)
    crm.ok("--db", pg, "init")
    before = server.sql(pg, "SELECT count(*) FROM customer")
    err = crm.fails(2, "--db", src, "db", "copy", "--to", pg)
    assert err == (
        f"crm: {pg} already holds crmcli tables (alembic_version, campaign, campaignnotice, "
        "complaint, …); db copy needs an empty database\n"
    )
    assert server.sql(pg, "SELECT count(*) FROM customer") == before == [(0,)]


@needs_pg
def test_a_server_copy_that_does_not_verify_is_rolled_back(crm, pg, server, isolated, monkeypatch):
    from crmcli.services import storage

    populate(crm, str(isolated / "crm.db"))
    real = storage.table_checksums

    def damaged(conn, **kw):
        return [(t, n, "0" * 64 if t == "sale" else c) for t, n, c in real(conn, **kw)]

    monkeypatch.setattr(storage, "table_checksums", damaged)
    err = crm.fails(4, "--db", isolated / "crm.db", "db", "copy", "--to", pg)
    assert "does not match its source: sale (3 rows " in err and "nothing was written" in err
    assert server.sql(pg, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


# --- PostgreSQL: roles and row-level security ----------------------------------------------


def as_user(monkeypatch: pytest.MonkeyPatch, user: str) -> None:
    monkeypatch.setenv("CRM_USER", user)


@pytest.fixture
def team(crm, pg, monkeypatch) -> str:
    """A server database with li's and wang's customers, li and wang salespeople and
    zhao a manager, granted by the admin (the tables' owner)."""
    as_user(monkeypatch, "admin")
    populate(crm, pg)
    for user in SALES:
        crm.ok("--db", pg, "db", "grant", user, "--role", "sales")
    crm.ok("--db", pg, "db", "grant", MANAGER, "--role", "manager")
    return pg


def codes(crm: Any, db: str, *args: str) -> list[str]:
    return [row["code"] for row in crm.json("--db", db, *args)]


@needs_pg
def test_a_salesperson_sees_only_its_own_customers(crm, team, monkeypatch):
    as_user(monkeypatch, "li")
    assert codes(crm, team, "customer", "list") == ["XH", "HW"]  # hang zhou, hua wei
    assert sorted(codes(crm, team, "overdue", "--as-of", "2027-06-01")) == ["HW", "XH"]
    assert sorted(codes(crm, team, "export", "customers")) == ["HW", "XH"]
    assert crm.fails(3, "--db", team, "customer", "show", "ACME") == (
        "crm: no customer matches 'ACME'\n"
    )
    assert crm.fails(3, "--db", team, "customer", "show", "3") == "crm: no customer matches '3'\n"
    contacts = json.loads(crm.ok("--db", team, "export", "contacts", "-f", "json").stdout)
    assert [c["name"] for c in contacts] == ["赵强"]
    sales = json.loads(crm.ok("--db", team, "export", "sales", "-f", "json").stdout)
    assert {s["customer_code"] for s in sales} == {"HW"}
    on = ("--as-of", "2026-11-30")
    complaints = crm.json("--db", team, "complaint", "list", *on)
    assert [c["summary"] for c in complaints] == ["服务器宕机"]
    assert [p["name"] for p in crm.json("--db", team, "project", "list", *on)["projects"]] == [
        "2027 服务器扩容"
    ]
    assert crm.fails(3, "--db", team, "project", "show", "2").startswith("crm: ")
    assert [v["code"] for v in crm.json("--db", team, "survey", "list", *on)] == ["XH"]
    as_user(monkeypatch, "wang")
    assert codes(crm, team, "customer", "list") == ["ACME", "WF"]
    assert crm.fails(3, "--db", team, "customer", "show", "HW") == "crm: no customer matches 'HW'\n"


@needs_pg
def test_a_manager_and_the_owner_see_everybody(crm, team, monkeypatch):
    every = ["ACME", "HW", "WF", "XH"]
    as_user(monkeypatch, MANAGER)
    assert sorted(codes(crm, team, "customer", "list")) == every
    assert sorted(codes(crm, team, "overdue", "--as-of", "2027-06-01")) == every
    assert crm.json("--db", team, "customer", "show", "ACME")["customer"]["owner"] == "wang"
    as_user(monkeypatch, "admin")  # connected as the tables' owner, no crmcli role
    assert sorted(codes(crm, team, "customer", "list")) == every


@needs_pg
def test_a_salesperson_changes_only_its_own_customers(crm, team, server, monkeypatch):
    as_user(monkeypatch, "li")
    crm.ok("--db", team, "customer", "add", "李的新客户", "--code", "LN")
    crm.ok("--db", team, "log", "LN", "--channel", "phone", "--summary", "first call")
    assert crm.fails(3, "--db", team, "log", "ACME", "--channel", "phone", "--summary", "x") == (
        "crm: no customer matches 'ACME'\n"
    )
    # A customer it adds for someone else would be one it cannot see: refused.
    err = crm.fails(
        4, "--db", team, "customer", "add", "For wang", "--code", "FW", "--owner", "wang"
    )
    assert err.startswith(
        "crm: permission denied: a sales role may write only the customers it owns"
    )
    assert "row-level security" in err and err.count("\n") == 1
    rows = server.sql(team, "SELECT code, owner FROM customer ORDER BY id")
    assert rows[-1] == ("LN", "li") and ("FW", "wang") not in rows
    assert server.sql(
        team,
        "SELECT count(*) FROM followup f JOIN customer c ON c.id = f.customer_id "
        "WHERE c.code = 'ACME'",
    ) == [(1,)]


@needs_pg
def test_the_acting_user_is_the_connections_role(crm, team, server, monkeypatch):
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from crmcli.db import make_engine

    def who(url: str) -> tuple[str, str]:
        engine = make_engine(url, write=False)
        try:
            with engine.connect() as conn:
                row = conn.execute(text("SELECT session_user, current_user")).one()
                return row[0], row[1]
        finally:
            engine.dispose()

    admin = make_url(team).username
    as_user(monkeypatch, "li")
    assert who(team) == (admin, "li")  # SET ROLE to a granted role
    as_user(monkeypatch, "someone")
    assert who(team) == (admin, admin)  # not a crmcli role: the connection's own
    url = make_url(team)
    no_user = f"postgresql+psycopg://{url.host}:{url.port}/{url.database}"
    as_user(monkeypatch, "wang")
    assert who(no_user) == ("wang", "wang")  # no user in the URL: logs in as the acting user
    assert codes(crm, no_user, "customer", "list") == ["ACME", "WF"]
    # A salesperson's login cannot act as another salesperson.
    as_li = f"postgresql+psycopg://li@{url.host}:{url.port}/{url.database}"
    err = crm.fails(4, "--db", as_li, "customer", "list")
    assert err.startswith("crm: ") and 'permission denied to set role "wang"' in err
    assert err.count("\n") == 1


@needs_pg
def test_grant_moves_a_role_between_groups_and_sets_a_password(crm, team, server, monkeypatch):
    as_user(monkeypatch, "admin")
    result = crm(
        "--db", team, "db", "grant", "li", "--role", "manager", "--password-stdin", input="s3cret\n"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"li: login role updated, member of crm_manager, no longer crm_sales, password set; "
        f"sees every customer in {team}\n"
    )
    [(password,)] = server.sql(team, "SELECT rolpassword FROM pg_authid WHERE rolname = 'li'")
    assert password.startswith("SCRAM-SHA-256$") and "s3cret" not in password
    as_user(monkeypatch, "li")
    assert sorted(codes(crm, team, "customer", "list")) == ["ACME", "HW", "WF", "XH"]
    as_user(monkeypatch, "admin")
    assert (
        crm.fails(2, "--db", team, "db", "grant", "li", "--role", "sales", "--password-stdin")
        == "crm: --password-stdin read no password\n"
    )


@needs_pg
def test_grant_is_for_the_tables_owner(crm, team, server, monkeypatch):
    as_user(monkeypatch, "li")
    owner = server.sql(team, "SELECT tableowner FROM pg_tables WHERE tablename = 'customer'")[0][0]
    assert crm.fails(2, "--db", team, "db", "grant", "wang", "--role", "manager") == (
        f"crm: db grant is for the owner of the crmcli tables ({owner}); connected as li\n"
    )
    as_user(monkeypatch, "admin")
    assert crm.fails(2, "--db", team, "db", "grant", owner, "--role", "sales") == (
        f"crm: {owner} owns the crmcli tables and sees every row already\n"
    )
    assert server.sql(
        team,
        "SELECT count(*) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = 'wang' AND g.rolname = 'crm_manager'",
    ) == [(0,)]


@needs_pg
def test_check_finds_a_table_that_row_level_security_no_longer_guards(crm, team, server):
    assert crm.ok("--db", team, "db", "check").stderr == f"{team}: ok\n"
    server.sql(team, "ALTER TABLE followup DISABLE ROW LEVEL SECURITY")
    assert crm.fails(4, "--db", team, "db", "check") == (
        f"crm: {team}: row-level security is off on followup, which crm_manager and crm_sales "
        "may read; run crm db grant again\n"
    )
    crm.ok("--db", team, "db", "grant", "wang", "--role", "sales")
    assert crm.ok("--db", team, "db", "check").stderr == f"{team}: ok\n"


def test_copy_shows_progress_on_a_terminal_only(monkeypatch):
    import io
    import sys

    from crmcli.cli import db_cmd

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert db_cmd._copy_progress() == (None, None)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    update, stop = db_cmd._copy_progress()
    assert update is not None and stop is not None
    update("customer", 0, 2)
    update("customer", 2, 2)
    stop()
