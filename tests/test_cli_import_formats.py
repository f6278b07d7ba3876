"""crm import of the files users have besides CSV: workbooks (.xlsx, .xls, .et, .ods, from
openpyxl and from LibreOffice) and phones' address books (.vcf: Android 2.1, iOS 3.0, 4.0);
and the calendar and xlsx exports that go back to those apps (SPEC §4)."""

from __future__ import annotations

import csv
import io
import json
import quopri
import shutil
import time
from pathlib import Path

import pytest

ON = "2026-11-01"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "workbooks"
REALDATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata"
WORKBOOKS = [
    "customers-openpyxl.xlsx",
    "customers-libreoffice.xlsx",
    "customers-libreoffice.ods",
    "customers-libreoffice.xls",
]


def imported(crm, *args):
    result = crm("import", *args, "--as-of", ON, "--format", "json")
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout), result.stderr.splitlines()


def customers(crm):
    return {c["code"]: c for c in crm.json("customer", "list")}


# --- workbooks ------------------------------------------------------------------------


@pytest.mark.parametrize("name", WORKBOOKS)
def test_a_workbook_imports_with_its_cell_types_kept_and_its_title_rows_skipped(crm, name):
    book = FIXTURES / name
    result, said = imported(crm, "customers", book)
    assert (result["rows"], result["added"], result["rejected"]) == (2, 2, 0)
    assert said[-1] == f"imported {book} as batch #1: 2 added, 0 updated, 0 skipped, 0 rejected"
    shown = customers(crm)
    # Codes stored as text keep their zeros; phones stored as numbers are whole numbers.
    assert set(shown) == {"007", "0420"}
    assert (shown["007"]["name"], shown["007"]["phone"], shown["007"]["tier"]) == (
        "华为技术有限公司",
        "+8613812345678",
        "core",
    )
    assert (shown["0420"]["phone"], shown["0420"]["tier"]) == ("+8613912345678", "key")
    detail = crm.json("customer", "show", "007")["customer"]
    assert (detail["birthday"], detail["created_on"]) == ("1985-03-08", "2026-10-01")
    # A date-time cell at midnight is the date.
    assert crm.json("customer", "show", "0420")["customer"]["created_on"] == "2026-10-02"
    # The second sheet, by name and by number: a whole amount, a fractional one.
    sales, _ = imported(crm, "sales", book, "--sheet", "销售")
    assert sales["added"] == 2
    listed = [(s["customer_code"], s["sold_on"], s["amount"]) for s in crm.json("sale", "list")]
    assert listed == [("007", "2026-10-05", "12000.00"), ("0420", "2026-10-06", "99.50")]
    again, _ = imported(crm, "sales", book, "--sheet", "2", "--dry-run")
    assert (again["added"], again["skipped"]) == (0, 2)


def test_a_wps_et_file_is_read_by_its_content(crm, tmp_path):
    # .et is WPS's own name for a workbook in either container; this one is the xls one.
    et = tmp_path / "客户名单.et"
    shutil.copy(FIXTURES / "customers-libreoffice.xls", et)
    result, _ = imported(crm, "customers", et)
    assert result["added"] == 2
    assert set(customers(crm)) == {"007", "0420"}


