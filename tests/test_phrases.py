"""History's own texts: written once in English (in Python or in SQL), read in the
interface language (phrases.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, literal, select

from crmcli import enums, i18n, phrases

# A value for every slot any phrase has, as the writers fill them.
SAMPLE = {
    "name": "2026 服务器扩容",
    "id": "7",
    "due": "2026-12-01",
    "amount": "¥1,210.00",
    "on": "2026-11-30",
    "product": "液压阀",
    "summary": "交货延迟两周",
    "by": "zhang",
    "sha256": "0123456789ab",
    "at": "2026-11-10 09:30",
    "result": "客户满意",
    "file": "customers.csv",
    "code": "C0002",
    "months": "12",
    "end": "2026-06-30",
    "grade": "A",
    "orders": "3",
    "share": "68 %",
    "score": "9",
}


def filled(phrase: phrases.Phrase) -> dict[str, str]:
    values = {}
    for name in phrase.pattern().groupindex:
        how = phrase.slots.get(name)
        if how == "phrase":
            values[name] = phrases.NO_GRADE(months=12, end="2026-06-30")
        elif how is not None:
            values[name] = getattr(enums, how).values[-1]
        else:
            values[name] = SAMPLE[name]
    return values


@pytest.fixture
def chinese():
    i18n.reset("zh")
    yield
    i18n.reset()


@pytest.mark.parametrize("phrase", phrases.PHRASES, ids=lambda p: p.template[:40])
def test_every_phrase_reads_back_the_values_it_wrote(phrase):
    values = filled(phrase)
    found = phrase.pattern().fullmatch(phrase(**values))
    assert found is not None
    assert found.groupdict() == values


@pytest.mark.parametrize("phrase", phrases.PHRASES, ids=lambda p: p.template[:40])
def test_sql_writes_each_phrase_as_python_does(phrase, database_target):
    """reclassify writes its reasons in SQL, for every customer at once: the same text,
    on either engine, as the phrase filled in Python."""
    values = filled(phrase)
    url = database_target if "://" in database_target else f"sqlite:///{database_target}"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            exprs = {k: literal(int(v)) if v.isdigit() else literal(v) for k, v in values.items()}
            written = conn.execute(select(phrase.sql(**exprs))).scalar_one()
    finally:
        engine.dispose()
    assert written == phrase(**values)


def test_in_english_history_is_shown_as_kept():
    i18n.reset("en")
    try:
        assert phrases.read("contact", "added 王经理") == "added 王经理"
    finally:
        i18n.reset()


def test_in_chinese_history_reads_in_chinese(chinese):
    assert phrases.read("contact", "added 王经理") == "新增 王经理"
    assert phrases.read("plan", "#3 due 2026-12-01") == "#3 到期 2026-12-01"
    assert phrases.read("refund", "#2 -¥30.00 on 2026-03-02") == "#2 -¥30.00（2026-03-02）"
    assert phrases.read("survey", "#1 phone on 2026-05-01") == "#1 电话（2026-05-01）"
    assert phrases.read("complaint.4", "major: 设备故障") == "重大：设备故障"
    assert phrases.read("followup.9", "2026-11-10 09:30 visit: 回访 → 满意") == (
        "2026-11-10 09:30 上门拜访：回访 → 满意"
    )
    assert phrases.read("project.2", "added 扩容 (¥860,000.50)") == "新增 扩容（¥860,000.50）"
    assert phrases.read(phrases.REASON, "import #1 from s.csv") == "导入 #1（s.csv）"
    assert phrases.read(phrases.REASON, "project #2 扩容 reached contract (签订合同)") == (
        "项目 #2 扩容 已进入「签订合同」阶段"
    )
    reason = "tier core from grade A: ¥9,000.00 in 12 months, 1 order, top 90 % of sales"
    assert phrases.read(phrases.REASON, reason) == (
        "客户分类 核心，依据 等级 A：12 个月内 ¥9,000.00，1 笔订单，累计占销售额前 90 %"
    )


def test_what_a_person_typed_is_shown_as_typed(chinese):
    assert phrases.read(phrases.REASON, "客户要求 (phone)") == "客户要求 (phone)"
    # a phrase words only the fields it was written for: a note is never reworded
    assert phrases.read("notes", "added 王经理") == "added 王经理"
    # an enumeration slot holds only its values
    assert phrases.read("survey", "#1 carrier pigeon on 2026-05-01") == (
        "#1 carrier pigeon on 2026-05-01"
    )
    assert phrases.read("contact", None) is None


def test_reclassify_explains_itself_in_chinese_and_keeps_english_in_json(crm, monkeypatch):
    crm.ok("customer", "add", "甲公司", "--code", "A1", "--tier", "key", "--stage", "customer",
           "--as-of", "2026-03-02")  # fmt: skip
    crm.ok("sale", "add", "A1", "9000", "--on", "2026-03-05", "--as-of", "2026-03-05")
    monkeypatch.setenv("CRM_LANG", "zh")
    monkeypatch.setenv("COLUMNS", "200")
    dry = crm.ok("reclassify", "--dry-run", "--as-of", "2026-03-31").stdout
    why = "等级 A：12 个月内 ¥9,000.00，1 笔订单，累计占销售额前 100 %"
    row = next(line for line in dry.splitlines() if "A1" in line)
    assert row.split() == ["A1", "甲公司", "—", "→", "A", "—", "→", "低", "重点", "→", "核心",
                           *why.split()]  # fmt: skip
    moves = [line.split() for line in dry.splitlines() if line.startswith(("等级", "价值", "客户"))]
    assert moves == [
        ["等级", "—", "A", "1"],
        ["价值", "—", "低", "1"],
        ["客户分类", "重点", "核心", "1"],
    ]
    crm.ok("reclassify", "--as-of", "2026-03-31")
    shown = crm.ok("customer", "history", "A1").stdout
    assert f"客户分类 重点 核心 reclassify 客户分类 核心，依据 {why}" in " ".join(shown.split())
    kept = crm.json("customer", "history", "A1")
    assert {h["field"]: h["reason"] for h in kept if h["command"] == "reclassify"}["tier"] == (
        "tier core from grade A: ¥9,000.00 in 12 months, 1 order, top 100 % of sales"
    )


def test_a_locked_tier_is_shown_in_words(crm, monkeypatch):
    crm.ok("customer", "add", "华为", "--code", "HW", "--as-of", "2026-11-01")
    crm.ok("tier", "set", "HW", "core", "--lock")
    english = crm.ok("customer", "history", "HW").stdout.splitlines()
    assert english[1].split()[2:6] == ["tester", "tier_locked", "False", "True"]
    monkeypatch.setenv("CRM_LANG", "zh")
    chinese = crm.ok("customer", "history", "HW").stdout.splitlines()
    assert chinese[1].split()[2:6] == ["tester", "分类锁定", "否", "是"]
