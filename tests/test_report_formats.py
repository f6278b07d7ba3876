"""crm report … in every format (the same figures as its JSON), --redact, and bad input:
one line on stderr, the documented exit code, and no file written or left half-written."""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import date, datetime
from decimal import Decimal

import pytest

PERIOD = ("--from", "2026-01-01", "--to", "2026-06-30")


@pytest.fixture
def shop(crm):
    crm.add_customer("甲方电子", "A", "customer", "--tier", "core", "--phone", "13812345678",
                     "--email", "buyer@jia.cn", owner="li", on="2025-12-01")  # fmt: skip
    crm.add_customer("丁方制造", "D", "loyal", "--tier", "key", "--phone", "13987654321",
                     owner="wang", on="2026-01-05")  # fmt: skip
    crm.ok("log", "A", "--channel", "phone", "--summary", "回访", "--at", "2026-02-03 10:00",
           "--owner", "li", "--as-of", "2026-02-03")  # fmt: skip
    crm.ok("sale", "add", "A", "12345.67", "--on", "2026-02-01", "--as-of", "2026-02-01")
    crm.ok("sale", "add", "D", "20000", "--on", "2026-04-01", "--as-of", "2026-04-01")
    for code, on, q in (("A", "2026-02-10", 4), ("D", "2026-05-10", 2)):
        crm.ok("survey", "add", code, "--method", "phone", "--quality", q, "--price", 3,
               "--delivery", 3, "--service", 3, "--on", on, "--as-of", on)  # fmt: skip
    return crm


def sections(crm, *extra):
    return crm.json("report", "all", *PERIOD, *extra)["sections"]


# --- xlsx: re-opened and checked cell by cell against the JSON -------------------------------


def test_xlsx_has_a_sheet_per_section_with_typed_cells(shop, tmp_path):
    from openpyxl import load_workbook

    data = sections(shop)
    target = tmp_path / "report.xlsx"
    shop.ok("report", "all", *PERIOD, "-o", target)
    book = load_workbook(target)
    assert book.sheetnames == list(data)
    for key, section in data.items():
        sheet = book[key]
        assert sheet.freeze_panes == "A2", key
        row_no = 1
        for index, table in enumerate(section["tables"].values()):
            if index:
                row_no += 1
                assert sheet.cell(row_no, 1).value == table["title"]
                row_no += 1
            headers = [sheet.cell(row_no, i + 1).value for i in range(len(table["columns"]))]
            assert headers == [c["header"] for c in table["columns"]]
            row_no += 1
            for row in table["rows"]:
                for i, col in enumerate(table["columns"]):
                    cell = sheet.cell(row_no, i + 1)
                    want = row[col["key"]]
                    kind = row.get("kind", "number") if col["kind"] == "auto" else col["kind"]
                    if want is None:
                        assert cell.value is None, (key, col["key"])
                    elif kind == "money":
                        assert isinstance(cell.value, (int, float)), (key, col["key"])
                        assert Decimal(str(cell.value)).quantize(Decimal("0.01")) == Decimal(want)
                        # cents always, and the digits below the cent a sale kept
                        assert cell.number_format == "#,##0.00####"
                    elif kind == "pct":
                        assert cell.value == want and cell.number_format == "0.0%"
                    elif kind == "date":
                        assert isinstance(cell.value, datetime)
                        assert cell.value.date() == date.fromisoformat(want)
                    else:
                        assert cell.value == want, (key, col["key"], cell.value, want)
                row_no += 1
    summary = book["summary"]
    assert summary["A6"].value == "net sales" and summary["B6"].value == pytest.approx(32345.67)


# --- html: structure ---------------------------------------------------------------------------


