"""crm sale add|list: exact amounts, date filters, the JSON shape, and refused input."""

from __future__ import annotations

import pytest


def add_customer(crm, code, name=None):
    crm.ok(
        "customer",
        "add",
        name or f"Customer {code}",
        "--code",
        code,
        "--stage",
        "customer",
        "--as-of",
        "2026-01-01",
    )


def sales(crm, *extra):
    return crm.json("sale", "list", *extra)


def history(crm, code):
    return crm.json("customer", "history", code)


def amounts(crm, *extra):
    return [(s["customer_code"], s["sold_on"], s["amount"]) for s in sales(crm, *extra)]


def test_add_returns_the_documented_json_with_the_amount_as_a_string(crm):
    add_customer(crm, "S1", "Shanghai Trading")
    added = crm.json(
        "sale",
        "add",
        "S1",
        "1,280.50",
        "--on",
        "2026-02-01",
        "--product",
        "pumps",
        "--note",
        "first order",
    )
    assert added == {
        "id": added["id"],
        "customer_id": added["customer_id"],
        "customer_code": "S1",
        "customer_name": "Shanghai Trading",
        "sold_on": "2026-02-01",
        "amount": "1280.50",
        "currency": "CNY",
        "product": "pumps",
        "note": "first order",
    }
    assert isinstance(added["id"], int)
    [listed] = sales(crm)
    assert listed == added


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("1,280.50", "1280.50"),
        ("¥128,000", "128000.00"),
        ("￥3,000.5", "3000.50"),
        ("128000", "128000.00"),
        ("0.01", "0.01"),
        ("12，345", "12345.00"),
        ("CNY 1,000", "1000.00"),
    ],
)
def test_amount_formats_are_stored_exactly(crm, text, stored):
    add_customer(crm, "S1")
    crm.ok("sale", "add", "S1", text, "--on", "2026-02-01")
    assert amounts(crm) == [("S1", "2026-02-01", stored)]


def test_refund_is_stored_negative(crm):
    add_customer(crm, "S1")
    crm.ok("sale", "add", "S1", "100000", "--on", "2026-02-01")
    refund = crm.json("sale", "add", "S1", "30,000", "--refund", "--on", "2026-02-03")
    assert refund["amount"] == "-30000.00"
    # A refund may also be typed with its minus sign (after -- so it is not an option).
    crm.ok("sale", "add", "S1", "--refund", "--on", "2026-02-04", "--", "-500")
    assert amounts(crm) == [
        ("S1", "2026-02-01", "100000.00"),
        ("S1", "2026-02-03", "-30000.00"),
        ("S1", "2026-02-04", "-500.00"),
    ]


def test_the_sale_date_defaults_to_the_as_of_day_and_accepts_relative_dates(crm):
    add_customer(crm, "S1")
    crm.ok("sale", "add", "S1", "100", "--as-of", "2026-03-05")
    crm.ok("sale", "add", "S1", "200", "--on", "yesterday", "--as-of", "2026-03-05")
    crm.ok("sale", "add", "S1", "300", "--on", "-1w", "--as-of", "2026-03-05")
    assert amounts(crm) == [
        ("S1", "2026-02-26", "300.00"),
        ("S1", "2026-03-04", "200.00"),
        ("S1", "2026-03-05", "100.00"),
    ]


def test_list_sorts_by_date_and_filters_by_customer_and_inclusive_dates(crm):
    add_customer(crm, "S1")
    add_customer(crm, "S2")
    crm.ok("sale", "add", "S2", "400", "--on", "2026-03-01")
    crm.ok("sale", "add", "S1", "100", "--on", "2026-01-31")
    crm.ok("sale", "add", "S1", "200", "--on", "2026-02-01")
    crm.ok("sale", "add", "S2", "300", "--on", "2026-02-28")
    crm.ok("sale", "add", "S1", "50", "--refund", "--on", "2026-02-28")

    assert amounts(crm) == [
        ("S1", "2026-01-31", "100.00"),
        ("S1", "2026-02-01", "200.00"),
        ("S2", "2026-02-28", "300.00"),
        ("S1", "2026-02-28", "-50.00"),
        ("S2", "2026-03-01", "400.00"),
    ]
    assert amounts(crm, "--from", "2026-02-01", "--to", "2026-02-28") == [
        ("S1", "2026-02-01", "200.00"),
        ("S2", "2026-02-28", "300.00"),
        ("S1", "2026-02-28", "-50.00"),
    ]
    assert amounts(crm, "--from", "2026-02-28") == [
        ("S2", "2026-02-28", "300.00"),
        ("S1", "2026-02-28", "-50.00"),
        ("S2", "2026-03-01", "400.00"),
    ]
    assert amounts(crm, "--to", "2026-01-31") == [("S1", "2026-01-31", "100.00")]
    assert amounts(crm, "S2") == [
        ("S2", "2026-02-28", "300.00"),
        ("S2", "2026-03-01", "400.00"),
    ]
    assert amounts(crm, "S1", "--from", "2026-02-02") == [("S1", "2026-02-28", "-50.00")]
    assert amounts(crm, "--from", "2026-03-02") == []
    # Relative --from/--to are reckoned from --as-of.
    assert amounts(crm, "--from", "-1d", "--to", "today", "--as-of", "2026-03-01") == [
        ("S2", "2026-02-28", "300.00"),
        ("S1", "2026-02-28", "-50.00"),
        ("S2", "2026-03-01", "400.00"),
    ]


