"""Exact grades, values and tiers for hand-built sales at fixed --as-of dates (SPEC §2).

The rules (services/classification.py): over the 12 months up to --as-of (sold_on after
as_of − 12 months and up to as_of), net sales per customer; A = the smallest set of top
customers reaching 70 % of the total, B = the next ones up to 90 %, C = the rest with
sales; ties by code; the customer crossing a threshold belongs to the higher grade.
Value from RFM quintiles (NTILE(5) of amount, orders and months, summed: high ≥ 12,
mid ≥ 8, else low). Tier A→core, B→key, C→general; prospects without sales → potential.
"""

from __future__ import annotations

AS_OF = "2026-06-30"


def customer(crm, code, *, stage="customer", tier="general", lock=False):
    args = ["customer", "add", f"Customer {code}", "--code", code, "--stage", stage]
    args += ["--tier", tier, "--as-of", "2025-01-01"]
    crm.ok(*args, *(["--lock"] if lock else []))


def sale(crm, code, amount, on, *extra):
    crm.ok("sale", "add", code, str(amount), "--on", on, *extra)


def reclassify(crm, as_of=AS_OF, *extra):
    return crm.json("reclassify", "--as-of", as_of, *extra)


def state(crm):
    """code → (grade, value, tier) of every customer."""
    return {c["code"]: (c["grade"], c["value"], c["tier"]) for c in crm.json("customer", "list")}


def grades(crm):
    return {code: g for code, (g, _, _) in state(crm).items()}


def tiers(crm):
    return {code: t for code, (_, _, t) in state(crm).items()}


def history(crm, code, *fields):
    rows = crm.json("customer", "history", code)
    return [h for h in rows if not fields or h["field"] in fields]


def all_history(crm):
    return {code: history(crm, code) for code in state(crm)}


def abc(crm, as_of=AS_OF):
    return crm.json("report", "abc", "--as-of", as_of)


def shares(crm, as_of=AS_OF):
    return [
        (r["code"], r["sales"], r["share"], r["cumulative"], r["grade"])
        for r in abc(crm, as_of)["customers"]
    ]


def three(crm, x, y, z, on="2026-03-01"):
    for code, amount in (("X", x), ("Y", y), ("Z", z)):
        customer(crm, code)
        sale(crm, code, amount, on)


# --- Pareto thresholds ---------------------------------------------------------------------


def test_70_20_10_makes_exactly_a_b_c_with_the_70_percent_customer_alone_in_a(crm):
    three(crm, 70000, 20000, 10000)
    result = reclassify(crm)
    assert result["changed_customers"] == 3
    assert result["window"] == {"after": "2025-06-30", "through": "2026-06-30", "months": 12}
    assert state(crm) == {
        "X": ("A", "low", "core"),
        "Y": ("B", "low", "key"),
        "Z": ("C", "low", "general"),
    }
    assert result["moves"] == [
        {"field": "grade", "from": None, "to": "A", "customers": 1},
        {"field": "grade", "from": None, "to": "B", "customers": 1},
        {"field": "grade", "from": None, "to": "C", "customers": 1},
        {"field": "value", "from": None, "to": "low", "customers": 3},
        {"field": "tier", "from": "general", "to": "core", "customers": 1},
        {"field": "tier", "from": "general", "to": "key", "customers": 1},
    ]


def test_69_21_10_puts_the_second_customer_into_a_because_it_crosses_70(crm):
    three(crm, 69000, 21000, 10000)
    reclassify(crm)
    # Y crosses 70 % (69 → 90) so it is A; after it 90 % is reached, so Z is C, no B at all.
    assert grades(crm) == {"X": "A", "Y": "A", "Z": "C"}
    assert tiers(crm) == {"X": "core", "Y": "core", "Z": "general"}


