"""Files in the shapes real exports have: order lines (quantity × unit price, one line per
product, cancellations), ids written as floats, dates with a time of day or in several
forms, amounts below the cent, headers of other systems, a file imported twice.

The supermarket file is a real Excel export (``../shared/realdata/chinese``); its GBK and
UTF-16 copies, and the order-line files with invoices and cancellations, are derived
from it here."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import REALDATA as _REALDATA

REALDATA = _REALDATA / "chinese"
SUPERMARKET = REALDATA / "chaoshi_lingshou_supermarket_sales_cleaned.csv"
ON = "2025-03-01"
INVALID = (
    "crm: {bad} of {rows} rows of {name} are invalid; nothing imported (fix them, or import the "
    "rest with --skip-invalid; --rejects FILE collects them)"
)


def write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding=encoding)
    return path


def imported(crm, *args):
    result = crm("import", *args, "--as-of", ON, "--format", "json")
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout), result.stderr.splitlines()


def sales(crm):
    return crm.json("sale", "list", "--as-of", ON)


def supermarket_rows() -> list[dict[str, str]]:
    with SUPERMARKET.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def add_customers(crm, tmp_path: Path, codes: list[str]) -> None:
    # customers since before the export's first sale: no sale is dated before one was added
    rows = [["顾客ID", "客户名称", "建档日期"]]
    rows += [[code, f"顾客{code}", "2000-01-01"] for code in codes]
    result, _ = imported(crm, "customers", write(tmp_path / "customers.csv", rows))
    assert result["added"] == len(codes)


def exact_total(crm) -> Decimal:
    return sum((Decimal(s["amount"]) for s in sales(crm)), Decimal(0))


# --- the real supermarket export ------------------------------------------------------------


def test_the_supermarket_export_quantity_times_price_equals_its_own_totals(crm, tmp_path):
    rows = supermarket_rows()
    add_customers(crm, tmp_path, sorted({r["顾客ID"] for r in rows}, key=int))
    result, messages = imported(crm, "sales", SUPERMARKET, "--amount", "数量*价格")
    assert (result["rows"], result["added"], result["rejected"]) == (9997, 9997, 0)
    assert messages[:2] == [
        "column '总价' is left out: 数量*价格 gives amount",
        "columns kept in note: 产品ID, 数量, 价格",
    ]
    # 顾客ID is the customer's code, 产品名称 the product, 购买日期 the day: line 2 of the file
    first = sales(crm)
    line2 = next(s for s in first if s["customer_code"] == "74" and s["sold_on"] == "2024-12-18")
    assert (line2["amount"], line2["product"], line2["note"]) == (
        "891.00",
        "食品",
        "产品ID: 25\n数量: 9\n价格: 99.0",
    )
    assert exact_total(crm) == sum(Decimal(r["总价"]) for r in rows) == Decimal(2793805)


@pytest.mark.parametrize("encoding", ["gbk", "utf-16"])
def test_gbk_and_utf16_copies_of_the_supermarket_export_read_the_same(crm, tmp_path, encoding):
    rows = supermarket_rows()[:300]
    add_customers(crm, tmp_path, sorted({r["顾客ID"] for r in rows}, key=int))
    header = list(rows[0])
    copy = write(
        tmp_path / f"超市-{encoding}.csv",
        [header] + [[r[h] for h in header] for r in rows],
        encoding=encoding,
    )
    result, _ = imported(crm, "sales", copy)  # 总价 is the amount, as the file says
    assert (result["added"], result["encoding"]) == (
        300,
        {"gbk": "gb18030", "utf-16": "utf-16"}[encoding],
    )
    assert Counter(s["product"] for s in sales(crm)) == Counter(r["产品名称"] for r in rows)
    assert exact_total(crm) == sum(Decimal(r["总价"]) for r in rows)


# --- order lines: invoices, cancellations, float ids ------------------------------------------


def invoice_file(tmp_path: Path) -> tuple[Path, dict[str, Decimal], dict[str, str]]:
    """The first 60 supermarket lines as an order system exports them: one invoice per
    customer and day (订单号), customer ids as floats (74.0, as pandas writes an id
    column), and for every fifth invoice a cancellation C<number> of its first line.
    Returns the file, each invoice's exact total and its customer."""
    rows = supermarket_rows()[:60]
    numbers: dict[tuple[str, str], str] = {}
    lines: list[list[str]] = [["订单号", "顾客ID", "产品名称", "数量", "价格", "购买日期"]]
    totals: dict[str, Decimal] = defaultdict(Decimal)
    owner: dict[str, str] = {}
    for r in rows:
        number = numbers.setdefault((r["顾客ID"], r["购买日期"]), str(536365 + len(numbers)))
        day = f"{r['购买日期']} 12:25:00"  # the moment of the order, as order systems write it
        lines.append([number, f"{r['顾客ID']}.0", r["产品名称"], r["数量"], r["价格"], day])
        totals[number] += Decimal(r["数量"]) * Decimal(r["价格"])
        owner[number] = r["顾客ID"]
    for (customer, day), number in list(numbers.items())[::5]:
        first = next(line for line in lines[1:] if line[0] == number)
        cancel = "C" + number
        lines.append([cancel, f"{customer}.0", first[2], f"-{first[3]}", first[4], day])
        totals[cancel] = -Decimal(first[3]) * Decimal(first[4])
        owner[cancel] = customer
    return write(tmp_path / "orders.csv", lines), dict(totals), owner


