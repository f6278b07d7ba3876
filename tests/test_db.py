"""The database file (SPEC §6): creation, pragmas, schema versions, check, backup, restore."""

from __future__ import annotations

import gc
import os
import sqlite3
import stat
from pathlib import Path

import pytest

import crmcli.db
from crmcli.db import HEAD, REVISIONS, open_database


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def codes(crm, *extra):
    return [c["code"] for c in crm.json(*extra, "customer", "list")]


def add(crm, code, *extra):
    crm.ok(*extra, "customer", "add", f"Customer {code}", "--code", code, "--as-of", "2026-11-01")


def last_line(stderr: str) -> str:
    """The error; ``init`` may first report the config file it created."""
    lines = stderr.splitlines(keepends=True)
    assert [line for line in lines if line.startswith("crm: ")] == lines[-1:]
    return lines[-1]


def make_db(target: Path | str) -> None:
    """A current, empty crmcli database whose connections are all closed."""
    database = open_database(str(target), write=True)
    database.engine.dispose()


def sql(path: Path, statement: str) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def permissive_umask():
    old = os.umask(0o000)
    try:
        yield
    finally:
        os.umask(old)


# --- init ------------------------------------------------------------------------------


def test_init_creates_config_and_database_and_is_idempotent(crm, isolated, database_target):
    first = crm.ok("init")
    assert first.stdout == ""
    assert first.stderr == (
        f"config: {isolated / 'config.toml'} (created with the policy defaults)\n"
        f"database: {database_target} (created, schema {HEAD})\n"
    )
    add(crm, "A")
    config = (isolated / "config.toml").read_bytes()
    second = crm.ok("init")
    assert second.stderr == (
        f"config: {isolated / 'config.toml'} (exists)\n"
        f"database: {database_target} (exists, schema {HEAD})\n"
    )
    assert (isolated / "config.toml").read_bytes() == config
    assert codes(crm) == ["A"]


def test_init_leaves_the_language_to_the_locale(crm, isolated, monkeypatch):
    """The config init writes holds every policy default but ``lang``: written there, it
    would outrank $CRM_LANG and the locale of a Chinese user and pin English."""
    import tomllib

    crm.ok("init")
    written = tomllib.loads((isolated / "config.toml").read_text(encoding="utf-8"))
    assert "lang" not in written and written["cadence"]["core"]["days"] == 14
    add(crm, "A")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert crm.ok("customer", "list").stdout.split()[:2] == ["编号", "名称"]


def test_init_keeps_the_users_settings(crm, isolated):
    crm.ok("config", "set", "cadence.key.days", "10")
    crm.ok("init")
    assert crm.ok("config", "get", "cadence.key.days").stdout == "10\n"


@pytest.mark.sqlite_only(reason="the file modes of the SQLite file and its -wal/-shm files")
def test_database_files_are_readable_by_the_owner_only(crm, isolated, permissive_umask):
    crm.ok("init")
    add(crm, "A")
    files = [p for p in isolated.iterdir() if p.name.startswith("crm.db")]
    assert isolated / "crm.db" in files
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}


@pytest.mark.sqlite_only(reason="SQLite's pragmas journal_mode, foreign_keys and busy_timeout")
def test_connections_use_wal_foreign_keys_and_a_busy_timeout(isolated):
    path = isolated / "crm.db"
    for write in (True, False):
        database = open_database(str(path), write=write)
        try:
            with database.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        finally:
            database.engine.dispose()


def test_foreign_keys_are_enforced(database_target):
    from sqlalchemy.exc import IntegrityError

    make_db(database_target)
    database = open_database(database_target, write=True)
    try:
        with pytest.raises(IntegrityError), database.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO contact (customer_id, name, birthday_lunar, birthday_leap,"
                " created_at, updated_at)"
                " VALUES (999, 'x', FALSE, FALSE, '2026-01-01', '2026-01-01')"
            )
    finally:
        database.engine.dispose()


# --- refusing databases it must not touch -----------------------------------------------


@pytest.mark.sqlite_only(reason="compares the SQLite file byte for byte and looks for .bak files")
def test_newer_schema_is_refused_and_left_byte_for_byte(crm, isolated):
    path = isolated / "crm.db"
    make_db(path)
    sql(path, "UPDATE alembic_version SET version_num = '9999'")
    before = path.read_bytes()
    for args in (("customer", "list"), ("customer", "add", "X"), ("init",), ("db", "migrate")):
        err = last_line(crm.fails(4, *args))
        assert err == (
            f"crm: database {path} has schema 9999, newer than this crmcli knows "
            f"(up to {HEAD}); upgrade crmcli to use it\n"
        ), args
    gc.collect()
    assert path.read_bytes() == before
    assert sorted(p.name for p in isolated.iterdir() if ".bak" in p.name) == []
    assert crm.fails(4, "db", "check") == (
        f"crm: {path}: schema 9999 is newer than this crmcli knows\n"
    )