def test_the_customer_crossing_90_percent_is_b(crm):
    for code, amount in (("W", 5000), ("X", 70000), ("Y", 15000), ("Z", 10000)):
        customer(crm, code)
        sale(crm, code, amount, "2026-03-01")
    reclassify(crm)
    # X reaches 70 exactly (A alone); Y 70 → 85 (B); Z 85 → 95 crosses 90 (B); W is C.
    assert grades(crm) == {"W": "C", "X": "A", "Y": "B", "Z": "B"}


def test_thresholds_are_exact_to_the_cent(crm):
    three(crm, "70,000.00", "19,999.99", "10,000.01")
    reclassify(crm)
    # Before Z: 89,999.99 of 100,000.00 — below 90 % by one cent, so Z crosses it: B.
    assert grades(crm) == {"X": "A", "Y": "B", "Z": "B"}


def test_ties_are_broken_by_code_ascending(crm):
    # Created in the "wrong" order on purpose: the code decides, not the insertion order.
    for code, amount in (("L", 20000), ("M", 60000), ("K", 20000)):
        customer(crm, code)
        sale(crm, code, amount, "2026-03-01")
    reclassify(crm)
    # M 60 % (A); K and L tie at 20 %: K comes first, crosses 70 % (A); L is then B.
    assert grades(crm) == {"K": "A", "L": "B", "M": "A"}
    assert [(r["rank"], r["code"]) for r in abc(crm)["customers"]] == [
        (1, "M"),
        (2, "K"),
        (3, "L"),
    ]


def test_thresholds_come_from_the_config(crm):
    three(crm, 70000, 20000, 10000)
    crm.ok("config", "set", "classification.grade_b_percent", "95")
    crm.ok("config", "set", "classification.grade_a_percent", "80")
    reclassify(crm)
    # 80 %: X (0 → 70) and Y (70 → 90) are A; 95 %: Z (90 → 100) crosses it, B.
    assert grades(crm) == {"X": "A", "Y": "A", "Z": "B"}


def test_a_percentage_typed_with_a_percent_sign_means_the_same(crm):
    crm.ok("config", "set", "classification.grade_a_percent", "80%")
    assert crm.ok("config", "get", "classification.grade_a_percent").stdout.strip() == "80.0"


# --- refunds ---------------------------------------------------------------------------------


def test_refunds_net_out(crm):
    three(crm, 100000, 30000, 10000)
    sale(crm, "X", 40000, "2026-04-01", "--refund")
    reclassify(crm)
    # Net: X 60,000, Y 30,000, Z 10,000 — Y crosses 70 % (A); gross it would have been B.
    assert grades(crm) == {"X": "A", "Y": "A", "Z": "C"}
    [x, y, z] = abc(crm)["customers"]
    assert (x["code"], x["sales"], x["orders"], x["months"]) == ("X", "60000.00", 1, 1)
    assert (y["code"], z["code"]) == ("Y", "Z")
    assert abc(crm)["total"] == "100000.00"


def test_a_refund_bringing_a_customer_to_zero_removes_its_grade(crm):
    three(crm, 65000, 20000, 10000)
    customer(crm, "P", stage="qualified", tier="potential")
    sale(crm, "P", 5000, "2026-03-01")
    reclassify(crm)
    # X 65 %; Y 65 → 85 crosses 70 % (A); Z 85 → 95 crosses 90 % (B); P is C.
    assert grades(crm) == {"P": "C", "X": "A", "Y": "A", "Z": "B"}
    assert tiers(crm) == {"P": "general", "X": "core", "Y": "core", "Z": "key"}

    sale(crm, "X", "65,000", "2026-05-01", "--refund")
    sale(crm, "P", 5000, "2026-05-01", "--refund")
    reclassify(crm)
    after = state(crm)
    # No net sales: no grade and no value; a customer-stage customer keeps its tier,
    # a prospect (qualified) goes back to potential.
    assert after["X"] == (None, None, "core")
    assert after["P"] == (None, None, "potential")
    # Y (20,000 of 30,000) is 66.7 %, so Z crosses 70 %: both A now.
    assert (after["Y"][0], after["Z"][0]) == ("A", "A")
    assert [r["code"] for r in abc(crm)["customers"]] == ["Y", "Z"]
    assert abc(crm)["total"] == "30000.00"

    grade_row = history(crm, "X", "grade")[0]
    assert (grade_row["old"], grade_row["new"]) == ("A", None)
    assert grade_row["reason"] == "no grade: no net sales in the 12 months to 2026-06-30"
    value_row = history(crm, "X", "value")[0]
    assert value_row["new"] is None
    assert value_row["reason"] == "no value class: no net sales in the 12 months to 2026-06-30"
    assert [h["new"] for h in history(crm, "X", "tier")] == ["core"]  # only the first run
    tier_row = history(crm, "P", "tier")[0]
    assert (tier_row["old"], tier_row["new"]) == ("general", "potential")
    assert tier_row["reason"] == (
        "tier potential: no sales in the 12 months to 2026-06-30, stage qualified"
    )