def test_order_lines_make_one_sale_per_invoice_and_cancellations_are_refunds(crm, tmp_path):
    path, totals, owner = invoice_file(tmp_path)
    add_customers(crm, tmp_path, sorted(set(owner.values()), key=int))
    result, messages = imported(crm, "sales", path, "--amount", "数量*价格", "--group-by", "订单号")
    lines = 60 + len([n for n in totals if n.startswith("C")])
    assert (result["rows"], result["added"], result["rejected"]) == (lines, len(totals), 0)
    assert f"{lines} lines make {len(totals)} sales, one per 订单号" in messages
    got = {s["note"].split(" (")[0].removeprefix("订单号: "): s for s in sales(crm)}
    assert {n: Decimal(s["amount"]) for n, s in got.items()} == totals
    # the float ids name the customers by their codes; the time of day gives the date
    assert {n: s["customer_code"] for n, s in got.items()} == owner
    assert all(s["sold_on"] == s["sold_on"][:10] for s in got.values())
    refunds = {n for n, s in got.items() if Decimal(s["amount"]) < 0}
    assert refunds == {n for n in totals if n.startswith("C")} and refunds
    # each refund is a refund in the customer's history, with its exact amount
    cancel = sorted(refunds)[0]
    history = crm.json("customer", "history", owner[cancel])
    amount = f"-¥{-totals[cancel]:,.2f}".replace(".00", "")
    assert any(h["field"] == "refund" and amount in h["new"] for h in history), history


