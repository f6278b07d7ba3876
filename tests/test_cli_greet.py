"""crm greet list|done|missed (SPEC §2 Greetings): exact rows for hand-built customers."""

from __future__ import annotations


def add(crm, name, code, stage, *extra, owner="li", on="2026-01-10"):
    crm.add_customer(name, code, stage, *extra, owner=owner, on=on)


def greet_rows(crm, day, *extra):
    return [
        (r["code"], r["occasion"], r["contact_name"], r["done"])
        for r in crm.json("greet", "list", "--date", day, *extra)
    ]


def missed_rows(crm, *args):
    return [
        (r["day"], r["code"], r["occasion"], r["contact_name"])
        for r in crm.json("greet", "missed", *args)
    ]


def stages_zoo(crm):
    """One customer per stage (and walk-ins), all added 2026-01-10."""
    add(crm, "阿里", "AL", "customer")
    add(crm, "百度", "BD", "loyal", owner="wang")
    add(crm, "大疆", "DJ", "qualified")
    add(crm, "方正", "FZ", "target", owner="wang")
    add(crm, "国美", "GM", "lead")  # a lead is not greeted …
    add(crm, "华为", "HW", "lead", "--channel", "walk-in", owner="wang")  # … unless a walk-in
    add(crm, "金蝶", "JD", "junk", "--channel", "来访")  # junk never
    add(crm, "联想", "LX", "lost", "--channel", "walk-in")  # lost never


def test_holiday_list_greets_the_configured_stages_and_walk_ins(crm):
    stages_zoo(crm)
    assert greet_rows(crm, "2026-02-17") == [
        ("AL", "春节", None, False),
        ("BD", "春节", None, False),
        ("DJ", "春节", None, False),
        ("FZ", "春节", None, False),
        ("HW", "春节", None, False),
    ]
    assert greet_rows(crm, "2026-02-17", "--owner", "wang") == [
        ("BD", "春节", None, False),
        ("FZ", "春节", None, False),
        ("HW", "春节", None, False),
    ]


def test_greet_list_json_shape(crm):
    add(crm, "阿里", "AL", "customer")
    assert crm.json("greet", "list", "--date", "2026-02-17") == [
        {
            "kind": "greeting",
            "customer_id": 1,
            "code": "AL",
            "name": "阿里",
            "owner": "li",
            "occasion": "春节",
            "day": "2026-02-17",
            "contact_id": None,
            "contact_name": None,
            "detail": "春节 (法定节假日)",
            "done": False,
            "occasion_kind": "holiday",
        }
    ]
    [term] = crm.json("greet", "list", "--date", "2027-02-04")
    assert (term["occasion"], term["detail"], term["occasion_kind"]) == (
        "立春",
        "立春 (节气)",
        "solar_term",
    )


def test_qingming_is_one_greeting_and_ordinary_days_have_none(crm):
    add(crm, "阿里", "AL", "customer")
    assert greet_rows(crm, "2026-04-05") == [("AL", "清明", None, False)]
    assert greet_rows(crm, "2026-11-10") == []
    quiet = crm.ok("greet", "list", "--date", "2026-11-10")
    assert quiet.stdout == ""
    table = crm.ok("greet", "list", "--date", "2026-09-25").stdout
    assert "AL 阿里" in table and "中秋 (法定节假日)" in table


def test_customer_added_after_the_day_is_not_greeted(crm):
    add(crm, "阿里", "AL", "customer", on="2026-02-17")  # added on the day: greeted
    add(crm, "百度", "BD", "customer", on="2026-02-18")
    assert greet_rows(crm, "2026-02-17") == [("AL", "春节", None, False)]
    assert greet_rows(crm, "2026-02-18") == [
        ("AL", "雨水", None, False),
        ("BD", "雨水", None, False),
    ]


def test_stage_change_to_junk_stops_greetings(crm):
    add(crm, "阿里", "AL", "customer")
    crm.ok("stage", "set", "AL", "junk", "--reason", "fake company", "--as-of", "2026-02-10")
    assert greet_rows(crm, "2026-02-17") == []
    # Before the change it was a customer, and owed the greetings of its days.
    assert greet_rows(crm, "2026-02-04") == [("AL", "立春", None, False)]


