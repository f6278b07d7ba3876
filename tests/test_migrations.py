"""The migration path: every revision applies, the result matches the models, and a
database made by an older release upgrades itself (after a backup) keeping its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from crmcli.db import HEAD, make_engine, open_database, upgrade
from crmcli.schema import metadata


def test_migrations_from_scratch_build_exactly_the_schema(database_target: str) -> None:
    # On the engine under test: the migrations must build the same schema on a server.
    engine = make_engine(database_target, write=True)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_a_database_of_the_first_release_upgrades_after_a_backup(crm, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    path.touch(mode=0o600)
    upgrade(make_engine(str(path), write=True), "0001")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO customer (code, name, name_key, sort_key, search_key, kind, stage, "
            "tier, tier_locked, birthday_lunar, birthday_leap, created_on, created_at, "
            "updated_at, birthday) VALUES ('OLD1', '老客户', '老客户', 'lao ke hu', "
            "'laokehu|lkh', 'company', 'customer', 'key', 0, 0, 0, '2026-01-05', "
            "'2026-01-05 00:00:00', '2026-01-05 00:00:00', '1980-06-01')"
        )
    shown = crm.json("--db", path, "customer", "show", "OLD1")
    assert shown["customer"]["name"] == "老客户"
    backups = list(tmp_path.glob("old.db.before-*.bak"))
    assert len(backups) == 1
    assert backups[0].stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(backups[0]) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (HEAD,)
        # the 0003 data migration derived the birthday's month-day
        assert conn.execute("SELECT birth_md FROM customer").fetchone() == ("06-01",)
    # the upgraded database takes new kinds of records
    crm.ok("--db", path, "sale", "add", "OLD1", "1000", "--on", "2026-02-01")


def test_opening_an_up_to_date_database_does_not_import_alembic(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "crm.db"
    open_database(str(path), write=True)
    code = (
        "import sys\n"
        "from crmcli.db import open_database\n"
        f"open_database({str(path)!r}, write=False)\n"
        "print('alembic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