def test_an_invoice_with_a_bad_line_is_refused_whole(crm, tmp_path):
    add_customers(crm, tmp_path, ["17850", "13047"])
    path = write(
        tmp_path / "lines.csv",
        [
            ["InvoiceNo", "Quantity", "UnitPrice", "CustomerID", "InvoiceDate", "Description"],
            ["536365", "6", "2.55", "17850.0", "2010-12-01 08:26:00", "WHITE HANGING HEART"],
            ["536365", "six", "3.39", "17850.0", "2010-12-01 08:26:00", "WHITE METAL LANTERN"],
            ["536366", "6", "1.85", "17850.0", "2010-12-01 08:28:00", "HAND WARMER"],
            ["536367", "1", "4.25", "13047.0", "2010-12-01 08:34:00", "ALARM CLOCK"],
            ["536367", "2", "4.25", "17850.0", "2010-12-01 08:34:00", "ALARM CLOCK"],
            ["536368", "1", "3.75", "13047.0", "2010-12-01 08:34:00", "BOX"],
            ["536368", "-1", "3.75", "13047.0", "2010-12-01 08:34:00", "BOX"],
        ],
    )
    args = ("import", "sales", path, "--amount", "Quantity*UnitPrice", "--group-by", "InvoiceNo")
    stderr = crm.fails(2, *args)
    assert stderr.splitlines() == [
        "7 lines make 1 sale, one per InvoiceNo",
        "line 2, column InvoiceNo: line 3, of the same InvoiceNo 536365, is invalid: "
        "the InvoiceNo is refused whole",
        "line 3, column Quantity*UnitPrice: amount 'six' is not a number",
        "line 5, column InvoiceNo: the lines of InvoiceNo 536367 name more than one customer",
        "line 6, column InvoiceNo: the lines of InvoiceNo 536367 name more than one customer",
        "line 7, column InvoiceNo: the lines of InvoiceNo 536368 add up to zero",
        "line 8, column InvoiceNo: the lines of InvoiceNo 536368 add up to zero",
        INVALID.format(bad=6, rows=7, name="lines.csv"),
    ]
    assert sales(crm) == []
    result, _ = imported(crm, *args[1:], "--skip-invalid")
    assert result["added"] == 1
    assert [(s["customer_code"], s["sold_on"], s["amount"], s["product"]) for s in sales(crm)] == [
        ("17850", "2010-12-01", "11.10", "HAND WARMER")
    ]


def test_where_keeps_rows_by_value_and_lines_without_grouping_are_sales_each(crm, tmp_path):
    add_customers(crm, tmp_path, ["17850", "12583"])
    path = write(
        tmp_path / "retail.csv",
        [
            ["InvoiceNo", "Quantity", "UnitPrice", "CustomerID", "InvoiceDate", "Country"],
            ["536365", "6", "2.55", "17850.0", "2010-12-01 08:26:00", "United Kingdom"],
            ["536366", "3", "5.184", "17850.0", "2010-12-01 08:28:00", "Unspecified"],
            ["536367", "-2", "1.25", "12583.0", "2010-12-02 09:00:00", "France"],
            ["536368", "1", "9.99", "", "2010-12-02 09:00:00", "France"],
        ],
    )
    result, messages = imported(
        crm,
        "sales",
        path,
        "--amount",
        "Quantity*UnitPrice",
        "--where",
        "Country!=Unspecified",
        "--where",
        "CustomerID!=",
    )
    assert result["added"] == 2
    assert "2 lines left out by --where Country!=Unspecified CustomerID!=" in messages
    assert [(s["customer_code"], s["amount"]) for s in sales(crm)] == [
        ("17850", "15.30"),
        ("12583", "-2.50"),  # a negative quantity: a refund
    ]
    kept, _ = imported(
        crm, "sales", path, "--amount", "Quantity*UnitPrice", "--where", "Country=Unspecified"
    )
    assert kept["added"] == 1
    assert sorted(s["amount"] for s in sales(crm)) == ["-2.50", "15.30", "15.552"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--where", "Country"), "crm: --where 'Country': expected COLUMN=VALUE or COLUMN!=VALUE"),
        (("--where", "Land=UK"), "crm: --where Land=UK: the file has no column 'Land'"),
        (("--group-by", "Order"), "crm: --group-by Order: the file has no column 'Order'"),
        (
            ("--amount", "Qty*UnitPrice"),
            "crm: --amount Qty*UnitPrice: the file has no column 'Qty'",
        ),
        (("--amount", "A*B*C"), "crm: --amount 'A*B*C': expected a column, or two multiplied"),
    ],
)
def test_order_line_options_that_cannot_work_are_refused_before_anything_is_written(
    crm, tmp_path, args, message, db_dump
):
    add_customers(crm, tmp_path, ["17850"])
    path = write(
        tmp_path / "o.csv",
        [
            ["InvoiceNo", "Quantity", "UnitPrice", "CustomerID", "InvoiceDate"],
            ["1", "1", "1", "17850", "2010-12-01"],
        ],
    )
    before = db_dump()
    stderr = crm.fails(2, "import", "sales", path, "--amount", "Quantity*UnitPrice", *args)
    assert stderr.startswith(message), stderr
    assert stderr.count("\n") == 1
    assert db_dump() == before