def test_customer_birthdays_solar_and_lunar(crm):
    add(crm, "阿里", "AL", "customer", "--birthday", "1985-03-08")
    add(crm, "百度", "BD", "loyal", "--birthday", "1979-08-15", "--lunar")
    add(crm, "国美", "GM", "lead", "--birthday", "03-08")  # not greeted: a lead
    assert greet_rows(crm, "2026-03-08") == [("AL", "生日", None, False)]
    # 农历八月十五 is 中秋: 2026-09-25.
    assert greet_rows(crm, "2026-09-25") == [
        ("AL", "中秋", None, False),
        ("BD", "中秋", None, False),
        ("BD", "生日", None, False),
    ]
    assert greet_rows(crm, "2027-09-15") == [
        ("AL", "中秋", None, False),
        ("BD", "中秋", None, False),
        ("BD", "生日", None, False),
    ]
    assert greet_rows(crm, "2026-08-15") == []  # the lunar date is not a solar birthday
    [row] = [r for r in crm.json("greet", "list", "--date", "2026-03-08")]
    assert (row["detail"], row["occasion_kind"]) == ("阿里 生日", "birthday")


def test_contact_birthdays_solar_and_lunar(crm):
    add(crm, "华为", "HW", "customer")
    crm.ok("contact", "add", "HW", "赵强", "--birthday", "1979-08-15", "--lunar")
    crm.ok("contact", "add", "HW", "王芳", "--title", "采购经理", "--birthday", "1992-02-29")
    assert greet_rows(crm, "2026-09-25") == [
        ("HW", "中秋", None, False),
        ("HW", "生日", "赵强", False),
    ]
    rows = crm.json("greet", "list", "--date", "2027-02-28")
    assert [(r["contact_name"], r["detail"], r["contact_id"]) for r in rows] == [
        ("王芳", "王芳 (采购经理) 生日", 2)
    ]
    assert greet_rows(crm, "2028-02-28") == []
    assert greet_rows(crm, "2028-02-29") == [("HW", "生日", "王芳", False)]


def test_leap_month_birthday_via_the_cli(crm):
    add(
        crm,
        "阿里",
        "AL",
        "customer",
        "--birthday",
        "1987-06-10",
        "--lunar",
        "--leap",
        on="2025-01-01",
    )
    assert greet_rows(crm, "2025-08-03") == [("AL", "生日", None, False)]  # 2025 闰六月初十
    assert greet_rows(crm, "2025-07-04") == []  # 2025 六月初十: the regular month
    # 2026 has no leap month: 六月初十 = 2026-07-23, which is also 大暑.
    assert greet_rows(crm, "2026-07-23") == [
        ("AL", "大暑", None, False),
        ("AL", "生日", None, False),
    ]


def test_la_yue_30th_birthday_in_a_29_day_month(crm):
    add(crm, "阿里", "AL", "customer", "--birthday", "12-30", "--lunar", on="2025-01-01")
    assert greet_rows(crm, "2026-02-16") == [("AL", "生日", None, False)]
    crm.ok(
        "greet",
        "done",
        "AL",
        "--occasion",
        "生日",
        "--date",
        "2026-02-16",
        "--at",
        "2026-02-16 20:00",
    )
    assert greet_rows(crm, "2026-02-16", "--all") == [("AL", "生日", None, True)]


def test_done_then_list_all_shows_sent(crm):
    add(crm, "阿里", "AL", "customer")
    add(crm, "百度", "BD", "customer")
    result = crm.ok(
        "greet",
        "done",
        "阿里",
        "--occasion",
        "春节",
        "--channel",
        "微信",
        "--date",
        "2026-02-17",
        "--at",
        "2026-02-17 08:30",
    )
    assert result.stderr.strip() == "greeting 春节 2026-02-17 to 阿里 marked sent"
    assert greet_rows(crm, "2026-02-17") == [("BD", "春节", None, False)]
    assert greet_rows(crm, "2026-02-17", "--all") == [
        ("AL", "春节", None, True),
        ("BD", "春节", None, False),
    ]
    table = crm.ok("greet", "list", "--date", "2026-02-17", "--all").stdout.splitlines()
    assert table[1].split()[-1] == "yes" and table[2].split()[-1] == "no"


