"""crm customer purge (信息销毁): the customer and everything about it are gone, and its
values appear nowhere — not in any table, nor (SQLite) in the file's bytes or its WAL."""

from __future__ import annotations

from pathlib import Path

import pytest

DAY = "2026-11-22"
# Values only the purged customer has, in every place a customer's values are kept.
SECRET = {
    "name": "绝密客户Zorblax",
    "phone": "13999887766",
    "email": "zorblax@secret.example",
    "notes": "QuuxNoteSecret",
    "old_phone": "13911112222",
    "contact": "KrellContact",
    "summary": "FollowupSecretWords",
}


def _needles() -> list[bytes]:
    found = []
    for value in SECRET.values():
        found.append(value.encode("utf-8"))
    # The phone as stored (E.164) is found through its digits above.
    return found


def populate(crm, tmp_path: Path) -> None:
    crm.ok("customer", "add", "留下客户", "--code", "KEEP", "--as-of", "2026-11-01")
    crm.ok(
        "customer", "add", SECRET["name"], "--code", "ZB", "--phone", SECRET["old_phone"],
        "--email", SECRET["email"], "--notes", SECRET["notes"], "--as-of", "2026-11-01",
    )  # fmt: skip
    # An edited phone leaves its old value in history: the purge must take that too.
    crm.ok("customer", "edit", "ZB", "--phone", SECRET["phone"])
    crm.ok("contact", "add", "ZB", SECRET["contact"], "--phone", "13800001111")
    crm.ok(
        "log", "ZB", "-c", "phone", "-m", SECRET["summary"], "--at", "2026-11-05", "--as-of", DAY
    )
    crm.ok("sale", "add", "ZB", "1000", "--on", "2026-11-06", "--as-of", DAY)
    crm.ok("plan", "add", "ZB", "--due", "2026-12-01", "--content", "回访", "--as-of", DAY)
    crm.ok(
        "complaint",
        "open",
        "ZB",
        "--severity",
        "general",
        "--summary",
        "慢",
        "--at",
        "2026-11-07 10:00",
    )
    # An import that updated it keeps the old values for undo.
    path = tmp_path / "upd.csv"
    path.write_text(f"code,name,notes\nZB,{SECRET['name']},changed by import\n", encoding="utf-8")
    crm.ok("import", "customers", path, "--on-duplicate", "update")


def test_purge_dry_run_and_refusal_write_nothing(crm, tmp_path, db_dump):
    populate(crm, tmp_path)
    before = db_dump()
    dry = crm.ok("customer", "purge", "ZB", "--dry-run")
    assert dry.stderr.startswith(
        f"dry run: purge ZB {SECRET['name']} (#2) and its 1 contact, 1 followup"
    )
    assert dry.stderr.endswith("; nothing written\n")
    assert crm.fails(2, "customer", "purge", "ZB").endswith(
        ", for good: pass --yes to confirm (no terminal to ask on)\n"
    )
    assert db_dump() == before


def test_purge_leaves_no_value_in_any_table(crm, tmp_path, db_sql):
    populate(crm, tmp_path)
    crm.ok("customer", "purge", "ZB", "--yes")
    assert [c["code"] for c in crm.json("customer", "list")] == ["KEEP"]
    tables = [
        "customer", "contact", "followup", "plan", "sale", "complaint", "complaintstep",
        "history", "importitem", "greeting", "campaignnotice", "survey", "project",
    ]  # fmt: skip
    for table in tables:
        for row in db_sql(f'SELECT * FROM "{table}"'):
            text = repr(row)
            for value in SECRET.values():
                assert value not in text, (table, row)
    assert db_sql("SELECT count(*) FROM customer WHERE id = 2") == [(0,)]
    assert db_sql("SELECT count(*) FROM followup") == [(0,)]
    purged = db_sql(
        """SELECT customer_id, "user", field, old, new FROM history WHERE new = 'purged'"""
    )
    assert purged == [(None, "tester", "customer", "#2", "purged")]
    # The customer kept is untouched.
    assert [h["new"] for h in crm.json("customer", "history", "KEEP")] == ["created"]


@pytest.mark.sqlite_only(reason="scans the bytes of the SQLite file, its WAL and backups")
def test_purge_leaves_no_value_in_the_file_bytes(crm, tmp_path, database_target):
    populate(crm, tmp_path)
    db = Path(database_target)
    everything = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    assert all(needle in everything for needle in _needles()[:3])  # the scan can find them
    crm.ok("customer", "purge", "ZB", "--yes")
    files = [p for p in db.parent.iterdir() if p.name.startswith(db.name) and p.is_file()]
    assert files  # the database, and whatever WAL, SHM or backups are beside it
    for path in files:
        data = path.read_bytes()
        for needle in _needles():
            assert needle not in data, (path.name, needle)