def test_newer_schema_is_refused_and_left_as_it_was_on_any_engine(crm, database_target, db_sql):
    make_db(database_target)
    db_sql("UPDATE alembic_version SET version_num = '9999'")
    before = db_sql("SELECT COUNT(*) FROM customer")
    for args in (("customer", "list"), ("customer", "add", "X"), ("init",), ("db", "migrate")):
        err = last_line(crm.fails(4, *args))
        assert err == (
            f"crm: database {database_target} has schema 9999, newer than this crmcli knows "
            f"(up to {HEAD}); upgrade crmcli to use it\n"
        ), args
    assert db_sql("SELECT version_num FROM alembic_version") == [("9999",)]
    assert db_sql("SELECT COUNT(*) FROM customer") == before == [(0,)]


@pytest.mark.sqlite_only(reason="a file that is not an SQLite database at the database's path")
def test_a_file_that_is_not_sqlite_is_refused_and_untouched(crm, isolated):
    path = isolated / "crm.db"
    path.write_text("name,phone\nAcme,123\n", encoding="utf-8")
    before = path.read_bytes()
    for args in (("customer", "list"), ("customer", "add", "X"), ("init",)):
        assert last_line(crm.fails(4, *args)) == (
            f"crm: {path} is not a crmcli database (not an SQLite file)\n"
        ), args
    assert crm.fails(4, "db", "check") == f"crm: {path}: {path} is not an SQLite file\n"
    assert path.read_bytes() == before


