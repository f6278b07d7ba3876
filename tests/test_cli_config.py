"""crm config show|get|set|path: the policy settings file (SPEC §2), TOML on disk."""

from __future__ import annotations

import json
import tomllib

from crmcli.config import DEFAULTS


def test_show_toml_and_json_are_the_same_defaults(crm, isolated):
    toml_out = crm.ok("config", "show").stdout
    json_out = crm.ok("config", "show", "--format", "json").stdout
    assert tomllib.loads(toml_out) == json.loads(json_out) == DEFAULTS
    shown = json.loads(json_out)
    assert shown["cadence"]["core"] == {
        "days": 14,
        "channels": ["phone", "visit", "meeting", "email", "wechat"],
        "visit_days": 30,
        "visit_channels": ["visit"],
    }
    assert shown["cadence"]["key"]["days"] == 30
    assert shown["cadence"]["general"]["days"] == 90
    assert (shown["cadence"]["potential"]["days"], shown["cadence"]["potential"]["channels"]) == (
        30,
        ["phone"],
    )
    assert shown["outreach"] == {"callback_days": 7, "channels": ["phone"]}
    # Showing writes nothing.
    assert not (isolated / "config.toml").exists()


def test_show_refuses_a_listing_format(crm):
    assert crm.fails(2, "config", "show", "--format", "csv") == (
        "crm: unknown format 'csv'; expected one of: toml, json\n"
    )


def test_get_prints_plain_values(crm):
    assert crm.ok("config", "get", "cadence.core.days").stdout == "14\n"
    assert crm.ok("config", "get", "cadence.core.channels").stdout == (
        "phone,visit,meeting,email,wechat\n"
    )
    assert crm.ok("config", "get", "timezone").stdout == "Asia/Shanghai\n"
    assert json.loads(crm.ok("config", "get", "outreach").stdout) == {
        "callback_days": 7,
        "channels": ["phone"],
    }


def test_set_writes_valid_toml_that_the_next_command_reads(crm, isolated):
    result = crm.ok("config", "set", "cadence.key.days", "21")
    assert result.stdout == ""
    assert result.stderr == f"cadence.key.days: 30 → 21 (in {isolated / 'config.toml'})\n"
    crm.ok("config", "set", "cadence.core.channels", "电话, 上门拜访")
    crm.ok("config", "set", "timezone", "Europe/Berlin")
    on_disk = tomllib.loads((isolated / "config.toml").read_text(encoding="utf-8"))
    # Only what the user changed is written; the rest stays with the defaults.
    assert on_disk == {
        "cadence": {"key": {"days": 21}, "core": {"channels": ["phone", "visit"]}},
        "timezone": "Europe/Berlin",
    }
    assert crm.ok("config", "get", "cadence.key.days").stdout == "21\n"
    assert crm.ok("config", "get", "cadence.core.channels").stdout == "phone,visit\n"
    shown = json.loads(crm.ok("config", "show", "--format", "json").stdout)
    assert shown["cadence"]["key"] == {**DEFAULTS["cadence"]["key"], "days": 21}
    assert shown["timezone"] == "Europe/Berlin"


def test_set_zero_visit_days_switches_the_visit_rule_off(crm, isolated):
    crm.ok("config", "set", "cadence.core.visit_days", "0")
    assert crm.ok("config", "get", "cadence.core.visit_days").stdout == "0\n"


