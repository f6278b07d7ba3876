"""crm campaign add|notify|list (SPEC §1 Campaign): who must be told, and misses with fines."""

from __future__ import annotations


def add(crm, name, code, stage, *extra, owner="li", on="2026-11-01"):
    crm.add_customer(name, code, stage, *extra, owner=owner, on=on)


def audience(crm, campaign, *extra):
    return [(r["code"], r["told"]) for r in crm.json("campaign", "list", campaign, *extra)]


def summary(crm):
    return [
        (r["name"], r["on"], r["stages"], r["audience"], r["told"], r["remaining"])
        for r in crm.json("campaign", "list")
    ]


def customers(crm):
    add(crm, "阿里", "AL", "customer")
    add(crm, "百度", "BD", "loyal", owner="wang")
    add(crm, "大疆", "DJ", "qualified")
    add(crm, "方正", "FZ", "target", owner="wang")
    add(crm, "国美", "GM", "lead")
    add(crm, "金蝶", "JD", "junk")
    add(crm, "华为", "HW", "customer", owner="wang")


def test_add_and_list(crm):
    customers(crm)
    result = crm.ok(
        "campaign", "add", "年终答谢会", "--on", "2026-12-20", "--stages", "customer,loyal"
    )
    assert "年终答谢会" in result.stderr and "2026-12-20" in result.stderr
    assert crm.json("campaign", "list") == [
        {
            "id": 1,
            "name": "年终答谢会",
            "on": "2026-12-20",
            "stages": ["customer", "loyal"],
            "audience": 3,
            "told": 0,
            "remaining": 3,
        }
    ]
    assert audience(crm, "年终答谢会") == [("AL", False), ("BD", False), ("HW", False)]
    assert audience(crm, "年终答谢会", "--owner", "wang") == [("BD", False), ("HW", False)]
    assert crm.json("campaign", "list", "年终答谢会")[0] == {
        "code": "AL",
        "name": "阿里",
        "owner": "li",
        "told": False,
        "customer_id": 1,
    }


def test_audience_follows_the_campaign_stages(crm):
    customers(crm)
    crm.ok("campaign", "add", "新品发布会", "--on", "2026-12-01", "--stages", "准客户,目标")
    # Junk and lost customers are never told: a campaign for them is refused.
    err = crm.fails(2, "campaign", "add", "客户日", "--on", "2026-12-05", "--stages", "lead,junk")
    assert err == (
        "crm: --stages junk: customers in that stage are owed no duty; "
        "name the stages to tell (customer, loyal, …)\n"
    )
    crm.ok("campaign", "add", "客户日", "--on", "2026-12-05", "--stages", "lead")
    assert audience(crm, "新品发布会") == [("DJ", False), ("FZ", False)]
    assert audience(crm, "客户日") == [("GM", False)]
    assert summary(crm) == [
        ("新品发布会", "2026-12-01", ["qualified", "target"], 2, 0, 2),
        ("客户日", "2026-12-05", ["lead"], 1, 0, 1),
    ]
    # Telling a customer outside the audience is recorded, and said to pay no duty.
    result = crm("campaign", "notify", "客户日", "DJ", "--at", "2026-11-30 10:00")
    assert result.exit_code == 0
    assert result.stderr.endswith(
        "told about 客户日 (not in its audience: customers of stages lead added before 2026-12-05)\n"
    )
    assert audience(crm, "客户日") == [("GM", False)]
    # A customer that becomes qualified joins; one that is lost leaves.
    crm.ok("stage", "set", "GM", "qualified", "--reason", "interest", "--as-of", "2026-11-25")
    crm.ok("stage", "set", "FZ", "lost", "--reason", "went elsewhere", "--as-of", "2026-11-25")
    assert audience(crm, "新品发布会") == [("DJ", False), ("GM", False)]
    # The audience of a campaign already held is the one it had then.
    crm.ok("campaign", "add", "秋季沙龙", "--on", "2026-11-20", "--stages", "qualified,target")
    assert audience(crm, "秋季沙龙") == [("DJ", False), ("FZ", False)]


def test_customers_added_on_or_after_the_day_are_not_in_the_audience(crm):
    add(crm, "阿里", "AL", "customer", on="2026-12-19")
    add(crm, "百度", "BD", "customer", on="2026-12-20")
    crm.ok("campaign", "add", "年终答谢会", "--on", "2026-12-20", "--stages", "customer")
    assert audience(crm, "年终答谢会") == [("AL", False)]


