"""The interface language: how it is chosen, and what it changes (headers, help, labels)
while JSON and csv headers stay English."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from crmcli import i18n


@pytest.fixture(autouse=True)
def fresh_language():
    i18n.reset()
    yield
    i18n.reset()


def write_config(isolated, text: str) -> None:
    (isolated / "config.toml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("env", "config", "expected"),
    [
        ({}, None, "en"),
        ({"LANG": "zh_CN.UTF-8"}, None, "zh"),
        ({"LC_MESSAGES": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, None, "zh"),
        # The first of LC_ALL, LC_MESSAGES, LANG that is set decides, as in POSIX.
        ({"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, None, "en"),
        ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, None, "zh"),
        ({"CRM_LANG": "zh", "LANG": "en_US.UTF-8"}, None, "zh"),
        ({"CRM_LANG": "en", "LC_ALL": "zh_CN.UTF-8"}, None, "en"),
        # lang in the config file comes first of all.
        ({"CRM_LANG": "zh"}, 'lang = "en"\n', "en"),
        ({"LANG": "en_US.UTF-8"}, 'lang = "zh"\n', "zh"),
        # A config file that does not set lang leaves the choice to the environment.
        ({"CRM_LANG": "zh"}, 'timezone = "Asia/Shanghai"\n', "zh"),
    ],
)
def test_language_is_chosen_config_then_crm_lang_then_locale(
    monkeypatch, isolated, env, config, expected
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if config is not None:
        write_config(isolated, config)
    assert i18n.detect() == expected


def test_config_set_lang_zh_turns_the_interface_chinese(crm, isolated):
    crm.ok(
        "customer", "add", "华东机械", "--code", "C001", "--tier", "core", "--as-of", "2026-11-01"
    )
    english = crm.ok("customer", "list").stdout
    assert english.splitlines()[0].split() == [
        "Code", "Name", "Tier", "Stage", "Owner", "Phone", "Last", "contact", "Next", "due"
    ]  # fmt: skip
    crm.ok("config", "set", "lang", "zh")
    chinese = crm.ok("customer", "list").stdout
    assert chinese.splitlines()[0].split()[:4] == ["编号", "名称", "分类", "状态"]
    assert chinese.splitlines()[1].split()[:3] == ["C001", "华东机械", "核心"]


def test_machine_formats_stay_english_in_chinese(crm, monkeypatch):
    monkeypatch.setenv("CRM_LANG", "zh")
    crm.ok(
        "customer", "add", "华东机械", "--code", "C001", "--tier", "core", "--as-of", "2026-11-01"
    )
    rows = json.loads(crm.ok("customer", "list", "--format", "json").stdout)
    assert (rows[0]["code"], rows[0]["tier"], rows[0]["stage"]) == ("C001", "core", "lead")
    csv_head = crm.ok("customer", "list", "--format", "csv").stdout.splitlines()[0]
    assert csv_head == "code,name,tier,stage,owner,phone,last_contact,next_due"


def test_a_chinese_table_shows_enumerations_by_label_and_csv_keeps_values(crm, monkeypatch):
    crm.ok("customer", "add", "华东机械", "--code", "C001", "--as-of", "2026-11-01")
    crm.ok(
        "plan", "add", "C001", "--due", "2026-11-05", "--channel", "visit",
        "--content", "送样品", "--as-of", "2026-11-01",
    )  # fmt: skip
    english = crm.ok("plan", "list", "--as-of", "2026-11-10").stdout.splitlines()
    monkeypatch.setenv("CRM_LANG", "zh")
    chinese = crm.ok("plan", "list", "--as-of", "2026-11-10").stdout.splitlines()
    assert english[1].split()[5:8] == ["visit", "送样品", "tester"]
    assert chinese[1].split()[5:8] == ["上门拜访", "送样品", "tester"]
    assert english[1].split()[-1] == "open" and chinese[1].split()[-1] == "待办"
    rows = crm.json("plan", "list", "--as-of", "2026-11-10")
    assert (rows[0]["channel"], rows[0]["status"]) == ("visit", "open")
    csv_row = crm.ok("plan", "list", "--as-of", "2026-11-10", "-f", "csv").stdout.splitlines()[1]
    assert ",visit," in csv_row and ",open" in csv_row


def test_history_in_chinese_names_fields_and_values_and_json_keeps_them(crm, monkeypatch):
    crm.ok(
        "customer", "add", "华东机械", "--code", "C001", "--tier", "key", "--as-of", "2026-11-01"
    )
    crm.ok("tier", "set", "C001", "core", "--reason", "年采购额过百万", "--as-of", "2026-11-02")
    english = crm.json("customer", "history", "C001")
    monkeypatch.setenv("CRM_LANG", "zh")
    lines = crm.ok("customer", "history", "C001").stdout.splitlines()
    assert lines[0].split() == ["时间", "人员", "字段", "旧值", "新值", "命令", "原因"]
    assert lines[1].split()[3:] == ["客户分类", "重点", "核心", "tier", "set", "年采购额过百万"]
    assert lines[2].split()[3:] == ["客户", "创建", "customer", "add"]
    assert crm.json("customer", "history", "C001") == english
    assert [(h["field"], h["old"], h["new"]) for h in english] == [
        ("tier", "key", "core"),
        ("customer", None, "created"),
    ]


def test_usage_errors_in_chinese(crm, monkeypatch):
    english = [
        crm.fails(2, "customer", "add"),
        crm.fails(2, "log", "add", "C1", "--bogus", "x"),
        crm.fails(2, "overdu"),
        crm.fails(2, "customer", "list", "extra"),
        crm.fails(2, "log", "list", "--limit", "0"),
        crm.fails(2, "log", "list", "--limit", "1.5"),
    ]
    assert english == [
        "crm: Missing argument 'name'. (see crm customer add --help)\n",
        "crm: No such option: --bogus (see crm log add --help)\n",
        "crm: No such command 'overdu'. Did you mean 'overdue'? (see crm --help)\n",
        "crm: Got unexpected extra argument(s) (extra) (see crm customer list --help)\n",
        "crm: Invalid value for '--limit': 0 is less than 1, the least it can be"
        " (see crm log list --help)\n",
        "crm: Invalid value for '--limit': '1.5' is not a whole number (see crm log list --help)\n",
    ]
    monkeypatch.setenv("CRM_LANG", "zh")
    assert [
        crm.fails(2, "customer", "add"),
        crm.fails(2, "log", "add", "C1", "--bogus", "x"),
        crm.fails(2, "overdu"),
        crm.fails(2, "customer", "list", "extra"),
        crm.fails(2, "log", "list", "--limit", "0"),
        crm.fails(2, "log", "list", "--limit", "1.5"),
    ] == [
        "crm: 缺少参数 'name'。（见 crm customer add --help）\n",
        "crm: 没有这个选项：--bogus（见 crm log add --help）\n",
        "crm: 没有命令 'overdu'。是不是要用 'overdue'？（见 crm --help）\n",
        "crm: 多余的参数（extra）（见 crm customer list --help）\n",
        "crm: '--limit' 的值无效：0 小于最小值 1（见 crm log list --help）\n",
        "crm: '--limit' 的值无效：'1.5' 不是整数（见 crm log list --help）\n",
    ]
    assert "[默认：table]" in crm.ok("overdue", "--help").stdout
    assert "[必填]" in crm.ok("customer", "add", "--help").stdout


def test_help_in_chinese(crm, monkeypatch):
    english = crm.ok("--help").stdout
    assert "Who must be contacted, most days late first." in english
    monkeypatch.setenv("CRM_LANG", "zh")
    chinese = crm.ok("--help").stdout
    assert "Who must be contacted" not in chinese
    assert "需要联系的客户，逾期最久的在前。" in chinese
    overdue = crm.ok("overdue", "--help").stdout
    assert "只看这一分类。" in overdue


def test_english_opens_no_catalogue(isolated):
    """English is the source language: a run in English reads no catalogue at all."""
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from crmcli.cli import app\n"
        "from crmcli import i18n\n"
        "result = CliRunner().invoke(app, ['overdue', '--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(i18n.language(), i18n._translations is None)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["en", "True"]


def test_compiled_catalogue_matches_its_source():
    """The .mo that gettext reads holds every translation of the .po (rebuilt by
    ``pip install -e .`` or ``pybabel compile``)."""
    import gettext

    from babel.messages.pofile import read_po

    po = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "crmcli.po"
    with po.open("rb") as source:
        catalogue = read_po(source)
    compiled = gettext.translation(i18n.DOMAIN, i18n.LOCALE_DIR, languages=["zh_CN"])
    stale = [
        m.id
        for m in catalogue
        if m.id
        and m.string
        and isinstance(m.id, str)
        and (compiled.pgettext(m.context, m.id) if m.context else compiled.gettext(m.id))
        != m.string
    ]
    assert stale == []


ROOT = i18n.LOCALE_DIR.parents[2]  # the repository: babel.cfg and src/


def test_every_text_shown_to_people_has_a_chinese_translation(tmp_path, monkeypatch):
    """Extract the texts as the README says (babel.cfg) and look each up in the .po."""
    from babel.messages.frontend import CommandLineInterface
    from babel.messages.pofile import read_po

    pot = tmp_path / "crmcli.pot"
    monkeypatch.chdir(ROOT)
    keywords = ["-k", "N_", "-k", "Nn_:1,2", "-k", "ngettext:1,2", "-k", "Col:2"]
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", "babel.cfg", *keywords, "-o", str(pot), "."]
    )
    with pot.open("rb") as source:
        wanted = [(m.id, m.context) for m in read_po(source) if m.id]
    po = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "crmcli.po"
    with po.open("rb") as source:
        catalogue = read_po(source)
    missing = []
    for msgid, context in wanted:
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = catalogue.get(key, context)
        strings = (
            ()
            if entry is None
            else (entry.string if isinstance(entry.string, tuple) else (entry.string,))
        )
        if entry is None or not all(strings) or entry.fuzzy:
            missing.append(key)
    assert len(wanted) > 400  # the help texts were extracted too
    assert missing == []


def command_paths() -> list[list[str]]:
    from crmcli.cli import COMMANDS, load_command

    paths: list[list[str]] = [[]]

    def walk(prefix: list[str], command) -> None:
        paths.append(prefix)
        for name, sub in getattr(command, "commands", {}).items():
            walk([*prefix, name], sub)

    for name in COMMANDS:
        walk([name], load_command(name))
    return paths


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_command_help_renders(crm, monkeypatch, lang):
    from crmcli.cli import COMMANDS

    monkeypatch.setenv("CRM_LANG", lang)
    monkeypatch.setenv("COLUMNS", "80")
    paths = command_paths()
    assert len(paths) > 100
    for path in paths:
        result = crm(*path, "--help")
        assert result.exit_code == 0, (path, result.output, result.exception)
        assert result.stdout.startswith({"en": "Usage: ", "zh": "用法："}[lang]), path
    listing = crm.ok("--help").stdout
    assert {"en": "\nOptions:\n", "zh": "\n选项：\n"}[lang] in listing
    assert {"en": "\nCommands:\n", "zh": "\n命令：\n"}[lang] in listing
    # The root listing: every command's one-line help, in the language asked for.
    for name, (_module, line) in COMMANDS.items():
        i18n.reset(lang)
        shown = i18n._(line)
        assert shown.split("，")[0].split(",")[0][:12] in " ".join(listing.split()), name
    if lang == "zh":
        assert "Show this message and exit." not in crm.ok("customer", "add", "--help").stdout
        assert "显示本帮助并退出。" in crm.ok("customer", "add", "--help").stdout


def test_every_translation_keeps_the_fields_of_its_text():
    """A Chinese text that drops or renames a ``{field}`` fails (KeyError) or loses a
    figure only when shown in Chinese, which the English tests never see."""
    import re

    from babel.messages.pofile import read_po

    po = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "crmcli.po"
    with po.open("rb") as source:
        catalogue = read_po(source)
    field = re.compile(r"\{[^{}]*\}")
    wrong = []
    for entry in catalogue:
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = {f for text in ids for f in field.findall(text)}
        for text in strings:
            if text and set(field.findall(text)) != wanted:
                wrong.append((ids[0], text))
    assert wrong == []


def test_edits_are_confirmed_in_chinese_with_fields_in_words(crm, monkeypatch):
    crm.ok("customer", "add", "华东机械", "--code", "C001", "--as-of", "2026-11-01")
    crm.ok("contact", "add", "C001", "王经理")
    english = crm.ok("customer", "edit", "C001", "--scale", "large").stderr
    assert english == "C001 scale: — → large\n"
    monkeypatch.setenv("CRM_LANG", "zh")
    assert (
        crm.ok("customer", "edit", "C001", "--scale", "small").stderr == "C001 规模：大型 → 小型\n"
    )
    assert crm.ok("contact", "edit", "C001", "王经理", "--gender", "male").stderr == (
        "联系人 #1 性别：— → 男\n"
    )
    crm.ok("contact", "delete", "C001", "王经理", "--reason", "离职")
    lines = crm.ok("customer", "history", "C001").stdout.splitlines()
    assert lines[1].split()[3:] == ["联系人", "#1", "王经理", "已删除", "contact", "delete", "离职"]