# --- the window ------------------------------------------------------------------------------


def test_window_boundaries(crm):
    for code in ("OUT", "IN", "TODAY", "LATER"):
        customer(crm, code)
    sale(crm, "OUT", 1000, "2025-06-30")  # exactly 12 months before: outside
    sale(crm, "IN", 1000, "2025-07-01")  # the day after: inside
    sale(crm, "TODAY", 1000, "2026-06-30")  # the as-of day itself: inside
    sale(crm, "LATER", 1000, "2026-07-01")  # after the as-of day: outside

    reclassify(crm, "2026-06-30")
    assert grades(crm) == {"IN": "A", "LATER": None, "OUT": None, "TODAY": "A"}
    report = abc(crm, "2026-06-30")
    assert report["window"] == {"after": "2025-06-30", "through": "2026-06-30", "months": 12}
    assert report["total"] == "2000.00"

    # One day later IN's sale is exactly 12 months old and drops out; LATER comes in.
    reclassify(crm, "2026-07-01")
    assert grades(crm) == {"IN": None, "LATER": "A", "OUT": None, "TODAY": "A"}


def test_window_on_a_leap_day(crm):
    customer(crm, "OUT")
    customer(crm, "IN")
    sale(crm, "OUT", 1000, "2027-02-28")
    sale(crm, "IN", 1000, "2027-03-01")
    reclassify(crm, "2028-02-29")
    assert grades(crm) == {"IN": "A", "OUT": None}
    assert abc(crm, "2028-02-29")["window"] == {
        "after": "2027-02-28",
        "through": "2028-02-29",
        "months": 12,
    }


def test_window_months_come_from_the_config(crm):
    customer(crm, "OUT")
    customer(crm, "IN")
    sale(crm, "OUT", 1000, "2025-12-30")  # 30 June less 6 months: outside
    sale(crm, "IN", 1500, "2025-12-31")
    sale(crm, "IN", 500, "2026-06-30")
    crm.ok("config", "set", "classification.window_months", "6")
    result = reclassify(crm, AS_OF, "--dry-run")
    assert result["window"] == {"after": "2025-12-30", "through": "2026-06-30", "months": 6}
    [change] = result["changes"]
    assert change["code"] == "IN"
    assert change["grade"]["reason"] == (
        "grade A: ¥2,000.00 in 6 months, 2 orders, top 100 % of sales"
    )


# --- tiers -----------------------------------------------------------------------------------


def test_a_locked_tier_is_kept_while_grade_and_value_update(crm):
    three(crm, 70000, 20000, 10000)
    crm.ok("tier", "set", "X", "key", "--lock", "--reason", "agreed with the director")
    reclassify(crm)
    assert state(crm)["X"] == ("A", "low", "key")
    assert [h["field"] for h in history(crm, "X", "grade", "value", "tier")] == [
        "value",
        "grade",
        "tier",
    ]
    shown = crm.json("customer", "show", "X")["classification"]
    assert shown["tier"]["reason"] == "agreed with the director"
    assert shown["tier"]["command"] == "tier set"
    assert shown["grade"]["command"] == "reclassify"

    crm.ok("tier", "set", "X", "key", "--unlock")
    reclassify(crm)
    assert state(crm)["X"] == ("A", "low", "core")


