"""Faults (SPEC §6): an older database opened by several commands at once, a newer one
refused untouched, backups that are whole or absent, db check/restore that verify the
schema's tables and columns, files private whatever the umask, staging folders of
killed imports swept.

``tests/fixtures/first-release.db`` was made by crmcli's first release (schema 0001;
``first-release.sh`` beside it says how): it must open with the current code, upgrade
after a backup and keep every row.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from crmcli.db import HEAD

FIXTURE = Path(__file__).parent / "fixtures" / "first-release.db"
ON = ("--as-of", "2026-11-01")

# The tables of schema 0001 and every column it had: what an upgrade must keep.
FIRST_TABLES = ("customer", "contact", "followup", "plan", "history", "meta")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def rows_of(path: Path, table: str, columns: list[str]) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = ", ".join(f'"{c}"' for c in columns)
        return conn.execute(f'SELECT {names} FROM "{table}" ORDER BY rowid').fetchall()
    finally:
        conn.close()


def columns_of(path: Path, table: str) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    finally:
        conn.close()


def revision_of(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()


def first_release_copy(where: Path, name: str = "crm.db") -> Path:
    path = where / name
    shutil.copyfile(FIXTURE, path)
    os.chmod(path, 0o600)
    return path


def files_of(path: Path) -> dict[str, bytes]:
    """The database file and its journals, as bytes."""
    return {
        suffix: Path(f"{path}{suffix}").read_bytes()
        for suffix in ("", "-wal", "-journal")
        if Path(f"{path}{suffix}").exists()
    }


def crm_process(*args: str, db: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "crmcli", "--db", str(db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )


# --- a database of the first release (proof 3) ---------------------------------------------


@pytest.mark.sqlite_only(reason="the fixture is an SQLite file made by the first release")
def test_a_first_release_database_upgrades_after_a_backup_and_keeps_every_row(crm, tmp_path):
    path = first_release_copy(tmp_path)
    assert revision_of(path) == "0001"
    before = {t: (columns_of(path, t), rows_of(path, t, columns_of(path, t))) for t in FIRST_TABLES}
    assert [len(before[t][1]) for t in FIRST_TABLES] == [4, 3, 5, 3, 14, 1]
    dump_before = list(sqlite3.connect(path).iterdump())

    # a reading command is the first to open it
    listed = crm.json("--db", path, "customer", "list")
    assert sorted(c["code"] for c in listed) == ["AC", "C000003", "CQB", "HW"]

    assert revision_of(path) == HEAD
    (backup,) = tmp_path.glob("crm.db.before-*.bak")
    assert backup.name.startswith(f"crm.db.before-{HEAD}-")
    assert mode(backup) == 0o600
    assert list(sqlite3.connect(backup).iterdump()) == dump_before  # the file as it was
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    for table, (columns, rows) in before.items():
        assert set(columns) <= set(columns_of(path, table)), table
        assert rows_of(path, table, columns) == rows, table
    crm.ok("--db", path, "db", "check")
    # what the first release recorded reads back through today's commands
    shown = crm.json("--db", path, "customer", "show", "HW")
    assert shown["customer"]["name"] == "华为技术有限公司"
    assert shown["customer"]["phone"] == "+8613812345678"
    assert [c["name"] for c in crm.json("--db", path, "contact", "list", "HW")] == ["王芳", "陈静"]
    history = crm.json("--db", path, "customer", "history", "AC")
    assert ("phone", "+16502530000", "+16502530001") in {
        (h["field"], h["old"], h["new"]) for h in history
    }
    # and it takes the records later releases brought
    crm.ok("--db", path, "sale", "add", "HW", "128000", "--on", "2026-11-02", *ON)
    crm.ok("--db", path, "reclassify", *ON)
    # opened again, it is up to date: no second backup
    crm.ok("--db", path, "customer", "list")
    assert len(list(tmp_path.glob("crm.db.before-*.bak"))) == 1


@pytest.mark.sqlite_only(reason="compares the SQLite file and its WAL byte for byte")
def test_a_newer_database_left_in_wal_mode_is_refused_and_stays_byte_identical(crm, tmp_path):
    path = first_release_copy(tmp_path, "source.db")
    crm.ok("--db", path, "customer", "list")  # now at HEAD
    # A newer crmcli wrote last and a kill left its last transactions in the WAL.
    holder = sqlite3.connect(path)
    holder.execute("PRAGMA wal_autocheckpoint = 0")
    holder.execute("UPDATE alembic_version SET version_num = '9999'")
    holder.execute("UPDATE customer SET notes = 'written by a newer crmcli'")
    holder.commit()
    newer = tmp_path / "newer.db"
    shutil.copyfile(path, newer)
    shutil.copyfile(f"{path}-wal", f"{newer}-wal")
    holder.close()
    before = files_of(newer)
    assert len(before["-wal"]) > 0
    message = (
        f"crm: database {newer} has schema 9999, newer than this crmcli knows "
        f"(up to {HEAD}); upgrade crmcli to use it\n"
    )
    for args in (
        ("customer", "list"),
        ("customer", "add", "X"),
        ("log", "HW", "-c", "phone", "-m", "x"),
        ("init",),
        ("db", "migrate"),
        ("reclassify",),
    ):
        assert crm.fails(4, "--db", newer, *args).endswith(message), args
        assert files_of(newer) == before, args
    assert crm.fails(4, "--db", newer, "db", "check") == (
        f"crm: {newer}: schema 9999 is newer than this crmcli knows\n"
    )
    assert files_of(newer) == before
    assert list(tmp_path.glob("newer.db.before-*")) == []
    assert list(tmp_path.glob(".newer.db*")) == []


@pytest.mark.sqlite_only(reason="several processes open one SQLite file of the first release")
@pytest.mark.parametrize("round_", [1, 2])
def test_commands_opening_an_older_database_at_once_wait_for_one_upgrade(tmp_path, round_):
    path = first_release_copy(tmp_path)
    at = ("--at", "2026-11-02 10:00")
    commands = [
        ("customer", "list", "--format", "json"),
        ("overdue", "--as-of", "2026-11-01"),
        ("customer", "show", "HW"),
        ("remind", "--as-of", "2026-11-01"),
        ("log", "HW", "-c", "phone", "-m", "call 1", *at),
        ("log", "AC", "-c", "phone", "-m", "call 2", *at),
        ("customer", "add", "New One", "--as-of", "2026-11-01"),
        ("customer", "add", "New Two", "--as-of", "2026-11-01"),
    ]
    running = [crm_process(*args, db=path) for args in commands]
    results = [(p.wait(timeout=300), p.stderr.read().decode()) for p in running]
    for p in running:
        p.stdout.close()
        p.stderr.close()
    assert [code for code, _ in results] == [0] * len(commands), results
    assert not any("Traceback" in err or "crm: " in err for _, err in results), results
    assert revision_of(path) == HEAD
    assert len(list(tmp_path.glob("crm.db.before-*.bak"))) == 1
    counts = {t: len(rows_of(path, t, ["id"])) for t in ("customer", "followup")}
    assert counts == {"customer": 6, "followup": 7}


# --- backups are whole or absent -----------------------------------------------------------


@pytest.mark.sqlite_only(reason="db backup copies the SQLite file")
def test_a_backup_that_fails_midway_leaves_nothing(crm, isolated, monkeypatch):
    import crmcli.db

    crm.ok("init")
    crm.ok("customer", "add", "A", *ON)
    real = crmcli.db._online_backup

    def full_disk(source, dest, *, standalone):
        real(source, dest, standalone=standalone)  # the copy is written...
        raise OSError(28, "No space left on device")  # ...but not synced

    monkeypatch.setattr(crmcli.db, "_online_backup", full_disk)
    dest = isolated / "backup.db"
    err = crm.fails(4, "db", "backup", str(dest))
    assert err == f"crm: cannot write backup {dest}: No space left on device\n"
    assert [p.name for p in isolated.iterdir() if p.name.startswith((".backup", "backup"))] == []
    monkeypatch.setattr(crmcli.db, "_online_backup", real)
    crm.ok("db", "backup", str(dest))
    assert [p.name for p in isolated.iterdir() if p.name.startswith((".backup", "backup"))] == [
        "backup.db"
    ]


@pytest.mark.sqlite_only(reason="the pre-upgrade backup of an SQLite file")
def test_what_a_killed_pre_upgrade_backup_left_is_swept_by_the_next_upgrade(crm, tmp_path):
    path = first_release_copy(tmp_path)
    # A kill during the copy left the temporary file and its journal; no .bak.
    stale = tmp_path / f".crm.db.before-{HEAD}-20261101000000.bak.1a2b3c4d.tmp"
    stale.write_bytes(FIXTURE.read_bytes()[:4096])
    Path(f"{stale}-journal").write_bytes(b"\0" * 512)
    crm.ok("--db", path, "customer", "list")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert [n for n in names if n.startswith(".")] == []
    assert len([n for n in names if n.endswith(".bak")]) == 1


# --- db check and db restore verify the schema ---------------------------------------------


def _dropped(db_sql, engine_name, what):
    if what == "table":
        db_sql('DROP TABLE "plan"')
        return "table plan is missing"
    if engine_name == "sqlite":
        db_sql("ALTER TABLE customer DROP COLUMN notes")
    else:
        db_sql("ALTER TABLE customer DROP COLUMN notes CASCADE")
    return "table customer lacks column notes"


@pytest.mark.parametrize("what", ["table", "column"])
def test_db_check_finds_a_table_or_column_missing(crm, database_target, db_sql, engine_name, what):
    crm.ok("init")
    crm.ok("customer", "add", "A", *ON)
    problem = _dropped(db_sql, engine_name, what)
    assert crm.fails(4, "db", "check") == f"crm: {database_target}: {problem}\n"


@pytest.mark.sqlite_only(reason="db restore replaces an SQLite file")
@pytest.mark.parametrize("what", ["table", "column"])
def test_db_restore_refuses_a_backup_with_a_table_or_column_missing(crm, isolated, db_dump, what):
    crm.ok("init")
    crm.ok("customer", "add", "A", *ON)
    backup = isolated / "backup.db"
    crm.ok("db", "backup", str(backup))
    conn = sqlite3.connect(backup)
    conn.execute(
        'DROP TABLE "plan"' if what == "table" else "ALTER TABLE customer DROP COLUMN notes"
    )
    conn.commit()
    conn.close()
    problem = "table plan is missing" if what == "table" else "table customer lacks column notes"
    before = db_dump()
    assert crm.fails(2, "db", "restore", str(backup), "--yes") == (
        f"crm: refusing to restore {backup}: {problem}\n"
    )
    assert db_dump() == before
    assert list(isolated.glob("crm.db.before-restore-*")) == []


@pytest.mark.sqlite_only(reason="an SQLite file of the first release")
def test_an_older_file_is_checked_against_what_its_own_revision_promised(crm, tmp_path):
    path = first_release_copy(tmp_path)
    before = path.read_bytes()
    assert crm.ok("--db", path, "db", "check").stderr == f"{path}: ok\n"
    assert path.read_bytes() == before  # checked as it is, not upgraded
    assert revision_of(path) == "0001"
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE contact DROP COLUMN notes")
    conn.commit()
    conn.close()
    assert crm.fails(4, "--db", path, "db", "check") == (
        f"crm: {path}: table contact lacks column notes\n"
    )


@pytest.mark.sqlite_only(reason="db restore replaces an SQLite file")
def test_db_restore_refuses_the_database_itself(crm, isolated, db_dump):
    crm.ok("init")
    crm.ok("customer", "add", "A", *ON)
    path = isolated / "crm.db"
    os.link(path, isolated / "hard-link.db")
    (isolated / "sym-link.db").symlink_to(path)
    before = db_dump()
    for source in (path, isolated / "hard-link.db", isolated / "sym-link.db"):
        assert crm.fails(2, "db", "restore", str(source), "--yes") == (
            f"crm: {source} is the database itself; name a backup to restore\n"
        )
    assert db_dump() == before
    assert list(isolated.glob("crm.db.before-*")) == []


@pytest.mark.sqlite_only(reason="db restore replaces an SQLite file")
def test_db_restore_keeps_a_copy_even_of_a_damaged_database(isolated):
    # In processes of their own, as a user would run them: nothing here holds the file.
    def run(*args):
        done = crm_process(*args, db=isolated / "crm.db")
        _out, err = done.communicate(timeout=120)
        assert done.returncode == 0, err
        return err.decode()

    run("customer", "add", "A", *ON)
    backup = isolated / "backup.db"
    run("db", "backup", str(backup))
    path = isolated / "crm.db"
    damaged = bytearray(path.read_bytes())
    damaged[4096:8192] = b"\xff" * 4096  # a page of garbage
    path.write_bytes(bytes(damaged))
    run("db", "restore", str(backup), "--yes")
    (kept,) = isolated.glob("crm.db.before-restore-*.bak")
    copy = kept.read_bytes()  # page for page, its damage too (only its journal mode differs)
    assert len(copy) == len(damaged) and copy[4096:] == bytes(damaged[4096:])
    assert mode(kept) == 0o600
    assert run("db", "check") == f"{path}: ok\n"


# --- files private whatever the umask (proof 6) --------------------------------------------


@pytest.fixture(params=[0o000, 0o022], ids=["umask-000", "umask-022"])
def umask(request):
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


@pytest.mark.sqlite_only(reason="the modes of the SQLite file, its WAL/SHM and its backups")
def test_database_journals_and_backups_are_0600(crm, isolated, umask, monkeypatch):
    monkeypatch.delenv("CRM_DB")
    monkeypatch.delenv("CRM_CONFIG")
    crm.ok("init")
    data = isolated / "xdg-data" / "crmcli"
    config = isolated / "xdg-config" / "crmcli"
    path = data / "crm.db"
    assert mode(path) == 0o600
    assert mode(config / "config.toml") == 0o600
    for folder in (data, data.parent, config, config.parent):
        assert mode(folder) == 0o700, folder
    reader = sqlite3.connect(path)  # keeps the WAL and SHM in place
    try:
        reader.execute("SELECT count(*) FROM customer").fetchone()
        crm.ok("customer", "add", "A", "--phone", "13812345678", *ON)
        for suffix in ("-wal", "-shm"):
            assert mode(Path(f"{path}{suffix}")) == 0o600, suffix
    finally:
        reader.close()
    named = isolated / "named.bak"
    crm.ok("db", "backup", str(named))
    crm.ok("db", "backup")
    backups = [named, *data.glob("crm.db.*.bak")]
    crm.ok("db", "restore", str(named), "--yes")
    backups += list(data.glob("crm.db.before-restore-*.bak"))
    old = first_release_copy(isolated, "old.db")
    os.chmod(old, 0o644)  # however the old file was kept, its backup is private
    crm.ok("--db", old, "customer", "list")
    backups += list(isolated.glob("old.db.before-*.bak"))
    assert len(backups) == 4
    for backup in backups:
        assert mode(backup) == 0o600, backup


def test_exports_rejects_and_the_config_file_are_0600(crm, isolated, umask):
    crm.ok("customer", "add", "A", "--phone", "13812345678", *ON)
    crm.ok("contact", "add", "A", "王芳", "--phone", "13900001111")
    crm.ok("plan", "add", "A", "--due", "2026-11-20", "--content", "x", *ON)
    crm.ok("config", "set", "fines.greeting", "20")
    assert mode(isolated / "config.toml") == 0o600
    written = []
    for table, suffix in [
        ("customers", "csv"),
        ("customers", "json"),
        ("customers", "jsonl"),
        ("customers", "xlsx"),
        ("contacts", "vcf"),
        ("plans", "ics"),
        ("followups", "tsv"),
    ]:
        out = isolated / f"{table}.{suffix}"
        crm.ok("export", table, "-o", str(out))
        written.append(out)
    bad = isolated / "bad.csv"
    bad.write_text("name,phone\nB,not a phone\n", encoding="utf-8")
    rejects = isolated / "rejects.csv"
    crm.fails(2, "import", "customers", str(bad), "--rejects", str(rejects), *ON)
    written.append(rejects)
    for path in written:
        assert mode(path) == 0o600, path


# --- staging folders of killed imports -----------------------------------------------------


def test_the_next_import_sweeps_the_staging_folders_killed_imports_left(crm, tmp_path, monkeypatch):
    import fcntl

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def folder(name: str, *, lock: bool, age: float = 0) -> Path:
        made = scratch / name
        made.mkdir()
        (made / "stage.db").write_bytes(b"x" * 100)
        if lock:
            (made / ".lock").touch()
        if age:
            old = made.stat().st_mtime - age
            os.utime(made, (old, old))
        return made

    killed = folder("crm-import-killed1", lock=True)
    killed_early = folder("crm-import-killed2", lock=False, age=7200)
    just_made = folder("crm-import-starting", lock=False)
    running = folder("crm-import-running", lock=True)
    other = folder("something-else", lock=False, age=7200)
    held = os.open(running / ".lock", os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        source = tmp_path / "c.csv"
        source.write_text("name\nAcme\n", encoding="utf-8")
        crm.ok("import", "customers", str(source), *ON)
    finally:
        os.close(held)
    left = sorted(p.name for p in scratch.iterdir())
    assert left == sorted([just_made.name, running.name, other.name])
    assert not killed.exists() and not killed_early.exists()