def test_html_is_self_contained_with_one_chart_per_section(shop, tmp_path):
    target = tmp_path / "report.html"
    shop.ok("report", "all", *PERIOD, "--format", "html", "-o", target)
    page = target.read_text(encoding="utf-8")
    for key in ("summary", "tiers", "pipeline", "staff", "complaints", "satisfaction", "abc"):
        body = page.split(f'<section id="{key}">', 1)[1].split("</section>", 1)[0]
        assert body.count("<svg") == 1, key
        assert f'<figure class="chart" data-section="{key}">' in body
    assert "<style>" in page and "@page { size: A4" in page
    # Nothing to fetch: no src/href/url()/@import at all, no link or script element; the
    # only URLs are the SVG namespace names, which are never fetched.
    assert not re.search(r"\b(src|href)\s*=", page)
    assert "url(" not in page and "@import" not in page
    assert "<link" not in page and "<script" not in page
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert "project success rate = completed ÷ (completed + lost)" in page


def test_markdown_and_csv_carry_the_tables_and_definitions(shop):
    md = shop.ok("report", "complaints", *PERIOD, "--format", "markdown").stdout
    assert md.startswith("# Report 2026-01-01 to 2026-06-30\n")
    assert "## Complaints" in md and "### Complaints by severity" in md
    assert "| Severity | Complaints |" in md
    assert "- *Response SLA*: response SLA compliance = " in md
    text = shop.ok("report", "summary", *PERIOD, "--format", "csv").stdout
    lines = list(csv.reader(io.StringIO(text)))
    start = lines.index(["summary: figures", "Key figures"])
    assert lines[start + 1] == ["figure", "value"]
    figures = {r[0]: r[1] for r in lines[start + 2 : start + 15]}
    assert figures["net sales"] == "32345.67"
    assert figures["orders"] == "2"


