"""crm remind (SPEC §1 users, §3 exit codes): the cron digest for hand-built days."""

from __future__ import annotations

import json

SECTIONS = [
    "overdue",
    "complaints",
    "plans",
    "projects",
    "greetings_today",
    "greetings_missed",
    "monthly_calls",
    "campaigns",
    "surveys",
]


def add(crm, name, code, stage, *extra, owner="li", on="2026-11-20"):
    crm.add_customer(name, code, stage, *extra, owner=owner, on=on)


def remind(crm, as_of, *extra):
    return crm.json("remind", "--as-of", as_of, *extra)


def rows(crm, as_of, section, *extra):
    return [(i["code"], i["days_late"]) for i in remind(crm, as_of, *extra)[section]]


def busy_day(crm):
    """One duty per section on 2026-11-23, the day after 小雪 (2026-11-22)."""
    add(crm, "欧菲", "OV", "lead", on="2026-10-01")  # potential: call due 10-31
    add(crm, "平安", "PA", "lead")
    add(crm, "普华", "PH", "lead", owner="wang")
    crm.ok(
        "plan",
        "add",
        "PH",
        "--due",
        "2026-11-20",
        "--content",
        "call back",
        "--as-of",
        "2026-11-19",
    )
    crm.ok(
        "plan",
        "add",
        "PA",
        "--due",
        "2026-11-23 15:00",
        "--content",
        "send quote",
        "--channel",
        "visit",
        "--as-of",
        "2026-11-20",
    )
    crm.ok(
        "plan", "add", "PA", "--due", "2026-11-24", "--content", "later", "--as-of", "2026-11-20"
    )
    add(crm, "国泰", "GT", "customer", "--birthday", "11-23", owner="wang", on="2026-11-23")
    add(crm, "光明", "GM", "customer")
    add(crm, "美的", "MD", "qualified", "--tier", "key", on="2026-10-15")
    crm.ok("log", "MD", "--channel", "wechat", "--summary", "hi", "--at", "2026-11-10 10:00")
    crm.ok(
        "greet",
        "done",
        "MD",
        "--occasion",
        "小雪",
        "--date",
        "2026-11-22",
        "--at",
        "2026-11-22 09:00",
    )
    add(crm, "创维", "CW", "loyal", owner="wang", on="2026-11-23")
    crm.ok(
        "campaign",
        "add",
        "年终答谢会",
        "--on",
        "2026-12-20",
        "--stages",
        "loyal",
        "--as-of",
        "2026-11-01",
    )


def test_digest_has_every_section_in_order_with_exact_rows(crm):
    busy_day(crm)
    data = remind(crm, "2026-11-23")
    assert list(data) == ["as_of", "owner", "total", "counts", *SECTIONS]
    assert (data["as_of"], data["owner"], data["total"]) == ("2026-11-23", None, 7)
    assert data["counts"] == {
        "overdue": 1,
        "complaints": 0,  # pinned in tests/test_cli_complaint.py
        "plans": 2,
        "projects": 0,  # pinned in tests/test_cli_project.py
        "greetings_today": 1,
        "greetings_missed": 1,
        "monthly_calls": 1,
        "campaigns": 1,
        "surveys": 0,  # pinned in tests/test_cli_survey.py
    }
    assert list(data["counts"]) == SECTIONS
    assert data["overdue"] == [
        {
            "duty": "contact overdue",
            "customer_id": 1,
            "code": "OV",
            "name": "欧菲",
            "owner": "li",
            "detail": "never contacted (added 2026-10-01)",
            "due_on": "2026-10-31",
            "days_late": 23,
            "rules": ["contact"],
        }
    ]
    # PH is late only by its plan: listed under plans, not overdue; most late first.
    assert data["plans"] == [
        {
            "duty": "plan due",
            "customer_id": 3,
            "code": "PH",
            "name": "普华",
            "owner": "wang",
            "detail": "#1 phone: call back (due 2026-11-20)",
            "due_on": "2026-11-20",
            "days_late": 3,
            "plan_id": 1,
        },
        {
            "duty": "plan due",
            "customer_id": 2,
            "code": "PA",
            "name": "平安",
            "owner": "li",
            "detail": "#2 visit: send quote (due 2026-11-23 15:00)",
            "due_on": "2026-11-23",
            "days_late": 0,
            "plan_id": 2,
        },
    ]
    assert data["greetings_today"] == [
        {
            "duty": "greet today",
            "customer_id": 4,
            "code": "GT",
            "name": "国泰",
            "owner": "wang",
            "detail": "国泰 生日",
            "due_on": "2026-11-23",
            "days_late": 0,
            "occasion": "生日",
            "contact_id": None,
            "contact_name": None,
        }
    ]
    # GT and CW were added today, so 小雪 was not theirs; MD greeted in time.
    assert data["greetings_missed"] == [
        {
            "duty": "greeting missed",
            "customer_id": 5,
            "code": "GM",
            "name": "光明",
            "owner": "li",
            "detail": "小雪 (节气)",
            "due_on": "2026-11-22",
            "days_late": 1,
            "occasion": "小雪",
            "contact_id": None,
            "contact_name": None,
        }
    ]
    assert data["monthly_calls"] == [
        {
            "duty": "monthly call",
            "customer_id": 6,
            "code": "MD",
            "name": "美的",
            "owner": "li",
            "detail": "no phone call yet in 2026-11 (7 days left)",
            "due_on": "2026-11-30",
            "days_late": 0,
            "month": "2026-11",
        }
    ]
    assert data["campaigns"] == [
        {
            "duty": "tell about campaign",
            "customer_id": 7,
            "code": "CW",
            "name": "创维",
            "owner": "wang",
            "detail": "年终答谢会 on 2026-12-20 (in 27 days)",
            "due_on": "2026-12-19",
            "days_late": 0,
            "campaign": "年终答谢会",
        }
    ]


