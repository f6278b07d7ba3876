"""Exact overdue lists for hand-built cases at fixed --as-of dates (SPEC §2 Overdue)."""

from __future__ import annotations


def codes(crm, as_of, *extra):
    return [(r["code"], r["days_overdue"]) for r in crm.json("overdue", "--as-of", as_of, *extra)]


def add(crm, code, tier, *extra, on="2026-11-01", stage="customer"):
    crm.ok(
        "customer",
        "add",
        f"Customer {code}",
        "--code",
        code,
        "--tier",
        tier,
        "--stage",
        stage,
        "--as-of",
        on,
        *extra,
    )


def test_never_contacted_counts_from_creation_at_the_tier_boundary(crm):
    add(crm, "K1", "key")  # key: 30 days → due 2026-12-01
    assert codes(crm, "2026-12-01") == []
    assert codes(crm, "2026-12-02") == [("K1", 1)]
    [row] = crm.json("overdue", "--as-of", "2026-12-02")
    assert row["reasons"][0]["text"] == "never contacted (added 2026-11-01)"


def test_core_contact_every_14_days_and_a_visit_every_30(crm):
    add(crm, "CORE", "core")
    crm.ok("log", "CORE", "--channel", "phone", "--summary", "call", "--at", "2026-11-10 09:00")
    assert codes(crm, "2026-11-24") == []  # phone on 11-10 → contact due 11-24
    assert codes(crm, "2026-11-25") == [("CORE", 1)]
    crm.ok("log", "CORE", "--channel", "phone", "--summary", "call", "--at", "2026-11-24 09:00")
    # Phone calls keep the 14-day rule, but no visit since creation: visit due 12-01.
    assert codes(crm, "2026-12-01") == []
    [row] = crm.json("overdue", "--as-of", "2026-12-03")
    assert (row["due_on"], row["days_overdue"]) == ("2026-12-01", 2)
    assert [r["rule"] for r in row["reasons"]] == ["visit"]
    crm.ok("log", "CORE", "--channel", "上门拜访", "--summary", "visit", "--at", "2026-12-02")
    assert codes(crm, "2026-12-03") == []


def test_potential_tier_counts_only_phone_calls(crm):
    add(crm, "P1", "potential", stage="qualified")
    crm.ok("log", "P1", "--channel", "wechat", "--summary", "hello", "--at", "2026-11-20")
    # WeChat is not a phone call: still due 30 days after creation.
    assert codes(crm, "2026-12-02") == [("P1", 1)]
    crm.ok("log", "P1", "--channel", "电话", "--summary", "call", "--at", "2026-11-21")
    assert codes(crm, "2026-12-21") == []
    assert codes(crm, "2026-12-22") == [("P1", 1)]


def test_outreach_customers_are_called_back_within_seven_days(crm):
    add(crm, "OUT", "general", "--channel", "外拓", stage="target")
    assert codes(crm, "2026-11-08") == []
    assert codes(crm, "2026-11-09") == [("OUT", 1)]
    crm.ok("log", "OUT", "--channel", "visit", "--summary", "met", "--at", "2026-11-05")
    assert codes(crm, "2026-11-09") == [("OUT", 1)]  # a visit is not the call-back
    crm.ok("log", "OUT", "--channel", "phone", "--summary", "called", "--at", "2026-11-12")
    assert codes(crm, "2026-11-20") == []


def test_open_plans_past_due_and_done_or_cancelled_plans(crm):
    add(crm, "G1", "general")
    crm.ok(
        "plan",
        "add",
        "G1",
        "--due",
        "2026-11-10",
        "--content",
        "send quote",
        "--as-of",
        "2026-11-01",
    )
    crm.ok(
        "plan", "add", "G1", "--due", "2026-11-12", "--content", "samples", "--as-of", "2026-11-01"
    )
    [row] = crm.json("overdue", "--as-of", "2026-11-15")
    assert (row["due_on"], row["days_overdue"]) == ("2026-11-10", 5)
    assert [r["text"] for r in row["reasons"]] == [
        "plan #1 due 2026-11-10: send quote",
        "plan #2 due 2026-11-12: samples",
    ]
    crm.ok("plan", "done", "1", "--at", "2026-11-14")
    crm.ok("plan", "cancel", "2")
    assert codes(crm, "2026-11-15") == []