def test_table_has_a_bar_chart_within_80_columns(shop):
    out = shop.ok("report", "tiers", *PERIOD).stdout
    chart = out.split("Customers by tier\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split()[0] for line in chart] == ["core", "key"]
    # Both tiers hold one customer: bars of the same, full length.
    assert chart[0].count("█") == chart[1].count("█") == 36
    assert all(len(line) <= 80 for line in out.splitlines() if "█" in line)


def test_redact_masks_phones_and_emails_in_every_format(shop, tmp_path):
    plain = sections(shop)["satisfaction"]["tables"]["lowest"]["rows"]
    assert [(r["code"], r["phone"], r["email"]) for r in plain] == [
        ("D", "139 8765 4321", None),
        ("A", "138 1234 5678", "buyer@jia.cn"),
    ]
    masked = sections(shop, "--redact")["satisfaction"]["tables"]["lowest"]["rows"]
    assert [(r["phone"], r["email"]) for r in masked] == [
        ("139****4321", None),
        ("138****5678", "b***@jia.cn"),
    ]
    for fmt in ("table", "markdown", "csv", "html", "xlsx"):
        target = tmp_path / f"r.{fmt}"
        shop.ok("report", "satisfaction", *PERIOD, "--format", fmt, "--redact", "-o", target)
        if fmt == "xlsx":
            from openpyxl import load_workbook

            cells = [
                c.value for row in load_workbook(target)["satisfaction"].iter_rows() for c in row
            ]
            content = "\n".join(str(v) for v in cells if v is not None)
        else:
            content = target.read_text(encoding="utf-8")
        assert "138****5678" in content and "b***@jia.cn" in content, fmt
        assert "1234 5678" not in content and "buyer@" not in content, fmt


# --- bad input ----------------------------------------------------------------------------------


def test_from_after_to_is_refused(shop, tmp_path):
    target = tmp_path / "r.html"
    err = shop.fails(2, "report", "all", "--from", "2026-07-01", "--to", "2026-06-30", "-o", target)
    assert err == "crm: --from 2026-07-01 is after --to 2026-06-30\n"
    assert not target.exists()


def test_unknown_owner_names_the_owners(shop, tmp_path):
    target = tmp_path / "r.json"
    err = shop.fails(3, "report", "staff", *PERIOD, "--owner", "zhao", "-o", target)
    assert err == "crm: nobody named 'zhao' owns a customer or a plan; owners: li, wang\n"
    assert not target.exists()


def test_unknown_format_is_refused(shop):
    err = shop.fails(2, "report", "summary", "--format", "pdf")
    assert err == (
        "crm: unknown format 'pdf'; expected one of: table, markdown, csv, json, xlsx, html\n"
    )


def test_unwritable_output_is_a_storage_error(shop, tmp_path):
    missing = tmp_path / "no-such-dir" / "r.html"
    err = shop.fails(4, "report", "all", *PERIOD, "-o", missing)
    assert err.startswith(f"crm: cannot write {missing}: ")
    assert not missing.parent.exists()
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        shop.fails(4, "report", "all", *PERIOD, "-o", locked / "r.html")
        assert list(locked.iterdir()) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(shop, tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("the report of last month", encoding="utf-8")
    from crmcli.services.reports import html

    def broken(report, out, *, redact):
        out.write("<!DOCTYPE html><html><body><h1>half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(html, "write_html", broken)
    err = shop.fails(4, "report", "all", *PERIOD, "-o", target)
    assert err == f"crm: cannot write {target}: No space left on device\n"
    assert target.read_text(encoding="utf-8") == "the report of last month"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".report")) == []


# --- language: people read Chinese, scripts read English -------------------------------------


def test_a_chinese_report_speaks_chinese_where_people_read_it(shop, monkeypatch, tmp_path):
    from openpyxl import load_workbook

    english = sections(shop)
    english_csv = shop.ok("report", "summary", *PERIOD, "--format", "csv").stdout
    monkeypatch.setenv("CRM_LANG", "zh")

    out = shop.ok("report", "tiers", *PERIOD).stdout
    assert out.startswith("报表 2026-01-01 至 2026-06-30\n\n== 分类、等级与价值 ==\n按分类的客户\n")
    chart = out.split("按分类的客户\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split()[0] for line in chart] == ["核心", "重点"]
    table = out.split("按分类的客户（不含垃圾和流失）\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split() for line in table] == [
        ["分类", "客户数", "占比"],
        ["核心", "1", "50.0%"],
        ["重点", "1", "50.0%"],
        ["占比：占比", "=", "该分类的客户数", "÷", "全部", "2", "名"],
    ]
    funnel = shop.ok("report", "pipeline", *PERIOD).stdout
    funnel = funnel.split("按生命周期阶段的客户\n", 1)[1].splitlines()
    # The stage is its label already: no second column saying it again.
    assert funnel[0].split() == ["阶段", "客户数"]
    assert [line.split() for line in funnel[4:6]] == [["成交", "1"], ["忠诚", "1"]]
    staff = shop.ok("report", "staff", *PERIOD).stdout.split("客户与跟进\n", 1)[1].splitlines()
    assert staff[0].split()[:7] == ["负责人", "客户数", "核心", "重点", "一般", "潜在", "逾期"]

    md = shop.ok("report", "summary", *PERIOD, "--format", "markdown").stdout
    assert md.startswith("# 报表 2026-01-01 至 2026-06-30\n\n## 概况\n")
    assert "| 项目 | 数值 |" in md and "| 净销售额 | ¥32,345.67 |" in md
    assert "- 每百名活跃客户投诉数：百分比即每 100 名客户的投诉数\n" in md

    target = tmp_path / "report.xlsx"
    shop.ok("report", "all", *PERIOD, "-o", target)
    sheet = load_workbook(target)["summary"]
    assert [sheet.cell(1, i).value for i in (1, 2)] == ["项目", "数值"]
    assert sheet.cell(2, 1).value == "客户（不含垃圾和流失）"
    html = tmp_path / "report.html"
    shop.ok("report", "all", *PERIOD, "-o", html)
    page = html.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "<h2>概况</h2>" in page
    assert "<th>负责人</th>" in page

    # JSON and csv are the scripts' contract: English, values as they are.
    assert sections(shop) == english
    assert shop.ok("report", "summary", *PERIOD, "--format", "csv").stdout == english_csv