def _book(path, rows, title="Sheet"):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_workbook_rows_go_through_the_same_checks_rejects_and_undo(crm, tmp_path):
    book = _book(
        tmp_path / "leads.xlsx",
        [
            ["客户导入模板"],
            ["name", "phone", "email", "tier"],
            ["Good Co", 13800001111, "a@good.example", "key"],
            ["Bad Co", 13800002222, "not-an-email", "key"],
            [None, None, None, None],
            ["Worse Co", 13800003333, None, "platinum"],
            ["Good Co", 13800001111, None, None],
        ],
    )
    rejects = tmp_path / "rejects.csv"
    result = crm("import", "customers", book, "--as-of", ON, "--rejects", rejects)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    # Lines are the sheet's row numbers, as the spreadsheet shows them.
    assert lines[0].startswith("line 4, column email: ")
    assert lines[1].startswith("line 6, column tier: ")
    assert lines[-1].startswith("crm: 2 of 4 rows of leads.xlsx are invalid; nothing imported")
    assert customers(crm) == {}
    with rejects.open(encoding="utf-8-sig", newline="") as fh:
        bad = list(csv.reader(fh))
    assert bad[0] == ["name", "phone", "email", "tier", "reject_reason"]
    assert [row[:4] for row in bad[1:]] == [
        ["Bad Co", "13800002222", "not-an-email", "key"],
        ["Worse Co", "13800003333", "", "platinum"],
    ]
    assert bad[1][4].startswith("line 4: ")
    result, said = imported(crm, "customers", book, "--skip-invalid")
    assert (result["added"], result["skipped"], result["rejected"]) == (1, 1, 2)
    assert "line 7: skipped, duplicate of line 3 (same phone)" in said
    assert [c["name"] for c in customers(crm).values()] == ["Good Co"]
    crm.ok("import", "undo", "1", "--yes")
    assert customers(crm) == {}


def test_header_row_and_sheet_choice(crm, tmp_path):
    book = _book(
        tmp_path / "list.xlsx",
        [["name", "remark"], ["客户名称", "电话"], ["Acme", "010-88886666"]],
        title="名单",
    )
    # Found: the row with most known headers is row 1 (name, remark) here; --header-row 2
    # says the real header is the second row.
    imported(crm, "customers", book, "--header-row", "2")
    assert [(c["name"], c["phone"]) for c in customers(crm).values()] == [("Acme", "+861088886666")]
    assert crm.fails(2, "import", "customers", book, "--sheet", "客户") == (
        "crm: list.xlsx has no sheet '客户'; its sheets are: '名单'\n"
    )
    assert crm.fails(2, "import", "customers", book, "--sheet", "2") == (
        "crm: list.xlsx has no sheet 2: it has 1 (numbered from 1)\n"
    )
    assert crm.fails(2, "import", "customers", book, "--header-row", "9") == (
        "crm: --header-row 9 is past the last row (3) of sheet '名单' of list.xlsx\n"
    )
    assert crm.fails(2, "import", "customers", book, "--header-row", "0") == (
        "crm: --header-row must be a row number from 1, not '0'\n"
    )
    plain = tmp_path / "plain.csv"
    plain.write_text("name\nAcme\n", encoding="utf-8")
    assert crm.fails(2, "import", "customers", plain, "--sheet", "1") == (
        "crm: plain.csv is not a workbook: --sheet and --header-row apply to workbooks only\n"
    )


