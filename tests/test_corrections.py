"""Corrections: log list|edit|delete, sale edit|void, contact delete, plan edit,
greet undo, customer merge, duplicates refused by customer add; each in history."""

from __future__ import annotations

import pytest

DAY = "2026-11-22"


@pytest.fixture
def hw(crm):
    crm.ok("customer", "add", "华为技术", "--code", "HW", "--tier", "key", "--as-of", "2026-11-01")
    return "HW"


def history(crm, code):
    return [
        (h["field"], h["old"], h["new"], h["command"], h["reason"])
        for h in crm.json("customer", "history", code)
    ]


def next_due(crm, code):
    return crm.json("customer", "show", code, "--as-of", DAY)["customer"]["next_due_at"]


def test_log_list_filters_and_edit_keeps_the_old_values(crm, hw):
    crm.ok("customer", "add", "阿里", "--code", "AL", "--owner", "li", "--as-of", "2026-11-01")
    crm.ok("log", "HW", "-c", "phone", "-m", "谈价格", "--at", "2026-11-10 09:30", "--as-of", DAY)
    crm.ok("log", "AL", "-c", "visit", "-m", "拜访", "--at", "2026-11-12 10:00", "--as-of", DAY)
    rows = crm.json("log", "list", "--as-of", DAY)
    assert [(r["id"], r["customer_code"], r["summary"]) for r in rows] == [
        (2, "AL", "拜访"),
        (1, "HW", "谈价格"),
    ]
    assert [r["id"] for r in crm.json("log", "list", "HW")] == [1]
    assert [r["id"] for r in crm.json("log", "list", "--owner", "li")] == [2]
    assert [r["id"] for r in crm.json("log", "list", "--channel", "电话")] == [1]
    assert [r["id"] for r in crm.json("log", "list", "--search", "价格")] == [1]
    window = ("--from", "2026-11-11", "--to", "2026-11-12", "--as-of", DAY)
    assert [r["id"] for r in crm.json("log", "list", *window)] == [2]

    out = crm.ok("log", "edit", "1", "--at", "2026-11-15 14:00", "-m", "谈价", "--reason", "typo")
    assert out.stderr == (
        "follow-up #1 at: 2026-11-10 09:30:00 → 2026-11-15 14:00:00\n"
        "follow-up #1 summary: 谈价格 → 谈价\n"
    )
    assert history(crm, "HW")[:2] == [
        ("followup.1.summary", "谈价格", "谈价", "log edit", "typo"),
        ("followup.1.at", "2026-11-10 09:30:00", "2026-11-15 14:00:00", "log edit", "typo"),
    ]
    # The last contact moved with it: key customers are due 30 days after it.
    assert next_due(crm, "HW") == "2026-12-15"


def test_log_delete_recomputes_the_due_day_and_keeps_it_in_history(crm, hw):
    crm.ok("log", "HW", "-c", "phone", "-m", "谈价格", "--at", "2026-11-10 09:30", "--as-of", DAY)
    assert next_due(crm, "HW") == "2026-12-10"
    assert crm.ok("log", "delete", "1", "--reason", "wrong customer").stderr == (
        "deleted follow-up #1 (2026-11-10 09:30 phone: 谈价格)\n"
    )
    assert crm.json("log", "list") == []
    assert next_due(crm, "HW") == "2026-12-01"  # 30 days after it was added again
    assert history(crm, "HW")[0] == (
        "followup.1",
        "2026-11-10 09:30 phone: 谈价格",
        "deleted",
        "log delete",
        "wrong customer",
    )
    assert crm.fails(3, "log", "delete", "1") == "crm: no follow-up #1\n"
    assert (
        crm.fails(2, "log", "edit", "x1", "-m", "a")
        == "crm: follow-up id must be a number, not 'x1'\n"
    )


def test_a_customer_named_like_a_subcommand_is_logged_with_log_add(crm):
    crm.ok("customer", "add", "list", "--code", "LS", "--as-of", "2026-11-01")
    crm.ok("log", "add", "list", "-c", "phone", "-m", "hi", "--at", "2026-11-02", "--as-of", DAY)
    assert [r["customer_code"] for r in crm.json("log", "list", "LS")] == ["LS"]