def test_a_tier_locked_when_added_is_kept(crm):
    customer(crm, "X", tier="general", lock=True)
    customer(crm, "P", stage="lead", tier="key", lock=True)
    sale(crm, "X", 1000, "2026-03-01")
    reclassify(crm)
    assert state(crm) == {"P": (None, None, "key"), "X": ("A", "low", "general")}


def test_prospects_without_sales_become_potential_customers_keep_their_tier(crm):
    customer(crm, "LEAD", stage="lead", tier="general")
    customer(crm, "TARGET", stage="target", tier="key")
    customer(crm, "QUAL", stage="qualified", tier="core")
    customer(crm, "CUST", stage="customer", tier="key")
    customer(crm, "LOYAL", stage="loyal", tier="core")
    customer(crm, "BUYER", stage="qualified", tier="potential")
    sale(crm, "BUYER", 5000, "2026-02-01")
    sale(crm, "CUST", 5000, "2025-01-15")  # long ago: outside the window

    result = reclassify(crm)
    assert state(crm) == {
        "BUYER": ("A", "low", "core"),  # a prospect with sales is graded like anyone
        "CUST": (None, None, "key"),
        "LEAD": (None, None, "potential"),
        "LOYAL": (None, None, "core"),
        "QUAL": (None, None, "potential"),
        "TARGET": (None, None, "potential"),
    }
    assert result["changed_customers"] == 4
    [row] = history(crm, "TARGET", "tier")
    assert (row["old"], row["new"], row["command"]) == ("key", "potential", "reclassify")
    assert row["reason"] == "tier potential: no sales in the 12 months to 2026-06-30, stage target"
    assert history(crm, "CUST", "grade", "value", "tier") == []
    assert history(crm, "LOYAL", "grade", "value", "tier") == []


def test_junk_and_lost_customers_are_left_alone(crm):
    customer(crm, "J")
    customer(crm, "Y")
    sale(crm, "J", 80000, "2026-02-01")
    sale(crm, "Y", 20000, "2026-02-01")
    reclassify(crm)
    assert state(crm) == {"J": ("A", "low", "core"), "Y": ("B", "low", "key")}

    crm.ok("stage", "set", "J", "lost", "--reason", "went to a competitor")
    customer(crm, "JUNK", stage="junk", tier="key")
    customer(crm, "Z")
    sale(crm, "Z", 10000, "2026-03-01")
    sale(crm, "J", 50000, "2026-03-01")
    sale(crm, "JUNK", 99000, "2026-03-01")
    before = {code: history(crm, code) for code in ("J", "JUNK")}

    reclassify(crm)
    after = state(crm)
    assert after["J"] == ("A", "low", "core")
    assert after["JUNK"] == (None, None, "key")
    assert {code: history(crm, code) for code in ("J", "JUNK")} == before
    # Their sales are not in the Pareto table: Y (20,000) and Z (10,000) share 30,000;
    # Y alone is 66.7 %, so Z crosses 70 %: both A.
    assert [(r["code"], r["grade"]) for r in abc(crm)["customers"]] == [("Y", "A"), ("Z", "A")]
    assert abc(crm)["total"] == "30000.00"
    assert (after["Y"][0], after["Z"][0]) == ("A", "A")


# --- nothing to do, idempotence, dry run -------------------------------------------------------


def test_an_empty_database_changes_nothing(crm):
    crm.ok("init")
    result = reclassify(crm)
    assert (result["changed_customers"], result["moves"], result["changes"]) == (0, [], [])
    report = abc(crm)
    assert (report["total"], report["grades"], report["customers"]) == ("0.00", [], [])