def test_done_defaults_to_the_as_of_day(crm):
    add(crm, "阿里", "AL", "customer")
    crm.ok("greet", "done", "AL", "--occasion", "mid-autumn", "--as-of", "2026-09-25")
    assert greet_rows(crm, "2026-09-25", "--all") == [("AL", "中秋", None, True)]


def test_sent_up_to_the_end_of_the_day_counts(crm):
    add(crm, "阿里", "AL", "customer")
    add(crm, "百度", "BD", "customer")
    crm.ok(
        "greet",
        "done",
        "AL",
        "--occasion",
        "春节",
        "--date",
        "2026-02-17",
        "--at",
        "2026-02-17 23:59",
    )
    result = crm.ok(
        "greet",
        "done",
        "BD",
        "--occasion",
        "春节",
        "--date",
        "2026-02-17",
        "--at",
        "2026-02-18 00:00",
    )
    assert "late" in result.stderr
    assert greet_rows(crm, "2026-02-17", "--all") == [
        ("AL", "春节", None, True),
        ("BD", "春节", None, False),
    ]
    assert missed_rows(
        crm, "--from", "2026-02-17", "--to", "2026-02-17", "--as-of", "2026-02-20"
    ) == [("2026-02-17", "BD", "春节", None)]


def test_done_twice_is_refused(crm):
    add(crm, "阿里", "AL", "customer")
    args = ("greet", "done", "AL", "--occasion", "春节", "--date", "2026-02-17")
    crm.ok(*args, "--at", "2026-02-17 09:00")
    err = crm.fails(2, *args, "--at", "2026-02-17 10:00")
    assert "already marked sent (2026-02-17 09:00)" in err
    assert len(err.strip().splitlines()) == 1


def test_wrong_date_for_the_occasion_is_refused_and_nothing_written(crm):
    add(crm, "阿里", "AL", "customer")
    err = crm.fails(
        2, "greet", "done", "AL", "--occasion", "中秋", "--date", "2026-09-24", "--at", "2026-09-24"
    )
    assert "2026-09-25" in err and len(err.strip().splitlines()) == 1
    err = crm.fails(
        2, "greet", "done", "AL", "--occasion", "立春", "--date", "2026-02-05", "--at", "2026-02-05"
    )
    assert "2026-02-04" in err
    assert greet_rows(crm, "2026-09-25", "--all") == [("AL", "中秋", None, False)]
    # The refused attempts left nothing behind: marking the right day works once.
    crm.ok(
        "greet", "done", "AL", "--occasion", "中秋", "--date", "2026-09-25", "--at", "2026-09-25"
    )
    assert greet_rows(crm, "2026-09-25", "--all") == [("AL", "中秋", None, True)]


def test_a_greeting_is_not_marked_sent_before_its_day(crm):
    add(crm, "阿里", "AL", "customer")
    err = crm.fails(
        2,
        "greet",
        "done",
        "AL",
        "--occasion",
        "春节",
        "--date",
        "2027-02-06",
        "--as-of",
        "2026-11-23",
    )
    assert err == (
        "crm: the 春节 greeting of 2027-02-06 cannot be marked sent on 2026-11-23, before its day\n"
    )
    assert greet_rows(crm, "2027-02-06", "--all") == [("AL", "春节", None, False)]


def test_everyday_names_of_holidays_are_understood(crm):
    add(crm, "阿里", "AL", "customer")
    for name, day in (("中秋节", "2026-09-25"), ("国庆节", "2026-10-01"), ("端午节", "2026-06-19")):
        crm.ok("greet", "done", "AL", "--occasion", name, "--date", day, "--at", f"{day} 08:00")
    assert [r["occasion"] for r in crm.json("greet", "list", "--date", "2026-10-01", "--all")] == [
        "国庆"
    ]