def test_sale_edit_and_void_leave_the_abc_figures(crm, hw):
    crm.ok("sale", "add", "HW", "1000", "--on", "2026-11-03", "--as-of", DAY)
    crm.ok("sale", "add", "HW", "50", "--refund", "--on", "2026-11-04", "--as-of", DAY)
    out = crm.ok("sale", "edit", "1", "--amount", "1,200", "--product", "服务器", "--as-of", DAY)
    assert out.stderr == "sale #1 amount: ¥1,000.00 → ¥1,200.00\nsale #1 product: — → 服务器\n"
    # A refund stays a refund when corrected.
    crm.ok("sale", "edit", "2", "--amount", "60", "--as-of", DAY)
    assert [s["amount"] for s in crm.json("sale", "list")] == ["1200.00", "-60.00"]
    assert crm.fails(2, "sale", "void", "1", "--reason", " ") == (
        "crm: --reason must say why the sale is voided\n"
    )
    crm.ok("sale", "void", "1", "--reason", "entered twice")
    assert [s["id"] for s in crm.json("sale", "list")] == [2]
    assert history(crm, "HW")[0] == (
        "sale.1",
        "¥1,200.00 on 2026-11-03 (服务器)",
        "voided",
        "sale void",
        "entered twice",
    )
    # History keeps an amount as it is shown, not in the unit it is stored in.
    assert ("sale.2.amount", "-¥50.00", "-¥60.00", "sale edit", None) in history(crm, "HW")
    abc = crm.json("report", "abc", "--as-of", DAY)
    assert "1200" not in str(abc) and "1,200" not in str(abc)


def test_contact_delete_keeps_its_followups_without_it(crm, hw):
    crm.ok("contact", "add", "HW", "王芳", "--phone", "13812345678")
    crm.ok(
        "log",
        "HW",
        "-c",
        "phone",
        "-m",
        "a",
        "--contact",
        "王芳",
        "--at",
        "2026-11-05",
        "--as-of",
        DAY,
    )
    crm.ok("contact", "delete", "HW", "王芳", "--reason", "left the company")
    assert crm.json("contact", "list", "HW") == []
    assert [r["contact_id"] for r in crm.json("log", "list", "HW")] == [None]
    assert history(crm, "HW")[0] == (
        "contact.1",
        "王芳",
        "deleted",
        "contact delete",
        "left the company",
    )


def test_plan_edit_reschedules_and_due_days_follow(crm, hw):
    crm.ok("plan", "add", "HW", "--due", "2026-11-20", "--content", "报价", "--as-of", "2026-11-10")
    assert next_due(crm, "HW") == "2026-11-20"
    out = crm.ok("plan", "edit", "1", "--due", "2026-11-25 10:00", "--owner", "li", "--as-of", DAY)
    assert out.stderr == (
        "plan #1 due_on: 2026-11-20 → 2026-11-25\n"
        "plan #1 due_time: — → 10:00\n"
        "plan #1 owner: tester → li\n"
    )
    assert next_due(crm, "HW") == "2026-11-25"
    assert ("plan.1.due_on", "2026-11-20", "2026-11-25", "plan edit", None) in history(crm, "HW")
    crm.ok("plan", "cancel", "1")
    assert crm.fails(2, "plan", "edit", "1", "--content", "x") == (
        "crm: plan #1 is already cancelled; only open plans change\n"
    )


def test_greet_undo_makes_the_greeting_owed_again(crm):
    crm.ok(
        "customer", "add", "阿里", "--code", "AL", "--stage", "customer", "--as-of", "2026-01-01"
    )
    day = ("--date", "2026-10-01")
    crm.ok(
        "greet",
        "done",
        "AL",
        "--occasion",
        "国庆",
        *day,
        "--at",
        "2026-10-01 09:00",
        "--as-of",
        "2026-10-01",
    )
    rows = crm.json("greet", "list", "--as-of", "2026-10-01", "--all")
    assert [(r["code"], r["done"]) for r in rows] == [("AL", True)]
    crm.ok("greet", "undo", "AL", "--occasion", "国庆", *day, "--reason", "wrong customer")
    rows = crm.json("greet", "list", "--as-of", "2026-10-01", "--all")
    assert [(r["code"], r["done"]) for r in rows] == [("AL", False)]
    assert history(crm, "AL")[0] == (
        "greeting",
        "国庆 2026-10-01 to 阿里 sent 2026-10-01 09:00",
        "undone",
        "greet undo",
        "wrong customer",
    )
    assert crm.fails(3, "greet", "undo", "AL", "--occasion", "国庆", *day) == (
        "crm: no 国庆 greeting of 2026-10-01 to 阿里 was marked sent\n"
    )