def test_an_empty_window_changes_nothing(crm):
    customer(crm, "C1", tier="key")
    customer(crm, "C2", stage="loyal", tier="core")
    customer(crm, "P1", stage="lead", tier="potential")
    sale(crm, "C1", 5000, "2025-06-30")
    sale(crm, "C2", 5000, "2026-07-01")
    before_state, before_history = state(crm), all_history(crm)
    result = reclassify(crm)
    assert (result["changed_customers"], result["moves"]) == (0, [])
    assert state(crm) == before_state
    assert all_history(crm) == before_history
    assert abc(crm)["customers"] == []


def test_rerunning_with_the_same_data_and_date_changes_nothing(crm):
    three(crm, 69000, 21000, 10000)
    customer(crm, "LEAD", stage="lead", tier="general")
    assert reclassify(crm)["changed_customers"] == 4
    before_state, before_history = state(crm), all_history(crm)

    again = reclassify(crm)
    assert (again["changed_customers"], again["moves"]) == (0, [])
    dry = reclassify(crm, AS_OF, "--dry-run")
    assert (dry["changed_customers"], dry["changes"]) == (0, [])
    assert state(crm) == before_state
    assert all_history(crm) == before_history


def test_dry_run_writes_nothing(crm):
    three(crm, 70000, 20000, 10000)
    customer(crm, "LEAD", stage="lead", tier="key")
    before_customers = crm.json("customer", "list")
    before_history = all_history(crm)

    dry = reclassify(crm, AS_OF, "--dry-run")
    assert dry["dry_run"] is True
    assert dry["changed_customers"] == 4
    assert [(c["code"], c["grade"]["new"], c["tier"]["new"]) for c in dry["changes"]] == [
        ("LEAD", None, "potential"),
        ("X", "A", "core"),
        ("Y", "B", "key"),
        ("Z", "C", "general"),
    ]
    assert crm.json("customer", "list") == before_customers
    assert all_history(crm) == before_history

    real = reclassify(crm)
    assert (real["dry_run"], real["changed_customers"], real["moves"]) == (
        False,
        4,
        dry["moves"],
    )
    assert state(crm)["X"] == ("A", "low", "core")


# --- reasons and reports -------------------------------------------------------------------------


def issue_example(crm):
    """X: ¥1,234,000 in 8 orders over 8 months; Y ¥1,000,000 in 2 over 2; Z ¥776,000 in 3
    orders within one month."""
    customer(crm, "X")
    customer(crm, "Y")
    customer(crm, "Z")
    for month in range(1, 8):
        sale(crm, "X", 100000, f"2026-{month:02d}-10")
    sale(crm, "X", "534,000", "2026-08-10")
    sale(crm, "Y", 500000, "2026-01-20")
    sale(crm, "Y", 500000, "2026-02-20")
    sale(crm, "Z", 700000, "2026-03-20")
    sale(crm, "Z", 38000, "2026-03-21")
    sale(crm, "Z", 38000, "2026-03-22")


def test_history_reasons_are_exact(crm):
    issue_example(crm)
    reclassify(crm, "2026-09-30")
    found = {h["field"]: h for h in history(crm, "X", "grade", "value", "tier")}
    rows = {field: found[field] for field in ("grade", "value", "tier")}
    assert rows["grade"]["reason"] == (
        "grade A: ¥1,234,000.00 in 12 months, 8 orders, top 41 % of sales"
    )
    # 3 customers in NTILE(5): buckets 1, 2, 3 by amount (Z, Y, X), orders (Y 2, Z 3,
    # X 8) and months (Z 1, Y 2, X 8) — X scores 3 + 3 + 3 = 9: mid.
    assert rows["value"]["reason"] == (
        "value mid: RFM score 9 = amount 3 + orders 3 + months 3 (quintiles 1–5)"
    )
    assert rows["tier"]["reason"] == (
        "tier core from grade A: ¥1,234,000.00 in 12 months, 8 orders, top 41 % of sales"
    )
    assert [(h["old"], h["new"], h["user"], h["command"]) for h in rows.values()] == [
        (None, "A", "tester", "reclassify"),
        (None, "mid", "tester", "reclassify"),
        ("general", "core", "tester", "reclassify"),
    ]
    # Y: before it 41 % (A), with it 74 %; Z: 74 % → 100 %, B (crosses 90 %).
    assert history(crm, "Y", "grade")[0]["reason"] == (
        "grade A: ¥1,000,000.00 in 12 months, 2 orders, top 74 % of sales"
    )
    assert history(crm, "Z", "grade")[0]["reason"] == (
        "grade B: ¥776,000.00 in 12 months, 3 orders, top 100 % of sales"
    )


