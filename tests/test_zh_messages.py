"""Errors and confirmations in Chinese: what a command says on stderr goes through the
catalogue whole, enumeration values by their labels, while English stays as it was."""

from __future__ import annotations

import pytest

from crmcli import i18n


@pytest.fixture(autouse=True)
def fresh_language():
    i18n.reset()
    yield
    i18n.reset()


@pytest.fixture
def zh(crm, monkeypatch):
    """A Chinese interface with one customer, HW 华为, added on 2026-11-01."""
    monkeypatch.setenv("CRM_LANG", "zh")
    crm.ok("customer", "add", "华为", "--code", "HW", "--as-of", "2026-11-01")
    return crm


def test_customer_add_confirms_tier_and_stage_by_their_labels(crm, monkeypatch):
    monkeypatch.setenv("CRM_LANG", "zh")
    done = crm.ok("customer", "add", "华为", "--code", "HW", "--as-of", "2026-11-01")
    assert done.stderr == "已新增 HW 华为（潜在，潜在，负责人 tester）；下次应联系 2026-12-01\n"
    done = crm.ok(
        "customer", "add", "小米", "--code", "XM", "--tier", "core", "--stage", "qualified",
        "--as-of", "2026-11-01",
    )  # fmt: skip
    assert done.stderr.startswith("已新增 XM 小米（核心，准客户，负责人 tester）；")


def test_customer_add_in_english_keeps_the_values(crm):
    done = crm.ok("customer", "add", "华为", "--code", "HW", "--as-of", "2026-11-01")
    assert done.stderr == "added HW 华为 (potential, lead, owner tester); next due 2026-12-01\n"


def test_a_sale_before_the_customer_was_added(zh):
    assert zh.fails(2, "sale", "add", "HW", "100", "--on", "2026-10-01") == (
        "crm: 销售 --on 2026-10-01 早于 HW 华为 的新增日期（2026-11-01）；"
        "如需补录，新增客户时请用 --as-of 指定它最初的日期\n"
    )
    # The day the test runs is in it: its start and end are checked.
    late = zh.fails(
        2, "log", "add", "HW", "--channel", "phone", "--summary", "电话", "--at", "2099-10-01"
    )
    assert late.startswith("crm: 跟进 --at 2099-10-01 晚于今天（今天是 ")
    assert late.endswith("）；只能记录已经发生的事\n")


def test_a_sale_before_the_customer_was_added_in_english(crm):
    crm.ok("customer", "add", "华为", "--code", "HW", "--as-of", "2026-11-01")
    assert crm.fails(2, "sale", "add", "HW", "100", "--on", "2026-10-01") == (
        "crm: sale --on 2026-10-01 is before HW 华为 was added (2026-11-01); "
        "to back-fill, add the customer with --as-of its first day\n"
    )


def test_project_errors_name_the_stages_in_chinese(zh):
    zh.ok("project", "add", "HW", "项目一", "--as-of", "2026-11-02")
    assert zh.fails(2, "project", "stage", "1", "evaluation") == (
        "crm: 项目 #1 已处于“项目评估”阶段\n"
    )
    assert zh.fails(2, "project", "reopen", "1", "--reason", "重谈") == (
        "crm: 项目 #1 处于“项目评估”阶段，既未失败也未完成：无需重新打开\n"
    )
    assert zh.fails(2, "project", "stage", "1", "lost") == (
        "crm: 将项目 #1 标记为失败需要 --reason：失败原因\n"
    )
    assert zh.fails(2, "project", "stage", "1", "contract") == (
        "crm: 项目 #1 未通过立项审批：进入“签订合同”阶段前请先审批（crm project approve 1）\n"
    )
    assert zh.fails(2, "project", "add", "HW", " ") == "crm: 项目需要名称\n"
    zh.ok("project", "stage", "1", "lost", "--reason", "价格")
    assert zh.fails(2, "project", "stage", "1", "negotiation") == (
        "crm: 项目 #1 已失败：请先重新打开（crm project reopen 1 --reason …）\n"
    )