def test_a_greeting_no_policy_asks_for_is_recorded_and_said_so(crm):
    add(crm, "路人", "LR", "lead")
    result = crm(
        "greet",
        "done",
        "LR",
        "--occasion",
        "冬至",
        "--date",
        "2026-12-22",
        "--at",
        "2026-12-22 09:00",
        "--as-of",
        "2026-12-22",
    )
    assert result.exit_code == 0
    assert result.stderr == (
        "greeting 冬至 2026-12-22 to 路人 marked sent "
        "(no greeting is owed to a customer in stage lead)\n"
    )


def test_unknown_occasion_and_unknown_customer(crm):
    add(crm, "阿里", "AL", "customer")
    err = crm.fails(2, "greet", "done", "AL", "--occasion", "圣诞", "--date", "2026-12-25")
    assert "unknown occasion" in err and len(err.strip().splitlines()) == 1
    crm.fails(3, "greet", "done", "不存在", "--occasion", "春节", "--date", "2026-02-17")
    assert greet_rows(crm, "2026-02-17", "--all") == [("AL", "春节", None, False)]


def test_birthday_done_for_a_contact(crm):
    add(crm, "华为", "HW", "customer", "--birthday", "09-25")
    crm.ok("contact", "add", "HW", "赵强", "--birthday", "1979-08-15", "--lunar")
    crm.ok("contact", "add", "HW", "王芳", "--birthday", "1990-09-25")
    assert greet_rows(crm, "2026-09-25") == [
        ("HW", "中秋", None, False),
        ("HW", "生日", None, False),
        ("HW", "生日", "赵强", False),
        ("HW", "生日", "王芳", False),
    ]
    crm.ok(
        "greet",
        "done",
        "HW",
        "--occasion",
        "birthday",
        "--contact",
        "赵强",
        "--channel",
        "phone",
        "--date",
        "2026-09-25",
        "--at",
        "2026-09-25 10:00",
    )
    assert greet_rows(crm, "2026-09-25", "--all") == [
        ("HW", "中秋", None, False),
        ("HW", "生日", None, False),
        ("HW", "生日", "赵强", True),
        ("HW", "生日", "王芳", False),
    ]
    # Not the contact's birthday; an unknown contact.
    err = crm.fails(
        2, "greet", "done", "HW", "--occasion", "生日", "--contact", "赵强", "--date", "2026-09-24"
    )
    assert "2026-09-24 is not 赵强's birthday" in err
    crm.fails(
        3, "greet", "done", "HW", "--occasion", "生日", "--contact", "李四", "--date", "2026-09-25"
    )
    # Without --contact on a day that is only contacts' birthdays: the refusal names them.
    add(crm, "腾讯", "TX", "customer")
    crm.ok("contact", "add", "TX", "马明", "--birthday", "1980-09-25")
    err = crm.fails(2, "greet", "done", "TX", "--occasion", "生日", "--date", "2026-09-25")
    assert err == (
        "crm: 腾讯 has no birthday on record; 2026-09-25 is the birthday of 马明: pass --contact\n"
    )
    # A holiday greeting sent to a contact pays the customer's duty of that day.
    crm.ok(
        "greet",
        "done",
        "HW",
        "--occasion",
        "中秋节",
        "--contact",
        "王芳",
        "--date",
        "2026-09-25",
        "--at",
        "2026-09-25 09:00",
    )
    assert greet_rows(crm, "2026-09-25", "--all")[0] == ("HW", "中秋", None, True)


def test_wrong_day_for_a_la_yue_birthday_names_its_day_in_that_year(crm):
    # 腊月三十 in Gregorian 2026 falls on 2026-02-16 (lunar 2025 has a 29-day 腊月);
    # the refusal must point there, not to lunar 2026's 腊月 in February 2027.
    add(crm, "阿里", "AL", "customer", "--birthday", "12-30", "--lunar", on="2025-01-01")
    err = crm.fails(
        2, "greet", "done", "AL", "--occasion", "生日", "--date", "2026-02-15", "--at", "2026-02-15"
    )
    assert "2026-02-15 is not 阿里's birthday" in err
    assert "2026-02-16" in err, err


