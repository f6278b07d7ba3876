"""Reading commands query Core tables read from the database, not the model classes,
and the lists the cron job reads come from indexes (SPEC §2, §8)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import String, column, select, table
from sqlalchemy.dialects import postgresql, sqlite

from crmcli.sqlfuncs import unindexed


def _modules_after(tmp_path: Path, database: str, *args: str) -> set[str]:
    code = (
        "import sys\n"
        "from crmcli.cli import main\n"
        f"sys.argv = ['crm', *{list(args)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    env = {
        "CRM_CONFIG": str(tmp_path / "config.toml"),
        "CRM_DB": database,
        "CRM_USER": "tester",
        "NO_COLOR": "1",
        "PATH": "/usr/bin:/bin",
        "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
    }
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(done.stderr.split())


@pytest.mark.parametrize(
    "args",
    [
        ("overdue", "--as-of", "2026-12-30"),
        ("remind", "--as-of", "2026-12-30"),
        ("overdue", "--format", "json"),
        ("greet", "list", "--date", "2026-12-30"),
        (
            "greet",
            "missed",
            "--from",
            "2026-12-01",
            "--to",
            "2026-12-29",
            "--as-of",
            "2026-12-30",
            "--fines",
        ),
        ("campaign", "list"),
        ("campaign", "list", "年终答谢会"),
        ("customer", "list"),
        ("customer", "list", "--search", "huawei", "--format", "json"),
        ("customer", "show", "huawei"),
        ("customer", "show", "C000001", "--format", "json"),
        ("customer", "history", "华为"),
        ("report", "all", "--to", "2026-12-30", "--format", "json"),
        ("report", "abc", "--as-of", "2026-12-30", "--format", "json"),
    ],
)
def test_reading_commands_build_neither_the_models_nor_the_orm(
    crm, tmp_path, database_target, args
):
    crm.ok("customer", "add", "华为技术有限公司", "--tier", "core", "--as-of", "2026-11-01")
    crm.ok("contact", "add", "华为", "王芳", "--birthday", "1985-12-30")
    crm.ok("campaign", "add", "年终答谢会", "--on", "2027-01-20", "--stages", "customer")
    modules = _modules_after(tmp_path, database_target, *args)
    assert "crmcli.models" not in modules
    assert "sqlmodel" not in modules
    assert "sqlalchemy.orm" not in modules
    assert "crmcli.schema" in modules


@pytest.mark.parametrize(
    "args",
    [
        ("log", "huawei", "--channel", "phone", "--summary", "quote", "--next", "+7d"),
        ("customer", "add", "Acme Trading", "--tier", "key"),
        ("customer", "add", "Acme Global", "--format", "json"),
    ],
)
def test_log_and_customer_add_build_no_models_and_an_english_name_no_pinyin(
    crm, tmp_path, database_target, args
):
    # Their rows are written by Core statements in a unit of work of SQLAlchemy's own
    # Session: neither SQLModel nor pydantic is imported. pypinyin's dictionaries are
    # loaded for names with Chinese characters only.
    crm.ok("customer", "add", "华为技术有限公司", "--tier", "core", "--as-of", "2026-11-01")
    modules = _modules_after(tmp_path, database_target, *args)
    assert "crmcli.models" not in modules
    assert "sqlmodel" not in modules
    assert "pydantic" not in modules
    assert "pypinyin" not in modules


def test_a_chinese_name_no_phrase_can_change_loads_no_phrases(crm, tmp_path, database_target):
    # The first Chinese name loads the phrases (and notes the characters they change);
    # a later one without those characters needs pypinyin's characters only.
    _modules_after(tmp_path, database_target, "customer", "add", "重庆银行", "--tier", "core")
    modules = _modules_after(tmp_path, database_target, "customer", "add", "上海科技有限公司")
    assert "pypinyin" in modules
    assert "pypinyin.phrases_dict" not in modules
    names = [r["name"] for r in crm.json("customer", "list", "--format", "json")]
    assert names == ["重庆银行", "上海科技有限公司"]  # chong qing, shang hai


@pytest.mark.sqlite_only(reason="reads SQLite's EXPLAIN QUERY PLAN of the overdue query")
def test_the_overdue_list_reads_its_covering_index_alone(crm, tmp_path):
    crm.ok("init")
    import sqlite3

    with sqlite3.connect(tmp_path / "crm.db") as conn:
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT id, code, name, tier, stage, owner, phone, created_on, "
            "last_contact_at, contact_due_on, visit_due_on, callback_due_on, plan_due_on, "
            "next_due_at FROM customer WHERE next_due_at < '2026-12-01' "
            "ORDER BY next_due_at, sort_key, id"
        ).fetchall()
    details = [row[-1] for row in plan]
    assert details == ["SEARCH customer USING COVERING INDEX ix_customer_overdue (next_due_at<?)"]


def test_unindexed_keeps_sqlite_off_the_index_and_is_plain_elsewhere():
    t = table("customer", column("id"), column("sort_key", String))
    query = select(t.c.id).order_by(unindexed(t.c.sort_key), t.c.id)
    assert str(query.compile(dialect=sqlite.dialect())).endswith(
        "ORDER BY +customer.sort_key, customer.id"
    )
    assert str(query.compile(dialect=postgresql.dialect())).endswith(
        "ORDER BY customer.sort_key, customer.id"
    )


@pytest.mark.sqlite_only(reason="SQLite's page cache (PRAGMA cache_size) around a recompute")
def test_a_policy_recompute_gets_a_bigger_page_cache_and_gives_it_back(crm, tmp_path, monkeypatch):
    from crmcli import config as config_mod
    from crmcli.db import open_database
    from crmcli.services import cadence

    crm.ok("customer", "add", "Acme", "--tier", "key", "--as-of", "2026-11-01")
    crm.ok("config", "set", "cadence.key.days", "21")
    database = open_database(str(tmp_path / "crm.db"), write=True)
    seen = []
    real = cadence.refresh_due

    def watched(session, *args, **kwargs):
        seen.append(session.connection().exec_driver_sql("PRAGMA cache_size").scalar())
        return real(session, *args, **kwargs)

    monkeypatch.setattr(cadence, "refresh_due", watched)
    with database.session() as session:
        assert cadence.ensure_policy_current(session, config_mod.load())
        after = session.connection().exec_driver_sql("PRAGMA cache_size").scalar()
    assert seen == [-cadence.RECOMPUTE_CACHE_KIB]
    assert after == -2000  # SQLite's default again
    [row] = crm.json("overdue", "--as-of", "2026-11-23")
    assert (row["code"], row["due_on"]) == ("C000001", "2026-11-22")


def test_a_reading_command_pauses_the_cycle_collector_only_while_it_runs(crm, monkeypatch):
    # Whoever runs crm in-process (a script, these tests) gets the collector back, even
    # when the command fails after opening the database.
    import gc

    seen = []
    real_disable = gc.disable
    monkeypatch.setattr(gc, "disable", lambda: (seen.append("off"), real_disable()))
    crm.ok("init")
    crm.ok(
        "customer",
        "add",
        "华为",
        "--code",
        "C1",
        "--stage",
        "customer",
        "--owner",
        "li",
        "--as-of",
        "2026-01-05",
    )
    assert seen == []  # writing commands leave it alone
    assert "华为" in crm.ok("overdue", "--as-of", "2030-01-01").stdout
    assert seen == ["off"] and gc.isenabled()
    assert crm("campaign", "list", "nosuch").exit_code == 3
    assert seen == ["off", "off"] and gc.isenabled()


@pytest.mark.parametrize(
    ("value", "month"),
    [
        (date(2026, 1, 31), "2026-01"),
        (datetime(2026, 12, 31, 23, 59, 59, 999999), "2026-12"),
        (datetime(2027, 3, 1, 0, 0), "2027-03"),
        (date(999, 7, 4), "0999-07"),
    ],
)
def test_month_key_is_the_calendar_month_of_a_day_or_a_time_on_either_engine(
    database_target, value, month
):
    # On SQLite the first seven characters of the ISO text, on PostgreSQL to_char.
    from sqlalchemy import Date, DateTime, literal

    from crmcli.db import make_engine
    from crmcli.sqlfuncs import month_key

    engine = make_engine(database_target, write=True)
    kind = DateTime() if isinstance(value, datetime) else Date()
    with engine.connect() as connection:
        assert connection.execute(select(month_key(literal(value, kind)))).scalar_one() == month
    engine.dispose()