@pytest.mark.sqlite_only(reason="compares the SQLite file byte for byte")
def test_an_sqlite_file_of_another_program_is_refused_and_untouched(crm, isolated):
    path = isolated / "crm.db"
    sql(path, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    before = path.read_bytes()
    err = crm.fails(4, "customer", "add", "X")
    assert err == (
        f"crm: {path} holds tables but no crmcli schema version; it is not a crmcli database\n"
    )
    gc.collect()
    assert path.read_bytes() == before


def test_a_database_of_another_program_is_refused_and_left_alone_on_any_engine(
    crm, database_target, db_sql
):
    db_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    db_sql("INSERT INTO notes (id, body) VALUES (1, 'keep me')")
    err = crm.fails(4, "customer", "add", "X")
    assert err == (
        f"crm: {database_target} holds tables but no crmcli schema version; "
        "it is not a crmcli database\n"
    )
    assert db_sql("SELECT id, body FROM notes") == [(1, "keep me")]


@pytest.mark.parametrize(
    "args", [("customer", "list"), ("customer", "add", "X"), ("init",), ("db", "backup")]
)
def test_db_in_a_missing_directory_is_refused_and_not_created(crm, isolated, args):
    target = isolated / "missing" / "crm.db"
    err = last_line(crm.fails(4, "--db", str(target), *args))
    assert err.startswith("crm: ") and str(target.parent) in err
    assert not target.parent.exists()


@pytest.mark.parametrize(
    "args",
    [
        ("customer", "list"),
        ("customer", "show", "X"),
        ("customer", "history", "X"),
        ("contact", "list"),
        ("plan", "list"),
        ("overdue", "--as-of", "2026-11-22"),
    ],
)
def test_read_commands_do_not_create_a_database(crm, database_target, database_made, args):
    # On a server the (empty) database exists: what must not be made is crmcli's schema.
    err = crm.fails(4, *args)
    assert err == f"crm: no database at {database_target}; run `crm init` first\n"
    assert not database_made()


# --- check, backup, restore --------------------------------------------------------------


def test_check_a_good_database(crm, database_target, engine_name):
    crm.ok("init")
    add(crm, "A")
    result = crm.ok("db", "check")
    assert result.stderr == f"{database_target}: ok\n"
    if engine_name == "sqlite":
        assert result.stdout == ""
    else:  # a server's check also prints the rows of every table
        rows = {r["table"]: r["rows"] for r in crm.json("db", "check")}
        assert rows["customer"] == 1 and rows["history"] >= 1


def test_check_a_missing_database(crm, database_target, database_made):
    # On a server: an empty database, without crmcli's schema.
    assert crm.fails(4, "db", "check") == f"crm: no database at {database_target}\n"
    assert not database_made()


@pytest.mark.sqlite_only(
    reason="crm db backup/restore copy the SQLite file (SQLite's online backup); "
    "a server's own tools back it up"
)
def test_backup_is_a_private_copy_that_check_accepts(crm, isolated, permissive_umask):
    crm.ok("init")
    add(crm, "A")
    dest = isolated / "backup.db"
    result = crm.ok("db", "backup", str(dest))
    assert result.stdout == f"{dest}\n"
    assert mode(dest) == 0o600
    assert crm.ok("--db", str(dest), "db", "check").stderr == f"{dest}: ok\n"
    assert codes(crm, "--db", str(dest)) == ["A"]
    assert crm.fails(2, "db", "backup", str(dest)) == (
        f"crm: {dest} already exists; choose another name\n"
    )


@pytest.mark.sqlite_only(
    reason="crm db backup/restore copy the SQLite file (SQLite's online backup); "
    "a server's own tools back it up"
)
def test_backup_without_a_name_goes_beside_the_database(crm, isolated):
    crm.ok("init")
    result = crm.ok("db", "backup")
    made = Path(result.stdout.strip())
    assert made.parent == isolated
    assert made.name.startswith("crm.db.") and made.name.endswith(".bak")
    assert mode(made) == 0o600


@pytest.mark.sqlite_only(
    reason="crm db backup/restore copy the SQLite file (SQLite's online backup); "
    "a server's own tools back it up"
)
def test_restore_brings_back_the_earlier_data(crm, isolated):
    crm.ok("init")
    add(crm, "A")
    backup = isolated / "backup.db"
    crm.ok("db", "backup", str(backup))
    add(crm, "B")
    crm.ok("customer", "edit", "A", "--region", "杭州")
    assert codes(crm) == ["A", "B"]
    result = crm.ok("db", "restore", str(backup), "--yes")
    (kept,) = isolated.glob("crm.db.before-restore-*.bak")
    assert result.stderr == (
        f"restored {isolated / 'crm.db'} from {backup}\n"
        f"the database it replaced is kept in {kept}\n"
    )
    assert codes(crm) == ["A"]
    # the copy it kept is the database as it was before: A (in 杭州) and B
    assert codes(crm, "--db", kept) == ["A", "B"]
    assert mode(kept) == 0o600
    assert crm.json("customer", "show", "A")["customer"]["region"] is None
    crm.ok("db", "check")
    add(crm, "C")
    assert codes(crm) == ["A", "C"]


@pytest.mark.sqlite_only(
    reason="crm db backup/restore copy the SQLite file (SQLite's online backup); "
    "a server's own tools back it up"
)
def test_restore_needs_yes_in_a_script_and_dry_run_changes_nothing(crm, isolated):
    crm.ok("init")
    add(crm, "A")
    backup = isolated / "backup.db"
    crm.ok("db", "backup", str(backup))
    add(crm, "B")
    assert crm.fails(2, "db", "restore", str(backup)) == (
        "crm: restore replaces the database; pass --yes to confirm\n"
    )
    dry = crm.ok("db", "restore", str(backup), "--dry-run")
    assert dry.stderr == f"{backup} is sound; it would replace {isolated / 'crm.db'}\n"
    assert codes(crm) == ["A", "B"]


@pytest.mark.sqlite_only(
    reason="crm db backup/restore copy the SQLite file (SQLite's online backup); "
    "a server's own tools back it up"
)
def test_restore_refuses_a_file_that_is_not_sqlite(crm, isolated):
    crm.ok("init")
    add(crm, "A")
    junk = isolated / "junk.db"
    junk.write_bytes(b"not a database at all")
    assert crm.fails(2, "db", "restore", str(junk), "--yes") == (
        f"crm: refusing to restore {junk}: {junk} is not an SQLite file\n"
    )
    assert crm.fails(2, "db", "restore", str(isolated / "nope.db"), "--yes") == (
        f"crm: no backup file {isolated / 'nope.db'}\n"
    )
    assert codes(crm) == ["A"]


@pytest.mark.sqlite_only(
    reason="crm db backup/restore copy the SQLite file (SQLite's online backup); "
    "a server's own tools back it up"
)
def test_restore_refuses_a_backup_from_a_newer_crmcli(crm, isolated):
    crm.ok("init")
    add(crm, "A")
    newer = isolated / "newer.db"
    make_db(newer)
    sql(newer, "UPDATE alembic_version SET version_num = '9999'")
    err = crm.fails(2, "db", "restore", str(newer), "--yes")
    assert err == (
        f"crm: refusing to restore {newer}: schema 9999 is newer than this crmcli knows\n"
    )
    assert codes(crm) == ["A"]


# --- schema versions -----------------------------------------------------------------------


def test_revisions_match_the_migration_scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(crmcli.db.__file__).parent / "migrations"))
    script = ScriptDirectory.from_config(cfg)
    oldest_first = tuple(reversed([r.revision for r in script.walk_revisions()]))
    assert oldest_first == REVISIONS
    assert script.get_heads() == [HEAD]