def test_set_validates_type_and_meaning_and_leaves_the_file_alone(crm, isolated):
    crm.ok("config", "set", "cadence.key.days", "21")
    before = (isolated / "config.toml").read_bytes()
    cases = [
        (("nope", "1"), "crm: unknown config key 'nope'; see `crm config show`\n"),
        (("cadence.key", "1"), "crm: unknown config key 'cadence.key'; see `crm config show`\n"),
        (("cadence.key.days", "abc"), "crm: config cadence.key.days must be a whole number, not 'abc'\n"),
        (("cadence.key.days", "1.5"), "crm: config cadence.key.days must be a whole number, not '1.5'\n"),
        (("cadence.key.days", "0"), "crm: config cadence.key.days must be at least 1\n"),
        (("cadence.core.visit_days", "-1"), "crm: config cadence.core.visit_days must be 0 or more\n"),
        (("timezone", "Mars/Base"), "crm: config timezone is not a known time zone (e.g. Asia/Shanghai)\n"),
        (("lang", "fr"), "crm: config lang must be en or zh\n"),
        (("outreach.channels", ""), "crm: config outreach.channels needs at least one channel\n"),
    ]  # fmt: skip
    for args, message in cases:
        assert crm.fails(2, "config", "set", "--", *args) == message, args
    assert (isolated / "config.toml").read_bytes() == before


def test_set_names_the_unknown_channel_in_a_list(crm, isolated):
    err = crm.fails(2, "config", "set", "cadence.key.channels", "phone,fax")
    assert err.startswith("crm: ") and err.count("\n") == 1
    assert "'fax'" in err and "channel" in err
    assert not (isolated / "config.toml").exists()


def test_get_unknown_key(crm):
    assert crm.fails(2, "config", "get", "cadence.gold.days") == (
        "crm: unknown config key 'cadence.gold.days'; see `crm config show`\n"
    )


def test_path_prints_config_path_and_database_on_stderr(crm, isolated, database_target):
    result = crm.ok("config", "path")
    assert result.stdout == f"{isolated / 'config.toml'}\n"
    assert result.stderr == f"database: {database_target}\n"
    other = crm.ok("--db", str(isolated / "other.db"), "config", "path")
    assert other.stderr == f"database: {isolated / 'other.db'}\n"


def test_config_database_is_used_when_no_env_or_option(crm, isolated, monkeypatch):
    monkeypatch.delenv("CRM_DB")
    crm.ok("config", "set", "database", str(isolated / "from-config.db"))
    assert crm.ok("config", "path").stderr == f"database: {isolated / 'from-config.db'}\n"
    crm.ok("init")
    assert (isolated / "from-config.db").exists()
    assert not (isolated / "crm.db").exists()


def test_xdg_defaults_when_nothing_is_configured(crm, isolated, monkeypatch):
    monkeypatch.delenv("CRM_CONFIG")
    monkeypatch.delenv("CRM_DB")
    result = crm.ok("config", "path")
    assert result.stdout == f"{isolated / 'xdg-config' / 'crmcli' / 'config.toml'}\n"
    assert result.stderr == f"database: {isolated / 'xdg-data' / 'crmcli' / 'crm.db'}\n"
    crm.ok("init")
    assert (isolated / "xdg-config" / "crmcli" / "config.toml").exists()
    assert (isolated / "xdg-data" / "crmcli" / "crm.db").exists()


def test_user_from_config_when_crm_user_is_unset(crm, monkeypatch):
    monkeypatch.delenv("CRM_USER")
    crm.ok("config", "set", "user", "li")
    data = crm.json("customer", "add", "Acme", "--as-of", "2026-11-01")
    assert data["owner"] == "li"
    assert crm.json("customer", "history", "Acme")[0]["user"] == "li"


def test_a_hand_edited_file_with_a_wrong_type_or_bad_toml_is_refused(crm, isolated):
    crm.ok("init")
    path = isolated / "config.toml"
    path.write_text('[cadence.key]\ndays = "thirty"\n', encoding="utf-8")
    assert crm.fails(2, "customer", "list") == (
        f"crm: config cadence.key.days must be a whole number, not 'thirty' (in {path})\n"
    )
    path.write_text("[cadence\n", encoding="utf-8")
    err = crm.fails(2, "config", "show")
    assert err.startswith(f"crm: config file {path} is not valid TOML: ")
    assert err.count("\n") == 1
    path.write_text("colour = 'blue'\n", encoding="utf-8")
    assert crm.fails(2, "config", "get", "timezone") == (
        f"crm: unknown config key 'colour'; see `crm config show` (in {path})\n"
    )