def test_a_damaged_workbook_is_one_line(crm, tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    message = crm.fails(2, "import", "customers", broken)
    assert message.startswith("crm: cannot read broken.xlsx as a workbook: ")
    assert message.count("\n") == 1


def test_xlsx_export_reimports_unchanged_without_apostrophes(crm, tmp_path):
    source = tmp_path / "source.db"
    crm.ok("--db", source, "init")
    crm.ok(
        "--db", source, "customer", "add", "=HYPERLINK(\"x\")", "--code", "+007",
        "--phone", "13812345678", "--notes", "@risk", "--as-of", ON,
    )  # fmt: skip
    crm.ok("--db", source, "customer", "add", "'=quoted", "--code", "007", "--as-of", ON)
    target = tmp_path / "out.xlsx"
    crm.ok("--db", source, "export", "customers", "-o", target)
    from openpyxl import load_workbook

    sheet = load_workbook(target).active
    header = [c.value for c in sheet[1]]
    names = {row[header.index("name")].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(names) == {'=HYPERLINK("x")', "'=quoted"}
    cell = names['=HYPERLINK("x")'][header.index("name")]
    assert (cell.data_type, cell.quotePrefix) == ("s", True)
    assert names['=HYPERLINK("x")'][header.index("notes")].value == "@risk"
    # Into the test's own (empty) database: the same names, codes, phones and notes.
    imported(crm, "customers", target)
    fields = ("name", "phone", "notes")
    before = {
        c["code"]: tuple(c[k] for k in fields)
        for c in crm.json("--db", source, "export", "customers")
    }
    after = {c["code"]: tuple(c[k] for k in fields) for c in crm.json("export", "customers")}
    assert (
        after
        == before
        == {
            "+007": ('=HYPERLINK("x")', "+8613812345678", "@risk"),
            "007": ("'=quoted", None, None),
        }
    )


# --- vCards ---------------------------------------------------------------------------


def _qp(text):
    return quopri.encodestring(text.encode("utf-8")).decode("ascii").replace("=\n", "")


def android_export(path, people):
    """A multi-card vCard 2.1 file as Android's Contacts app writes it."""
    cards = []
    for family, given, phone, org, bday in people:
        lines = [
            "BEGIN:VCARD",
            "VERSION:2.1",
            f"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{_qp(family)};{_qp(given)};;;",
            f"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{_qp(family + given)}",
            f"TEL;CELL:{phone}",
            "TEL;WORK:010-62345678",
            f"ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{_qp(org)}",
            f"TITLE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{_qp('采购经理')}",
            "EMAIL;HOME:" + f"{phone}@example.cn",
        ]
        if bday:
            lines.append(f"BDAY:{bday}")
        lines.append(f"NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{_qp('展会认识')}")
        lines.append("END:VCARD")
        cards.append("\r\n".join(lines) + "\r\n")
    path.write_bytes("".join(cards).encode("ascii"))
    return path


def contacts(crm):
    return {c["name"]: c for c in crm.json("contact", "list")}


def test_android_export_with_chinese_names_by_org(crm, tmp_path):
    crm.ok("customer", "add", "华为技术有限公司", "--code", "HW", "--as-of", ON)
    vcf = android_export(
        tmp_path / "通讯录.vcf",
        [
            ("张", "伟", "13812345678", "华为技术有限公司", "--0308"),
            ("王", "芳", "13912345678", "华为技术有限公司", "19850308"),
            ("李", "强", "13712345678", "新公司", None),
        ],
    )
    result = crm("import", "contacts", vcf, "--by-org", "--as-of", ON)
    assert result.exit_code == 2
    # The third card names a customer that does not exist: its line is where it begins.
    assert result.stderr.splitlines()[0] == "line 25, column customer: no customer matches '新公司'"
    result, _ = imported(crm, "contacts", vcf, "--by-org", "--skip-invalid")
    assert (result["added"], result["rejected"]) == (2, 1)
    got = contacts(crm)
    assert set(got) == {"张伟", "王芳"}
    zhang = got["张伟"]
    assert (zhang["customer_code"], zhang["phone"], zhang["title"], zhang["birthday"]) == (
        "HW",
        "+8613812345678",
        "采购经理",
        "03-08",
    )
    assert zhang["email"] == "13812345678@example.cn"
    assert zhang["notes"] == "展会认识\ntel (work): 010-62345678"
    assert got["王芳"]["birthday"] == "1985-03-08"
    # The same file again: every card is a duplicate (same phone) and skipped.
    again, _ = imported(crm, "contacts", vcf, "--by-org", "--skip-invalid")
    assert (again["added"], again["skipped"]) == (0, 2)


def test_ios_30_cards_for_one_customer_and_a_broken_card_is_one_rejected_row(crm, tmp_path):
    crm.ok("customer", "add", "Acme Trading", "--code", "AC", "--as-of", ON)
    vcf = tmp_path / "iCloud.vcf"
    vcf.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\n"
        "N:Appleseed;John;;;\r\nFN:John Appleseed\r\nORG:Acme Trading;\r\n"
        "TITLE:Buyer\r\nitem1.EMAIL;type=INTERNET;type=pref:john@acme.example\r\n"
        "EMAIL;type=INTERNET;type=WORK:j.appleseed@acme.example\r\n"
        "TEL;type=WORK;type=VOICE;type=pref:+1 (650) 253-0000\r\n"
        "TEL;type=CELL;type=VOICE:+1 (415) 555-0100\r\n"
        "BDAY;value=date:1980-02-29\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Broken\r\nN:Broken;;;;\r\n"
        "BDAY;VALUE=date:1980-02-29\r\n"
        "TEL;=CELL:1\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:;Mary;;;\r\nEND:VCARD\r\n",
        encoding="utf-8",
    )
    result = crm("import", "contacts", vcf, "--customer", "acme", "--as-of", ON)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "line 14: the card has no END:VCARD"
    result, _ = imported(crm, "contacts", vcf, "--customer", "acme", "--skip-invalid")
    assert (result["rows"], result["added"], result["rejected"]) == (3, 2, 1)
    got = contacts(crm)
    assert set(got) == {"John Appleseed", "Mary"}
    john = got["John Appleseed"]
    # The mobile number before the work one; the preferred e-mail before the other.
    assert (john["phone"], john["email"], john["birthday"]) == (
        "+14155550100",
        "john@acme.example",
        "1980-02-29",
    )
    assert john["notes"] == "tel (work): +1 (650) 253-0000\nemail (work): j.appleseed@acme.example"
    assert {c["customer_code"] for c in got.values()} == {"AC"}


def test_the_khard_and_vobject_fixtures(crm):
    crm.ok("customer", "add", "Fixtures Inc", "--code", "FX", "--as-of", ON)
    khard = sorted((REALDATA / "vcard" / "khard").glob("*.vcf"))
    assert len(khard) == 20
    outcome = {}
    for path in [*khard, *sorted((REALDATA / "vcard" / "vobject").glob("*.vcf"))]:
        result = crm("import", "contacts", path, "--customer", "FX", "--as-of", ON, "-f", "json")
        outcome[path.name] = (result.exit_code, result.stderr.splitlines()[0])
    # unparsable.vcf starts a card inside a card: one rejected row, the file not failed.
    assert outcome.pop("unparsable.vcf") == (2, "line 1: the card has no END:VCARD")
    # Numbers no phone has (0123456789, 555 numbers) are refused as in any import.
    assert {name: message for name, (code, message) in outcome.items() if code} == {
        "contact1.vcf": "line 1, column phone: invalid phone number '0123456789'",
        "tel-value-uri.vcf": "line 1, column phone: invalid phone number '67545678'",
        "vcard40_full.vcf": "line 1, column phone: invalid phone number '+1-555-123-4567'",
    }
    got = contacts(crm)
    assert len(got) == 18
    assert got["text birthday"]["notes"] == "birthday: circa 1800"
    assert got["contact with category"]["email"] == "foo@example.org"
    assert {"최유림", "전도훈", "Yamada Taro", "ACME Inc.", "Wile E. Coyote"} <= set(got)


def test_a_full_vcard_40_gives_every_field():
    from crmcli.io.vcards import open_cards

    cards = open_cards(
        str(REALDATA / "vcard" / "vobject" / "vcard40_full.vcf"), customer="FX", by_org=False
    )
    ((line, cells),) = list(cards.rows())
    row = dict(zip(cards.header, cells, strict=True))
    assert (line, cards.broken) == (1, {})
    assert row == {
        "customer": "FX",
        "name": "Dr. John Q. Public, III",
        "title": "CEO",
        "phone": "+1-555-123-4567",
        "email": "john.public@example.com",
        "birthday": "1985-04-15",
        "gender": "male",
        "notes": "This is a note about John.\nHe likes vCards.\n"
        "tel: +1-555-555-5555\nemail (home): johnny@personal.example.org",
    }


def test_vcard_options_are_checked_before_anything(crm, tmp_path):
    vcf = android_export(tmp_path / "a.vcf", [("张", "伟", "13812345678", "华为", None)])
    assert crm.fails(2, "import", "contacts", vcf) == (
        "crm: the cards of a.vcf do not say which customer they belong to; "
        "pass --customer REF, or --by-org to take each card's ORG\n"
    )
    assert crm.fails(2, "import", "customers", vcf) == (
        "crm: a.vcf holds vCards, which are contacts: import it with crm import contacts\n"
    )
    assert crm.fails(2, "import", "contacts", vcf, "--customer", "x", "--by-org") == (
        "crm: --customer and --by-org exclude each other: give one\n"
    )
    assert crm.fails(3, "import", "contacts", vcf, "--customer", "nobody").startswith("crm: ")


def test_vcf_export_reimports_into_an_empty_database(crm, tmp_path):
    source = tmp_path / "source.db"
    crm.ok("--db", source, "init")
    for db in (source, None):
        where = ("--db", db) if db else ()
        crm.ok(*where, "customer", "add", "华为技术有限公司", "--code", "HW", "--as-of", ON)
    crm.ok(
        "--db", source, "contact", "add", "HW", "孙亚芳", "--title", "董事长", "--phone",
        "13911112222", "--email", "sun@huawei.com", "--birthday", "1955-03-08",
        "--gender", "female",
    )  # fmt: skip
    crm.ok("--db", source, "contact", "add", "HW", "王芳", "--birthday", "03-08")
    target = tmp_path / "team.vcf"
    crm.ok("--db", source, "export", "contacts", "-o", target)
    assert "\nBDAY:--0308\r\n" in target.read_bytes().decode()
    imported(crm, "contacts", target)  # the cards name their customer's code themselves
    keys = ("name", "title", "phone", "email", "birthday", "gender", "customer_code")

    def shown(*where):
        return sorted(tuple(c[k] for k in keys) for c in crm.json(*where, "contact", "list"))

    assert (
        shown()
        == shown("--db", source)
        == [
            ("孙亚芳", "董事长", "+8613911112222", "sun@huawei.com", "1955-03-08", "female", "HW"),
            ("王芳", None, None, None, "03-08", None, "HW"),
        ]
    )


# --- the calendar ---------------------------------------------------------------------


def _events(raw: bytes):
    import icalendar

    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(raw).walk("VEVENT")}


