"""crm log (跟进记录, with the next step) and crm plan add|list|done|cancel (跟进计划)."""

from __future__ import annotations

import pytest


@pytest.fixture
def hw(crm):
    crm.ok("customer", "add", "华为技术", "--code", "HW", "--tier", "key", "--as-of", "2026-11-01")
    return "HW"


def plans(crm, *extra):
    return crm.json("plan", "list", "--as-of", "2026-11-22", *extra)


def customer(crm, ref):
    return crm.json("customer", "show", ref, "--as-of", "2026-11-22")


# --- crm log ---------------------------------------------------------------------------


def test_log_records_a_followup_and_moves_the_due_date(crm, hw):
    result = crm.ok(
        "log",
        "huawei",
        "--channel",
        "电话",
        "--summary",
        "谈价格",
        "--result",
        "同意报价",
        "--at",
        "2026-11-10 09:30",
    )
    assert result.stdout == ""
    assert result.stderr == (
        "logged phone with HW 华为技术 at 2026-11-10 09:30\nnext due 2026-12-10\n"
    )
    data = customer(crm, hw)
    assert data["followups"] == [
        {
            "id": 1,
            "customer_id": 1,
            "contact_id": None,
            "at": "2026-11-10 09:30",
            "channel": "phone",
            "summary": "谈价格",
            "result": "同意报价",
            "owner": "tester",
            "project_id": None,
        }
    ]
    assert data["customer"]["last_contact_at"] == "2026-11-10 09:30"
    assert data["customer"]["next_due_at"] == "2026-12-10"
    assert data["plans"] == []


def test_log_with_next_and_next_action_creates_a_plan(crm, hw):
    data = crm.json(
        "log",
        hw,
        "-c",
        "phone",
        "-m",
        "谈价格",
        "--at",
        "2026-11-10 09:30",
        "--next",
        "+7d",
        "--next-action",
        "发报价",
    )
    assert data["followup"]["at"] == "2026-11-10 09:30"
    assert data["plan"] == {
        "id": 1,
        "customer_id": 1,
        "due_on": "2026-11-17",
        "due_time": None,
        "channel": "phone",
        "content": "发报价",
        "owner": "tester",
        "status": "open",
        "followup_id": None,
    }
    assert data["next_due_at"] == "2026-11-17"


def test_log_next_is_reckoned_from_the_followup_day_with_time_and_channel(crm, hw):
    # Tuesday 2026-11-10: "fri" is that week's Friday, the 13th.
    data = crm.json(
        "log",
        hw,
        "-c",
        "visit",
        "-m",
        "拜访",
        "--at",
        "2026-11-10 10:00",
        "--next",
        "fri",
        "--next-channel",
        "微信",
    )
    assert (data["plan"]["due_on"], data["plan"]["channel"]) == ("2026-11-13", "wechat")
    assert data["plan"]["content"] == "follow up: 拜访"
    timed = crm.json(
        "log",
        hw,
        "-c",
        "phone",
        "-m",
        "x",
        "--at",
        "2026-11-11 09:00",
        "--next",
        "2026-11-20 15:00",
    )
    assert (timed["plan"]["due_on"], timed["plan"]["due_time"]) == ("2026-11-20", "15:00")
    # The same day as the follow-up, later in the day, is fine.
    crm.ok(
        "log",
        hw,
        "-c",
        "phone",
        "-m",
        "y",
        "--at",
        "2026-11-12 09:00",
        "--next",
        "2026-11-12 17:00",
    )


def test_log_next_action_without_next_is_refused(crm, hw):
    err = crm.fails(
        2, "log", hw, "-c", "phone", "-m", "x", "--at", "2026-11-10", "--next-action", "报价"
    )
    assert err == "crm: --next-action needs --next (the date of the next step)\n"
    assert customer(crm, hw)["followups"] == []


def test_log_empty_summary_is_refused(crm, hw):
    err = crm.fails(2, "log", hw, "-c", "phone", "-m", "  ", "--at", "2026-11-10")
    assert err == "crm: --summary must not be empty: say what was discussed\n"
    assert customer(crm, hw)["followups"] == []


def test_log_with_contact(crm, hw):
    crm.ok("contact", "add", hw, "张三")
    data = crm.json(
        "log", hw, "-c", "meeting", "-m", "x", "--at", "2026-11-10", "--contact", "张三"
    )
    assert data["followup"]["contact_id"] == 1
    err = crm.fails(
        3, "log", hw, "-c", "meeting", "-m", "x", "--at", "2026-11-10", "--contact", "王"
    )
    assert err == "crm: 华为技术 has no contact matching '王'\n"