# --- dates as exports write them ---------------------------------------------------------------


def test_a_column_mixing_date_forms_is_read_form_by_form(crm, tmp_path):
    add_customers(crm, tmp_path, ["HW"])
    path = write(
        tmp_path / "mixed.csv",
        [
            ["Customer ID", "Order Date", "Sales"],
            ["HW", "4/15/2017", "1"],
            ["HW", "11-08-16", "2"],
            ["HW", "12-25-16", "3"],  # says the dashed form is month first
            ["HW", "4/5/2017", "4"],  # Excel's US form: month first
            ["HW", "2011-10-17 12:25:00", "5"],
        ],
    )
    result, _ = imported(crm, "sales", path)
    assert result["added"] == 5
    assert [(s["sold_on"], s["amount"]) for s in sales(crm)] == [
        ("2011-10-17", "5.00"),
        ("2016-11-08", "2.00"),
        ("2016-12-25", "3.00"),
        ("2017-04-05", "4.00"),
        ("2017-04-15", "1.00"),
    ]


def test_a_date_whose_order_nothing_tells_is_refused_by_line_never_guessed(crm, tmp_path):
    add_customers(crm, tmp_path, ["HW"])
    path = write(
        tmp_path / "mixed.csv",
        [
            ["Customer ID", "Order Date", "Sales"],
            ["HW", "4/15/2017", "1"],
            ["HW", "11-08-16", "2"],  # 4/15/2017 is another form: it says nothing of this one
            ["HW", "25.12.2016", "3"],
            ["HW", "12.25.2016", "4"],  # the dotted form both ways: neither is read
        ],
    )
    stderr = crm.fails(2, "import", "sales", path)
    assert stderr.splitlines() == [
        "line 3, column Order Date: date '11-08-16' may be 2016-11-08 or 2016-08-11, and no "
        "other date of its form in this column tells which; write it as YYYY-MM-DD",
        "line 4, column Order Date: date '25.12.2016': this column has both day-first "
        "('25.12.2016') and month-first ('12.25.2016') dates; write them as YYYY-MM-DD",
        "line 5, column Order Date: date '12.25.2016': this column has both day-first "
        "('25.12.2016') and month-first ('12.25.2016') dates; write them as YYYY-MM-DD",
        INVALID.format(bad=3, rows=4, name="mixed.csv"),
    ]
    assert sales(crm) == []


# --- amounts below the cent ------------------------------------------------------------------------


def test_amounts_below_the_cent_are_kept_exactly_and_total_to_the_last_digit(crm, tmp_path):
    add_customers(crm, tmp_path, ["HW"])
    amounts = ["15.552", "0.001", "1,234.5678", "-0.105", "2.5", "99.999999"]
    path = write(
        tmp_path / "precise.csv",
        [["客户编号", "订单日期", "金额"]]
        + [["HW", f"2025-01-{i + 1:02d}", a] for i, a in enumerate(amounts)],
    )
    imported(crm, "sales", path)
    expected = sum(Decimal(a.replace(",", "")) for a in amounts)
    assert expected == Decimal("1352.515799")
    assert [s["amount"] for s in sales(crm)] == [
        "15.552",
        "0.001",
        "1234.5678",
        "-0.105",
        "2.50",
        "99.999999",
    ]
    assert exact_total(crm) == expected
    listing = crm.ok("sale", "list", "--as-of", ON, "--format", "table")
    assert listing.stderr == "6 sales, total ¥1,352.515799\n"
    assert "¥1,234.5678" in listing.stdout
    # exported and imported into another database: the same amounts, to the digit
    export = tmp_path / "sales.csv"
    crm.ok("export", "sales", "-o", export)
    with export.open(encoding="utf-8-sig", newline="") as fh:
        assert [r["amount"] for r in csv.DictReader(fh)] == [
            "15.552",
            "0.001",
            "1234.5678",
            "-0.105",
            "2.50",
            "99.999999",
        ]
    # more decimals than kept is refused, not rounded
    too_fine = write(
        tmp_path / "fine.csv", [["客户编号", "订单日期", "金额"], ["HW", "2025-01-09", "1.2345678"]]
    )
    assert crm.fails(2, "import", "sales", too_fine).splitlines()[0] == (
        "line 2, column 金额: amount '1.2345678' has more than six decimals"
    )


