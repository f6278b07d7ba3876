"""crm import: real-world files in, exact rows imported, exact errors out, undo (SPEC §4)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from conftest import REALDATA

ON = "2026-11-01"


def write(path: Path, rows: list[list[str]], *, encoding="utf-8", delimiter=",", newline="\r\n"):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def customers(crm):
    return {c["code"]: c for c in crm.json("customer", "list")}


def imported(crm, *args, as_of=ON):
    """Run an import with --format json; return (result, stderr lines)."""
    result = crm("import", *args, "--as-of", as_of, "--format", "json")
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout), result.stderr.splitlines()


CHINESE = [
    ["客户名称", "联系人", "手机", "邮箱", "地址", "行业", "规模", "来源", "负责人", "生日"],
    [
        "华为技术有限公司",
        "任正非",
        "138 1234 5678",
        "Ren@Huawei.COM",
        "深圳市龙岗区",
        "制造业",
        "大型",
        "主动咨询",
        "wang",
        "1944/10/25",
    ],
    ["阿里巴巴", "马云", "（0571）8502 2088", "", "杭州, 余杭区", "服务", "", "被动咨询", "", ""],
]


# --- encodings, delimiters, headers ---------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8", ","),
        ("utf-8-sig", ","),
        ("utf-8-sig", ";"),
        ("utf-16", "\t"),  # Excel "Unicode text": UTF-16 with BOM, tab-separated
        ("gb18030", ","),  # GBK from Chinese Excel/WPS, no BOM
        ("gb18030", "\t"),
    ],
)
def test_each_encoding_and_delimiter_is_detected_without_flags(crm, tmp_path, encoding, delimiter):
    path = write(tmp_path / "leads.csv", CHINESE, encoding=encoding, delimiter=delimiter)
    result, messages = imported(crm, "customers", path)
    expected = {"utf-8-sig": "utf-8-sig", "utf-16": "utf-16", "utf-8": "utf-8"}.get(
        encoding, "gb18030"
    )
    assert (result["encoding"], result["delimiter"]) == (expected, delimiter)
    assert (result["added"], result["rejected"]) == (2, 0)
    assert messages == [f"imported {path} as batch #1: 2 added, 0 updated, 0 skipped, 0 rejected"]
    found = customers(crm)
    assert sorted(found) == ["C000001", "C000002"]
    huawei = found["C000001"]
    assert (huawei["name"], huawei["contact_name"], huawei["phone"], huawei["email"]) == (
        "华为技术有限公司",
        "任正非",
        "+8613812345678",
        "Ren@huawei.com",
    )
    assert (huawei["industry"], huawei["scale"], huawei["source"], huawei["owner"]) == (
        "manufacturing",
        "large",
        "inbound",
        "wang",
    )
    assert (huawei["birthday"], huawei["created_on"]) == ("1944-10-25", ON)
    ali = found["C000002"]
    assert (ali["phone"], ali["address"], ali["industry"], ali["owner"]) == (
        "+8657185022088",
        "杭州, 余杭区",
        "services",
        "tester",
    )


def test_english_headers_any_case_and_spacing_crlf_quotes_and_trailing_empty_columns(crm, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"Company Name,CONTACT_NAME, Phone ,E-Mail,Notes,,,\r\n"
        b'"Acme, Inc.",Zhang San,+1 650-253-0000,zs@example.com,"first line\r\nsecond, line",,,\r\n'
        b"\r\n"
        b",,,,,,,\r\n"
        b"Beta\xc2\xa0Co,\xe6\x9d\x8e\xe5\x9b\x9b,\xef\xbc\x91\xef\xbc\x93\xef\xbc\x99 0000 1111,,,,,\r\n"
    )
    result, _ = imported(crm, "customers", path)
    assert (result["rows"], result["added"]) == (2, 2)
    found = customers(crm)
    assert found["C000001"]["name"] == "Acme, Inc."
    assert found["C000001"]["phone"] == "+16502530000"
    assert found["C000001"]["notes"] == "first line\nsecond, line"
    # a no-break space and full-width digits (１３９) read as their plain forms
    assert (found["C000002"]["name"], found["C000002"]["contact_name"]) == ("Beta Co", "李四")
    assert found["C000002"]["phone"] == "+8613900001111"


def test_realdata_kehu_xinxi_excel_export(crm):
    """Excel "CSV UTF-8" with a BOM, 17 empty trailing columns, ids with leading zeros."""
    path = REALDATA / "chinese" / "kehu_xinxi_customers.csv"
    result, messages = imported(crm, "customers", path)
    assert (result["rows"], result["added"], result["rejected"]) == (10, 10, 0)
    assert result["encoding"] == "utf-8-sig"
    assert messages[0] == "columns kept in notes: 年龄"
    found = customers(crm)
    assert sorted(found) == [f"{n:03d}" for n in range(1, 11)]
    assert (found["001"]["name"], found["001"]["notes"]) == ("Tom", "年龄: 55")
    assert (found["010"]["name"], found["010"]["notes"]) == ("Larry", "年龄: 54")


def test_map_names_columns_and_leaves_one_out(crm, tmp_path):
    path = write(
        tmp_path / "crm.csv",
        [["Firma", "Handy", "Fax", "Ort"], ["Delta GmbH", "13800001111", "010-1234", "Berlin"]],
    )
    imported(crm, "customers", path, "--map", "Firma=name,Handy=phone", "--map", "Fax=")
    [row] = customers(crm).values()
    assert (row["name"], row["phone"], row["notes"]) == (
        "Delta GmbH",
        "+8613800001111",
        "Ort: Berlin",
    )


def test_map_to_a_chinese_label_and_an_unknown_field(crm, tmp_path):
    path = write(tmp_path / "crm.csv", [["Firma", "Handy"], ["Delta", "13800001111"]])
    imported(crm, "customers", path, "--map", "Firma=客户名称,Handy=手机")
    assert [c["name"] for c in customers(crm).values()] == ["Delta"]
    stderr = crm.fails(2, "import", "customers", path, "--map", "Firma=firm")
    assert "--map Firma=firm: customers have no field 'firm'; fields: code, name," in stderr


def test_unrecognised_header_fails_loudly_naming_the_encoding(crm, tmp_path):
    path = write(tmp_path / "data.csv", [["foo", "bar"], ["1", "2"]], encoding="gb18030")
    stderr = crm.fails(2, "import", "customers", path)
    assert stderr == (
        "crm: data.csv: the header row has no column crm knows (headers: foo, bar); "
        "read as utf-8 — if that is wrong, pass --encoding; "
        "name the columns with --map 'HEADER=field'\n"
    )


def test_a_wrong_encoding_never_imports_mojibake(crm, tmp_path, isolated):
    path = write(tmp_path / "gbk.csv", CHINESE, encoding="gb18030")
    stderr = crm.fails(2, "import", "customers", path, "--encoding", "utf-8")
    assert stderr == (
        "crm: gbk.csv is not utf-8 text; pass its encoding with --encoding (e.g. gb18030)\n"
    )
    # UTF-16 read as GB18030 has no header crm knows
    utf16 = write(tmp_path / "u16.csv", CHINESE, encoding="utf-16", delimiter="\t")
    stderr = crm.fails(2, "import", "customers", utf16, "--encoding", "gb18030")
    assert stderr == (
        "crm: u16.csv is not gb18030 text; pass its encoding with --encoding (e.g. utf-16)\n"
    )
    # Latin-1 is neither UTF-8 nor GB18030
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name,city\nCafé Mode,Zürich\n".encode("latin-1"))
    stderr = crm.fails(2, "import", "customers", latin)
    assert stderr == (
        "crm: cannot tell the encoding of latin.csv: it is neither UTF-8 nor GB18030; "
        "pass it with --encoding\n"
    )
    assert crm.ok("import", "customers", latin, "--encoding", "latin-1")
    assert [c["name"] for c in crm.json("customer", "list")] == ["Café Mode"]
    assert crm.json("customer", "list")[0]["code"] == "C000001"


def test_gbk_after_64_kib_of_ascii_is_read_again_as_gb18030(crm, tmp_path):
    rows = [["name", "notes"]] + [[f"Company {i:05d}", "x" * 60] for i in range(1200)]
    rows.append(["深圳腾讯", "最后一行"])
    path = write(tmp_path / "late.csv", rows, encoding="gb18030")
    result, _ = imported(crm, "customers", path)
    assert (result["encoding"], result["added"]) == ("gb18030", 1201)
    assert crm.json("customer", "list", "--search", "腾讯")[0]["notes"] == "最后一行"


def test_an_excel_workbook_is_read_and_on_stdin_refused_with_what_to_do(crm, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["name"])
    book.active.append(["Acme"])
    book.save(tmp_path / "leads.xlsx")
    result = crm.runner.invoke(
        __import__("crmcli.cli", fromlist=["app"]).app,
        ["import", "customers", "-"],
        input=(tmp_path / "leads.xlsx").read_bytes(),
    )
    assert (result.exit_code, result.stderr) == (
        2,
        "crm: <stdin> is a workbook; name its file to import it (crm import customers FILE.xlsx)\n",
    )
    crm.ok("import", "customers", tmp_path / "leads.xlsx", "--as-of", ON)
    assert [c["name"] for c in crm.json("customer", "list")] == ["Acme"]


def test_stdin(crm, tmp_path):
    result = crm.runner.invoke(
        __import__("crmcli.cli", fromlist=["app"]).app,
        ["import", "customers", "-", "--format", "json", "--as-of", ON],
        input="name,phone\nStdin Co,13800001111\n",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["source"] == "<stdin>"
    assert [c["name"] for c in crm.json("customer", "list")] == ["Stdin Co"]


# --- validation: nothing written when any row is bad ----------------------------------------

BAD = [
    ["name", "phone", "email", "scale", "created_on", "likelihood"],
    ["Good One", "13800001111", "a@example.com", "small", "2024/5/5", "30%"],
    ["", "13800002222", "", "", "", ""],
    ["Bad Phone", "123", "", "", "", ""],
    ["Bad Many", "13800003333", "not-an-email", "huge", "2024/13/45", "150"],
    ["Good Two", "", "", "中型", "45000", ""],
]


def test_every_bad_row_is_reported_and_nothing_is_written(crm, tmp_path, isolated):
    path = write(tmp_path / "bad.csv", BAD)
    stderr = crm.fails(2, "import", "customers", path, "--as-of", ON)
    assert stderr.splitlines() == [
        "line 3, column name: name is required",
        "line 4, column phone: invalid phone number '123'",
        "line 5, column email: invalid email address 'not-an-email'",
        "line 5, column scale: unknown scale 'huge'; expected one of: large (大型), "
        "medium (中型), small (小型)",
        "line 5, column created_on: no such date '2024/13/45'",
        "line 5, column likelihood: likelihood must be a whole percentage 0–100, not '150'",
        "crm: 3 of 5 rows of bad.csv are invalid; nothing imported (fix them, or import the "
        "rest with --skip-invalid; --rejects FILE collects them)",
    ]
    assert crm.json("customer", "list") == []
    assert crm.json("import", "list") == []


def test_skip_invalid_writes_the_good_rows_and_rejects_file_can_be_fixed_and_reimported(
    crm, tmp_path
):
    path = write(tmp_path / "bad.csv", BAD)
    rejects = tmp_path / "rejects.csv"
    result, messages = imported(crm, "customers", path, "--skip-invalid", "--rejects", rejects)
    assert (result["added"], result["rejected"]) == (2, 3)
    assert messages[-2:] == [
        f"imported {path} as batch #1: 2 added, 0 updated, 0 skipped, 3 rejected",
        f"3 rejected rows written to {rejects}",
    ]
    good = {c["name"]: c for c in crm.json("customer", "list")}
    assert sorted(good) == ["Good One", "Good Two"]
    assert good["Good One"]["likelihood"] == 30
    # an Excel serial date: 45000 is 2023-03-15
    assert (good["Good One"]["created_on"], good["Good Two"]["created_on"]) == (
        "2024-05-05",
        "2023-03-15",
    )
    with rejects.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [
        ["name", "phone", "email", "scale", "created_on", "likelihood", "reject_reason"],
        ["", "13800002222", "", "", "", "", "line 3: column name: name is required"],
        ["Bad Phone", "123", "", "", "", "", "line 4: column phone: invalid phone number '123'"],
        [
            "Bad Many",
            "13800003333",
            "not-an-email",
            "huge",
            "2024/13/45",
            "150",
            "line 5: column email: invalid email address 'not-an-email'; column scale: unknown "
            "scale 'huge'; expected one of: large (大型), medium (中型), small (小型); column "
            "created_on: no such date '2024/13/45'; column likelihood: likelihood must be a "
            "whole percentage 0–100, not '150'",
        ],
    ]
    # fixed in the rejects file itself, which imports as it is (the reason column is ignored)
    rows[1][0] = "Fixed Name"
    rows[2][1] = "13800004444"
    rows[3][2:6] = ["ok@example.com", "large", "2024-05-06", "90"]
    write(rejects, rows)
    result, _ = imported(crm, "customers", rejects)
    assert (result["added"], result["rejected"]) == (3, 0)
    assert len(crm.json("customer", "list")) == 5


def test_a_fixed_rejects_file_imports_without_its_reason_column(crm, tmp_path):
    path = write(
        tmp_path / "leads.csv",
        [["name", "phone", "notes"], ["Good", "13800001111", "met at fair"], ["Bad", "123", ""]],
    )
    rejects = tmp_path / "rejects.csv"
    imported(crm, "customers", path, "--skip-invalid", "--rejects", rejects)
    with rejects.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["name", "phone", "notes", "reject_reason"]
    rows[1][1] = "13800002222"
    write(rejects, rows)
    result, messages = imported(crm, "customers", rejects)
    assert (result["added"], result["rejected"]) == (1, 0)
    assert messages == [
        f"imported {rejects} as batch #2: 1 added, 0 updated, 0 skipped, 0 rejected"
    ]
    assert {c["name"]: c["notes"] for c in crm.json("customer", "list")} == {
        "Good": "met at fair",
        "Bad": None,
    }


def test_a_fixed_rejects_file_of_plans_imports(crm, tmp_path):
    # Plans keep no notes: an unknown column would refuse the file.
    crm.ok("customer", "add", "Acme", "--code", "AC", "--as-of", ON)
    path = write(
        tmp_path / "plans.csv",
        [
            ["customer_code", "due_on", "content"],
            ["AC", "2026-12-01", "call back"],
            ["AC", "2026-13-01", "send samples"],
        ],
    )
    rejects = tmp_path / "rejects.csv"
    imported(crm, "plans", path, "--skip-invalid", "--rejects", rejects)
    with rejects.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [
        ["customer_code", "due_on", "content", "reject_reason"],
        [
            "AC",
            "2026-13-01",
            "send samples",
            "line 3: column due_on: no such date '2026-13-01'",
        ],
    ]
    rows[1][1] = "2026-12-02"
    write(rejects, rows)
    result, messages = imported(crm, "plans", rejects)
    assert (result["added"], result["rejected"]) == (1, 0)
    assert messages == [
        f"imported {rejects} as batch #2: 1 added, 0 updated, 0 skipped, 0 rejected"
    ]
    assert [(p["due_on"], p["content"]) for p in crm.json("plan", "list")] == [
        ("2026-12-01", "call back"),
        ("2026-12-02", "send samples"),
    ]


def test_dry_run_reports_and_writes_nothing(crm, tmp_path, isolated):
    crm.ok("customer", "add", "Existing", "--phone", "13800001111", "--as-of", ON)
    path = write(
        tmp_path / "leads.csv",
        [["name", "phone"], ["Existing Again", "13800001111"], ["New", "13800002222"]],
    )
    result, messages = imported(crm, "customers", path, "--dry-run")
    assert messages == [
        "line 2: skipped, already in the database as C000001 Existing (same phone)",
        f"dry run of {path}: would add 1, update 0, skip 1, reject 0; nothing written",
    ]
    assert result["dry_run"] is True and result["batch"] is None
    assert [c["name"] for c in crm.json("customer", "list")] == ["Existing"]
    assert crm.json("import", "list") == []


def test_dry_run_of_a_bad_file_exits_2(crm, tmp_path):
    crm.ok("init")
    path = write(tmp_path / "bad.csv", [["name", "phone"], ["X", "1"]])
    stderr = crm.fails(2, "import", "customers", path, "--dry-run")
    assert stderr.splitlines()[0] == "line 2, column phone: invalid phone number '1'"


# --- duplicates -------------------------------------------------------------------------------


def test_duplicates_in_the_file_and_in_the_database_are_reported_per_row(crm, tmp_path):
    crm.ok("customer", "add", "Old Co", "--code", "K1", "--phone", "13800000001", "--as-of", ON)
    crm.ok("customer", "add", "华为 技术", "--as-of", ON)
    path = write(
        tmp_path / "dups.csv",
        [
            ["code", "name", "phone"],
            ["K1", "Old Co renamed", ""],  # 2: same code as K1
            ["", "Other", "138 0000 0001"],  # 3: same phone as K1
            ["", "华为技术", ""],  # 4: same name as C000002 (spaces, width folded)
            ["", "New A", "13800000009"],  # 5: new
            ["", "New B", "+86 138 0000 0009"],  # 6: same phone as line 5
            ["K9", "New C", "13800000009"],  # 7: a code decides alone: new
            ["", "new a", ""],  # 8: same name as line 5
        ],
    )
    result, messages = imported(crm, "customers", path)
    assert (result["added"], result["skipped"]) == (2, 5)
    assert messages == [
        "line 2: skipped, already in the database as K1 Old Co (same code)",
        "line 3: skipped, already in the database as K1 Old Co (same phone)",
        "line 4: skipped, already in the database as C000002 华为 技术 (same name)",
        "line 6: skipped, duplicate of line 5 (same phone)",
        "line 8: skipped, duplicate of line 5 (same name)",
        f"imported {path} as batch #1: 2 added, 0 updated, 5 skipped, 0 rejected",
    ]
    assert sorted(customers(crm)) == ["C000002", "C000003", "K1", "K9"]
    assert customers(crm)["C000003"]["name"] == "New A"


def test_on_duplicate_error_rejects_them(crm, tmp_path):
    crm.ok("customer", "add", "Old Co", "--code", "K1", "--as-of", ON)
    path = write(
        tmp_path / "dups.csv",
        [["code", "name"], ["K1", "Again"], ["", "Fresh"], ["", "fresh"]],
    )
    stderr = crm.fails(2, "import", "customers", path, "--on-duplicate", "error")
    assert stderr.splitlines()[:2] == [
        "line 2, column code: already in the database as K1 Old Co (same code)",
        "line 4, column name: duplicate of line 3 (same name)",
    ]
    assert sorted(customers(crm)) == ["K1"]


def test_on_duplicate_update_changes_records_and_undo_restores_them(crm, tmp_path):
    crm.ok(
        "customer", "add", "Old Co", "--code", "K1", "--phone", "13800000001",
        "--tier", "key", "--as-of", ON,
    )  # fmt: skip
    path = write(
        tmp_path / "update.csv",
        [
            ["code", "name", "email", "tier", "phone"],
            ["K1", "Old Co Ltd", "new@example.com", "core", ""],  # empty phone: kept
            ["", "Brand New", "", "", "13800000002"],
            ["", "brand new", "b@example.com", "", ""],  # merged into line 3
        ],
    )
    result, messages = imported(crm, "customers", path, "--on-duplicate", "update")
    assert (result["added"], result["updated"], result["skipped"]) == (1, 1, 1)
    assert messages == [
        "line 2: updates K1 Old Co (same code)",
        "line 4: merged into line 3 (same name)",
        f"imported {path} as batch #1: 1 added, 1 updated, 1 skipped, 0 rejected",
    ]
    found = customers(crm)
    k1 = crm.json("customer", "show", "K1")["customer"]
    assert (k1["name"], k1["email"], k1["tier"], k1["phone"]) == (
        "Old Co Ltd",
        "new@example.com",
        "core",
        "+8613800000001",
    )
    assert found["C000002"]["email"] == "b@example.com"
    history = [
        (h["field"], h["old"], h["new"], h["command"], h["reason"])
        for h in crm.json("customer", "history", "K1")
        if h["field"] != "customer"
    ]
    assert sorted(history) == [
        ("email", None, "new@example.com", "import customers", "import #1 from update.csv"),
        ("name", "Old Co", "Old Co Ltd", "import customers", "import #1 from update.csv"),
        ("tier", "key", "core", "import customers", "import #1 from update.csv"),
    ]
    # a core customer is due after 14 days, not 30
    assert found["K1"]["next_due_at"] == "2026-11-15"

    crm.ok("import", "undo", "1", "--yes")
    k1 = crm.json("customer", "show", "K1")["customer"]
    assert (k1["name"], k1["email"], k1["tier"], k1["phone"]) == (
        "Old Co",
        None,
        "key",
        "+8613800000001",
    )
    assert sorted(customers(crm)) == ["K1"]
    assert customers(crm)["K1"]["next_due_at"] == "2026-12-01"
    assert crm.json("customer", "list", "--search", "old co")[0]["code"] == "K1"


def test_updating_with_the_same_values_counts_as_unchanged(crm, tmp_path):
    crm.ok("customer", "add", "Same", "--code", "S1", "--as-of", ON)
    path = write(tmp_path / "same.csv", [["code", "name"], ["S1", "Same"]])
    result, _ = imported(crm, "customers", path, "--on-duplicate", "update")
    assert (result["updated"], result["unchanged"], result["skipped"]) == (0, 1, 1)


def test_rows_that_would_change_nothing_are_reported_as_unchanged_not_as_updates(crm, tmp_path):
    crm.ok("customer", "add", "Same", "--code", "S1", "--phone", "13800001111", "--as-of", ON)
    crm.ok("customer", "add", "Other", "--code", "S2", "--as-of", ON)
    path = write(
        tmp_path / "again.csv",
        [["code", "name", "phone"], ["S1", "Same", "138 0000 1111"], ["S2", "Renamed", ""]],
    )
    expected = [
        "line 2: unchanged, S1 Same already has its values (same code)",
        "line 3: updates S2 Other (same code)",
    ]
    result, messages = imported(crm, "customers", path, "--on-duplicate", "update", "--dry-run")
    assert messages == [
        *expected,
        f"dry run of {path}: would add 0, update 1, skip 1, reject 0; nothing written",
    ]
    assert (result["updated"], result["unchanged"], result["skipped"]) == (1, 1, 1)
    result, messages = imported(crm, "customers", path, "--on-duplicate", "update")
    assert messages == [
        *expected,
        f"imported {path} as batch #1: 0 added, 1 updated, 1 skipped, 0 rejected",
    ]
    assert (result["updated"], result["unchanged"], result["skipped"]) == (1, 1, 1)
    assert sorted(c["name"] for c in crm.json("customer", "list")) == ["Renamed", "Same"]


# --- contacts, follow-ups, sales, plans ---------------------------------------------------


@pytest.fixture
def two_customers(crm):
    crm.ok("customer", "add", "华为技术", "--code", "HW", "--owner", "wang", "--as-of", ON)
    crm.ok("customer", "add", "Acme", "--code", "AC", "--as-of", ON)
    crm.ok("customer", "add", "Acme", "--code", "AC2", "--as-of", ON)


def test_contacts_of_one_name_with_different_phones_are_different_people(
    crm, tmp_path, two_customers
):
    crm.ok("contact", "add", "AC", "张伟", "--phone", "13800001111")
    path = write(
        tmp_path / "contacts.csv",
        [
            ["customer_code", "name", "phone"],
            ["AC", "张伟", "13900002222"],  # 2: another 张伟
            ["AC", "张伟", "13700003333"],  # 3: a third
            ["AC", "张伟", ""],  # 4: no phone: the 张伟 of line 2
            ["AC", "李四", ""],  # 5
            ["AC", "李四", "13600004444"],  # 6: one phone missing: the 李四 of line 5
            ["AC", "张伟", "138 0000 1111"],  # 7: the one in the database
            ["HW", "张伟", "13900002222"],  # 8: another customer's
        ],
    )
    _, messages = imported(crm, "contacts", path)
    assert messages == [
        "line 4: skipped, duplicate of line 2 (same name)",
        "line 6: skipped, duplicate of line 5 (same name)",
        "line 7: skipped, already in the database as contact #1 (same phone)",
        f"imported {path} as batch #1: 4 added, 0 updated, 3 skipped, 0 rejected",
    ]
    assert sorted(
        (c["customer_code"], c["name"], c["phone"]) for c in crm.json("contact", "list")
    ) == [
        ("AC", "张伟", "+8613700003333"),
        ("AC", "张伟", "+8613800001111"),
        ("AC", "张伟", "+8613900002222"),
        ("AC", "李四", None),
        ("HW", "张伟", "+8613900002222"),
    ]
    # against the database: a phone decides between people of one name
    again = write(
        tmp_path / "again.csv",
        [
            ["customer_code", "name", "phone"],
            ["AC", "张伟", "13500005555"],  # 2: a fourth 张伟
            ["AC", "李四", "13600004444"],  # 3: the 李四 without a phone
        ],
    )
    _, messages = imported(crm, "contacts", again)
    assert messages == [
        "line 3: skipped, already in the database as contact #4 (same name)",
        f"imported {again} as batch #2: 1 added, 0 updated, 1 skipped, 0 rejected",
    ]
    alone = write(tmp_path / "alone.csv", [["customer_code", "name"], ["AC", "张伟"]])
    _, messages = imported(crm, "contacts", alone)
    assert messages == [
        "line 2: skipped, matches 4 contacts by name",
        f"imported {alone} as batch #3: 0 added, 0 updated, 1 skipped, 0 rejected",
    ]


def test_contacts_of_one_name_survive_export_and_import(crm, tmp_path, two_customers, monkeypatch):
    crm.ok("contact", "add", "AC", "张伟", "--phone", "13800001111")
    crm.ok("contact", "add", "AC", "张伟", "--phone", "13900002222")
    crm.ok("contact", "add", "AC", "李四")
    exported = tmp_path / "contacts.csv"
    crm.ok("export", "contacts", "-o", exported)
    monkeypatch.setenv("CRM_DB", str(tmp_path / "fresh.db"))
    crm.ok("customer", "add", "Acme", "--code", "AC", "--as-of", ON)
    result, _ = imported(crm, "contacts", exported)
    assert (result["added"], result["skipped"]) == (3, 0)
    assert sorted((c["name"], c["phone"] or "") for c in crm.json("contact", "list", "AC")) == [
        ("张伟", "+8613800001111"),
        ("张伟", "+8613900002222"),
        ("李四", ""),
    ]


def test_people_of_one_name_told_apart_only_by_a_birthday_survive_export_and_import(
    crm, tmp_path, two_customers, monkeypatch
):
    crm.ok("contact", "add", "AC", "张伟", "--birthday", "1980-01-02")
    crm.ok("contact", "add", "AC", "张伟", "--birthday", "1990-05-06")
    crm.ok("contact", "add", "AC", "张伟", "--phone", "13800001111")
    crm.ok("contact", "add", "AC", "李四")
    exported = tmp_path / "contacts.csv"
    crm.ok("export", "contacts", "-o", exported)
    monkeypatch.setenv("CRM_DB", str(tmp_path / "fresh.db"))
    crm.ok("customer", "add", "Acme", "--code", "AC", "--as-of", ON)
    people = [
        ("张伟", "", "1980-01-02"),
        ("张伟", "", "1990-05-06"),
        ("张伟", "+8613800001111", ""),
        ("李四", "", ""),
    ]

    def listed():
        found = crm.json("contact", "list", "AC")
        return sorted((c["name"], c["phone"] or "", c["birthday"] or "") for c in found)

    result, messages = imported(crm, "contacts", exported)
    assert messages[1:] == [
        f"imported {exported} as batch #1: 4 added, 0 updated, 0 skipped, 0 rejected"
    ]
    assert listed() == people
    # imported again, the export adds nothing: each row is the one record it was
    result, messages = imported(crm, "contacts", exported)
    assert messages[1:] == [
        f"imported {exported} as batch #2: nothing new, all 4 rows are already there"
        " (skipped as duplicates), 0 rejected"
    ]
    result, _ = imported(crm, "contacts", exported, "--on-duplicate", "update")
    assert (result["added"], result["updated"], result["unchanged"]) == (0, 0, 4)
    assert listed() == people
    # without the ids a file's rows of one name, one of them without a phone, are one
    # person, as in any other file
    rows = list(csv.reader(io.StringIO(exported.read_text(encoding="utf-8"))))
    keep = [i for i, h in enumerate(rows[0]) if h != "id"]
    bare = write(tmp_path / "bare.csv", [[row[i] for i in keep] for row in rows])
    monkeypatch.setenv("CRM_DB", str(tmp_path / "bare.db"))
    crm.ok("customer", "add", "Acme", "--code", "AC", "--as-of", ON)
    result, messages = imported(crm, "contacts", bare)
    assert messages[1:] == [
        "line 3: skipped, duplicate of line 2 (same name)",
        "line 4: skipped, duplicate of line 2 (same name)",
        f"imported {bare} as batch #1: 2 added, 0 updated, 2 skipped, 0 rejected",
    ]


def test_followups_name_their_customer_by_code_or_name(crm, tmp_path, two_customers):
    crm.ok("contact", "add", "HW", "孙亚芳")
    path = write(
        tmp_path / "calls.csv",
        [
            ["客户", "联系人", "跟进时间", "跟进方式", "沟通内容", "结果"],
            ["HW", "孙亚芳", "2026年11月5日 10:30", "上门拜访", "介绍方案", "有兴趣"],
            ["华为技术", "", "2026-11-06", "电话", "回访", ""],
        ],
    )
    result, _ = imported(crm, "followups", path, as_of="2026-11-06")
    assert result["added"] == 2
    detail = crm.json("customer", "show", "HW")
    assert [
        (f["at"], f["channel"], f["summary"], f["result"], f["owner"]) for f in detail["followups"]
    ] == [
        ("2026-11-06 00:00", "phone", "回访", None, "wang"),
        ("2026-11-05 10:30", "visit", "介绍方案", "有兴趣", "wang"),
    ]
    assert detail["followups"][1]["contact_id"] == detail["contacts"][0]["id"]
    # due dates moved: the last contact was 2026-11-06
    assert detail["customer"]["last_contact_at"] == "2026-11-06 00:00"
    assert detail["customer"]["next_due_at"] == "2026-12-06"


def test_unknown_and_ambiguous_customers_are_row_errors(crm, tmp_path, two_customers):
    path = write(
        tmp_path / "sales.csv",
        [
            ["customer_code", "customer_name", "date", "amount"],
            ["HW", "", "2026-11-01", "¥128,000.50"],
            ["NOPE", "", "2026-11-01", "1"],
            ["", "Acme", "2026-11-01", "1"],
            ["", "Nobody", "2026-11-01", "1"],
            ["", "", "2026-11-01", "1"],
        ],
    )
    stderr = crm.fails(2, "import", "sales", path)
    assert stderr.splitlines() == [
        "line 3, column customer_code: no customer with code 'NOPE'",
        "line 4, column customer_name: customer 'Acme' is ambiguous: AC Acme; AC2 Acme",
        "line 5, column customer_name: no customer matches 'Nobody'",
        "line 6, column customer_code: no customer given (a code or a name)",
        "crm: 4 of 5 rows of sales.csv are invalid; nothing imported (fix them, or import the "
        "rest with --skip-invalid; --rejects FILE collects them)",
    ]
    assert crm.json("sale", "list") == []


def test_sales_amounts_refunds_and_duplicates(crm, tmp_path):
    # customers since before their orders (an order before one was added is refused)
    crm.ok("customer", "add", "华为技术", "--code", "HW", "--as-of", "2024-01-01")
    crm.ok("customer", "add", "Acme", "--code", "AC", "--as-of", "2024-01-01")
    path = write(
        tmp_path / "orders.csv",
        [
            ["客户编号", "订单日期", "金额", "产品", "订单号"],
            ["HW", "2024/5/5", "￥1,280.50", "笔", "1001"],
            ["HW", "5/6/2024", "-500", "", "1002"],
            ["HW", "2024/5/5", "1280.50", "笔", "1001"],  # the same order twice in one day
            ["AC", "2024-05-07", "12.3456789", "", "1004"],
        ],
    )
    stderr = crm.fails(2, "import", "sales", path)
    assert stderr.splitlines()[:2] == [
        "columns kept in note: 订单号",
        "line 5, column 金额: amount '12.3456789' has more than six decimals",
    ]
    result, _ = imported(crm, "sales", path, "--skip-invalid")
    assert (result["added"], result["skipped"], result["rejected"]) == (3, 0, 1)
    assert [
        (s["sold_on"], s["amount"], s["product"], s["note"]) for s in crm.json("sale", "list")
    ] == [
        ("2024-05-05", "1280.50", "笔", "订单号: 1001"),
        ("2024-05-05", "1280.50", "笔", "订单号: 1001"),
        ("2024-05-06", "-500.00", None, "订单号: 1002"),
    ]
    # the same file again adds nothing: every order is already in the database
    again, messages = imported(crm, "sales", path, "--skip-invalid")
    assert (again["added"], again["skipped"]) == (0, 3)
    assert messages[1:4] == [
        "line 2: skipped, matches 2 sales by day, amount and product",
        "line 3: skipped, already in the database as sale #2 (same day, amount and product)",
        "line 4: skipped, matches 2 sales by day, amount and product",
    ]


def test_unknown_columns_of_a_table_without_notes_are_named_once_and_ignored(
    crm, tmp_path, two_customers
):
    path = write(
        tmp_path / "calls.csv",
        [
            ["customer", "at", "channel", "summary", "mood"],
            ["HW", "2026-11-01", "phone", "hi", "ok"],
            ["HW", "2026-11-01", "phone", "again", "fine"],
        ],
    )
    result, messages = imported(crm, "followups", path)
    assert result["added"] == 2
    assert messages[0] == (
        "columns crm does not know, ignored: mood (name one with --map 'HEADER=field')"
    )
    assert len(messages) == 2  # that line, then the summary
    result, messages = imported(crm, "followups", path, "--map", "mood=", "--dry-run")
    assert messages[0] == "columns left out (--map): mood"


def test_a_missing_required_column_is_named(crm, tmp_path, two_customers):
    path = write(tmp_path / "c.csv", [["customer", "phone"], ["HW", "13800001111"]])
    stderr = crm.fails(2, "import", "contacts", path)
    assert stderr == (
        "crm: the file has no name column (headers: customer, phone); "
        "name one with --map 'HEADER=name'\n"
    )


# --- batches and undo ------------------------------------------------------------------------


def test_import_list_shows_each_batch(crm, tmp_path):
    path = write(tmp_path / "a.csv", [["name"], ["A"], ["B"]])
    imported(crm, "customers", path)
    [batch] = crm.json("import", "list")
    assert {k: batch[k] for k in ("id", "kind", "source", "user", "added", "updated")} == {
        "id": 1,
        "kind": "customers",
        "source": str(path),
        "user": "tester",
        "added": 2,
        "updated": 0,
    }
    assert batch["undone_at"] is None


def test_import_list_shows_when_on_the_team_clock_and_json_keeps_utc(crm, tmp_path, db_sql):
    path = write(tmp_path / "a.csv", [["name"], ["A"]])
    imported(crm, "customers", path)
    db_sql(
        "UPDATE importbatch SET at = :at, undone_at = :undone, undone_by = 'ann'",
        at=datetime(2026, 11, 20, 17, 30, 15, 123456),
        undone=datetime(2026, 11, 20, 18, 5, 59, 999999),
    )
    header, row = crm.ok("import", "list").stdout.splitlines()
    assert header.split()[:4] == ["Batch", "Table", "File", "When"]
    # Asia/Shanghai, the default time zone: eight hours ahead, and to the minute
    assert "2026-11-21 01:30  tester" in row
    assert row.endswith("2026-11-21 02:05 by ann")
    assert crm.json("import", "list")[0]["at"].startswith("2026-11-20 17:30:15")


def test_undo_is_blocked_by_later_batches_then_works_in_order_and_only_once(crm, tmp_path, db_sql):
    customers_file = write(tmp_path / "c.csv", [["code", "name"], ["A1", "Alpha"], ["B1", "Beta"]])
    imported(crm, "customers", customers_file)
    contacts_file = write(tmp_path / "k.csv", [["customer", "name"], ["A1", "Ann"]])
    imported(crm, "contacts", contacts_file)
    update_file = write(tmp_path / "u.csv", [["code", "email"], ["B1", "b@example.com"]])
    imported(crm, "customers", update_file, "--on-duplicate", "update")

    stderr = crm.fails(2, "import", "undo", "1")
    assert stderr == (
        "crm: cannot undo import #1: later imports #2, #3 changed or added rows under what it "
        "imported; undo them first\n"
    )
    result = crm.ok("import", "undo", "3", "--yes")
    assert result.stderr == (
        "undid import #3 (customers from " + str(update_file) + "): remove nothing, "
        "restore 1 customer\n"
    )
    assert crm.fails(2, "import", "undo", "3").startswith("crm: import #3 was already undone on ")
    assert crm.fails(2, "import", "undo", "1").startswith(
        "crm: cannot undo import #1: later imports #2 "
    )
    crm.ok("import", "undo", "2", "--yes")
    crm.ok("import", "undo", "1", "--yes")
    assert crm.json("customer", "list") == []
    batches = crm.json("import", "list")
    assert [(b["id"], b["undone_by"]) for b in batches] == [
        (1, "tester"),
        (2, "tester"),
        (3, "tester"),
    ]
    assert crm.fails(3, "import", "undo", "9") == "crm: no import batch #9\n"
    assert db_sql("SELECT count(*) FROM contact") == [(0,)]
    assert db_sql(
        'SELECT field, old, new, "user" FROM history WHERE customer_id IS NULL ORDER BY id'
    ) == [
        ("import", "#3", "undone", "tester"),
        ("import", "#2", "undone", "tester"),
        ("import", "#1", "undone", "tester"),
    ]


def test_undo_refuses_to_delete_work_recorded_by_hand_unless_forced(crm, tmp_path):
    path = write(tmp_path / "c.csv", [["code", "name"], ["A1", "Alpha"]])
    imported(crm, "customers", path)
    crm.ok("log", "A1", "-c", "phone", "-m", "called", "--at", "2026-11-02 09:00")
    stderr = crm.fails(2, "import", "undo", "1")
    assert stderr == (
        "crm: cannot undo import #1: what it added has 1 follow-up recorded since; "
        "--force deletes them too\n"
    )
    assert crm.fails(2, "import", "undo", "1", "--dry-run") == stderr
    assert crm.ok("import", "undo", "1", "--yes", "--dry-run", "--force").stderr == (
        f"dry run: undo import #1 (customers from {path}): remove 1 customer (and 1 follow-up "
        "recorded since), restore nothing; nothing written\n"
    )
    assert [c["code"] for c in crm.json("customer", "list")] == ["A1"]
    crm.ok("import", "undo", "1", "--yes", "--force")
    assert crm.json("customer", "list") == []


def test_undo_refuses_to_put_back_values_changed_by_hand_since_unless_forced(crm, tmp_path):
    first = write(tmp_path / "u1.csv", [["code", "name", "phone"], ["U1", "Uno", "13800000101"]])
    imported(crm, "customers", first)
    second = write(tmp_path / "u2.csv", [["code", "name", "industry"], ["U1", "Uno", "finance"]])
    imported(crm, "customers", second, "--on-duplicate", "update")
    # A field the import did not touch may change freely; one it updated may not.
    crm.ok("customer", "edit", "U1", "--region", "杭州")
    assert crm.ok("import", "undo", "2", "--yes", "--dry-run").stderr.startswith(
        "dry run: undo import #2"
    )
    crm.ok("customer", "edit", "U1", "--industry", "education", "--reason", "manual")
    stderr = crm.fails(2, "import", "undo", "2")
    assert stderr == (
        "crm: cannot undo import #2: values it updated were changed since (U1 industry); "
        "--force puts back the values from before the import anyway\n"
    )
    assert crm.fails(2, "import", "undo", "2", "--dry-run") == stderr
    assert customers(crm)["U1"]["industry"] == "education"
    crm.ok("import", "undo", "2", "--yes", "--force")
    assert (customers(crm)["U1"]["industry"], customers(crm)["U1"]["region"]) == (None, "杭州")


def test_an_owner_changed_by_import_is_dated_by_its_as_of_day(crm, tmp_path):
    # 立冬 (2026-11-07) was missed under li; the import hands the customer to wang on 11-10.
    crm.add_customer("美的", "MD", "customer", owner="li", on="2026-10-01")
    path = write(tmp_path / "o.csv", [["code", "name", "owner"], ["MD", "美的", "wang"]])
    result = crm("import", "customers", path, "--on-duplicate", "update", "--as-of", "2026-11-10")
    assert result.exit_code == 0, result.stderr
    missed = crm.json(
        "greet", "missed", "--from", "2026-11-07", "--to", "2026-11-07", "--as-of", "2026-11-20"
    )
    assert [(m["occasion"], m["owner"]) for m in missed] == [("立冬", "li")]
    today = crm.json("greet", "list", "--date", "2026-11-22")
    assert [(g["occasion"], g["owner"]) for g in today] == [("小雪", "wang")]


# --- one transaction ---------------------------------------------------------------------------


def test_a_failure_while_writing_leaves_nothing_behind(crm, tmp_path, db_sql, monkeypatch):
    crm.ok("init")
    path = write(tmp_path / "c.csv", [["name"], ["A"], ["B"]])
    from crmcli.services import imports

    def broken(*args, **kwargs):
        raise RuntimeError("power cut")

    # The last write of an import: every row, item and history line is in by then.
    with monkeypatch.context() as patched:
        patched.setattr(imports.dues, "settle", broken)
        result = crm("import", "customers", path)
    assert result.exit_code == 70
    assert result.stderr.endswith(
        "crm: internal error: RuntimeError: power cut (a bug; CRM_DEBUG=1 shows where)\n"
    )
    for table in ("customer", "importbatch", "importitem", "history"):
        assert db_sql(f"SELECT count(*) FROM {table}") == [(0,)], table


def test_generated_codes_skip_codes_the_file_brings(crm, tmp_path):
    path = write(tmp_path / "c.csv", [["code", "name"], ["", "First"], ["C000001", "Has code"]])
    imported(crm, "customers", path)
    assert {c["code"]: c["name"] for c in crm.json("customer", "list")} == {
        "C000002": "First",
        "C000001": "Has code",
    }


def test_generated_codes_skip_codes_already_in_the_database(crm, tmp_path):
    crm.ok("customer", "add", "Taken", "--code", "C000003", "--as-of", ON)
    path = write(tmp_path / "c.csv", [["name"], ["A"], ["B"], ["C"]])
    imported(crm, "customers", path)
    assert {c["code"]: c["name"] for c in crm.json("customer", "list")} == {
        "C000002": "A",
        "C000003": "Taken",
        "C000004": "B",
        "C000005": "C",
    }


def test_an_imported_customer_leaves_the_line_customer_add_leaves(crm, tmp_path):
    crm.ok("customer", "add", "Beta", "--code", "B1", "--as-of", ON)
    path = write(tmp_path / "c.csv", [["code", "name"], ["A1", "Alpha"]])
    imported(crm, "customers", path)
    by_hand = [(h["field"], h["old"], h["new"]) for h in crm.json("customer", "history", "B1")]
    lines = crm.json("customer", "history", "A1")
    assert [(h["field"], h["old"], h["new"]) for h in lines] == by_hand
    assert [(h["field"], h["new"], h["command"], h["reason"]) for h in lines] == [
        ("customer", "created", "import customers", "import #1 from c.csv")
    ]


def test_an_imported_sale_or_refund_leaves_the_line_sale_add_leaves(crm, tmp_path):
    crm.ok("customer", "add", "Acme", "--code", "AC", "--as-of", "2026-01-01")
    crm.ok("customer", "add", "Bolt", "--code", "BO", "--as-of", "2026-01-01")
    crm.ok("sale", "add", "AC", "¥1,000", "--on", "2026-03-01", "--as-of", ON)
    crm.ok("sale", "add", "AC", "30", "--refund", "--on", "2026-03-02", "--as-of", ON)
    sales = write(
        tmp_path / "s.csv",
        [
            ["customer_code", "sold_on", "amount"],
            ["BO", "2026-03-01", "1000"],
            ["BO", "2026-03-02", "-30"],
        ],
    )
    imported(crm, "sales", sales)

    def lines(code):
        return sorted(
            (h["field"], h["old"], h["new"], h["reason"])
            for h in crm.json("customer", "history", code)
            if h["field"] in ("sale", "refund")
        )

    # Sales #1 and #2 were added by hand, #3 and #4 by the import.
    assert lines("AC") == [
        ("refund", None, "#2 -¥30.00 on 2026-03-02", None),
        ("sale", None, "#1 ¥1,000.00 on 2026-03-01", None),
    ]
    assert lines("BO") == [
        ("refund", None, "#4 -¥30.00 on 2026-03-02", "import #1 from s.csv"),
        ("sale", None, "#3 ¥1,000.00 on 2026-03-01", "import #1 from s.csv"),
    ]


def test_owner_option_fills_rows_without_one(crm, tmp_path):
    path = write(tmp_path / "c.csv", [["name", "owner"], ["A", ""], ["B", "wang"]])
    imported(crm, "customers", path, "--owner", "li")
    assert {c["name"]: c["owner"] for c in crm.json("customer", "list")} == {"A": "li", "B": "wang"}


def test_bad_options_are_refused_before_any_work(crm, tmp_path, database_made):
    path = write(tmp_path / "c.csv", [["name"], ["A"]])
    assert crm.fails(2, "import", "customers", path, "--on-duplicate", "merge") == (
        "crm: unknown --on-duplicate 'merge'; expected skip, update or error\n"
    )
    assert crm.fails(2, "import", "customers", path, "--encoding", "klingon") == (
        "crm: unknown encoding 'klingon'; use auto, utf-8, gb18030 or utf-16\n"
    )
    assert crm.fails(2, "import", "customers", tmp_path / "missing.csv") == (
        f"crm: no such file: {tmp_path / 'missing.csv'}\n"
    )
    assert not database_made()


@pytest.mark.sqlite_only(
    reason="reads SQLite's sqlite_master and EXPLAIN QUERY PLAN for the indexes an import rebuilds"
)
def test_imports_into_an_empty_and_a_filled_table_keep_every_index(crm, tmp_path, isolated):
    # A large import builds the table's indexes after its rows: they must all be back,
    # the same, or listing and searching customers would slow down from then on.
    crm.ok("init")
    db = sqlite3.connect(isolated / "crm.db")
    schema = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    before = db.execute(schema).fetchall()
    header = ["客户名称", "手机"]
    first = [header, *([f"甲{i}公司", f"1380000{i:04d}"] for i in range(30))]
    result, _ = imported(crm, "customers", write(tmp_path / "a.csv", first))
    assert result["added"] == 30
    assert db.execute(schema).fetchall() == before
    second = [header, ["乙公司", "13900000000"], ["甲3公司", "13800009999"]]
    result, _ = imported(crm, "customers", write(tmp_path / "b.csv", second))
    assert (result["added"], result["skipped"]) == (1, 1)
    assert db.execute(schema).fetchall() == before
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM customer WHERE phone = '+8613800000003'"
    ).fetchall()
    assert "ix_customer_phone" in plan[0][-1]