def test_merge_moves_everything_and_fills_empty_fields(crm, db_sql):
    crm.ok("customer", "add", "华为技术", "--code", "HW", "--tier", "key", "--as-of", "2026-11-01")
    crm.ok(
        "customer", "add", "华为技术有限公司", "--code", "HW2", "--phone", "13812345678",
        "--contact", "张伟", "--as-of", "2026-10-01",
    )  # fmt: skip
    crm.ok("log", "HW2", "-c", "visit", "-m", "拜访", "--at", "2026-10-05", "--as-of", DAY)
    crm.ok("sale", "add", "HW2", "1000", "--on", "2026-10-06", "--as-of", DAY)
    crm.ok("plan", "add", "HW2", "--due", "2026-12-01", "--content", "回访", "--as-of", DAY)
    dry = crm.ok("customer", "merge", "HW", "HW2", "--dry-run")
    assert dry.stderr == (
        "dry run: merge HW2 华为技术有限公司 into HW 华为技术: move 1 contact, 1 followup, "
        "1 plan, 1 sale, 4 history; fill contact_name, phone, created_on; nothing written\n"
    )
    refused = crm.fails(2, "customer", "merge", "HW", "HW2")
    assert refused.endswith(": pass --yes to confirm (no terminal to ask on)\n")
    assert len(crm.json("customer", "list")) == 2  # nothing written
    crm.ok("customer", "merge", "HW", "HW2", "--yes")
    assert [c["code"] for c in crm.json("customer", "list")] == ["HW"]
    shown = crm.json("customer", "show", "HW", "--as-of", DAY)
    assert shown["customer"]["phone"] == "+8613812345678"
    assert shown["customer"]["created_on"] == "2026-10-01"
    assert [c["name"] for c in shown["contacts"]] == ["张伟"]
    assert [f["summary"] for f in shown["followups"]] == ["拜访"]
    assert [s["amount"] for s in crm.json("sale", "list", "HW")] == ["1000.00"]
    # key: 30 days after the visit of 2026-10-05; the plan of 2026-12-01 is later.
    assert shown["customer"]["next_due_at"] == "2026-11-04"
    fields = [h[0] for h in history(crm, "HW")]
    assert "merged" in fields and fields.count("customer") == 2
    assert db_sql("SELECT count(*) FROM customer WHERE code = 'HW2'") == [(0,)]


def test_merge_of_a_customer_with_itself_is_refused(crm, hw):
    assert crm.fails(2, "customer", "merge", "HW", "HW", "--yes") == (
        "crm: HW 华为技术 is the same customer twice; name two\n"
    )


def test_customer_add_refuses_a_duplicate_naming_it(crm, hw):
    crm.ok("customer", "add", "阿里", "--code", "AL", "--phone", "138 1234 5678")
    assert crm.fails(2, "customer", "add", " 华为技术 ") == (
        "crm: a customer with the same name exists: HW 华为技术; "
        "pass --allow-duplicate to add another anyway\n"
    )
    assert crm.fails(2, "customer", "add", "阿里巴巴", "--phone", "+86 13812345678") == (
        "crm: a customer with the same phone exists: AL 阿里; "
        "pass --allow-duplicate to add another anyway\n"
    )
    assert len(crm.json("customer", "list")) == 2  # nothing written
    crm.ok("customer", "add", "华为技术", "--allow-duplicate")
    assert len(crm.json("customer", "list")) == 3


def test_primary_contact_is_a_contact(crm):
    crm.ok(
        "customer", "add", "华为技术", "--code", "HW", "--contact", "张伟", "--as-of", "2026-11-01"
    )
    assert [(c["name"], c["customer_code"]) for c in crm.json("contact", "list")] == [
        ("张伟", "HW")
    ]
    crm.ok(
        "log",
        "HW",
        "-c",
        "phone",
        "-m",
        "a",
        "--contact",
        "张伟",
        "--at",
        "2026-11-02",
        "--as-of",
        DAY,
    )
    assert [r["contact_name"] for r in crm.json("log", "list")] == ["张伟"]


def test_import_undo_needs_yes_without_a_terminal(crm, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("name,code\nAcme,AC\n", encoding="utf-8")
    crm.ok("import", "customers", path)
    stderr = crm.fails(2, "import", "undo", "1")
    assert stderr.startswith("crm: Undo import #1") and stderr.endswith(
        "pass --yes to confirm (no terminal to ask on)\n"
    )
    assert [c["code"] for c in crm.json("customer", "list")] == ["AC"]
    crm.ok("import", "undo", "1", "--yes")
    assert crm.json("customer", "list") == []