def test_ics_reminders_status_and_a_sequence_that_moves_the_entry(crm, tmp_path):
    crm.ok("customer", "add", "华为技术有限公司", "--code", "HW", "--tier", "core", "--as-of", ON)
    crm.ok("plan", "add", "HW", "--due", "2026-11-20 14:30", "--content", "签合同", "--as-of", ON)
    crm.ok("plan", "add", "HW", "--due", "2026-11-25", "--content", "回访", "--as-of", ON)
    first = _events(crm.ok("export", "plans", "-f", "ics").stdout.encode())
    assert set(first) == {"plan-1@crmcli", "plan-2@crmcli", "due-1@crmcli"}
    timed, day, due = first["plan-1@crmcli"], first["plan-2@crmcli"], first["due-1@crmcli"]
    assert [str(e["STATUS"]) for e in (timed, day, due)] == ["CONFIRMED", "CONFIRMED", "TENTATIVE"]
    # 30 minutes before a plan at a time; 09:00 on the day of an all-day one.
    assert [a.decoded("TRIGGER") for a in timed.walk("VALARM")] == [-_minutes(30)]
    assert [a.decoded("TRIGGER") for a in day.walk("VALARM")] == [_minutes(9 * 60)]
    assert str(timed.walk("VALARM")[0]["ACTION"]) == "DISPLAY"
    # What Google writes on an event with a reminder, crm writes too.
    google = REALDATA / "icalendar" / "collective_icalendar" / "calendars_alarm_google_future.ics"
    (theirs,) = _events(google.read_bytes()).values()
    wanted = {"UID", "DTSTAMP", "SEQUENCE", "LAST-MODIFIED", "STATUS", "SUMMARY", "DTSTART"}
    assert wanted <= set(theirs) and wanted <= set(timed)
    assert {k for a in theirs.walk("VALARM") for k in a} >= {"ACTION", "TRIGGER"}
    # Unchanged records export the same SEQUENCE; a follow-up moves the due day, keeps its
    # UID and raises its SEQUENCE, so a calendar replaces the entry instead of adding one.
    again = _events(crm.ok("export", "plans", "-f", "ics").stdout.encode())
    assert int(again["due-1@crmcli"]["SEQUENCE"]) == int(due["SEQUENCE"])
    assert again["due-1@crmcli"].decoded("DTSTART") == due.decoded("DTSTART")
    time.sleep(1.1)
    crm.ok("log", "HW", "-c", "visit", "-m", "拜访", "--at", "2026-11-10 10:00")
    later = _events(crm.ok("export", "plans", "-f", "ics").stdout.encode())
    assert set(later) == set(first)
    moved = later["due-1@crmcli"]
    assert moved.decoded("DTSTART") > due.decoded("DTSTART")
    assert int(moved["SEQUENCE"]) > int(due["SEQUENCE"])
    assert moved.decoded("LAST-MODIFIED") > due.decoded("LAST-MODIFIED")
    assert int(later["plan-2@crmcli"]["SEQUENCE"]) == int(day["SEQUENCE"])