def test_log_done_closes_the_plan_it_fulfils(crm, hw):
    crm.ok("plan", "add", hw, "--due", "2026-11-15", "--content", "送样品", "--as-of", "2026-11-01")
    data = crm.json("log", hw, "-c", "visit", "-m", "送了样品", "--at", "2026-11-14", "--done", "1")
    [plan] = plans(crm, "--status", "done")
    assert (plan["id"], plan["status"], plan["followup_id"]) == (1, "done", data["followup"]["id"])
    assert plans(crm) == []
    err = crm.fails(2, "log", hw, "-c", "phone", "-m", "x", "--at", "2026-11-15", "--done", "1")
    assert err == "crm: plan #1 is already done\n"
    assert len(customer(crm, hw)["followups"]) == 1


def test_log_done_with_another_customers_plan_is_refused(crm, hw):
    crm.ok("customer", "add", "阿里巴巴", "--code", "ALI", "--as-of", "2026-11-01")
    crm.ok("plan", "add", "ALI", "--due", "2026-11-15", "--content", "x", "--as-of", "2026-11-01")
    err = crm.fails(2, "log", hw, "-c", "phone", "-m", "x", "--at", "2026-11-14", "--done", "1")
    assert err == "crm: plan #1 belongs to another customer\n"
    assert [p["status"] for p in plans(crm)] == ["open"]
    assert customer(crm, hw)["followups"] == []


# --- crm plan --------------------------------------------------------------------------


def test_plan_add_and_list(crm, hw):
    result = crm.ok(
        "plan",
        "add",
        hw,
        "--due",
        "2026-12-01 10:00",
        "--content",
        "拜访采购",
        "--channel",
        "上门拜访",
        "--owner",
        "li",
        "--as-of",
        "2026-11-22",
    )
    assert result.stderr == "planned #1 for HW 华为技术 on 2026-12-01 10:00: 拜访采购\n"
    crm.ok("plan", "add", hw, "--due", "+3d", "--content", "电话回访", "--as-of", "2026-11-22")
    assert plans(crm) == [
        {
            "id": 2,
            "customer_id": 1,
            "due_on": "2026-11-25",
            "due_time": None,
            "channel": "phone",
            "content": "电话回访",
            "owner": "tester",
            "status": "open",
            "followup_id": None,
            "customer_code": "HW",
            "customer_name": "华为技术",
            "days_overdue": 0,
        },
        {
            "id": 1,
            "customer_id": 1,
            "due_on": "2026-12-01",
            "due_time": "10:00",
            "channel": "visit",
            "content": "拜访采购",
            "owner": "li",
            "status": "open",
            "followup_id": None,
            "customer_code": "HW",
            "customer_name": "华为技术",
            "days_overdue": 0,
        },
    ]
    assert crm.ok("plan", "list", "--as-of", "2026-11-27").stdout.splitlines() == [
        "Id  Due               Late  Customer     Channel  Content   Owner   Status",
        " 2  2026-11-25           2  HW 华为技术  phone    电话回访  tester  open",
        " 1  2026-12-01 10:00        HW 华为技术  visit    拜访采购  li      open",
    ]
    assert [p["id"] for p in plans(crm, "--owner", "li")] == [1]
    history = crm.json("customer", "history", hw)
    assert [(h["field"], h["new"]) for h in history[:2]] == [
        ("plan", "#2 due 2026-11-25"),
        ("plan", "#1 due 2026-12-01"),
    ]


def test_plan_due_moves_the_customer_due_date(crm, hw):
    assert customer(crm, hw)["customer"]["next_due_at"] == "2026-12-01"
    crm.ok("plan", "add", hw, "--due", "2026-11-20", "--content", "报价", "--as-of", "2026-11-10")
    assert customer(crm, hw)["customer"]["next_due_at"] == "2026-11-20"
    assert customer(crm, hw)["overdue_days"] == 2


def test_plan_list_overdue_only_open_and_past_due(crm, hw):
    crm.ok("customer", "add", "阿里巴巴", "--code", "ALI", "--as-of", "2026-11-01")
    for ref, due, content in [
        (hw, "2026-11-10", "a"),
        ("ALI", "2026-11-12", "b"),
        (hw, "2026-11-22", "c"),
        (hw, "2026-11-30", "d"),
    ]:
        crm.ok("plan", "add", ref, "--due", due, "--content", content, "--as-of", "2026-11-01")
    crm.ok("plan", "cancel", "2")
    late = crm.json("plan", "list", "--overdue", "--as-of", "2026-11-22")
    assert [(p["id"], p["content"], p["days_overdue"]) for p in late] == [(1, "a", 12)]
    crm.ok("plan", "add", "ALI", "--due", "2026-11-15", "--content", "e", "--as-of", "2026-11-01")
    late = crm.json("plan", "list", "--overdue", "--as-of", "2026-11-23")
    assert [(p["id"], p["customer_code"], p["days_overdue"]) for p in late] == [
        (1, "HW", 13),
        (5, "ALI", 8),
        (3, "HW", 1),
    ]
    assert [p["id"] for p in crm.json("plan", "list", "ALI", "--as-of", "2026-11-23")] == [5]
    assert [p["id"] for p in plans(crm, "--status", "cancelled")] == [2]
    assert [p["id"] for p in plans(crm, "--status", "all")] == [1, 2, 5, 3, 4]
    assert crm.ok("plan", "list", "--overdue", "--as-of", "2026-11-01").stdout == ""