def test_duplicate_name_and_bad_input_are_refused_with_nothing_written(crm):
    crm.ok("campaign", "add", "年终答谢会", "--on", "2026-12-20")
    err = crm.fails(2, "campaign", "add", "年终答谢会", "--on", "2026-12-21")
    assert "already exists" in err and len(err.strip().splitlines()) == 1
    err = crm.fails(2, "campaign", "add", "春季沙龙", "--on", "2026-13-45")
    assert "2026-13-45" in err and len(err.strip().splitlines()) == 1
    crm.fails(2, "campaign", "add", "春季沙龙", "--on", "someday")
    crm.fails(2, "campaign", "add", "春季沙龙", "--on", "2027-03-01", "--stages", "vip")
    crm.fails(2, "campaign", "add", "  ", "--on", "2027-03-01")
    crm.fails(2, "campaign", "add", "春季沙龙", "--on", "2027-03-01", "--stages", "")
    # Default stages: customer and loyal (答谢会 invites every closed customer).
    assert summary(crm) == [("年终答谢会", "2026-12-20", ["customer", "loyal"], 0, 0, 0)]


def test_notify_once_then_refuse(crm):
    customers(crm)
    crm.ok("campaign", "add", "年终答谢会", "--on", "2026-12-20", "--stages", "customer,loyal")
    result = crm.ok(
        "campaign", "notify", "年终答谢会", "阿里", "--channel", "phone", "--at", "2026-12-01 10:00"
    )
    assert result.stderr.strip() == "AL 阿里 told about 年终答谢会"
    assert audience(crm, "年终答谢会") == [("BD", False), ("HW", False)]
    assert audience(crm, "年终答谢会", "--all") == [("AL", True), ("BD", False), ("HW", False)]
    assert summary(crm) == [("年终答谢会", "2026-12-20", ["customer", "loyal"], 3, 1, 2)]

    err = crm.fails(2, "campaign", "notify", "年终答谢会", "AL", "--at", "2026-12-02 10:00")
    assert "already told" in err and "2026-12-01 10:00" in err
    assert len(err.strip().splitlines()) == 1
    assert summary(crm) == [("年终答谢会", "2026-12-20", ["customer", "loyal"], 3, 1, 2)]

    # By id too.
    crm.ok("campaign", "notify", "1", "BD", "--at", "2026-12-03 10:00")
    assert summary(crm) == [("年终答谢会", "2026-12-20", ["customer", "loyal"], 3, 2, 1)]


def test_unknown_campaign_or_customer_is_exit_3(crm):
    customers(crm)
    crm.ok("campaign", "add", "年终答谢会", "--on", "2026-12-20")
    err = crm.fails(3, "campaign", "notify", "春季沙龙", "AL", "--at", "2026-12-01")
    assert "春季沙龙" in err
    crm.fails(3, "campaign", "notify", "年终答谢会", "不存在", "--at", "2026-12-01")
    crm.fails(3, "campaign", "list", "春季沙龙")
    assert summary(crm) == [("年终答谢会", "2026-12-20", ["customer", "loyal"], 3, 0, 3)]


def test_told_on_or_after_the_day_is_a_miss_with_a_fine(crm):
    customers(crm)
    crm.ok("campaign", "add", "年终答谢会", "--on", "2026-12-20", "--stages", "customer,loyal")
    told = ("--as-of", "2026-12-20")
    crm.ok("campaign", "notify", "年终答谢会", "AL", "--at", "2026-12-19 23:00", *told)  # in time
    late = crm.ok("campaign", "notify", "年终答谢会", "BD", "--at", "2026-12-20 09:00", *told)
    assert "still a miss" in late.stderr
    assert audience(crm, "年终答谢会", "--all") == [("AL", True), ("BD", False), ("HW", False)]
    assert summary(crm) == [("年终答谢会", "2026-12-20", ["customer", "loyal"], 3, 1, 2)]

    # 2026-12-20 has no holiday or solar term and no month ends in the window:
    # the only misses are the campaign's (BD told late, HW never; both wang's).
    window = ("--from", "2026-12-20", "--to", "2026-12-20", "--as-of", "2026-12-21", "--fines")
    report = crm.json("greet", "missed", *window)
    assert report["owners"] == [
        {"owner": "wang", "greetings": 0, "monthly_calls": 0, "campaigns": 2, "fine": 20}
    ]
    assert [
        (m["kind"], m["code"], m["occasion"], m["day"], m["fine"]) for m in report["misses"]
    ] == [
        ("campaign", "BD", "年终答谢会", "2026-12-20", 10),
        ("campaign", "HW", "年终答谢会", "2026-12-20", 10),
    ]
    # Before the campaign has been held there is nothing missed yet (大雪 is 12-07).
    early = ("--from", "2026-12-08", "--to", "2026-12-19", "--as-of", "2026-12-20", "--fines")
    assert crm.json("greet", "missed", *early)["owners"] == []
    crm.ok("config", "set", "fines.campaign", "0")
    assert crm.json("greet", "missed", *window)["owners"] == [
        {"owner": "wang", "greetings": 0, "monthly_calls": 0, "campaigns": 2, "fine": 0}
    ]
