"""crm survey add|list|due (SPEC §2 Surveys; seed 003 五, 第九条: at least once a year)."""

from __future__ import annotations

SCORES = ("--quality", "5", "--price", "3", "--delivery", "4", "--service", "5")


def add(crm, name, code, stage, on="2025-06-01", owner="li"):
    crm.add_customer(name, code, stage, owner=owner, on=on)


def survey(crm, ref, on, *extra):
    return crm.ok("survey", "add", ref, "--method", "phone", *SCORES, "--on", on, *extra)


def test_a_survey_is_recorded_with_its_scores_and_the_mean_as_overall(crm):
    add(crm, "华为技术", "HW", "customer")
    crm.ok("contact", "add", "HW", "王芳")
    out = survey(crm, "huawei", "2026-11-20", "--contact", "王芳", "--comment", "交货慢")
    assert out.stderr == "survey #1 of HW 华为技术 on 2026-11-20 (phone): overall 4.25\n"
    (row,) = crm.json("survey", "list", "--as-of", "2026-11-30")
    assert row == {
        "id": 1,
        "customer_id": 1,
        "code": "HW",
        "name": "华为技术",
        "on": "2026-11-20",
        "method": "phone",
        "quality": 5,
        "price": 3,
        "delivery": 4,
        "service": 5,
        "overall": 4.25,
        "overall_given": False,
        "contact": "王芳",
        "comment": "交货慢",
        "by": "tester",
    }
    history = crm.json("customer", "history", "HW")
    assert [(h["field"], h["new"]) for h in history if h["field"] == "survey"] == [
        ("survey", "#1 phone on 2026-11-20")
    ]


def test_overall_given_is_kept_and_chinese_method_labels_are_read(crm):
    add(crm, "华为技术", "HW", "customer")
    crm.ok(
        "survey", "add", "HW", "--method", "问卷", *SCORES, "--overall", "3", "--on", "2026-01-05"
    )
    (row,) = crm.json("survey", "list")
    assert (row["method"], row["overall"], row["overall_given"]) == ("questionnaire", 3.0, True)


def test_list_filters_by_customer_and_days_newest_first(crm):
    add(crm, "华为技术", "HW", "customer")
    add(crm, "阿里巴巴", "AL", "customer")
    survey(crm, "HW", "2026-01-10")
    survey(crm, "AL", "2026-03-10")
    survey(crm, "HW", "2026-05-10")
    assert [(r["code"], r["on"]) for r in crm.json("survey", "list")] == [
        ("HW", "2026-05-10"),
        ("AL", "2026-03-10"),
        ("HW", "2026-01-10"),
    ]
    assert [r["on"] for r in crm.json("survey", "list", "HW")] == ["2026-05-10", "2026-01-10"]
    rows = crm.json("survey", "list", "--from", "2026-02-01", "--to", "2026-04-30")
    assert [r["code"] for r in rows] == ["AL"]


def test_survey_due_at_the_twelve_month_boundary(crm):
    add(crm, "华为技术", "HW", "customer")
    survey(crm, "HW", "2025-11-30")
    # Exactly twelve months later the survey is still in time; the day after it is due.
    assert crm.json("survey", "due", "--as-of", "2026-11-30") == []
    (row,) = crm.json("survey", "due", "--as-of", "2026-12-01")
    assert row == {
        "customer_id": 1,
        "code": "HW",
        "name": "华为技术",
        "owner": "li",
        "stage": "customer",
        "last_survey_on": "2025-11-30",
        "due_on": "2026-11-30",
        "days_overdue": 1,
    }


def test_survey_due_covers_the_configured_stages_most_overdue_first(crm):
    add(crm, "华为技术", "HW", "customer", on="2024-01-01")  # never surveyed, added long ago
    add(crm, "阿里巴巴", "AL", "loyal", on="2025-01-01")
    add(crm, "平安保险", "PA", "qualified", on="2024-01-01")  # a prospect: not surveyed
    add(crm, "新客户", "NEW", "customer", on="2026-10-01")  # a customer of two months
    survey(crm, "AL", "2025-06-01")
    rows = crm.json("survey", "due", "--as-of", "2026-11-30")
    assert [(r["code"], r["last_survey_on"], r["days_overdue"]) for r in rows] == [
        ("HW", None, 698),
        ("AL", "2025-06-01", 182),
    ]
    crm.ok("config", "set", "surveys.stages", "customer,qualified")
    rows = crm.json("survey", "due", "--as-of", "2026-11-30")
    assert [r["code"] for r in rows] == ["HW", "PA"]
    crm.ok("config", "set", "surveys.interval_months", "6")
    rows = crm.json("survey", "due", "--as-of", "2026-11-30")
    # at six months: the long-standing ones, not the customer of two months
    assert [r["code"] for r in rows] == ["HW", "PA"]


def test_survey_due_by_owner_and_in_the_digest(crm):
    add(crm, "华为技术", "HW", "customer", owner="li")
    add(crm, "阿里巴巴", "AL", "customer", owner="wang")
    assert [
        r["code"] for r in crm.json("survey", "due", "--owner", "wang", "--as-of", "2026-11-30")
    ] == ["AL"]
    digest = crm.json("remind", "--as-of", "2026-11-30")
    assert [(i["code"], i["duty"], i["detail"], i["days_late"]) for i in digest["surveys"]] == [
        ("AL", "survey due", "never surveyed", 182),
        ("HW", "survey due", "never surveyed", 182),
    ]


def test_bad_scores_methods_and_days_are_refused_and_nothing_is_written(crm):
    add(crm, "华为技术", "HW", "customer")
    base = ("survey", "add", "HW", "--method", "phone", "--price", "3", "--delivery", "4")
    for value, reason in (
        ("6", "'6'"),
        ("0", "'0'"),
        ("4.5", "'4.5'"),
        ("five", "'five'"),
    ):
        err = crm.fails(2, *base, "--service", "5", "--quality", value)
        assert err == f"crm: --quality must be a whole number from 1 to 5, not {reason}\n"
    err = crm.fails(2, "survey", "add", "HW", "--method", "fax", *SCORES)
    assert err.startswith("crm: unknown survey method 'fax'; expected one of: questionnaire (问卷)")
    err = crm.fails(
        2, *base, "--quality", "5", "--service", "5", "--on", "2026-12-02", "--as-of", "2026-12-01"
    )
    assert err == "crm: survey day 2026-12-02 is in the future\n"
    assert crm.fails(3, "survey", "add", "nobody", "--method", "phone", *SCORES).startswith(
        "crm: no customer"
    )
    assert crm.json("survey", "list") == []