def test_customer_show_json_contains_the_classification_reasons(crm):
    issue_example(crm)
    reclassify(crm, "2026-09-30")
    shown = crm.json("customer", "show", "X")
    assert (shown["customer"]["grade"], shown["customer"]["value"]) == ("A", "mid")
    assert shown["customer"]["tier"] == "core"
    cls = shown["classification"]
    assert {k: (v["reason"], v["command"], v["user"]) for k, v in cls.items()} == {
        "grade": (
            "grade A: ¥1,234,000.00 in 12 months, 8 orders, top 41 % of sales",
            "reclassify",
            "tester",
        ),
        "value": (
            "value mid: RFM score 9 = amount 3 + orders 3 + months 3 (quintiles 1–5)",
            "reclassify",
            "tester",
        ),
        "tier": (
            "tier core from grade A: ¥1,234,000.00 in 12 months, 8 orders, top 41 % of sales",
            "reclassify",
            "tester",
        ),
    }


def test_report_abc_json_rows_and_shares(crm):
    # X 60,000 in 4 orders (4 months); Y 30,000 in 2 (2 months); Z 20,000 in 1;
    # W 10,000 in 5 orders over 3 months. Total 120,000.
    for code in ("W", "X", "Y", "Z"):
        customer(crm, code)
    for month in (1, 2, 3, 4):
        sale(crm, "X", 15000, f"2026-{month:02d}-15")
    sale(crm, "Y", 15000, "2026-01-15")
    sale(crm, "Y", 15000, "2026-02-15")
    sale(crm, "Z", 20000, "2026-01-15")
    for day in ("2026-01-10", "2026-01-11", "2026-02-10", "2026-02-11", "2026-03-10"):
        sale(crm, "W", 2000, day)
    report = abc(crm)
    # NTILE(5) over 4 customers gives 1..4. Amount: W1 Z2 Y3 X4; orders (Z1 Y2 X4 W5):
    # Z1 Y2 X3 W4; months (Z1 Y2 W3 X4): Z1 Y2 W3 X4. X 11 mid, Y 7 low, Z 4 low, W 8 mid.
    assert report == {
        "as_of": "2026-06-30",
        "window": {"after": "2025-06-30", "through": "2026-06-30", "months": 12},
        "total": "120000.00",
        "net": "120000.00",
        "currency": "CNY",
        "grades": [
            {"grade": "A", "customers": 2, "sales": "90000.00", "share": 75.0},
            {"grade": "B", "customers": 1, "sales": "20000.00", "share": 16.67},
            {"grade": "C", "customers": 1, "sales": "10000.00", "share": 8.33},
        ],
        "customers": [
            {
                "rank": 1,
                "code": "X",
                "name": "Customer X",
                "owner": "tester",
                "sales": "60000.00",
                "share": 50.0,
                "cumulative": 50.0,
                "grade": "A",
                "orders": 4,
                "months": 4,
                "value": "mid",
                "score": 11,
            },
            {
                "rank": 2,
                "code": "Y",
                "name": "Customer Y",
                "owner": "tester",
                "sales": "30000.00",
                "share": 25.0,
                "cumulative": 75.0,
                "grade": "A",
                "orders": 2,
                "months": 2,
                "value": "low",
                "score": 7,
            },
            {
                "rank": 3,
                "code": "Z",
                "name": "Customer Z",
                "owner": "tester",
                "sales": "20000.00",
                "share": 16.67,
                "cumulative": 91.67,
                "grade": "B",
                "orders": 1,
                "months": 1,
                "value": "low",
                "score": 4,
            },
            {
                "rank": 4,
                "code": "W",
                "name": "Customer W",
                "owner": "tester",
                "sales": "10000.00",
                "share": 8.33,
                "cumulative": 100.0,
                "grade": "C",
                "orders": 5,
                "months": 3,
                "value": "mid",
                "score": 8,
            },
        ],
    }
    # The report reads, it does not classify.
    assert grades(crm) == {"W": None, "X": None, "Y": None, "Z": None}
    reclassify(crm)
    assert state(crm) == {
        "W": ("C", "mid", "general"),
        "X": ("A", "mid", "core"),
        "Y": ("A", "low", "core"),
        "Z": ("B", "low", "key"),
    }