def test_junk_and_lost_customers_are_never_overdue(crm):
    add(crm, "J1", "general", stage="junk")
    add(crm, "L1", "core")
    assert codes(crm, "2027-06-01") == [("L1", 198)]
    crm.ok("stage", "set", "L1", "流失", "--reason", "went to a competitor")
    assert codes(crm, "2027-06-01") == []


def test_most_days_late_first_with_owner_and_tier_filters(crm):
    add(crm, "A", "key", "--owner", "li", on="2026-10-01")  # due 10-31
    add(crm, "B", "core", "--owner", "wang", on="2026-10-20")  # due 11-03
    add(crm, "C", "general", "--owner", "li", on="2026-08-01")  # due 10-30
    assert codes(crm, "2026-11-05") == [("C", 6), ("A", 5), ("B", 2)]
    assert codes(crm, "2026-11-05", "--owner", "li") == [("C", 6), ("A", 5)]
    assert codes(crm, "2026-11-05", "--tier", "核心") == [("B", 2)]


def test_exit_code_for_cron(crm):
    add(crm, "A", "key")
    quiet = crm("overdue", "--as-of", "2026-11-05", "--exit-code")
    assert quiet.exit_code == 0 and quiet.stdout == ""
    late = crm("overdue", "--as-of", "2026-12-05", "--exit-code")
    assert late.exit_code == 1 and "Customer A" in late.stdout


def test_changing_the_cadence_in_config_moves_due_dates(crm):
    add(crm, "K", "key")
    assert codes(crm, "2026-11-20") == []
    crm.ok("config", "set", "cadence.key.days", "10")
    assert codes(crm, "2026-11-20") == [("K", 9)]


def test_imported_customers_are_due_exactly_like_added_ones(crm, tmp_path):
    add(crm, "ADD", "core", "--channel", "outreach")
    csv_file = tmp_path / "new.csv"
    csv_file.write_text(
        "code,name,tier,stage,channel\nIMP,Imported Co,core,customer,outreach\n", encoding="utf-8"
    )
    crm.ok("import", "customers", csv_file, "--as-of", "2026-11-01")
    rows = crm.json("overdue", "--as-of", "2026-11-16")
    assert [(r["code"], r["due_on"], [x["rule"] for x in r["reasons"]]) for r in rows] == [
        ("ADD", "2026-11-08", ["callback", "contact"]),
        ("IMP", "2026-11-08", ["callback", "contact"]),
    ]


def test_imported_customers_get_every_due_column_an_added_one_gets(crm, tmp_path, db_sql):
    cases = [
        (tier, stage, channel)
        for tier in ("core", "key", "general", "potential")
        for stage in ("customer", "junk")
        for channel in ("outreach", "referral")
    ]
    lines = ["code,name,tier,stage,channel"]
    for n, (tier, stage, channel) in enumerate(cases):
        add(crm, f"A{n}", tier, "--channel", channel, stage=stage, on="2026-11-01")
        lines.append(f"I{n},Imported {n},{tier},{stage},{channel}")
    csv_file = tmp_path / "new.csv"
    csv_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    crm.ok("import", "customers", csv_file, "--as-of", "2026-11-01")
    columns = "created_on, last_contact_at, contact_due_on, visit_due_on, callback_due_on, "
    columns += "plan_due_on, next_due_at"
    # Days as ISO text whichever engine: SQLite stores text, a server returns dates.
    due = {
        code: [None if v is None else str(v) for v in rest]
        for code, *rest in db_sql(f"SELECT code, {columns} FROM customer")
    }
    for n, case in enumerate(cases):
        assert due[f"I{n}"] == due[f"A{n}"], case
    assert due["I0"][1:] == [None, "2026-11-15", "2026-12-01", "2026-11-08", None, "2026-11-08"]
    assert due["I2"][-1] is None  # junk: no duty at all