def test_table_lines_name_owner_duty_customer_and_lateness(crm):
    busy_day(crm)
    result = crm.ok("remind", "--as-of", "2026-11-23", "--owner", "li")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Owner", "Duty", "Customer", "Detail", "Late"]
    body = lines[1:]
    assert len(body) == 4
    expected = [
        ("contact overdue", "OV 欧菲", "never contacted (added 2026-10-01)", "23"),
        ("plan due", "PA 平安", "#2 visit: send quote (due 2026-11-23 15:00)", None),
        ("greeting missed", "GM 光明", "小雪 (节气)", "1"),
        ("monthly call", "MD 美的", "no phone call yet in 2026-11 (7 days left)", None),
    ]
    for line, (duty, customer, detail, late) in zip(body, expected, strict=True):
        assert line.startswith("li ")
        assert duty in line and customer in line and detail in line
        if late is None:
            assert line.endswith(")")
        else:
            assert line.split()[-1] == late
    # All owners: every owner's lines keep the section order.
    everyone = crm.ok("remind", "--as-of", "2026-11-23").stdout.splitlines()[1:]
    assert len(everyone) == 7
    wang = [line for line in everyone if line.startswith("wang ")]
    assert [d for line in wang for d in ("plan due", "greet today", "tell about") if d in line] == [
        "plan due",
        "greet today",
        "tell about",
    ]


def test_a_chinese_table_words_every_detail_and_json_stays_english(crm, monkeypatch):
    busy_day(crm)
    english = remind(crm, "2026-11-23")
    monkeypatch.setenv("CRM_LANG", "zh")
    lines = crm.ok("remind", "--as-of", "2026-11-23").stdout.splitlines()
    assert lines[0].split() == ["负责人", "职责", "客户", "详情", "逾期"]
    wanted = [
        ("逾期未联系", "OV 欧菲", "从未联系（2026-10-01 新增）"),
        ("计划到期", "PA 平安", "#2 上门拜访：send quote（2026-11-23 15:00 到期）"),
        ("漏发问候", "GM 光明", "小雪 (节气)"),
        ("每月电话", "MD 美的", "2026-11 尚未电话联系（本月还剩 7 天）"),
        ("通知活动", "CW 创维", "年终答谢会 2026-12-20（还有 27 天）"),
    ]
    for duty, customer, detail in wanted:
        assert any(duty in line and customer in line and detail in line for line in lines), detail
    assert remind(crm, "2026-11-23") == english  # the scripts' contract


def test_owner_filter(crm):
    busy_day(crm)
    data = remind(crm, "2026-11-23", "--owner", "wang")
    assert (data["owner"], data["total"]) == ("wang", 3)
    assert {name: [i["code"] for i in data[name]] for name in SECTIONS} == {
        "overdue": [],
        "complaints": [],
        "plans": ["PH"],
        "projects": [],
        "greetings_today": ["GT"],
        "greetings_missed": [],
        "monthly_calls": [],
        "campaigns": ["CW"],
        "surveys": [],
    }
    # A misspelt owner in a crontab is an error, not a salesperson with nothing to do.
    err = crm.fails(3, "remind", "--as-of", "2026-11-23", "--owner", "wnag", "--exit-code")
    assert err == "crm: nobody named 'wnag' owns a customer or a plan; owners: li, wang\n"