def test_a_new_database_is_stamped_with_the_head_revision(crm, db_sql):
    crm.ok("init")
    assert db_sql("SELECT version_num FROM alembic_version") == [(HEAD,)]


@pytest.mark.sqlite_only(reason="checks an SQLite backup file byte for byte")
def test_check_writes_nothing_to_the_file_it_checks(crm, isolated):
    crm.ok("init")
    add(crm, "A")
    backup = isolated / "backup.db"
    crm.ok("db", "backup", str(backup))
    before = backup.read_bytes()
    assert crm.ok("--db", str(backup), "db", "check").stderr == f"{backup}: ok\n"
    assert backup.read_bytes() == before
    assert sorted(p.name for p in isolated.iterdir() if p.name.startswith("backup")) == [
        "backup.db"
    ]


@pytest.mark.sqlite_only(reason="SQLite lets rows point at missing rows; a server refuses them")
def test_check_reports_rows_pointing_at_missing_rows(crm, isolated):
    crm.ok("init")
    add(crm, "A")
    path = isolated / "crm.db"
    conn = sqlite3.connect(path)
    try:
        conn.execute(
            "INSERT INTO contact (customer_id, name, birthday_lunar, birthday_leap, created_at,"
            " updated_at) VALUES (999, 'x', 0, 0, '2026-01-01', '2026-01-01')"
        )
        conn.commit()
    finally:
        conn.close()
    assert crm.fails(4, "db", "check") == (
        f"crm: {path}: 1 rows point at missing rows (first: table contact)\n"
    )


SERVER = "postgresql+psycopg://crm:secret@db.example.invalid:5432/crm"


@pytest.mark.parametrize(
    ("args", "tool"),
    [
        (("db", "backup"), "pg_dump -Fc -f crm.dump"),
        (("db", "backup", "x.bak"), "pg_dump -Fc -f crm.dump"),
        (("db", "restore", "x.bak", "--yes"), "pg_restore --clean --if-exists -d"),
        (("db", "restore", "missing.bak"), "pg_restore --clean --if-exists -d"),
    ],
)
def test_backup_and_restore_of_a_server_point_to_its_tools(crm, isolated, args, tool):
    (isolated / "x.bak").write_bytes(b"untouched")
    before = sorted(p.name for p in isolated.iterdir())
    err = crm.fails(2, "--db", SERVER, *args)
    assert err.count("\n") == 1 and err.startswith("crm: db ")
    assert f"{tool} 'postgresql://crm:***@db.example.invalid:5432/crm'" in err
    assert "secret" not in err
    assert sorted(p.name for p in isolated.iterdir()) == before
    assert (isolated / "x.bak").read_bytes() == b"untouched"


def test_grant_needs_postgresql(crm, isolated):
    assert crm.fails(2, "--db", isolated / "crm.db", "db", "grant", "li", "--role", "sales") == (
        f"crm: db grant needs a PostgreSQL database (team mode); {isolated / 'crm.db'} "
        "is an SQLite file\n"
    )
    assert not (isolated / "crm.db").exists()


@pytest.mark.parametrize(
    ("args", "err"),
    [
        (("li",), "crm: db grant needs --role sales or --role manager\n"),
        (("li", "--role", "boss"), "crm: unknown role 'boss'; expected sales or manager\n"),
        (("", "--role", "sales"), "crm: db grant needs a user name\n"),
        (
            ("li wang", "--role", "sales"),
            "crm: user name 'li wang' may not contain spaces or control characters\n",
        ),
        (
            ("pg_li", "--role", "sales"),
            "crm: 'pg_li' is a reserved role name; choose another user name\n",
        ),
        (
            ("crm_sales", "--role", "manager"),
            "crm: 'crm_sales' is a reserved role name; choose another user name\n",
        ),
        (("x" * 64, "--role", "sales"), f"crm: user name {'x' * 64!r} is longer than 63 bytes\n"),
    ],
)
def test_grant_refuses_bad_input_before_connecting(crm, isolated, args, err):
    # The server does not exist: each refusal comes before any connection.
    assert crm.fails(2, "--db", SERVER, "db", "grant", *args) == err
    assert sorted(p.name for p in isolated.iterdir()) == []