def test_table_listing_prints_the_net_total_on_stderr(crm):
    add_customer(crm, "S1")
    crm.ok("sale", "add", "S1", "1,280.50", "--on", "2026-02-01")
    crm.ok("sale", "add", "S1", "280", "--refund", "--on", "2026-02-02")
    result = crm.ok("sale", "list")
    assert "¥1,280.50" in result.stdout
    assert "-¥280" in result.stdout
    assert "2 sales, total ¥1,000.50" in result.stderr


def test_list_refuses_bad_filters(crm):
    add_customer(crm, "S1")
    assert "after --to" in crm.fails(
        2, "sale", "list", "--from", "2026-03-01", "--to", "2026-02-01"
    )
    assert "--from" in crm.fails(2, "sale", "list", "--from", "someday")
    assert "no customer" in crm.fails(3, "sale", "list", "NOPE")


def assert_nothing_written(crm, code="S1"):
    assert sales(crm) == []
    assert [h["field"] for h in history(crm, code)] == ["customer"]


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "zero"),
        ("0.00", "zero"),
        ("¥0", "zero"),
        ("abc", "not a number"),
        ("12.3.4", "not a number"),
        ("1e3", "not a number"),
        ("", "not a number"),
        ("1.2345678", "more than six decimals"),
        ("¥1,280.5050501", "more than six decimals"),
        ("0.0000001", "more than six decimals"),
    ],
)
def test_bad_amounts_are_refused_with_one_line_and_nothing_written(crm, amount, words):
    add_customer(crm, "S1")
    err = crm.fails(2, "sale", "add", "S1", amount, "--on", "2026-02-01")
    assert words in err
    assert err.strip().count("\n") == 0, err
    assert_nothing_written(crm)


def test_a_refund_of_zero_is_refused(crm):
    add_customer(crm, "S1")
    assert "zero" in crm.fails(2, "sale", "add", "S1", "0", "--refund", "--on", "2026-02-01")
    assert_nothing_written(crm)


def test_a_negative_amount_needs_refund(crm):
    add_customer(crm, "S1")
    err = crm.fails(2, "sale", "add", "S1", "--on", "2026-02-01", "--", "-500")
    assert "--refund" in err
    assert err.strip().count("\n") == 0, err
    assert_nothing_written(crm)


def test_a_negative_amount_typed_plainly_gets_the_refund_hint(crm):
    # `crm sale add S1 -500` is what people type; it must be refused with the one-line
    # reason (use --refund), not a usage error about an unknown option "-5".
    add_customer(crm, "S1")
    err = crm.fails(2, "sale", "add", "S1", "-500", "--on", "2026-02-01")
    assert_nothing_written(crm)
    assert "--refund" in err, err
    assert err.strip().count("\n") == 0, err


@pytest.mark.parametrize("day", ["2026-02-30", "someday", "2026-13-01"])
def test_dates_that_do_not_parse_are_refused(crm, day):
    add_customer(crm, "S1")
    err = crm.fails(2, "sale", "add", "S1", "100", "--on", day)
    assert "--on date" in err
    assert err.strip().count("\n") == 0, err
    assert_nothing_written(crm)


def test_a_bad_as_of_is_refused(crm):
    add_customer(crm, "S1")
    assert "--as-of" in crm.fails(2, "sale", "add", "S1", "100", "--as-of", "not-a-day")
    assert_nothing_written(crm)


def test_an_unknown_customer_exits_3_and_writes_nothing(crm):
    add_customer(crm, "S1")
    err = crm.fails(3, "sale", "add", "NOPE", "100", "--on", "2026-02-01")
    assert err.strip() == "crm: no customer matches 'NOPE'"
    assert_nothing_written(crm)


def test_an_ambiguous_customer_exits_3_with_the_candidates(crm):
    add_customer(crm, "E1", "Acme East")
    add_customer(crm, "W1", "Acme West")
    err = crm.fails(3, "sale", "add", "Acme", "100", "--on", "2026-02-01")
    assert "ambiguous" in err
    assert "E1 Acme East" in err and "W1 Acme West" in err
    assert sales(crm) == []
