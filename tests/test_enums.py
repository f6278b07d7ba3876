"""Enumerations accept English values and Chinese labels; the stored value is English."""

from __future__ import annotations

import pytest

from crmcli.enums import (
    ACQUISITION,
    CHANNEL,
    GENDER,
    INDUSTRY,
    KIND,
    NEED,
    PLAN_STATUS,
    POTENTIAL,
    SCALE,
    SOURCE,
    STAGE,
    TIER,
)
from crmcli.errors import InvalidInput


@pytest.mark.parametrize(
    ("choice", "text", "value"),
    [
        (TIER, "core", "core"),
        (TIER, "核心", "core"),
        (TIER, "核心客户", "core"),
        (TIER, "重点", "key"),
        (TIER, "一般", "general"),
        (TIER, "潜在", "potential"),
        (STAGE, "潜在", "lead"),
        (STAGE, "目标", "target"),
        (STAGE, "准客户", "qualified"),
        (STAGE, "意向", "qualified"),
        (STAGE, "成交", "customer"),
        (STAGE, "忠诚", "loyal"),
        (STAGE, "垃圾", "junk"),
        (STAGE, "流失", "lost"),
        (CHANNEL, "电话", "phone"),
        (CHANNEL, "上门拜访", "visit"),
        (CHANNEL, "面谈", "meeting"),
        (CHANNEL, "微信", "wechat"),
        (CHANNEL, "email", "email"),
        (ACQUISITION, "外拓", "outreach"),
        (ACQUISITION, "来访", "walk-in"),
        (ACQUISITION, "行业展会", "trade-show"),
        (ACQUISITION, "合作伙伴推荐", "referral"),
        (SOURCE, "主动咨询", "inbound"),
        (SOURCE, "被动咨询", "outbound"),
        (KIND, "个人", "person"),
        (SCALE, "大型", "large"),
        (NEED, "特殊需求", "special"),
        (POTENTIAL, "高", "high"),
        (INDUSTRY, "金融业", "finance"),
        (PLAN_STATUS, "已完成", "done"),
        (GENDER, "女", "female"),
    ],
)
def test_english_values_and_chinese_labels(choice, text, value):
    assert choice.parse(text) == value


@pytest.mark.parametrize(
    ("choice", "text", "value"),
    [
        (TIER, "CORE", "core"),
        (TIER, "  Key  ", "key"),
        (TIER, "ｃｏｒｅ", "core"),  # full-width letters from a Chinese input method
        (ACQUISITION, "Trade Show", "trade-show"),
        (ACQUISITION, "trade_show", "trade-show"),
        (ACQUISITION, "TRADE-SHOW", "trade-show"),
        (ACQUISITION, "walk in", "walk-in"),
        (ACQUISITION, "Market_Research", "market-research"),
        (TIER, " 核心 ", "core"),
    ],
)
def test_case_space_underscore_and_width_are_folded(choice, text, value):
    assert choice.parse(text) == value


def test_unknown_value_lists_every_choice_with_its_label():
    with pytest.raises(InvalidInput) as caught:
        TIER.parse("gold")
    assert caught.value.message == (
        "unknown tier 'gold'; expected one of: "
        "core (核心), key (重点), general (一般), potential (潜在)"
    )
    assert caught.value.exit_code == 2
    with pytest.raises(InvalidInput) as caught:
        CHANNEL.parse("fax")
    assert caught.value.message == (
        "unknown channel 'fax'; expected one of: phone (电话), visit (上门拜访), "
        "meeting (面谈), email (邮件), wechat (微信), sms (短信), event (活动)"
    )


@pytest.mark.parametrize("text", ["", "  ", "core tier", "核", "c"])
def test_empty_or_partial_text_is_not_a_value(text):
    with pytest.raises(InvalidInput):
        TIER.parse(text)


def test_free_enumeration_keeps_unknown_text_as_typed():
    assert INDUSTRY.parse("制造") == "manufacturing"
    assert INDUSTRY.parse(" 半导体 ") == "半导体"
    with pytest.raises(InvalidInput):
        INDUSTRY.parse("  ")


def test_labels_for_display_and_values_in_order():
    assert TIER.values == ("core", "key", "general", "potential")
    assert STAGE.values == ("lead", "target", "qualified", "customer", "loyal", "junk", "lost")
    assert TIER.label("core") == "核心"
    assert STAGE.label("qualified") == "准客户"
    assert TIER.label(None) == ""
    assert INDUSTRY.label("半导体") == "半导体"


def test_parse_many_splits_on_ascii_and_chinese_commas():
    assert CHANNEL.parse_many("电话, visit，微信,") == ["phone", "visit", "wechat"]
    with pytest.raises(InvalidInput):
        CHANNEL.parse_many("phone,fax")


def test_every_value_parses_to_itself_and_every_label_to_its_value():
    for choice in (TIER, STAGE, CHANNEL, ACQUISITION, SOURCE, KIND, SCALE, NEED, POTENTIAL):
        for value, labels in choice.labels.items():
            assert choice.parse(value) == value
            for label in labels:
                assert choice.parse(label) == value, (choice.name, label)