def test_sale_add_keeps_sub_cent_amounts_and_the_history_shows_them(crm):
    crm.ok("customer", "add", "华为", "--code", "HW", "--as-of", "2000-01-01")
    crm.ok("sale", "add", "HW", "15.552", "--on", ON)
    assert [s["amount"] for s in sales(crm)] == ["15.552"]
    history = crm.json("customer", "history", "HW")
    assert [h["new"] for h in history if h["field"] == "sale"] == [f"#1 ¥15.552 on {ON}"]


# --- currencies --------------------------------------------------------------------------------------


def currency_sales(crm, tmp_path):
    add_customers(crm, tmp_path, ["US1", "UK1", "CN1"])
    path = write(
        tmp_path / "fx.csv",
        [
            ["Customer ID", "Order Date", "Amount", "Currency"],
            ["US1", "2025-01-10", "100", "USD"],
            ["UK1", "2025-01-11", "50", "GBP"],
            ["CN1", "2025-01-12", "10", "CNY"],
            ["CN1", "2025-01-13", "600", ""],  # no currency: the base currency
            ["US1", "2025-01-14", "-20", "usd"],
        ],
    )
    imported(crm, "sales", path)


def test_amounts_in_different_currencies_are_never_added_together(crm, tmp_path):
    currency_sales(crm, tmp_path)
    listing = crm.ok("sale", "list", "--as-of", ON, "--format", "table")
    assert listing.stderr == "5 sales, total ¥610.00 + GBP 50.00 + USD 80.00\n"
    assert "USD 100.00" in listing.stdout and "GBP 50.00" in listing.stdout
    assert [(s["amount"], s["currency"]) for s in sales(crm)] == [
        ("100.00", "USD"),
        ("50.00", "GBP"),
        ("10.00", "CNY"),
        ("600.00", "CNY"),
        ("-20.00", "USD"),
    ]
    # classification compares customers in the base currency: refused without rates
    stderr = crm.fails(2, "reclassify", "--as-of", ON)
    assert stderr == (
        "crm: sales in GBP, USD cannot be compared with sales in CNY: no exchange rate; set "
        "one with crm config set currency.rates.GBP RATE (1 GBP = RATE CNY)\n"
    )
    assert crm.fails(2, "report", "abc", "--as-of", ON) == stderr


def test_classification_converts_at_the_configured_rates(crm, tmp_path):
    currency_sales(crm, tmp_path)
    crm.ok("config", "set", "currency.rates.USD", "7.1")
    crm.ok("config", "set", "currency.rates.GBP", "9.05")
    report = crm.json("report", "abc", "--as-of", ON)
    # US1: 80 USD = 568 CNY; UK1: 50 GBP = 452.50 CNY; CN1: 610 CNY
    assert [(c["code"], c["sales"]) for c in report["customers"]] == [
        ("CN1", "610.00"),
        ("US1", "568.00"),
        ("UK1", "452.50"),
    ]
    assert (report["net"], report["currency"]) == ("1630.50", "CNY")
    table = crm.ok("report", "abc", "--as-of", ON, "--format", "table")
    assert table.stderr.startswith(
        "net sales 2024-03-01 (excl.) to 2025-03-01: ¥1,630.50 (in CNY: GBP at 9.05, USD at 7.1)"
    )
    assert "crm: config currency.rates.EUR must be a rate above 0" in crm.fails(
        2, "config", "set", "currency.rates.EUR", "0"
    )
    assert "a rate is named by a currency code in capitals" in crm.fails(
        2, "config", "set", "currency.rates.eur", "7"
    )