def test_project_errors_in_english_are_as_they_were(crm):
    crm.ok("customer", "add", "华为", "--code", "HW", "--as-of", "2026-11-01")
    crm.ok("project", "add", "HW", "项目一", "--as-of", "2026-11-02")
    assert crm.fails(2, "project", "stage", "1", "evaluation") == (
        "crm: project #1 is already evaluation\n"
    )
    assert crm.fails(2, "project", "reopen", "1", "--reason", "x") == (
        "crm: project #1 is evaluation, not lost or completed: nothing to reopen\n"
    )


def test_project_stage_move_confirms_by_labels(zh):
    zh.ok("project", "add", "HW", "项目一", "--as-of", "2026-11-02")
    moved = zh.ok("project", "stage", "1", "negotiation", "--at", "2026-11-03 10:00").stderr
    assert moved == "项目 #1 项目一：项目评估 → 合作洽谈，时间 2026-11-03 10:00\n"


def test_a_currency_without_a_rate(zh):
    zh.ok("sale", "add", "HW", "100", "--on", "2026-11-05", "--currency", "USD")
    assert zh.fails(2, "reclassify") == (
        "crm: USD 的销售无法与 CNY 的销售比较：没有汇率；"
        "请用 crm config set currency.rates.USD RATE 设置（1 USD = RATE CNY）\n"
    )


def test_tier_and_stage_set_confirm_in_words(zh):
    assert zh.ok("tier", "set", "HW", "core", "--reason", "大客户").stderr == (
        "HW 华为 客户分类：潜在 → 核心\n"
    )
    assert zh.ok("stage", "set", "HW", "customer").stderr == "HW 华为 状态：潜在 → 成交\n"
    assert zh.ok("stage", "set", "HW", "customer").stderr == "HW 华为 已经是 成交\n"


def test_contact_add_and_sale_edit_confirm_in_chinese(zh):
    assert zh.ok("contact", "add", "HW", "王经理").stderr == "已为 HW 华为 新增联系人 #1 王经理\n"
    zh.ok("sale", "add", "HW", "100", "--on", "2026-11-05")
    assert zh.ok("sale", "edit", "1", "--amount", "200").stderr == (
        "销售 #1 金额：¥100.00 → ¥200.00\n"
    )


def test_config_refusals_in_chinese(zh):
    assert zh.fails(2, "config", "set", "lang", "xx") == "crm: 配置项 lang 只能是 en 或 zh\n"
    assert zh.fails(2, "config", "set", "cadence.core.days", "99999") == (
        "crm: 配置项 cadence.core.days 最多 3,650 天\n"
    )
    assert zh.fails(2, "config", "set", "sla.day_start", "19:00") == (
        "crm: sla.day_start（19:00）必须早于 sla.day_end（18:00）\n"
    )


def test_export_and_import_say_what_they_did_in_chinese(zh, tmp_path):
    out = tmp_path / "out.csv"
    assert zh.ok("export", "customers", "-o", out).stderr == f"已导出 1 位客户到 {out}\n"
    assert zh.fails(2, "export", "customers", "--format", "ics", "-o", tmp_path / "x.ics") == (
        "crm: ics 格式只能导出跟进计划\n"
    )
    rows = tmp_path / "c.csv"
    rows.write_text("name,code\n甲,A1\n,A3\n", encoding="utf-8")
    assert zh.fails(2, "import", "customers", rows) == (
        "第 3 行，name 列：name 必填\n"
        "crm: c.csv 的 2 行中有 1 行无效；未导入任何内容"
        "（请改正这些行，或用 --skip-invalid 导入其余的行；--rejects FILE 可收集无效行）\n"
    )
    done = zh.ok("import", "customers", rows, "--skip-invalid").stderr
    assert done.splitlines()[-1] == (f"已导入 {rows}，批次 #1：新增 1，更新 0，跳过 0，拒绝 1")
    assert zh.fails(2, "import", "customers", rows, "--rejects", tmp_path) == (
        f"crm: --rejects {tmp_path} 是目录；请指定一个文件来写入被拒绝的行\n"
    )


def test_a_command_typed_wrong_is_suggested_in_the_interface_language(crm, monkeypatch):
    english = crm.fails(2, "greet", "send")
    assert english == "crm: No such command 'send'. Did you mean 'missed'? (see crm greet --help)\n"
    monkeypatch.setenv("CRM_LANG", "zh")
    assert crm.fails(2, "greet", "send") == (
        "crm: 没有命令 'send'。是不是要用 'missed'？（见 crm greet --help）\n"
    )