def test_exit_code_when_something_is_due(crm):
    busy_day(crm)
    due = crm("remind", "--as-of", "2026-11-23", "--exit-code")
    assert due.exit_code == 1 and "OV 欧菲" in due.stdout
    plain = crm("remind", "--as-of", "2026-11-23")
    assert plain.exit_code == 0 and plain.stdout == due.stdout
    as_json = crm(
        "remind", "--as-of", "2026-11-23", "--exit-code", "--quiet-if-clear", "-f", "json"
    )
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["total"] == 7


def clear_day(crm):
    """Nothing is due on 2026-11-10 (no occasion on 11-09 or 11-10)."""
    add(crm, "欧菲", "OV", "lead", on="2026-11-01")
    add(crm, "光明", "GM", "customer", on="2026-11-01")
    add(crm, "美的", "MD", "qualified", on="2026-10-01")
    crm.ok("log", "MD", "--channel", "phone", "--summary", "call", "--at", "2026-11-02 10:00")
    # A campaign already held is no longer a reminder (its misses are in greet missed).
    crm.ok(
        "campaign",
        "add",
        "秋季沙龙",
        "--on",
        "2026-11-05",
        "--stages",
        "customer",
        "--as-of",
        "2026-11-01",
    )


def test_clear_day_is_silent_and_exits_0(crm):
    clear_day(crm)
    for extra in ((), ("--exit-code",), ("--exit-code", "--quiet-if-clear", "--format", "json")):
        result = crm("remind", "--as-of", "2026-11-10", *extra)
        assert (result.exit_code, result.stdout) == (0, ""), extra
    data = remind(crm, "2026-11-10")
    assert data["total"] == 0
    assert data["counts"] == dict.fromkeys(SECTIONS, 0)
    assert all(data[name] == [] for name in SECTIONS)


def test_plans_due_today_or_late_but_not_tomorrow(crm):
    add(crm, "平安", "PA", "lead")
    for due in ("2026-11-21", "2026-11-22", "2026-11-23"):
        crm.ok(
            "plan", "add", "PA", "--due", due, "--content", f"step {due}", "--as-of", "2026-11-20"
        )
    assert rows(crm, "2026-11-21", "plans") == [("PA", 0)]
    assert rows(crm, "2026-11-22", "plans") == [("PA", 1), ("PA", 0)]
    assert remind(crm, "2026-11-22")["overdue"] == []  # late plans are plans, not overdue
    crm.ok("plan", "done", "1", "--at", "2026-11-22 09:00")
    crm.ok("plan", "cancel", "2")
    assert rows(crm, "2026-11-23", "plans") == [("PA", 0)]
    assert [i["plan_id"] for i in remind(crm, "2026-11-23")["plans"]] == [3]
    # Junk and lost end every duty, open plans included, as in crm overdue.
    crm.ok("stage", "set", "PA", "lost", "--reason", "went elsewhere")
    assert rows(crm, "2026-11-23", "plans") == []


def test_overdue_visits_and_calls_most_late_first_without_plan_reasons(crm):
    add(crm, "欧菲", "OV", "lead", "--channel", "outreach", "--tier", "general", on="2026-11-01")
    add(crm, "平安", "PA", "lead", "--tier", "core", on="2026-10-20")
    crm.ok("log", "PA", "--channel", "phone", "--summary", "call", "--at", "2026-11-05 10:00")
    crm.ok(
        "plan", "add", "PA", "--due", "2026-11-06", "--content", "quote", "--as-of", "2026-11-05"
    )
    overdue = remind(crm, "2026-11-23")["overdue"]
    # PA: core, no visit since 10-20 → visit due 11-19; last contact 11-05 → due 11-19.
    # OV: outreach call-back due 11-08 (7 days), the most late.
    assert [(i["code"], i["due_on"], i["days_late"], i["rules"]) for i in overdue] == [
        ("OV", "2026-11-08", 15, ["callback"]),
        ("PA", "2026-11-19", 4, ["contact", "visit"]),
    ]
    assert "plan" not in overdue[1]["detail"]
    assert rows(crm, "2026-11-23", "plans") == [("PA", 17)]