def test_report_abc_header_is_the_net_of_every_sale_refunds_included(crm):
    for code in ("A", "B"):
        crm.ok("customer", "add", f"客户{code}", "--code", code, "--as-of", "2025-01-01")
    for args in (
        ("A", "1000", "--on", "2025-01-05"),
        ("A", "100", "--refund", "--on", "2025-01-06"),
        ("B", "50", "--on", "2025-01-05"),
        ("B", "80", "--refund", "--on", "2025-01-07"),  # B nets -30: no grade
    ):
        crm.ok("sale", "add", *args, "--as-of", ON)
    report = crm.json("report", "abc", "--as-of", ON)
    assert [(c["code"], c["sales"]) for c in report["customers"]] == [("A", "900.00")]
    assert report["net"] == "870.00"
    table = crm.ok("report", "abc", "--as-of", ON, "--format", "table")
    assert table.stderr == (
        "net sales 2024-03-01 (excl.) to 2025-03-01: ¥870.00 — A: 1 customer, 100.0 %\n"
    )


# --- headers of other systems, a file imported twice ---------------------------------------


def test_headers_other_systems_use_and_unknown_ones_named_once(crm, tmp_path):
    add_customers(crm, tmp_path, ["HW"])
    plans = write(
        tmp_path / "plans.csv",
        [
            ["客户ID", "截止日期", "内容", "优先级"],
            ["HW", "2025-03-05", "报价", "高"],
            ["HW", "2025-03-06", "回访", "低"],
        ],
    )
    result, messages = imported(crm, "plans", plans)
    assert result["added"] == 2
    assert messages == [
        "columns crm does not know, ignored: 优先级 (name one with --map 'HEADER=field')",
        f"imported {plans} as batch #2: 2 added, 0 updated, 0 skipped, 0 rejected",
    ]
    orders = write(
        tmp_path / "orders.csv",
        [
            ["Customer ID", "Order Date", "Product Name", "Total Amount"],
            ["HW", "2025-01-05", "笔", "12"],
        ],
    )
    imported(crm, "sales", orders)
    assert [(s["sold_on"], s["product"], s["amount"]) for s in sales(crm)] == [
        ("2025-01-05", "笔", "12.00")
    ]


def test_a_file_imported_again_says_so_in_one_line(crm, tmp_path):
    rows = supermarket_rows()[:500]
    add_customers(crm, tmp_path, sorted({r["顾客ID"] for r in rows}, key=int))
    header = list(rows[0])
    path = write(tmp_path / "part.csv", [header] + [[r[h] for h in header] for r in rows])
    first, _ = imported(crm, "sales", path)
    assert first["added"] == 500
    again, messages = imported(crm, "sales", path)
    assert (again["added"], again["skipped"]) == (0, 500)
    assert messages == [
        "columns kept in note: 产品ID, 数量, 价格",
        f"imported {path} as batch #3: nothing new, all 500 rows are already there "
        "(skipped as duplicates), 0 rejected",
    ]


def test_a_database_of_cents_keeps_its_amounts_in_the_finer_unit(database_target):
    from sqlalchemy import text

    from crmcli.db import make_engine, upgrade

    engine = make_engine(database_target, write=True)
    try:
        upgrade(engine, "0009")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO customer (id, code, name, name_key, sort_key, search_key, kind, "
                    "stage, tier, tier_locked, birthday_lunar, birthday_leap, created_on, "
                    "created_at, updated_at) VALUES (1, 'OLD', '老', '老', 'lao', 'lao|l', "
                    "'company', 'customer', 'key', false, false, false, '2026-01-05', "
                    "'2026-01-05 00:00:00', '2026-01-05 00:00:00')"
                )
            )
            for cents in (128050, -500):
                conn.execute(
                    text(
                        "INSERT INTO sale (customer_id, sold_on, amount_cents, currency, "
                        "created_at, updated_at) VALUES (1, '2026-01-06', :c, 'CNY', "
                        "'2026-01-06 00:00:00', '2026-01-06 00:00:00')"
                    ),
                    {"c": cents},
                )
        upgrade(engine)
        with engine.connect() as conn:
            got = conn.execute(text("SELECT amount_micros FROM sale ORDER BY id")).scalars().all()
        assert got == [1_280_500_000, -5_000_000]
    finally:
        engine.dispose()