def test_birthday_done_without_a_birthday_on_record(crm):
    add(crm, "阿里", "AL", "customer")
    err = crm.fails(2, "greet", "done", "AL", "--occasion", "生日", "--date", "2026-03-08")
    assert "no birthday" in err


def stage_march(crm):
    """Customers for March 2026 (惊蛰 03-05, 春分 03-20); misses judged on 2026-04-01."""
    add(crm, "阿里", "AL", "customer")
    add(crm, "大疆", "DJ", "qualified")
    crm.ok("contact", "add", "DJ", "赵强", "--birthday", "03-12")
    add(crm, "华为", "HW", "lead", "--channel", "walk-in", owner="wang")
    add(crm, "方正", "FZ", "qualified", owner="wang", on="2026-03-10")
    add(crm, "国美", "GM", "lead", owner="zhao")  # no duties at all
    add(crm, "金蝶", "JD", "junk", "--channel", "walk-in", owner="zhao")
    crm.ok(
        "greet",
        "done",
        "AL",
        "--occasion",
        "惊蛰",
        "--date",
        "2026-03-05",
        "--at",
        "2026-03-05 09:00",
    )
    crm.ok(
        "greet",
        "done",
        "AL",
        "--occasion",
        "春分",
        "--date",
        "2026-03-20",
        "--at",
        "2026-03-21 09:00",
    )
    crm.ok(
        "log", "HW", "--channel", "phone", "--summary", "monthly call", "--at", "2026-03-15 10:00"
    )
    crm.ok(
        "log", "DJ", "--channel", "wechat", "--summary", "not a call", "--at", "2026-03-16 10:00"
    )


def test_missed_greetings_exact_rows(crm):
    stage_march(crm)
    window = ("--from", "2026-03-01", "--to", "2026-03-31", "--as-of", "2026-04-01")
    assert missed_rows(crm, *window) == [
        ("2026-03-05", "DJ", "惊蛰", None),
        ("2026-03-05", "HW", "惊蛰", None),
        ("2026-03-12", "DJ", "生日", "赵强"),
        ("2026-03-20", "AL", "春分", None),  # marked the next day: still missed
        ("2026-03-20", "DJ", "春分", None),
        ("2026-03-20", "FZ", "春分", None),
        ("2026-03-20", "HW", "春分", None),
    ]
    assert missed_rows(crm, *window, "--owner", "wang") == [
        ("2026-03-05", "HW", "惊蛰", None),
        ("2026-03-20", "FZ", "春分", None),
        ("2026-03-20", "HW", "春分", None),
    ]
    rows = crm.json("greet", "missed", *window)
    assert {r["kind"] for r in rows} == {"greeting"} and {r["fine"] for r in rows} == {10}
    # Default window: the 30 days before --as-of.
    assert missed_rows(crm, "--as-of", "2026-04-01") == missed_rows(crm, *window)