# --- RFM value classes ---------------------------------------------------------------------------

# code: (net total, orders, months with a purchase). NTILE(5) over 7 customers puts
# 2, 2, 1, 1, 1 of them in buckets 1..5 (ascending): positions 1-2 → 1, 3-4 → 2, 5 → 3,
# 6 → 4, 7 → 5. Codes are scrambled so that nothing lines up with the code order.
RFM = {
    "G": (2000, 2, 1),
    "C": (3000, 3, 3),
    "E": (5000, 5, 5),
    "A": (10000, 6, 6),
    "F": (15000, 7, 7),
    "B": (25000, 4, 4),
    "D": (40000, 8, 2),
}
# amount ascending   G C E A F B D → 1 1 2 2 3 4 5
# orders ascending   G(2) C(3) B(4) E(5) A(6) F(7) D(8) → 1 1 2 2 3 4 5
# months ascending   G(1) D(2) C(3) B(4) E(5) A(6) F(7) → 1 1 2 2 3 4 5
RFM_SCORES = {
    "G": (1, 1, 1),  # 3 low
    "C": (1, 1, 2),  # 4 low
    "E": (2, 2, 3),  # 7 low (one below mid)
    "A": (2, 3, 4),  # 9 mid
    "F": (3, 4, 5),  # 12 high (exactly the high score)
    "B": (4, 2, 2),  # 8 mid (exactly the mid score)
    "D": (5, 5, 1),  # 11 mid (one below high)
}


def rfm_customers(crm):
    for code, (total, orders, months) in RFM.items():
        customer(crm, code)
        # One order on the 15th of months 1..m, the extra orders early in January;
        # the first order carries the rest of the total.
        days = [f"2026-{m:02d}-15" for m in range(1, months + 1)]
        days += [f"2026-01-{d:02d}" for d in range(1, orders - months + 1)]
        for i, day in enumerate(days):
            sale(crm, code, total - 100 * (orders - 1) if i == 0 else 100, day)


def value_of(score):
    return "high" if score >= 12 else "mid" if score >= 8 else "low"