def day_month_file(tmp_path: Path, first: list[str], last: list[str]) -> Path:
    """2,100 dates that may be read either way (more than a chunk the import reads at a
    time), with ``first`` before them and ``last`` after."""
    middle = [f"{i % 12 + 1:02d}/{(i + 1) % 12 + 1:02d}/2017" for i in range(2100)]
    rows = [["客户编号", "订单日期", "金额"]]
    rows += [["HW", day, str(n + 1)] for n, day in enumerate([*first, *middle, *last])]
    return write(tmp_path / "dates.csv", rows)


def test_a_date_column_s_order_is_decided_over_the_whole_file(crm, tmp_path):
    add_customers(crm, tmp_path, ["HW"])
    # Only the last line tells the order: every date before it is read day first too.
    path = day_month_file(tmp_path, [], ["13/01/2017"])
    result, _ = imported(crm, "sales", path)
    assert result["added"] == 2101
    by_amount = {s["amount"]: s["sold_on"] for s in sales(crm)}
    assert (by_amount["1.00"], by_amount["2.00"], by_amount["2101.00"]) == (
        "2017-02-01",  # 01/02/2017
        "2017-03-02",  # 02/03/2017
        "2017-01-13",
    )


def test_a_date_column_with_both_orders_far_apart_is_refused_whole(crm, tmp_path):
    add_customers(crm, tmp_path, ["HW"])
    path = day_month_file(tmp_path, ["4/15/2017"], ["15/04/2017"])
    stderr = crm.fails(2, "import", "sales", path).splitlines()
    both = "this column has both day-first ('15/04/2017') and month-first ('4/15/2017') dates"
    assert (
        stderr[0] == f"line 2, column 订单日期: date '4/15/2017': {both}; write them as YYYY-MM-DD"
    )
    assert stderr[-2] == (
        f"line 2103, column 订单日期: date '15/04/2017': {both}; write them as YYYY-MM-DD"
    )
    assert stderr[-1] == INVALID.format(bad=2102, rows=2102, name="dates.csv")
    assert sales(crm) == []


def test_the_supermarket_dates_rewritten_in_two_forms_read_back_as_the_file_says(crm, tmp_path):
    """The real export's days written as another system would mix them: a third US slash
    dates (4/15/2017), a third day-first dashed dates with a two-digit year (15-04-17).
    Each form's order is told by its own dates past the 12th; every day reads back."""
    rows = supermarket_rows()[:1200]
    add_customers(crm, tmp_path, sorted({r["顾客ID"] for r in rows}, key=int))
    lines = [["顾客ID", "购买日期", "总价"]]
    for i, r in enumerate(rows):
        y, m, d = (int(p) for p in r["购买日期"].split("-"))
        day = [r["购买日期"], f"{m}/{d}/{y}", f"{d:02d}-{m:02d}-{y % 100:02d}"][i % 3]
        lines.append([r["顾客ID"], day, r["总价"]])
    result, _ = imported(crm, "sales", write(tmp_path / "mixed-days.csv", lines))
    assert result["added"] == 1200
    assert Counter((s["customer_code"], s["sold_on"]) for s in sales(crm)) == Counter(
        (r["顾客ID"], r["购买日期"]) for r in rows
    )


# --- order lines in a workbook, the management report in the base currency ------------------


