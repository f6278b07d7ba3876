"""Bad input of any kind (SPEC §3 exit codes, §6): one line on stderr, the right exit code,
no traceback, and nothing written."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

AMBIGUOUS = "crm: customer '华为' is ambiguous: C000001 华为技术; C000002 华为科技\n"


@pytest.fixture
def db(crm, db_dump):
    """Two customers with similar names, a contact, a follow-up and an open plan."""
    on = ("--as-of", "2026-11-01")
    crm.ok("customer", "add", "华为技术", "--phone", "13800138000", "--tier", "key", *on)
    crm.ok("customer", "add", "华为科技", "--email", "info@hwkj.com", *on)
    crm.ok("customer", "add", "阿里巴巴", "--code", "ALI", *on)
    crm.ok("contact", "add", "ALI", "马六")
    crm.ok("log", "ALI", "-c", "phone", "-m", "hello", "--at", "2026-11-02 10:00")
    crm.ok("plan", "add", "ALI", "--due", "2026-11-20", "--content", "quote", *on)
    return db_dump


def refused(crm, db, code, *args):
    """Run a command that must fail with ``code``, write nothing, and say why in one line."""
    before = db()
    err = crm.fails(code, *args)
    assert err.startswith("crm: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert db() == before
    return err


# --- unknown enumeration values --------------------------------------------------------


TIER_ERR = (
    "crm: unknown tier 'gold'; expected one of: "
    "core (核心), key (重点), general (一般), potential (潜在)\n"
)
STAGE_ERR = (
    "crm: unknown stage 'won'; expected one of: lead (潜在), target (目标), "
    "qualified (准客户), customer (成交), loyal (忠诚), junk (垃圾), lost (流失)\n"
)
CHANNEL_ERR = (
    "crm: unknown channel 'fax'; expected one of: phone (电话), visit (上门拜访), "
    "meeting (面谈), email (邮件), wechat (微信), sms (短信), event (活动)\n"
)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("customer", "add", "X", "--tier", "gold"), TIER_ERR),
        (("customer", "add", "X", "--stage", "won"), STAGE_ERR),
        (("customer", "list", "--tier", "gold"), TIER_ERR),
        (("customer", "list", "--stage", "won"), STAGE_ERR),
        (("tier", "set", "ALI", "gold"), TIER_ERR),
        (("stage", "set", "ALI", "won"), STAGE_ERR),
        (("log", "ALI", "-c", "fax", "-m", "x", "--at", "2026-11-03"), CHANNEL_ERR),
        (
            (
                "log",
                "ALI",
                "-c",
                "phone",
                "-m",
                "x",
                "--at",
                "2026-11-03",
                "--next",
                "+1d",
                "--next-channel",
                "fax",
            ),
            CHANNEL_ERR,
        ),
        (("plan", "add", "ALI", "--due", "+1d", "--content", "x", "--channel", "fax"), CHANNEL_ERR),
        (
            ("customer", "add", "X", "--channel", "fax"),
            "crm: unknown acquisition channel 'fax'; expected one of: market-research (市场调研), "
            "online (网络营销), trade-show (行业展会), referral (合作伙伴推荐), "
            "inquiry (客户主动咨询), outreach (外拓), walk-in (来访)\n",
        ),
        (
            ("customer", "edit", "ALI", "--scale", "huge"),
            "crm: unknown scale 'huge'; expected one of: large (大型), medium (中型), small (小型)\n",
        ),
        (
            ("customer", "add", "X", "--likelihood", "150"),
            "crm: likelihood must be a whole percentage 0–100, not '150'\n",
        ),
    ],
)
def test_unknown_tier_stage_channel_and_values(crm, db, args, message):
    assert refused(crm, db, 2, *args) == message


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("customer", "add", "X", "--as-of", "someday"),
            "crm: cannot read --as-of date 'someday'; use 2026-11-22, today, +3d or fri\n",
        ),
        (
            ("log", "ALI", "-c", "phone", "-m", "x", "--at", "2026-13-01"),
            "crm: cannot read --at date '2026-13-01'; use 2026-11-22, today, +3d or fri\n",
        ),
        (
            ("log", "ALI", "-c", "phone", "-m", "x", "--at", "2026-11-03", "--next", "later"),
            "crm: cannot read --next date 'later'; use 2026-11-22, today, +3d or fri\n",
        ),
        (
            ("plan", "add", "ALI", "--due", "2026-02-30", "--content", "x"),
            "crm: cannot read --due date '2026-02-30'; use 2026-11-22, today, +3d or fri\n",
        ),
        (
            ("plan", "done", "1", "--at", "25:00"),
            "crm: cannot read --at date '25:00'; use 2026-11-22, today, +3d or fri\n",
        ),
        (
            ("overdue", "--as-of", "yesterday-ish"),
            "crm: cannot read --as-of date 'yesterday-ish'; use 2026-11-22, today, +3d or fri\n",
        ),
        (
            ("plan", "add", "ALI", "--due", "+10000y", "--content", "x", "--as-of", "2026-11-01"),
            "crm: cannot read --due date '+10000y'; use 2026-11-22, today, +3d or fri\n",
        ),
        (
            ("customer", "add", "X", "--as-of", "-99999999d"),
            "crm: cannot read --as-of date '-99999999d'; use 2026-11-22, today, +3d or fri\n",
        ),
    ],
)
def test_unparseable_dates(crm, db, args, message):
    assert refused(crm, db, 2, *args) == message


@pytest.mark.parametrize(
    ("at", "next_", "message"),
    [
        (
            "2026-11-10",
            "2026-11-09",
            "crm: --next 2026-11-09 is before the follow-up it belongs to (2026-11-10 00:00:00)\n",
        ),
        (
            "2026-11-10 10:00",
            "2026-11-10 09:00",
            "crm: --next 2026-11-10 09:00:00 is before the follow-up it belongs to "
            "(2026-11-10 10:00:00)\n",
        ),
        (
            "2026-11-10 10:00",
            "-1d",
            "crm: --next 2026-11-09 is before the follow-up it belongs to (2026-11-10 10:00:00)\n",
        ),
    ],
)
def test_next_step_before_its_followup(crm, db, at, next_, message):
    err = refused(crm, db, 2, "log", "ALI", "-c", "phone", "-m", "x", "--at", at, "--next", next_)
    assert err == message


# --- phone, email, name, code ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("customer", "add", "X", "--phone", "123"), "crm: invalid phone number '123'\n"),
        (("customer", "add", "X", "--phone", "phone me"), "crm: invalid phone number 'phone me'\n"),
        (("customer", "edit", "ALI", "--phone", "0000"), "crm: invalid phone number '0000'\n"),
        (("contact", "add", "ALI", "Y", "--phone", "1"), "crm: invalid phone number '1'\n"),
        (("customer", "add", "X", "--email", "bad@"), "crm: invalid email address 'bad@'\n"),
        (
            ("customer", "edit", "ALI", "--email", "a@@b.com"),
            "crm: invalid email address 'a@@b.com'\n",
        ),
        (
            ("contact", "edit", "ALI", "马六", "--email", "no-at"),
            "crm: invalid email address 'no-at'\n",
        ),
    ],
)
def test_invalid_phone_or_email(crm, db, args, message):
    assert refused(crm, db, 2, *args) == message


@pytest.mark.parametrize(
    "args",
    [
        ("customer", "add", ""),
        ("customer", "add", "   "),
        ("customer", "edit", "ALI", "--name", ""),
        ("contact", "add", "ALI", ""),
        ("contact", "edit", "ALI", "马六", "--name", " "),
    ],
)
def test_empty_name(crm, db, args):
    assert refused(crm, db, 2, *args) == "crm: name must not be empty\n"


def test_duplicate_code(crm, db):
    assert refused(crm, db, 2, "customer", "add", "X", "--code", "ALI") == (
        "crm: customer code 'ALI' already exists\n"
    )
    assert refused(crm, db, 2, "customer", "add", "X", "--code", "C000001") == (
        "crm: customer code 'C000001' already exists\n"
    )
    assert refused(crm, db, 2, "customer", "edit", "C000002", "--code", "ALI") == (
        "crm: customer code 'ALI' already exists\n"
    )
    assert refused(crm, db, 2, "customer", "edit", "ALI", "--code", "") == (
        "crm: customer code must not be empty\n"
    )


# --- customer references -------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("customer", "show", "华为"),
        ("customer", "history", "华为"),
        ("customer", "edit", "华为", "--region", "深圳"),
        ("contact", "add", "华为", "张三"),
        ("contact", "list", "华为"),
        ("log", "华为", "-c", "phone", "-m", "x", "--at", "2026-11-03"),
        ("plan", "add", "华为", "--due", "+1d", "--content", "x", "--as-of", "2026-11-01"),
        ("plan", "list", "华为"),
        ("tier", "set", "华为", "core"),
        ("stage", "set", "华为", "customer"),
    ],
)
def test_ambiguous_customer_lists_the_candidates(crm, db, args):
    assert refused(crm, db, 3, *args) == AMBIGUOUS


def test_ambiguous_by_pinyin_too(crm, db):
    err = refused(crm, db, 3, "customer", "show", "huawei")
    assert err == "crm: customer 'huawei' is ambiguous: C000001 华为技术; C000002 华为科技\n"
    # Exact names and codes are never ambiguous.
    assert crm.json("customer", "show", "华为技术")["customer"]["code"] == "C000001"
    assert crm.json("customer", "show", "hwkj")["customer"]["code"] == "C000002"


@pytest.mark.parametrize(
    "args",
    [
        ("customer", "show", "腾讯"),
        ("customer", "edit", "腾讯", "--region", "深圳"),
        ("contact", "add", "腾讯", "张三"),
        ("log", "腾讯", "-c", "phone", "-m", "x", "--at", "2026-11-03"),
        ("plan", "add", "腾讯", "--due", "+1d", "--content", "x", "--as-of", "2026-11-01"),
        ("tier", "set", "腾讯", "core"),
        ("stage", "set", "腾讯", "lead"),
        ("customer", "show", "999"),
    ],
)
def test_unknown_customer(crm, db, args):
    ref = "999" if "999" in args else "腾讯"
    assert refused(crm, db, 3, *args) == f"crm: no customer matches {ref!r}\n"


# --- config ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("config", "set", "colour", "blue"), "crm: unknown config key 'colour'; see `crm config show`\n"),
        (("config", "get", "colour"), "crm: unknown config key 'colour'; see `crm config show`\n"),
        (
            ("config", "set", "cadence.core.days", "fortnight"),
            "crm: config cadence.core.days must be a whole number, not 'fortnight'\n",
        ),
        (
            ("config", "set", "outreach.callback_days", "0"),
            "crm: config outreach.callback_days must be at least 1\n",
        ),
    ],
)  # fmt: skip
def test_unknown_config_key_or_wrong_type(crm, db, isolated, args, message):
    crm.ok("config", "set", "cadence.key.days", "20")
    config = (isolated / "config.toml").read_bytes()
    assert refused(crm, db, 2, *args) == message
    assert (isolated / "config.toml").read_bytes() == config


# --- storage ------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [("customer", "add", "X"), ("customer", "list")])
def test_database_in_a_missing_directory(crm, isolated, args):
    target = isolated / "no" / "such" / "crm.db"
    err = crm.fails(4, "--db", str(target), *args)
    assert err == f"crm: cannot open database {target}: directory {target.parent} does not exist\n"
    assert not (isolated / "no").exists()


def test_database_in_an_unwritable_directory(crm, isolated, monkeypatch):
    locked = isolated / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    # For an ordinary user the kernel refuses to create files here. Root ignores the mode
    # bits, so the same refusal is made explicit: the test then means the same for anyone.
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):
        if Path(os.fsdecode(path)).parent == locked and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    target = locked / "crm.db"
    try:
        err = crm.fails(4, "--db", str(target), "customer", "add", "X")
        assert err.startswith("crm: ") and err.count("\n") == 1, err
        assert str(target.parent) in err or str(target) in err
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


@pytest.mark.sqlite_only(reason="a file that is not an SQLite database given as --db")
def test_database_file_that_is_not_sqlite(crm, isolated):
    target = isolated / "customers.xlsx"
    target.write_bytes(b"PK\x03\x04 not really a spreadsheet either")
    before = target.read_bytes()
    for args in (
        ("customer", "add", "X"),
        ("customer", "list"),
        ("log", "X", "-c", "phone", "-m", "x"),
    ):
        err = crm.fails(4, "--db", str(target), *args)
        assert err == f"crm: {target} is not a crmcli database (not an SQLite file)\n"
    assert target.read_bytes() == before


# --- nothing at all is written on a fresh setup ------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("customer", "add", "X", "--tier", "gold"),
        ("customer", "add", "X", "--phone", "123"),
        ("customer", "add", ""),
        ("log", "X", "-c", "fax", "-m", "x"),
        ("plan", "add", "X", "--due", "someday", "--content", "x"),
    ],
)
def test_bad_input_on_a_fresh_setup_creates_no_database(crm, database_made, args):
    err = crm.fails(2, *args)
    assert err.startswith("crm: ") and err.count("\n") == 1
    assert not database_made()
