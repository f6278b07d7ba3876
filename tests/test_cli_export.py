"""crm export: every format, formula escaping, text cells, redaction, vCard and iCalendar."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crmcli.text import normalize

ON = "2026-11-01"


@pytest.fixture
def data(crm):
    crm.ok(
        "customer", "add", "华为技术有限公司", "--code", "HW", "--phone", "13812345678",
        "--email", "ren@huawei.com", "--tier", "core", "--owner", "li", "--as-of", ON,
    )  # fmt: skip
    crm.ok(
        "customer", "add", "=HYPERLINK(\"x\")", "--code", "+007", "--phone", "+1 650 253 0000",
        "--notes", "@risk\nsecond line", "--owner", "wang", "--as-of", ON,
    )  # fmt: skip
    crm.ok(
        "contact", "add", "HW", "孙亚芳", "--title", "董事长", "--phone", "13911112222",
        "--email", "sun@huawei.com", "--birthday", "1955-03-08",
    )  # fmt: skip
    crm.ok("contact", "add", "+007", "Bond", "--birthday", "04-13", "--lunar")
    crm.ok("log", "HW", "-c", "visit", "-m", "方案, 报价", "--at", "2026-11-05 10:00",
           "--next", "2026-11-20 14:30", "--next-action", "签合同")  # fmt: skip
    crm.ok("plan", "add", "+007", "--due", "2026-11-25", "--content", "call", "--as-of", ON)
    crm.ok("sale", "add", "HW", "¥128,000.50", "--on", "2026-11-06", "--product", "+plan")
    crm.ok("sale", "add", "HW", "500", "--refund", "--on", "2026-11-07")


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_escapes_formulas_and_writes_phones_that_reimport(crm, data):
    out = crm.ok("export", "customers").stdout
    assert out.splitlines()[0].startswith("code,name,kind,contact_name,phone,email,")
    found = {r["code"]: r for r in rows(out)}
    assert set(found) == {"HW", "'+007"}
    assert found["HW"]["phone"] == "138 1234 5678"
    assert found["HW"]["tier"] == "core"
    assert found["HW"]["tier_locked"] == "no"
    bond = found["'+007"]
    assert bond["name"] == '\'=HYPERLINK("x")'
    assert bond["phone"] == "'+1 650-253-0000"
    assert bond["notes"] == "'@risk second line"
    assert bond["created_on"] == ON


def test_excel_csv_has_a_bom_and_crlf(crm, data, tmp_path):
    target = tmp_path / "c.csv"
    result = crm.ok("export", "customers", "--excel", "-o", target)
    assert result.stderr == f"exported 2 customers to {target}\n"
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcode,name,")
    assert b"\r\n" in raw


def test_json_and_jsonl_keep_stored_values(crm, data):
    listed = json.loads(crm.ok("export", "customers", "--format", "json").stdout)
    hw = next(c for c in listed if c["code"] == "HW")
    assert (hw["phone"], hw["email"], hw["tier_locked"], hw["created_on"]) == (
        "+8613812345678",
        "ren@huawei.com",
        False,
        ON,
    )
    lines = crm.ok("export", "sales", "-f", "jsonl").stdout.splitlines()
    sales = [json.loads(line) for line in lines]
    assert [(s["customer_code"], s["sold_on"], s["amount"], s["product"]) for s in sales] == [
        ("HW", "2026-11-06", "128000.50", "+plan"),
        ("HW", "2026-11-07", "-500.00", None),
    ]
    empty = crm.ok("export", "sales", "-f", "json", "--from", "2027-01-01").stdout
    assert json.loads(empty) == []


def test_redact_masks_phone_and_email_in_every_format(crm, data, tmp_path):
    out = crm.ok("export", "customers", "--redact").stdout
    hw = next(r for r in rows(out) if r["code"] == "HW")
    assert (hw["phone"], hw["email"]) == ("138****5678", "r***@huawei.com")
    listed = json.loads(crm.ok("export", "contacts", "-f", "json", "--redact").stdout)
    assert [(c["phone"], c["email"]) for c in listed] == [
        (None, None),
        ("139****2222", "s***@huawei.com"),
    ]
    vcf = crm.ok("export", "contacts", "-f", "vcf", "--redact").stdout
    assert "13911112222" not in vcf and "139****2222" in vcf
    assert "sun@huawei.com" not in vcf


def test_xlsx_writes_codes_and_phones_as_text_and_escapes_formulas(crm, data, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "customers.xlsx"
    crm.ok("export", "customers", "-o", target)
    sheet = load_workbook(target).active
    header = [c.value for c in sheet[1]]
    by_code = {}
    for row in sheet.iter_rows(min_row=2):
        cells = dict(zip(header, row, strict=True))
        by_code[cells["code"].value] = cells
    # No stray apostrophe: a text cell with the quote-prefix style, as Excel makes '=…
    assert set(by_code) == {"HW", "+007"}
    hw = by_code["HW"]
    assert (hw["phone"].value, hw["phone"].data_type, hw["phone"].number_format) == (
        "138 1234 5678",
        "s",
        "@",
    )
    assert (hw["code"].data_type, hw["code"].number_format) == ("s", "@")
    bond = by_code["+007"]
    assert (bond["name"].value, bond["name"].data_type) == ('=HYPERLINK("x")', "s")
    assert bond["name"].quotePrefix and bond["code"].quotePrefix
    assert not hw["name"].quotePrefix
    assert hw["created_on"].value.date().isoformat() == ON
    sales = tmp_path / "sales.xlsx"
    crm.ok("export", "sales", "-o", sales)
    amounts = [row[3] for row in load_workbook(sales).active.iter_rows(min_row=2)]
    assert [(a.value, a.data_type, a.number_format) for a in amounts] == [
        (128000.5, "n", "0.00####"),
        (-500, "n", "0.00####"),
    ]


def test_vcards_reparse_with_vobject(crm, data, tmp_path):
    import vobject

    target = tmp_path / "team.vcf"
    crm.ok("export", "contacts", "--format", "vcf", "-o", target)
    cards = list(vobject.readComponents(target.read_text(encoding="utf-8")))
    by_name = {c.fn.value: c for c in cards}
    assert set(by_name) == {"孙亚芳", "Bond"}
    sun = by_name["孙亚芳"]
    assert sun.tel.value == "+8613911112222"
    assert sun.email.value == "sun@huawei.com"
    assert sun.title.value == "董事长"
    assert sun.org.value == ["华为技术有限公司"]
    assert sun.bday.value == "1955-03-08"
    assert sun.contents["x-crm-customer"][0].value == "HW"
    bond = by_name["Bond"]
    assert bond.note.value == "生日 农历04-13"
    assert "bday" not in bond.contents


def test_ics_has_open_plans_and_due_days_with_a_timezone(crm, data, tmp_path):
    import icalendar

    target = tmp_path / "visits.ics"
    result = crm.ok("export", "plans", "--format", "ics", "-o", target)
    assert result.stderr == f"exported 4 calendar entries to {target}\n"
    calendar = icalendar.Calendar.from_ical(target.read_bytes())
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    contract = events["plan-1@crmcli"]
    assert str(contract["SUMMARY"]) == "visit: 华为技术有限公司 (HW) — 签合同"
    start = contract.decoded("DTSTART")
    assert (start.isoformat(), str(start.tzinfo)) == ("2026-11-20T14:30:00+08:00", "Asia/Shanghai")
    assert contract.decoded("DTEND").isoformat() == "2026-11-20T15:00:00+08:00"
    call = events["plan-2@crmcli"]
    assert call.decoded("DTSTART").isoformat() == "2026-11-25"
    # HW is core: a contact every 14 days after the visit of 2026-11-05 → 2026-11-19
    due = events["due-1@crmcli"]
    assert str(due["SUMMARY"]) == "contact due: 华为技术有限公司 (HW)"
    assert due.decoded("DTSTART").isoformat() == "2026-11-19"
    assert due.decoded("DTEND").isoformat() == "2026-11-20"
    assert set(events) == {
        "plan-1@crmcli",
        "plan-2@crmcli",
        "due-1@crmcli",
        "due-2@crmcli",
    }


def test_ics_for_one_owner(crm, data):
    import icalendar

    raw = crm.ok("export", "plans", "-f", "ics", "--owner", "wang").stdout.encode()
    events = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert sorted(str(e["UID"]) for e in events) == ["due-2@crmcli", "plan-2@crmcli"]


def test_filters_as_in_list(crm, data):
    codes = [r["code"] for r in rows(crm.ok("export", "customers", "--tier", "核心").stdout)]
    assert codes == ["HW"]
    assert [r["code"] for r in rows(crm.ok("export", "customers", "--owner", "wang").stdout)] == [
        "'+007"
    ]
    contacts = rows(crm.ok("export", "contacts", "--customer", "HW").stdout)
    assert [c["name"] for c in contacts] == ["孙亚芳"]
    plans = rows(crm.ok("export", "plans", "--status", "open", "--from", "2026-11-21").stdout)
    assert [(p["customer_code"], p["due_on"], p["content"]) for p in plans] == [
        ("'+007", "2026-11-25", "call")
    ]
    followups = rows(crm.ok("export", "followups").stdout)
    assert [(f["customer_code"], f["at"], f["channel"], f["summary"]) for f in followups] == [
        ("HW", "2026-11-05 10:00", "visit", "方案, 报价")
    ]
    # A landline typed with its trunk 0 is found by its stored form, as customer list finds it.
    crm.ok("customer", "add", "杭州西湖茶业", "--code", "HZ", "--phone", "0571-85022088")
    search = ("--search", "0571 8502 2088")
    assert [r["code"] for r in rows(crm.ok("export", "customers", *search).stdout)] == ["HZ"]
    assert [c["code"] for c in crm.json("customer", "list", *search)] == ["HZ"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("customers", "-f", "vcf"), "crm: vcf export is for contacts only\n"),
        (("contacts", "-f", "ics"), "crm: ics export is for plans only\n"),
        (
            ("customers", "-f", "pdf"),
            "crm: unknown format 'pdf'; expected one of: csv, tsv, json, jsonl, xlsx\n",
        ),
        (
            ("contacts", "-f", "pdf"),
            "crm: unknown format 'pdf'; expected one of: csv, tsv, json, jsonl, xlsx, vcf\n",
        ),
        (
            ("plans", "-f", "pdf"),
            "crm: unknown format 'pdf'; expected one of: csv, tsv, json, jsonl, xlsx, ics\n",
        ),
        (("sales", "-o", "sales.vcf"), "crm: vcf export is for contacts only\n"),
        (("customers", "-f", "json", "--excel"), "crm: --excel applies to csv and tsv only\n"),
        (("contacts", "--from", "2026-01-01"), "crm: --from/--to do not apply to contacts\n"),
        (
            ("sales", "--from", "2026-02-01", "--to", "2026-01-01"),
            "crm: --from 2026-02-01 is after --to 2026-01-01\n",
        ),
    ],
)
def test_refused_exports(crm, data, args, message):
    assert crm.fails(2, "export", *args) == message


def test_format_follows_the_output_suffix(crm, data, tmp_path):
    target = tmp_path / "c.jsonl"
    crm.ok("export", "customers", "-o", target)
    assert len(target.read_text(encoding="utf-8").splitlines()) == 2


def test_tsv_writes_tabs_and_reimports(crm, data, tmp_path):
    target = tmp_path / "followups.tsv"
    result = crm.ok("export", "followups", "-o", target)
    assert result.stderr == f"exported 1 follow-up to {target}\n"
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t")[:6] == [
        "customer_code",
        "customer_name",
        "contact",
        "at",
        "channel",
        "summary",
    ]
    assert lines[1].split("\t")[:6] == [
        "HW",
        "华为技术有限公司",
        "",
        "2026-11-05 10:00",
        "visit",
        "方案, 报价",
    ]
    assert crm.ok("export", "customers", "-f", "tsv").stdout.startswith("code\tname\tkind\t")
    customers = tmp_path / "customers.tsv"
    crm.ok("export", "customers", "-o", customers)
    again = tmp_path / "again.db"
    crm.ok("--db", again, "import", "customers", customers)
    crm.ok("--db", again, "import", "followups", target)
    back = json.loads(crm.ok("--db", again, "export", "followups", "-f", "json").stdout)
    assert [(f["customer_code"], f["at"], f["summary"]) for f in back] == [
        ("HW", "2026-11-05 10:00", "方案, 报价")
    ]


def test_json_exports_give_tags_as_an_array_as_customer_list_does(crm, data):
    crm.ok("customer", "edit", "HW", "--tags", "vip,老客户")
    expected = {"HW": ["vip", "老客户"], "+007": []}
    listed = json.loads(crm.ok("export", "customers", "-f", "json").stdout)
    assert {c["code"]: c["tags"] for c in listed} == expected
    lines = crm.ok("export", "customers", "-f", "jsonl").stdout.splitlines()
    assert {c["code"]: c["tags"] for c in map(json.loads, lines)} == expected
    assert {c["code"]: c["tags"] for c in crm.json("customer", "list")} == expected
    # csv keeps the text the importer splits again
    assert {r["code"]: r["tags"] for r in rows(crm.ok("export", "customers").stdout)} == {
        "HW": "vip,老客户",
        "'+007": "",
    }


def test_times_are_written_without_the_clocks_microseconds(crm, data, tmp_path):
    import re

    from openpyxl import load_workbook

    stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
    for record in rows(crm.ok("export", "customers").stdout):
        assert stamp.fullmatch(record["created_at"]), record["created_at"]
        assert stamp.fullmatch(record["updated_at"]), record["updated_at"]
    (followup,) = json.loads(crm.ok("export", "followups", "-f", "json").stdout)
    assert followup["at"] == "2026-11-05 10:00"
    assert stamp.fullmatch(followup["created_at"]), followup["created_at"]
    target = tmp_path / "customers.xlsx"
    crm.ok("export", "customers", "-o", target)
    sheet = load_workbook(target).active
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2, values_only=True):
        created = dict(zip(header, row, strict=True))["created_at"]
        assert created.microsecond == 0


def test_vcard_phones_are_cell_only_for_mobiles(crm, data, tmp_path):
    import vobject

    crm.ok("contact", "add", "HW", "总机", "--phone", "010-12345678")
    crm.ok("contact", "add", "+007", "Q", "--phone", "+1 650 253 0000")
    target = tmp_path / "team.vcf"
    crm.ok("export", "contacts", "-o", target)
    cards = vobject.readComponents(target.read_text(encoding="utf-8"))
    phones = {c.fn.value: (c.tel.value, c.tel.params["TYPE"]) for c in cards if "tel" in c.contents}
    assert phones == {
        "孙亚芳": ("+8613911112222", ["CELL"]),
        "总机": ("+861012345678", ["WORK", "VOICE"]),
        "Q": ("+16502530000", ["VOICE"]),  # a US number may be mobile or fixed
    }


def _events(target):
    import icalendar

    calendar = icalendar.Calendar.from_ical(target.read_bytes())
    zones = [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")]
    return zones, sorted(str(e["UID"]) for e in calendar.walk("VEVENT"))


@pytest.mark.parametrize(
    ("args", "uids"),
    [
        (("--customer", "HW"), ["due-1@crmcli", "plan-1@crmcli"]),
        (("--from", "2026-11-20", "--to", "2026-11-30"), ["plan-1@crmcli", "plan-2@crmcli"]),
        (("--customer", "+007", "--from", "2026-11-26"), ["due-2@crmcli"]),
        (("--to", "2026-11-19"), ["due-1@crmcli"]),
        (
            ("--status", "open"),
            [
                "due-1@crmcli",
                "due-2@crmcli",
                "plan-1@crmcli",
                "plan-2@crmcli",
            ],
        ),
    ],
)
def test_ics_applies_customer_status_and_days(crm, data, tmp_path, args, uids):
    target = tmp_path / "visits.ics"
    result = crm.ok("export", "plans", "-o", target, *args)
    noun = "calendar entry" if len(uids) == 1 else "calendar entries"
    assert result.stderr == f"exported {len(uids)} {noun} to {target}\n"
    assert _events(target) == (["Asia/Shanghai"], uids)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--status", "done"),
            "crm: --status done does not apply to ics: the calendar holds open plans and due days\n",
        ),
        (
            ("--status", "all"),
            "crm: --status all does not apply to ics: the calendar holds open plans and due days\n",
        ),
        (
            ("--from", "2026-12-01", "--to", "2026-11-01"),
            "crm: --from 2026-12-01 is after --to 2026-11-01\n",
        ),
    ],
)
def test_ics_refuses_what_a_calendar_cannot_hold(crm, data, tmp_path, args, message):
    target = tmp_path / "visits.ics"
    assert crm.fails(2, "export", "plans", "-o", target, *args) == message
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if "visits" in p.name) == []


def test_a_calendar_of_all_day_entries_still_defines_its_time_zone(crm, data, tmp_path):
    target = tmp_path / "wang.ics"
    crm.ok("export", "plans", "-o", target, "--owner", "wang")  # no time of day: all-day
    assert _events(target) == (["Asia/Shanghai"], ["due-2@crmcli", "plan-2@crmcli"])
    empty = tmp_path / "none.ics"  # nothing falls in this window
    crm.ok("export", "plans", "-o", empty, "--owner", "wang", "--from", "2030-01-01")
    assert _events(empty) == (["Asia/Shanghai"], [])


@pytest.mark.sqlite_only(reason="-o names the SQLite file itself, a link to it or its -wal")
@pytest.mark.parametrize("name", ["crm.db", "link.db", "crm.db-wal"])
def test_an_output_that_is_the_database_is_refused_and_the_database_kept(crm, data, tmp_path, name):
    database = tmp_path / "crm.db"
    (tmp_path / "link.db").symlink_to(database)
    before = database.read_bytes()
    target = tmp_path / name
    message = f"crm: {target} is the database itself; write the export to another file\n"
    assert crm.fails(2, "export", "customers", "-o", target) == message
    assert crm.fails(2, "--db", database, "export", "customers", "-o", target) == message
    assert database.read_bytes() == before
    assert len(rows(crm.ok("export", "customers").stdout)) == 2


def _leftovers(tmp_path):
    return [p.name for p in tmp_path.iterdir() if p.name.startswith(".customers.csv")]


def test_a_failed_export_leaves_the_file_that_was_there(crm, data, tmp_path, monkeypatch):
    import errno
    import os
    import sqlite3

    from crmcli.io import exporters
    from crmcli.services import exports

    target = tmp_path / "customers.csv"
    target.write_text("yesterday's export\n", encoding="utf-8")
    real_rows = exports.export_rows

    def broken_rows(session, table, f):
        rows = real_rows(session, table, f)
        yield next(rows)
        raise sqlite3.OperationalError("disk I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(exports, "export_rows", broken_rows)
        assert crm.fails(4, "export", "customers", "-o", target) == (
            "crm: storage error: disk I/O error\n"
        )
    assert target.read_text(encoding="utf-8") == "yesterday's export\n"
    assert _leftovers(tmp_path) == []

    def disk_full(rows, columns, out, **options):
        out.write("code,name\n")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(exporters, "write_csv", disk_full)
        assert crm.fails(2, "export", "customers", "-o", target) == (
            f"crm: cannot write {target}: No space left on device\n"
        )
    assert target.read_text(encoding="utf-8") == "yesterday's export\n"
    assert _leftovers(tmp_path) == []


def test_an_export_replaces_a_file_whole_and_keeps_its_permissions(crm, data, tmp_path):
    target = tmp_path / "customers.csv"
    target.write_text("x" * 100_000, encoding="utf-8")
    target.chmod(0o640)
    crm.ok("export", "customers", "-o", target)
    assert target.stat().st_mode & 0o777 == 0o640
    assert [r["code"] for r in rows(target.read_text(encoding="utf-8"))] == ["'+007", "HW"]
    assert _leftovers(tmp_path) == []
    assert crm.fails(2, "export", "customers", "-o", tmp_path) == (
        f"crm: cannot write {tmp_path}: it is a directory\n"
    )


def test_an_output_that_is_no_regular_file_is_written_to_not_replaced(crm, data, tmp_path):
    # /dev/null, /dev/stdout or a named pipe: written to as it is, never renamed over.
    import os
    import stat

    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)  # so that the export can open it
    try:
        result = crm.ok("export", "customers", "-o", pipe)
        received = os.read(reader, 1 << 20).decode("utf-8")
    finally:
        os.close(reader)
    assert result.stderr == f"exported 2 customers to {pipe}\n"
    assert sorted(r["code"] for r in rows(received)) == ["'+007", "HW"]
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".pipe.csv")] == []


# Mobile prefixes and area codes (Beijing, Guangzhou, Shanghai, Tianjin, Hangzhou,
# Shenzhen, Chengdu, Fuzhou), followed by digits: about one in four is a valid number.
_CN_STARTS = ("13", "15", "16", "17", "18", "19", "10", "20", "21", "22", "571", "755", "28", "591")


@settings(
    suppress_health_check=[HealthCheck.filter_too_much], deadline=None
)  # three in four are invalid
@given(
    st.sampled_from(_CN_STARTS),
    st.from_regex(r"\d{6,9}", fullmatch=True),
    st.one_of(st.none(), st.from_regex(r"\d{1,4}", fullmatch=True)),
)
def test_a_stored_chinese_phone_is_shown_as_the_phone_library_formats_it(start, digits, ext):
    # A phone is stored as the E.164 of a valid number; it is not parsed again for display,
    # and the text must not change for that.
    import phonenumbers

    number = phonenumbers.parse("+86" + start + digits, "CN")
    assume(phonenumbers.is_valid_number(number))
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.format_number(
        phonenumbers.parse(e164, "CN"), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    stored = f"{e164};ext={ext}" if ext else e164
    assert normalize.phone_display(stored) == (f"{national} 转 {ext}" if ext else national)


def test_phones_as_an_export_shows_them():
    assert normalize.phone_display("+8613812345678") == "138 1234 5678"
    assert normalize.phone_display("+861012345678") == "010 1234 5678"
    assert normalize.phone_display("+8657185022088;ext=321") == "0571 8502 2088 转 321"
    assert normalize.phone_display("+16502530000") == "+1 650-253-0000"
