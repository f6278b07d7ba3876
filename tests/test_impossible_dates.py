"""Dates that cannot be true are refused (exit 2, nothing written): events after the day
a command reckons from, events before the customer was added, decisions dated ahead."""

from __future__ import annotations

import pytest

DAY = "2026-11-22"


@pytest.fixture
def hw(crm):
    crm.ok(
        "customer", "add", "华为技术", "--code", "HW", "--stage", "customer",
        "--as-of", "2026-11-01",
    )  # fmt: skip
    return "HW"


def test_a_followup_in_the_future_is_refused_and_hides_nobody(crm, hw, db_dump):
    before = db_dump()
    assert crm.fails(2, "log", "HW", "-c", "phone", "-m", "a", "--at", "+3d", "--as-of", DAY) == (
        "crm: follow-up --at 2026-11-25 is in the future (today is 2026-11-22); "
        "record what has happened\n"
    )
    assert db_dump() == before
    assert [o["code"] for o in crm.json("overdue", "--as-of", "2026-12-05")] == ["HW"]


def test_events_before_the_customer_was_added_are_refused(crm, hw):
    refused = (
        "is before HW 华为技术 was added (2026-11-01); "
        "to back-fill, add the customer with --as-of its first day\n"
    )
    err = crm.fails(2, "log", "HW", "-c", "phone", "-m", "a", "--at", "2026-10-31", "--as-of", DAY)
    assert err == "crm: follow-up --at 2026-10-31 " + refused
    err = crm.fails(2, "sale", "add", "HW", "100", "--on", "2026-10-01", "--as-of", DAY)
    assert err == "crm: sale --on 2026-10-01 " + refused
    err = crm.fails(2, "plan", "add", "HW", "--due", "2026-10-30", "--content", "x", "--as-of", DAY)
    assert err == "crm: --due 2026-10-30 " + refused
    crm.ok("log", "HW", "-c", "phone", "-m", "a", "--at", "2026-11-02", "--as-of", DAY)
    err = crm.fails(2, "log", "edit", "1", "--at", "2026-10-02", "--as-of", DAY)
    assert err == "crm: --at 2026-10-02 " + refused
    # Back-filled: a customer added as of its real first day takes its old events.
    crm.ok("customer", "add", "老客户", "--code", "OLD", "--as-of", "2025-01-01")
    crm.ok("log", "OLD", "-c", "phone", "-m", "a", "--at", "2025-03-01", "--as-of", DAY)


def test_plan_done_in_the_future_is_refused(crm, hw):
    crm.ok("plan", "add", "HW", "--due", "2026-11-25", "--content", "报价", "--as-of", DAY)
    err = crm.fails(2, "plan", "done", "1", "--at", "2026-11-25", "--as-of", DAY)
    assert err.startswith("crm: follow-up --at 2026-11-25 is in the future")
    assert [p["status"] for p in crm.json("plan", "list", "--status", "all")] == ["open"]


def test_greeting_and_notice_in_the_future_are_refused(crm, hw):
    err = crm.fails(
        2, "greet", "done", "HW", "--occasion", "冬至", "--date", "2026-12-22",
        "--at", "2026-12-22 09:00", "--as-of", DAY,
    )  # fmt: skip
    assert err.startswith("crm: greeting --at 2026-12-22 is in the future (today is 2026-11-22)")
    crm.ok(
        "campaign", "add", "答谢会", "--on", "2026-12-20", "--stages", "customer", "--as-of", DAY
    )
    err = crm.fails(
        2, "campaign", "notify", "答谢会", "HW", "--at", "2026-12-01 10:00", "--as-of", DAY
    )
    assert err.startswith("crm: notice --at 2026-12-01 is in the future")


def test_stage_or_tier_change_dated_in_the_future_is_refused(crm, hw):
    ahead = "2999-01-01"
    err = crm.fails(2, "stage", "set", "HW", "loyal", "--as-of", ahead)
    assert err.startswith("crm: --as-of 2999-01-01 is in the future (today is ")
    crm.fails(2, "tier", "set", "HW", "core", "--as-of", ahead)
    assert crm.json("customer", "show", "HW")["customer"]["stage"] == "customer"
    crm.ok("stage", "set", "HW", "loyal", "--as-of", "2026-11-20")