def test_greetings_missed_yesterday_only(crm):
    add(crm, "光明", "GM", "customer")
    add(crm, "国美", "GO", "customer")
    assert rows(crm, "2026-11-22", "greetings_today") == [("GM", 0), ("GO", 0)]
    # Marked on the day: done. Marked the day after: still missed.
    crm.ok(
        "greet",
        "done",
        "GM",
        "--occasion",
        "小雪",
        "--date",
        "2026-11-22",
        "--at",
        "2026-11-22 18:00",
    )
    assert rows(crm, "2026-11-22", "greetings_today") == [("GO", 0)]
    crm.ok(
        "greet",
        "done",
        "GO",
        "--occasion",
        "小雪",
        "--date",
        "2026-11-22",
        "--at",
        "2026-11-23 08:00",
    )
    assert rows(crm, "2026-11-23", "greetings_today") == []
    assert rows(crm, "2026-11-23", "greetings_missed") == [("GO", 1)]
    # Only yesterday's: the day after, the miss is for `greet missed`, not the digest.
    assert rows(crm, "2026-11-24", "greetings_missed") == []


def test_contact_birthday_in_the_digest(crm):
    add(crm, "光明", "GM", "customer", on="2026-11-01")
    crm.ok("contact", "add", "GM", "赵强", "--birthday", "1979-10-04", "--lunar")
    # 农历十月初四 in 2026 is 2026-11-12 (no solar term on 11-11 or 11-12).
    [item] = remind(crm, "2026-11-12")["greetings_today"]
    assert (item["code"], item["contact_name"], item["detail"]) == ("GM", "赵强", "赵强 生日")
    [item] = remind(crm, "2026-11-13")["greetings_missed"]
    assert (item["contact_name"], item["due_on"], item["days_late"]) == ("赵强", "2026-11-12", 1)


def test_monthly_calls_still_missing_this_month(crm):
    add(crm, "美的", "MD", "qualified", "--tier", "key", on="2026-10-15")
    add(crm, "方正", "FZ", "target", "--tier", "key", owner="wang", on="2026-10-15")
    add(crm, "华为", "HW", "lead", "--channel", "walk-in", "--tier", "key", on="2026-10-15")
    add(crm, "阿里", "AL", "customer", "--tier", "key", on="2026-10-15")  # closed: no duty
    add(crm, "大疆", "DJ", "qualified", "--tier", "key", on="2026-11-02")  # added after 11-01
    crm.ok(
        "log", "MD", "--channel", "phone", "--summary", "October call", "--at", "2026-10-30 10:00"
    )
    crm.ok(
        "log", "FZ", "--channel", "visit", "--summary", "a visit is no call", "--at", "2026-11-03"
    )
    assert rows(crm, "2026-11-10", "monthly_calls") == [("FZ", 0), ("HW", 0), ("MD", 0)]
    [item] = remind(crm, "2026-11-10", "--owner", "wang")["monthly_calls"]
    assert item["detail"] == "no phone call yet in 2026-11 (20 days left)"
    # A call logged after the as-of day does not clear an earlier day's digest.
    crm.ok("log", "MD", "--channel", "phone", "--summary", "call", "--at", "2026-11-12 10:00")
    assert rows(crm, "2026-11-10", "monthly_calls") == [("FZ", 0), ("HW", 0), ("MD", 0)]
    assert rows(crm, "2026-11-12", "monthly_calls") == [("FZ", 0), ("HW", 0)]
    crm.ok("log", "HW", "--channel", "电话", "--summary", "call", "--at", "2026-11-13 10:00")
    assert rows(crm, "2026-11-13", "monthly_calls") == [("FZ", 0)]
    # A new month starts over; DJ existed on 12-01, so it is owed one now.
    assert rows(crm, "2026-12-02", "monthly_calls") == [("DJ", 0), ("FZ", 0), ("HW", 0), ("MD", 0)]


def test_campaigns_with_customers_not_yet_told(crm):
    add(crm, "阿里", "AL", "customer", on="2026-11-01")
    add(crm, "百度", "BD", "loyal", owner="wang", on="2026-11-01")
    crm.ok(
        "campaign",
        "add",
        "年终答谢会",
        "--on",
        "2026-12-20",
        "--stages",
        "customer,loyal",
        "--as-of",
        "2026-11-01",
    )
    crm.ok(
        "campaign",
        "add",
        "新品发布会",
        "--on",
        "2026-12-10",
        "--stages",
        "customer",
        "--as-of",
        "2026-11-01",
    )
    data = remind(crm, "2026-12-01")
    assert [(i["campaign"], i["code"], i["detail"]) for i in data["campaigns"]] == [
        ("新品发布会", "AL", "新品发布会 on 2026-12-10 (in 9 days)"),
        ("年终答谢会", "AL", "年终答谢会 on 2026-12-20 (in 19 days)"),
        ("年终答谢会", "BD", "年终答谢会 on 2026-12-20 (in 19 days)"),
    ]
    crm.ok("campaign", "notify", "年终答谢会", "AL", "--at", "2026-12-01 09:00")
    assert rows(crm, "2026-12-01", "campaigns") == [("AL", 0), ("BD", 0)]
    crm.ok("campaign", "notify", "新品发布会", "AL", "--at", "2026-12-01 09:30")
    assert rows(crm, "2026-12-01", "campaigns") == [("BD", 0)]
    # A customer told on the campaign's day is told too late: on its day the campaign
    # leaves the digest (the miss is in greet missed), the day before it is due.
    assert [(i["code"], i["due_on"]) for i in remind(crm, "2026-12-19")["campaigns"]] == [
        ("BD", "2026-12-19")
    ]
    assert rows(crm, "2026-12-20", "campaigns") == []
    assert rows(crm, "2026-12-21", "campaigns") == []