def test_rfm_value_classes_from_quintiles_computed_by_hand(crm):
    rfm_customers(crm)
    # A refund is no order and no month of purchase (G nets 1,900 over 2 orders in
    # 1 month); a sale outside the window counts for nothing.
    sale(crm, "G", 100, "2026-11-20", "--refund")
    sale(crm, "C", 99999, "2025-12-31")

    dry = reclassify(crm, "2026-12-31", "--dry-run")
    reasons = {c["code"]: c["value"]["reason"] for c in dry["changes"]}
    expected_reasons = {
        code: f"value {value_of(sum(s))}: RFM score {sum(s)} = amount {s[0]} + orders "
        f"{s[1]} + months {s[2]} (quintiles 1–5)"
        for code, s in RFM_SCORES.items()
    }
    assert reasons == expected_reasons
    reclassify(crm, "2026-12-31")
    assert state(crm) == {
        "A": ("B", "mid", "key"),
        "B": ("A", "mid", "core"),
        "C": ("C", "low", "general"),
        "D": ("A", "mid", "core"),
        "E": ("C", "low", "general"),
        "F": ("A", "high", "core"),
        "G": ("C", "low", "general"),
    }
    rows = {r["code"]: r for r in abc(crm, "2026-12-31")["customers"]}
    assert {c: (r["orders"], r["months"], r["score"]) for c, r in rows.items()} == {
        code: (RFM[code][1], RFM[code][2], sum(RFM_SCORES[code])) for code in RFM
    }


def test_value_score_thresholds_come_from_the_config(crm):
    rfm_customers(crm)
    crm.ok("config", "set", "classification.value_high_score", "11")
    crm.ok("config", "set", "classification.value_mid_score", "4")
    reclassify(crm, "2026-12-31")
    values = {code: v for code, (_, v, _) in state(crm).items()}
    assert values == {
        "A": "mid",
        "B": "mid",
        "C": "mid",
        "D": "high",
        "E": "mid",
        "F": "high",
        "G": "low",
    }


# --- configuration that makes no sense ----------------------------------------------------------


def test_config_that_makes_no_sense_is_refused_and_nothing_is_written(crm, isolated):
    config_file = isolated / "config.toml"
    refused = [
        (("classification.grade_a_percent", "95"), "must be below"),
        (("classification.grade_b_percent", "60"), "must be below"),
        (("classification.grade_a_percent", "0"), "percentage"),
        (("classification.grade_b_percent", "101"), "percentage"),
        (("classification.grade_a_percent", "lots"), "number"),
        (("classification.window_months", "0"), "at least 1"),
        (("classification.window_months", "1.5"), "whole number"),
        (("classification.value_mid_score", "13"), "must not exceed"),
        (("classification.value_high_score", "16"), "3 to 15"),
        (("classification.tier_a", "platinum"), "must be one of"),
    ]
    for (key, value), words in refused:
        err = crm.fails(2, "config", "set", key, value)
        assert words in err, (key, value, err)
        assert err.strip().count("\n") == 0, err
        assert not config_file.exists()
    assert crm.ok("config", "get", "classification.grade_a_percent").stdout.strip() == "70.0"
    # The same with an explicit end of options.
    assert "at least 1" in crm.fails(2, "config", "set", "classification.window_months", "--", "-1")
    assert not config_file.exists()


def test_a_negative_window_typed_plainly_is_refused_with_its_reason(crm, isolated):
    # `crm config set classification.window_months -1` must say why (at least 1), on one
    # line, not complain about an unknown option "-1".
    err = crm.fails(2, "config", "set", "classification.window_months", "-1")
    assert not (isolated / "config.toml").exists()
    assert "at least 1" in err, err
    assert err.strip().count("\n") == 0, err


def test_a_config_file_that_makes_no_sense_stops_reclassify(crm, isolated):
    three(crm, 70000, 20000, 10000)
    config_file = isolated / "config.toml"
    config_file.write_text("[classification]\ngrade_a_percent = 95.0\n", encoding="utf-8")
    err = crm.fails(2, "reclassify", "--as-of", AS_OF)
    assert "grade_a_percent" in err and "must be below" in err
    config_file.write_text("[classification]\nwindow_months = -1\n", encoding="utf-8")
    assert "at least 1" in crm.fails(2, "reclassify", "--as-of", AS_OF)
    config_file.unlink()
    assert state(crm) == {
        "X": (None, None, "general"),
        "Y": (None, None, "general"),
        "Z": (None, None, "general"),
    }
    assert all(history(crm, code, "grade", "value", "tier") == [] for code in "XYZ")