def test_missed_fines_per_owner(crm, monkeypatch):
    stage_march(crm)
    window = ("--from", "2026-03-01", "--to", "2026-03-31", "--as-of", "2026-04-01", "--fines")
    report = crm.json("greet", "missed", *window)
    assert report["fines"] == {"greeting": 10, "monthly_call": 10, "campaign": 10}
    # li: greetings DJ×3 + AL×1, DJ's March call (a WeChat is no call); wang: HW×2, FZ×1
    # (FZ was added after 1 March: no monthly call owed), HW called on 03-15.
    assert report["owners"] == [
        {"owner": "li", "greetings": 4, "monthly_calls": 1, "campaigns": 0, "fine": 50},
        {"owner": "wang", "greetings": 3, "monthly_calls": 0, "campaigns": 0, "fine": 30},
    ]
    [call] = [m for m in report["misses"] if m["kind"] == "monthly_call"]
    assert (call["code"], call["occasion"], call["day"], call["fine"]) == (
        "DJ",
        "2026-03",
        "2026-03-31",
        10,
    )
    table = crm.ok("greet", "missed", *window)
    assert "8 misses, ¥80.00 in fines" in table.stderr
    # Every miss, of every kind, then each owner's fines.
    misses, totals = table.stdout.split("\n\n")
    lines = misses.splitlines()
    assert lines[0].split() == ["Due", "Duty", "Customer", "What", "Owner", "Fine"]
    assert len(lines) == 9
    assert [(w[0], w[1], w[2]) for w in map(str.split, lines[1:])].count(
        ("2026-03-31", "monthly_call", "DJ")
    ) == 1
    assert [line.split() for line in totals.splitlines()[1:]] == [
        ["li", "4", "1", "0", "50"],
        ["wang", "3", "0", "0", "30"],
    ]
    monkeypatch.setenv("CRM_LANG", "zh")
    lines_zh = crm.ok("greet", "missed", *window).stdout.split("\n\n")[0].splitlines()
    monkeypatch.delenv("CRM_LANG")
    assert lines_zh[0].split() == ["到期日", "职责", "客户", "事项", "负责人", "罚款"]
    assert [line.split() for line in lines_zh if " DJ " in line and "2026-03-31" in line] == [
        ["2026-03-31", "每月电话", "DJ", "大疆", "2026-03", "未电话联系", "li", "10"]
    ]
    csv_totals = crm.ok("greet", "missed", *window, "--format", "csv").stdout
    assert csv_totals.splitlines() == [
        "owner,greetings,monthly_calls,campaigns,fine",
        "li,4,1,0,50",
        "wang,3,0,0,30",
    ]

    crm.ok("config", "set", "fines.greeting", "0")
    report = crm.json("greet", "missed", *window)
    assert report["fines"]["greeting"] == 0
    assert report["owners"] == [
        {"owner": "li", "greetings": 4, "monthly_calls": 1, "campaigns": 0, "fine": 10},
        {"owner": "wang", "greetings": 3, "monthly_calls": 0, "campaigns": 0, "fine": 0},
    ]
    assert crm.json("greet", "missed", *window, "--owner", "wang")["owners"] == [
        {"owner": "wang", "greetings": 3, "monthly_calls": 0, "campaigns": 0, "fine": 0},
    ]


def test_missed_window_must_be_in_the_past(crm):
    add(crm, "阿里", "AL", "customer")
    crm.fails(
        2, "greet", "missed", "--from", "2026-03-01", "--to", "2026-04-01", "--as-of", "2026-04-01"
    )
    crm.fails(
        2, "greet", "missed", "--from", "2026-03-10", "--to", "2026-03-01", "--as-of", "2026-04-01"
    )


def test_past_misses_follow_the_stage_and_owner_of_their_day(crm):
    # A lead owes no greetings: months as a lead are not charged when it becomes qualified.
    add(crm, "迟来意向", "CL", "lead", owner="zhao", on="2026-06-01")
    crm.ok("stage", "set", "CL", "qualified", "--reason", "interest", "--as-of", "2026-11-02")
    summer = ("--from", "2026-06-01", "--to", "2026-10-31", "--as-of", "2026-11-21", "--fines")
    assert crm.json("greet", "missed", *summer)["owners"] == []
    # 立冬 (11-07) was missed while zhao owned it; qian took it over on 11-10.
    crm.ok("customer", "edit", "CL", "--owner", "qian", "--as-of", "2026-11-10")
    november = ("--from", "2026-11-02", "--to", "2026-11-20", "--as-of", "2026-11-21")
    assert [
        (r["day"], r["occasion"], r["owner"]) for r in crm.json("greet", "missed", *november)
    ] == [("2026-11-07", "立冬", "zhao")]
    assert missed_rows(crm, *november, "--owner", "qian") == []
    assert [
        (r["occasion"], r["owner"]) for r in crm.json("greet", "list", "--date", "2026-11-22")
    ] == [("小雪", "qian")]
    # Turning junk later does not wipe out what was missed before.
    crm.ok("stage", "set", "CL", "junk", "--reason", "fake", "--as-of", "2026-11-15")
    assert missed_rows(crm, *november) == [("2026-11-07", "CL", "立冬", None)]
    assert crm.json("greet", "list", "--date", "2026-11-22") == []
