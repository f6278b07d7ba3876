"""crm complaint … (SPEC §1 Complaint, §2 Complaint SLA; seed 003 三.1 and 四).

Every SLA figure is pinned at exact timestamps; --as-of fixes the day the command
reckons from, so nothing depends on today's date.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def shop(crm):
    crm.add_customer("华为技术", "HW", "customer", owner="li", on="2026-01-05")
    crm.add_customer("阿里巴巴", "AL", "customer", owner="wang", on="2026-01-05")
    return crm


def open_(crm, at, severity="general", ref="HW", *extra):
    crm.ok(
        "complaint", "open", ref, "--severity", severity, "--summary", "交货延迟两周",
        "--at", at, "--as-of", at[:10], *extra,
    )  # fmt: skip


def show(crm, cid="1", as_of="2026-12-01"):
    return crm.json("complaint", "show", cid, "--as-of", as_of)


def step(crm, cid, command, at, *extra):
    return crm.ok("complaint", command, cid, "--at", at, "--as-of", at[:10], *extra)


def working(crm):
    crm.ok("config", "set", "sla.clock", "working")


# --- the SLA arithmetic, through the commands ----------------------------------------------


def test_real_time_a_response_at_23h59_is_in_time_and_at_24h01_is_late(shop):
    open_(shop, "2026-11-20 09:30")
    open_(shop, "2026-11-20 09:30")
    step(shop, "1", "respond", "2026-11-21 09:29", "--note", "已致电")
    step(shop, "2", "respond", "2026-11-21 09:31", "--note", "已致电")
    first, second = show(shop, "1")["response"], show(shop, "2")["response"]
    assert first == {
        "target": "response",
        "due": "2026-11-21 09:30",
        "done_at": "2026-11-21 09:29:00",
        "state": "met",
        "late_minutes": None,
    }
    assert (second["state"], second["late_minutes"]) == ("missed", 1)


def test_working_time_friday_evening_is_answered_by_monday_evening(shop):
    working(shop)
    open_(shop, "2026-11-27 17:30")
    assert show(shop)["response"]["due"] == "2026-11-30 17:30"


def test_a_make_up_saturday_counts_and_the_spring_festival_does_not(shop):
    open_(shop, "2026-02-14 10:00", "important")  # 调休: a working Saturday
    assert show(shop, as_of="2026-02-14")["response"]["due"] == "2026-02-15 10:00"
    working(shop)
    # 春节 2026-02-15 … 02-23 is off: the next working hour is 02-24 09:00
    assert show(shop, as_of="2026-02-14")["response"]["due"] == "2026-02-24 10:00"


def test_working_time_resolution_of_three_days_over_the_holiday(shop):
    working(shop)
    open_(shop, "2026-02-13 10:00", "important")
    # 02-13 from 10:00, 02-14 (调休), 02-24, then 02-25 until 10:00
    assert show(shop, as_of="2026-02-13")["resolution"]["due"] == "2026-02-25 10:00"


def test_waiting_on_the_customer_stops_the_clocks(shop):
    open_(shop, "2026-11-20 09:00")
    step(shop, "1", "wait", "2026-11-20 10:00", "--reason", "等客户提供批号")
    listed = shop.json("complaint", "list", "--as-of", "2026-11-25")
    assert (listed[0]["status"], listed[0]["waiting"], listed[0]["response"]["state"]) == (
        "open",
        True,
        "waiting",
    )
    step(shop, "1", "resume", "2026-11-20 14:00")
    # four hours of waiting move the 24 h response target by four hours
    assert show(shop, as_of="2026-11-20")["response"]["due"] == "2026-11-21 13:00"
    assert show(shop, as_of="2026-11-20")["resolution"]["due"] == "2026-11-27 13:00"


def test_escalation_moves_the_targets_from_receipt_and_keeps_history(shop):
    open_(shop, "2026-11-20 09:00")
    assert show(shop, as_of="2026-11-20")["resolution"]["due"] == "2026-11-27 09:00"
    step(
        shop, "1", "escalate", "2026-11-20 10:00", "--severity", "重大", "--reason", "客户升级投诉"
    )
    shown = show(shop, as_of="2026-11-20")
    assert (shown["severity"], shown["resolution"]["due"]) == ("major", "2026-11-21 09:00")
    assert [(s["step"], s["severity"]) for s in shown["steps"]] == [
        ("opened", "general"),
        ("escalated", "major"),
    ]
    history = shop.json("customer", "history", "HW")
    assert ("complaint.1.severity", "general", "major", "客户升级投诉") in [
        (h["field"], h["old"], h["new"], h["reason"]) for h in history
    ]


# --- the lifecycle ---------------------------------------------------------------------------


def test_the_whole_lifecycle_with_its_timeline_and_history(shop):
    open_(shop, "2026-11-20 09:30", "important", "HW", "--handler", "wang", "--channel", "电话")
    step(shop, "1", "respond", "2026-11-20 11:00", "--note", "已致电客户说明原因")
    step(shop, "1", "resolve", "2026-11-22 16:00", "--resolution", "补发并赔偿运费")
    step(shop, "1", "close", "2026-11-23 10:00", "--feedback", "客户确认满意", "--satisfied", "yes")
    shown = show(shop)
    assert {k: shown[k] for k in ("status", "handler", "channel", "severity", "satisfied")} == {
        "status": "closed",
        "handler": "wang",
        "channel": "phone",
        "severity": "important",
        "satisfied": True,
    }
    assert (shown["resolution_text"], shown["feedback"]) == ("补发并赔偿运费", "客户确认满意")
    assert [(s["at"], s["step"], s["response"], s["resolution"]) for s in shown["steps"]] == [
        ("2026-11-20 09:30", "opened", "pending", "pending"),
        ("2026-11-20 11:00", "responded", "met", "pending"),
        ("2026-11-22 16:00", "resolved", "met", "met"),
        ("2026-11-23 10:00", "closed", "met", "met"),
    ]
    statuses = [
        (h["old"], h["new"])
        for h in reversed(shop.json("customer", "history", "HW"))
        if h["field"] == "complaint.1.status"
    ]
    assert statuses == [("open", "responded"), ("responded", "resolved"), ("resolved", "closed")]


def test_reopen_brings_a_closed_complaint_back_with_a_new_resolution_target(shop):
    open_(shop, "2026-11-20 09:30")
    step(shop, "1", "respond", "2026-11-20 11:00", "--note", "ok")
    step(shop, "1", "resolve", "2026-11-21 11:00", "--resolution", "换货")
    step(shop, "1", "close", "2026-11-21 12:00", "--feedback", "已告知")
    step(shop, "1", "reopen", "2026-11-25 09:00", "--reason", "问题复发")
    shown = show(shop, as_of="2026-11-25")
    assert (shown["status"], shown["feedback"]) == ("responded", None)
    assert shown["resolution"]["due"] == "2026-12-02 09:00"
    assert shown["resolution"]["state"] == "pending"


@pytest.mark.parametrize(
    ("steps", "bad", "reason"),
    [
        ((), ("resolve", "2026-11-20 12:00", "--resolution", "x"),
         "complaint #1 has had no response yet: respond first"),
        ((("respond", "2026-11-20 11:00", "--note", "ok"),), ("close", "2026-11-20 12:00", "--feedback", "x"),
         "complaint #1 is not resolved yet: resolve it first"),
        ((("respond", "2026-11-20 11:00", "--note", "ok"), ("resolve", "2026-11-20 12:00", "--resolution", "x")),
         ("close", "2026-11-20 13:00"),
         "closing needs --feedback: what the customer was told of the result (反馈处理结果)"),
        ((("respond", "2026-11-20 11:00", "--note", "ok"), ("resolve", "2026-11-20 12:00", "--resolution", "x"),
          ("close", "2026-11-20 13:00", "--feedback", "y")),
         ("respond", "2026-11-20 14:00", "--note", "again"),
         "complaint #1 is closed: only reopen takes it further"),
        ((), ("respond", "2026-11-20 09:00", "--note", "x"),
         "2026-11-20 09:00 is before complaint #1 was received (2026-11-20 09:30)"),
        ((("respond", "2026-11-20 11:00", "--note", "ok"),), ("resolve", "2026-11-20 10:00", "--resolution", "x"),
         "2026-11-20 10:00 is before the last step of complaint #1 (2026-11-20 11:00)"),
        ((), ("respond", "2026-11-21 10:00", "--note", "x", "--as-of", "2026-11-20"),
         "2026-11-21 10:00 is in the future"),
        ((), ("resume", "2026-11-20 10:00"), "complaint #1 is not waiting on the customer"),
        ((), ("wait", "2026-11-20 10:00"), "waiting needs --reason"),
        ((), ("escalate", "2026-11-20 10:00", "--severity", "general", "--reason", "x"),
         "complaint #1 is already general"),
    ],
)  # fmt: skip
def test_steps_out_of_order_are_refused_and_write_nothing(shop, steps, bad, reason):
    open_(shop, "2026-11-20 09:30")
    for command, at, *extra in steps:
        step(shop, "1", command, at, *extra)
    before = shop.json("complaint", "show", "1", "--as-of", "2026-11-30")
    history = shop.json("customer", "history", "HW")
    command, at, *extra = bad
    if "--as-of" not in extra:
        extra += ["--as-of", "2026-11-30"]
    assert shop.fails(2, "complaint", command, "1", "--at", at, *extra) == f"crm: {reason}\n"
    assert shop.json("complaint", "show", "1", "--as-of", "2026-11-30") == before
    assert shop.json("customer", "history", "HW") == history


def test_bad_severity_channel_and_unknown_ids(shop):
    err = shop.fails(2, "complaint", "open", "HW", "--severity", "huge", "--summary", "x")
    assert err.startswith("crm: unknown severity 'huge'; expected one of: general (一般)")
    err = shop.fails(
        2, "complaint", "open", "HW", "--severity", "major", "--summary", "x", "--channel", "fax"
    )
    assert err.startswith("crm: unknown channel 'fax'")
    assert shop.fails(3, "complaint", "respond", "7", "--note", "x") == "crm: no complaint #7\n"
    assert (
        shop.fails(2, "complaint", "show", "abc")
        == "crm: complaint id must be a number, not 'abc'\n"
    )
    assert shop.fails(3, "complaint", "open", "nobody", "--severity", "major", "--summary", "x")
    assert shop.json("complaint", "list") == []


# --- lists, the digest, the overdue flag -----------------------------------------------------


def test_list_breaching_most_late_first_with_filters(shop):
    open_(shop, "2026-11-20 09:00", "general", "HW")  # response due 11-21 09:00
    open_(shop, "2026-11-24 09:00", "major", "AL", "--handler", "wang")  # due 11-25 09:00
    open_(shop, "2026-11-25 08:00", "important", "HW")  # due 11-26 08:00: not yet
    step(shop, "2", "respond", "2026-11-24 10:00", "--note", "ok")  # resolution due 11-25 09:00
    rows = shop.json("complaint", "list", "--breaching", "--as-of", "2026-11-25")
    assert [(r["id"], r["response"]["state"], r["resolution"]["state"]) for r in rows] == [
        (1, "breaching", "pending"),
        (2, "met", "breaching"),
    ]
    assert [r["id"] for r in shop.json("complaint", "list", "--as-of", "2026-11-25")] == [3, 2, 1]
    assert [r["id"] for r in shop.json("complaint", "list", "--severity", "major")] == [2]
    assert [r["id"] for r in shop.json("complaint", "list", "--owner", "wang")] == [2]
    assert [r["id"] for r in shop.json("complaint", "list", "HW")] == [3, 1]


def test_the_digest_lists_late_complaints_after_overdue_visits(shop, monkeypatch):
    open_(shop, "2026-11-20 09:00", "general", "HW")
    open_(shop, "2026-11-24 09:00", "major", "AL")
    digest = shop.json("remind", "--as-of", "2026-11-24")
    assert list(digest)[list(digest).index("overdue") + 1] == "complaints"
    assert [
        (i["owner"], i["code"], i["detail"], i["due_on"], i["days_late"])
        for i in digest["complaints"]
    ] == [
        (
            "li",
            "HW",
            "general complaint #1: response due 2026-11-21 09:00 (交货延迟两周)",
            "2026-11-21",
            3,
        ),
    ]
    monkeypatch.setenv("CRM_LANG", "zh")
    chinese = shop.ok("remind", "--as-of", "2026-11-24").stdout
    assert "一般投诉 #1：答复期限 2026-11-21 09:00（交货延迟两周）" in chinese
    monkeypatch.delenv("CRM_LANG")
    # a target falling due later on the day is in that morning's digest
    digest = shop.json("remind", "--as-of", "2026-11-25")
    assert [i["complaint_id"] for i in digest["complaints"]] == [1, 2]


def test_overdue_flags_a_customer_with_an_open_major_complaint(shop):
    open_(shop, "2026-11-24 09:00", "major", "AL")
    open_(shop, "2026-11-24 09:00", "general", "HW")
    rows = {r["code"]: r for r in shop.json("overdue", "--as-of", "2026-12-01")}
    assert rows["AL"]["major_complaints"] == [1]
    assert rows["HW"]["major_complaints"] == []
    # Every open major one, in order; a resolved one no longer; another owner's list
    # does not show this one's.
    open_(shop, "2026-11-25 09:00", "major", "AL")  # 3
    open_(shop, "2026-11-25 10:00", "major", "HW")  # 4
    step(shop, "4", "respond", "2026-11-25 11:00", "--note", "已致电")
    step(shop, "4", "resolve", "2026-11-26 11:00", "--resolution", "换货")
    rows = {r["code"]: r for r in shop.json("overdue", "--as-of", "2026-12-01")}
    assert rows["AL"]["major_complaints"] == [1, 3]
    assert rows["HW"]["major_complaints"] == []
    (li,) = shop.json("overdue", "--as-of", "2026-12-01", "--owner", "li")
    assert (li["code"], li["major_complaints"]) == ("HW", [])
    table = shop.ok("overdue", "--as-of", "2026-12-01").stdout
    assert "open major complaint #1; open major complaint #3" in table


def test_working_time_in_a_year_without_published_holidays_says_so(shop):
    working(shop)
    shop.ok("config", "set", "sla.resolution_days.general", "60")  # its target is in 2027
    open_(shop, "2026-11-20 09:00")
    result = shop.ok("complaint", "list", "--as-of", "2026-11-20")
    # lunar-python publishes each year's schedule once the State Council does; until
    # then a year counts weekends only, and the list says which years those are.
    from crmcli.services import sla

    if sla.calendar_known(2027):
        assert "not published" not in result.stderr
    else:
        assert result.stderr == (
            "note: working time in 2027 counts weekends only: "
            "the statutory holidays of that year are not published yet\n"
        )
