"""crm tier set / crm stage set: manual decisions, each kept in history with its reason."""

from __future__ import annotations

import pytest


@pytest.fixture
def hw(crm):
    crm.ok("customer", "add", "华为技术", "--code", "HW", "--as-of", "2026-11-01")
    return "HW"


def show(crm, ref):
    return crm.json("customer", "show", ref, "--as-of", "2026-11-22")["customer"]


def changes(crm, ref, n):
    return [
        (h["field"], h["old"], h["new"], h["user"], h["command"], h["reason"])
        for h in crm.json("customer", "history", ref)[:n]
    ]


def test_tier_set_with_reason_and_lock(crm, hw, monkeypatch):
    monkeypatch.setenv("CRM_USER", "manager")
    result = crm.ok("tier", "set", "huawei", "核心", "--reason", "年采购额过千万", "--lock")
    assert result.stdout == ""
    assert sorted(result.stderr.splitlines()) == [
        "HW 华为技术 tier: potential → core",
        "HW 华为技术 tier_locked: False → True",
    ]
    data = show(crm, hw)
    assert (data["tier"], data["tier_locked"]) == ("core", True)
    assert sorted(changes(crm, hw, 2)) == [
        ("tier", "potential", "core", "manager", "tier set", "年采购额过千万"),
        ("tier_locked", "False", "True", "manager", "tier set", "年采购额过千万"),
    ]
    listed = crm.ok("customer", "list").stdout.splitlines()[1]
    assert "core (locked)" in listed


def test_tier_set_moves_the_due_date_to_the_new_cadence(crm, hw):
    # potential: a phone call every 30 days → 12-01; core: any contact every 14 → 11-15.
    assert show(crm, hw)["next_due_at"] == "2026-12-01"
    crm.ok("tier", "set", hw, "core")
    assert show(crm, hw)["next_due_at"] == "2026-11-15"
    crm.ok("tier", "set", hw, "一般")
    assert show(crm, hw)["next_due_at"] == "2027-01-30"


def test_tier_set_to_the_same_tier_records_nothing(crm, hw):
    crm.ok("tier", "set", hw, "key")
    result = crm.ok("tier", "set", hw, "重点")
    assert result.stderr == "HW 华为技术 is already key\n"
    assert [h["field"] for h in crm.json("customer", "history", hw)] == ["tier", "customer"]


def test_unlock_keeps_the_tier(crm, hw):
    crm.ok("tier", "set", hw, "key", "--lock")
    result = crm.ok("tier", "set", hw, "key", "--unlock", "--reason", "交给重新分类")
    assert result.stderr == "HW 华为技术 tier_locked: True → False\n"
    data = show(crm, hw)
    assert (data["tier"], data["tier_locked"]) == ("key", False)
    assert changes(crm, hw, 1) == [
        ("tier_locked", "True", "False", "tester", "tier set", "交给重新分类"),
    ]


def test_tier_set_without_lock_option_keeps_an_existing_lock(crm, hw):
    crm.ok("tier", "set", hw, "key", "--lock")
    crm.ok("tier", "set", hw, "core")
    data = show(crm, hw)
    assert (data["tier"], data["tier_locked"]) == ("core", True)


def test_stage_set_with_reason_and_chinese_label(crm, hw):
    result = crm.ok("stage", "set", hw, "意向", "--reason", "确认了预算")
    assert result.stderr == "HW 华为技术 stage: lead → qualified\n"
    crm.ok("stage", "set", hw, "customer", "--reason", "签约")
    assert show(crm, hw)["stage"] == "customer"
    assert changes(crm, hw, 2) == [
        ("stage", "qualified", "customer", "tester", "stage set", "签约"),
        ("stage", "lead", "qualified", "tester", "stage set", "确认了预算"),
    ]
    assert crm.ok("stage", "set", hw, "成交").stderr == "HW 华为技术 is already customer\n"
    assert len(crm.json("customer", "history", hw)) == 3


@pytest.mark.parametrize("terminal", ["junk", "垃圾", "lost", "流失"])
def test_terminal_stages_end_follow_up_duties(crm, hw, terminal):
    crm.ok("stage", "set", hw, terminal, "--reason", "无效")
    assert show(crm, hw)["next_due_at"] is None
    assert crm.json("overdue", "--as-of", "2027-06-01") == []
    crm.ok("stage", "set", hw, "lead", "--reason", "重新跟进")
    assert show(crm, hw)["next_due_at"] == "2026-12-01"


def test_tier_and_stage_refuse_unknown_values_and_customers(crm, hw):
    assert crm.fails(2, "tier", "set", hw, "gold") == (
        "crm: unknown tier 'gold'; expected one of: "
        "core (核心), key (重点), general (一般), potential (潜在)\n"
    )
    assert crm.fails(2, "stage", "set", hw, "won") == (
        "crm: unknown stage 'won'; expected one of: lead (潜在), target (目标), "
        "qualified (准客户), customer (成交), loyal (忠诚), junk (垃圾), lost (流失)\n"
    )
    assert crm.fails(3, "tier", "set", "nobody", "core") == "crm: no customer matches 'nobody'\n"
    assert crm.fails(3, "stage", "set", "nobody", "lead") == "crm: no customer matches 'nobody'\n"
    data = show(crm, hw)
    assert (data["tier"], data["stage"]) == ("potential", "lead")
    assert len(crm.json("customer", "history", hw)) == 1