def test_summary_counts_each_salespersons_duties_with_the_most_days_late(crm):
    busy_day(crm)
    add(crm, "欧亚", "OY", "lead", on="2026-10-10")  # potential: call due 11-09
    data = remind(crm, "2026-11-23", "--summary")
    assert list(data) == ["as_of", "owner", "total", "counts", "summary"]
    assert (data["total"], data["counts"]["overdue"]) == (8, 2)
    assert data["summary"] == [
        {"owner": "li", "duty": "contact overdue", "count": 2, "most_days_late": 23},
        {"owner": "li", "duty": "plan due", "count": 1, "most_days_late": 0},
        {"owner": "li", "duty": "greeting missed", "count": 1, "most_days_late": 1},
        {"owner": "li", "duty": "monthly call", "count": 1, "most_days_late": 0},
        {"owner": "wang", "duty": "plan due", "count": 1, "most_days_late": 3},
        {"owner": "wang", "duty": "greet today", "count": 1, "most_days_late": 0},
        {"owner": "wang", "duty": "tell about campaign", "count": 1, "most_days_late": 0},
    ]
    table = crm("remind", "--as-of", "2026-11-23", "--summary", "--owner", "wang", "--exit-code")
    assert table.exit_code == 1
    assert table.stdout.splitlines() == [
        "Owner  Duty                 Count  Most late",
        "wang   plan due                 1          3",
        "wang   greet today              1",
        "wang   tell about campaign      1",
    ]


def test_summary_of_a_clear_day_prints_nothing(crm):
    add(crm, "平安", "PA", "lead")
    for fmt in ("table", "csv", "json"):
        extra = ("--quiet-if-clear",) if fmt == "json" else ()
        result = crm("remind", "--as-of", "2026-11-21", "--summary", "-f", fmt, *extra)
        assert (result.exit_code, result.stdout) == (0, "")


def test_a_campaign_is_owed_only_from_the_day_it_was_added(crm):
    # 阿里 is due nothing else in November (added 11-01, a potential's call due 12-01).
    add(crm, "阿里", "AL", "customer", on="2026-11-01")
    crm.ok(
        "campaign", "add", "年终答谢会", "--on", "2026-12-20", "--stages", "customer",
        "--as-of", "2026-11-15",
    )  # fmt: skip
    # Before the day it was added, nobody had heard of it: nothing to tell, exit 0.
    quiet = crm.ok("remind", "--as-of", "2026-11-10", "--exit-code")
    assert (quiet.stdout, quiet.stderr) == ("", "")
    assert rows(crm, "2026-11-14", "campaigns") == []
    # From that day on, it is a duty.
    assert rows(crm, "2026-11-15", "campaigns") == [("AL", 0)]
    crm.fails(1, "remind", "--as-of", "2026-11-15", "--exit-code")


def test_a_campaign_recorded_after_its_day_is_no_miss_of_the_days_before(crm):
    add(crm, "阿里", "AL", "customer", on="2026-10-01")
    # 秋季沙龙 was held on 11-05 and entered on 11-20: the misses are there from then on.
    crm.ok(
        "campaign", "add", "秋季沙龙", "--on", "2026-11-05", "--stages", "customer",
        "--as-of", "2026-11-20",
    )  # fmt: skip

    def missed(as_of):
        found = crm.json("greet", "missed", "--fines", "--from", "2026-11-01", "--as-of", as_of)
        return [
            (r["day"], r["code"], r["occasion"]) for r in found["misses"] if r["kind"] == "campaign"
        ]

    assert missed("2026-11-19") == []
    assert missed("2026-11-21") == [("2026-11-05", "AL", "秋季沙龙")]