def test_ics_reminders_follow_the_config(crm):
    crm.ok("customer", "add", "Acme", "--code", "AC", "--as-of", ON)
    crm.ok("plan", "add", "AC", "--due", "2026-11-20 14:30", "--content", "call", "--as-of", ON)
    crm.ok("config", "set", "calendar.alarm_minutes", "10")
    crm.ok("config", "set", "calendar.all_day_alarm", "08:30")
    events = _events(crm.ok("export", "plans", "-f", "ics").stdout.encode())
    assert [a.decoded("TRIGGER") for a in events["plan-1@crmcli"].walk("VALARM")] == [-_minutes(10)]
    assert [a.decoded("TRIGGER") for a in events["due-1@crmcli"].walk("VALARM")] == [
        _minutes(8 * 60 + 30)
    ]
    assert crm.fails(2, "config", "set", "calendar.all_day_alarm", "9am").startswith("crm: ")
    crm.ok("config", "set", "calendar.alarms", "false")
    events = _events(crm.ok("export", "plans", "-f", "ics").stdout.encode())
    assert [e.walk("VALARM") for e in events.values()] == [[], []]


def _minutes(n):
    from datetime import timedelta

    return timedelta(minutes=n)


def test_rejects_of_a_workbook_open_in_excel(crm, tmp_path):
    book = _book(tmp_path / "x.xlsx", [["name", "email"], ["坏公司", "bad"]])
    rejects = tmp_path / "r.csv"
    crm("import", "customers", book, "--rejects", rejects, "--as-of", ON)
    assert rejects.read_bytes().startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8-sig"))))[1][:2] == [
        "坏公司",
        "bad",
    ]


def test_a_pipe_is_not_read_to_tell_its_format(tmp_path):
    import os

    from crmcli.io.vcards import is_vcard
    from crmcli.io.workbook import is_workbook

    # Opening a pipe to look at its first bytes would block here (no writer), and with a
    # writer would take those bytes from the CSV reader: a pipe is never sniffed.
    fifo = tmp_path / "leads"
    os.mkfifo(fifo)
    assert (is_workbook(str(fifo)), is_vcard(str(fifo))) == (False, False)
    assert is_workbook(str(tmp_path / "x.ods")) and is_vcard(str(tmp_path / "x.VCF"))