def test_plan_done_records_a_followup_on_the_plans_channel(crm, hw):
    crm.ok(
        "plan",
        "add",
        hw,
        "--due",
        "2026-11-15",
        "--content",
        "送样品",
        "--channel",
        "visit",
        "--as-of",
        "2026-11-01",
    )
    result = crm.ok("plan", "done", "#1", "--at", "2026-11-16 14:00", "--result", "满意")
    assert result.stderr == "plan #1 done (follow-up #1, visit 2026-11-16 14:00)\n"
    data = customer(crm, hw)
    assert data["followups"] == [
        {
            "id": 1,
            "customer_id": 1,
            "contact_id": None,
            "at": "2026-11-16 14:00",
            "channel": "visit",
            "summary": "送样品",
            "result": "满意",
            "owner": "tester",
            "project_id": None,
        }
    ]
    assert data["plans"][0]["status"] == "done" and data["plans"][0]["followup_id"] == 1
    assert data["customer"]["next_due_at"] == "2026-12-16"


def test_plan_done_twice_is_refused_and_records_no_second_followup(crm, hw):
    crm.ok("plan", "add", hw, "--due", "2026-11-15", "--content", "x", "--as-of", "2026-11-01")
    crm.ok("plan", "done", "1", "--at", "2026-11-15")
    err = crm.fails(2, "plan", "done", "1", "--at", "2026-11-16")
    assert err == "crm: plan #1 is already done\n"
    assert len(customer(crm, hw)["followups"]) == 1
    assert crm.fails(2, "plan", "cancel", "1") == "crm: plan #1 is already done\n"


def test_plan_cancel_with_reason_in_history(crm, hw):
    crm.ok("plan", "add", hw, "--due", "2026-11-15", "--content", "x", "--as-of", "2026-11-01")
    result = crm.ok("plan", "cancel", "1", "--reason", "客户出差")
    assert result.stderr == "plan #1 cancelled\n"
    latest = crm.json("customer", "history", hw)[0]
    assert (latest["field"], latest["old"], latest["new"], latest["command"], latest["reason"]) == (
        "plan",
        "#1 open",
        "cancelled",
        "plan cancel",
        "客户出差",
    )
    assert customer(crm, hw)["customer"]["next_due_at"] == "2026-12-01"
    assert crm.fails(2, "plan", "cancel", "1") == "crm: plan #1 is already cancelled\n"
    assert crm.fails(2, "plan", "done", "1", "--at", "2026-11-16") == (
        "crm: plan #1 is already cancelled\n"
    )


def test_plan_ids_unknown_or_not_numbers(crm, hw):
    assert crm.fails(3, "plan", "done", "99", "--at", "2026-11-16") == "crm: no plan #99\n"
    assert crm.fails(3, "plan", "cancel", "99") == "crm: no plan #99\n"
    assert crm.fails(2, "plan", "done", "abc", "--at", "2026-11-16") == (
        "crm: plan id must be a number, not 'abc'\n"
    )


def test_plan_add_refuses_bad_input_without_writing(crm, hw):
    args = ("plan", "add", hw, "--as-of", "2026-11-01")
    assert crm.fails(2, *args, "--due", "someday", "--content", "x") == (
        "crm: cannot read --due date 'someday'; use 2026-11-22, today, +3d or fri\n"
    )
    assert crm.fails(2, *args, "--due", "+1d", "--content", " ") == (
        "crm: --content must not be empty: say what is to be done\n"
    )
    assert crm.fails(2, *args, "--due", "+1d", "--content", "x", "--channel", "fax").startswith(
        "crm: unknown channel 'fax'; expected one of: phone (电话), visit (上门拜访)"
    )
    assert crm.fails(2, "plan", "list", "--status", "later") == (
        "crm: unknown plan status 'later'; expected one of: "
        "open (待办), done (完成), cancelled (取消)\n"
    )
    assert plans(crm, "--status", "all") == []