def test_order_lines_in_a_workbook_are_read_as_from_csv(crm, tmp_path):
    """Online Retail as Excel holds it: invoice numbers as numbers, the moment of the
    order a datetime cell, customer ids float cells, cancellations numbered C…"""
    from datetime import datetime

    from openpyxl import Workbook

    add_customers(crm, tmp_path, ["17850", "13047"])
    book = Workbook()
    sheet = book.active
    sheet.title = "Online Retail"
    sheet.append(["InvoiceNo", "Description", "Quantity", "InvoiceDate", "UnitPrice"])
    sheet["F1"], sheet["G1"] = "CustomerID", "Country"
    at = datetime(2010, 12, 1, 8, 26)
    for row in (
        [536365, "WHITE HANGING HEART", 6, at, 2.55, 17850.0, "United Kingdom"],
        [536365, "WHITE METAL LANTERN", 6, at, 3.39, 17850.0, "United Kingdom"],
        ["C536379", "Discount", -1, datetime(2010, 12, 1, 9, 41), 27.5, 17850.0, "United Kingdom"],
        [536366, "HAND WARMER", 3, datetime(2010, 12, 2, 8, 28), 5.184, 13047.0, "Unspecified"],
        [536367, "ALARM CLOCK", 2, datetime(2010, 12, 2, 9, 0), 4.25, 13047.0, "France"],
    ):
        sheet.append(row)
    path = tmp_path / "Online Retail.xlsx"
    book.save(path)
    _, messages = imported(
        crm,
        "sales",
        path,
        "--amount",
        "Quantity*UnitPrice",
        "--group-by",
        "InvoiceNo",
        "--where",
        "Country!=Unspecified",
    )
    assert messages == [
        "1 line left out by --where Country!=Unspecified",
        "4 lines make 3 sales, one per InvoiceNo",
        f"imported {path} as batch #2: 3 added, 0 updated, 0 skipped, 0 rejected",
    ]
    assert [(s["customer_code"], s["sold_on"], s["amount"], s["note"]) for s in sales(crm)] == [
        ("17850", "2010-12-01", "35.64", "InvoiceNo: 536365 (2 lines)"),
        ("17850", "2010-12-01", "-27.50", "InvoiceNo: C536379"),
        ("13047", "2010-12-02", "8.50", "InvoiceNo: 536367"),
    ]


def test_the_management_report_counts_sales_in_the_base_currency(crm, tmp_path):
    currency_sales(crm, tmp_path)
    refusal = crm.fails(2, "report", "summary", "--as-of", ON)
    assert refusal.startswith("crm: sales in GBP, USD cannot be compared with sales in CNY")
    assert crm.fails(2, "report", "all", "--as-of", ON, "-o", tmp_path / "r.html") == refusal
    assert not (tmp_path / "r.html").exists()
    crm.ok("config", "set", "currency.rates.USD", "7.1")
    crm.ok("config", "set", "currency.rates.GBP", "9.05")
    crm.ok("sale", "add", "CN1", "0.125", "--on", ON, "--as-of", ON)
    report = crm.json("report", "all", "--as-of", ON)["sections"]
    figures = report["summary"]["tables"]["figures"]
    # 80 USD = 568, 50 GBP = 452.50, 610.125 CNY: never 160 + 610.125 as they are
    assert [r["value"] for r in figures["rows"] if r["figure"] == "net sales"] == ["1630.625"]
    assert figures["note"] == "net sales in CNY: GBP at 9.05, USD at 7.1"
    monthly = {r["month"]: r["sales"] for r in report["summary"]["tables"]["monthly"]["rows"]}
    assert (monthly["2025-01"], monthly["2025-02"], monthly["2025-03"]) == (
        "1630.50",
        "0.00",
        "0.125",
    )
    grades = report["abc"]["tables"]["grades"]
    assert grades["note"] == (
        "net of every sale in the window, refunds included: ¥1,630.625 "
        "(in CNY: GBP at 9.05, USD at 7.1)"
    )
    text = crm.ok("report", "summary", "--as-of", ON).stdout
    assert "¥1,630.625" in text
    # a sale in another currency corrected: its history in its own currency
    crm.ok("sale", "edit", "1", "--amount", "99.995", "--as-of", ON)
    history = crm.json("customer", "history", "US1")
    assert [(h["old"], h["new"]) for h in history if h["field"] == "sale.1.amount"] == [
        ("USD 100.00", "USD 99.995")
    ]
