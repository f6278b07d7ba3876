"""crm import of damaged and unusual files, and --rejects paths: one line and exit 2 for
each, nothing imported, nothing overwritten (SPEC §3 exit codes, §4)."""

from __future__ import annotations

import json

import pytest

from crmcli.cli import app

ON = "2026-11-01"


def ascii_rows(n: int) -> list[str]:
    """More than the 64 KiB the encoding is guessed from, all ASCII."""
    return ["name,notes"] + [f"Company {i:05d},{'x' * 60}" for i in range(n)]


def lines(rows: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(rows) + "\r\n").encode(encoding)


def nothing_imported(crm) -> None:
    assert crm.json("customer", "list") == []
    assert crm.json("import", "list") == []


# --- encodings -------------------------------------------------------------------------------


def test_utf8_with_a_bad_byte_past_the_sample_is_refused_not_read_as_gb18030(crm, tmp_path):
    path = tmp_path / "x.csv"
    rows = ["name,phone"] + [f"北京公司{i}," for i in range(6000)]
    path.write_bytes(lines(rows) + b"Bad\xe4\xb8 Row,\r\n")
    assert crm.fails(2, "import", "customers", path) == (
        "crm: x.csv: line 6002 is not valid UTF-8, though the text before it is; "
        "correct that line, or pass the file's encoding with --encoding\n"
    )
    nothing_imported(crm)


def test_utf8_whose_first_non_ascii_text_comes_after_the_sample_is_utf8(crm, tmp_path):
    # The sample is ASCII; the file is searched for its first non-ASCII text, which is
    # UTF-8: a bad byte later is damage, not a sign of GB18030.
    path = tmp_path / "late.csv"
    rows = [*ascii_rows(1200), "深圳腾讯,最后一行", "Other,more"]
    path.write_bytes(lines(rows) + b"Bad\xe4\xb8 Row,x\r\n")
    assert crm.fails(2, "import", "customers", path) == (
        "crm: late.csv: line 1204 is not valid UTF-8, though the text before it is; "
        "correct that line, or pass the file's encoding with --encoding\n"
    )
    nothing_imported(crm)


def test_gb18030_past_the_sample_that_is_not_gb18030_either_says_so(crm, tmp_path):
    path = tmp_path / "g.csv"
    rows = [*ascii_rows(1200), "北京,公司"]
    path.write_bytes(lines(rows, "gb18030") + b"Bad\x81\x20Row,x\r\n")
    assert crm.fails(2, "import", "customers", path) == (
        "crm: cannot tell the encoding of g.csv: line 1203 is neither UTF-8 nor GB18030; "
        "pass it with --encoding\n"
    )
    nothing_imported(crm)


def test_the_line_of_bad_bytes_is_the_line_they_are_on_not_where_reading_had_got(crm):
    # A GB18030 file on stdin cannot be read twice: the error names the first line that
    # is not UTF-8, however far ahead of the rows the decoder has read.
    rows = ["name,phone"] + [f"row {i},13800001111" for i in range(5000)] + ["北京,"]
    result = crm.runner.invoke(
        app, ["import", "customers", "-", "--as-of", ON], input=lines(rows, "gb18030")
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "crm: <stdin>: line 5002 is not valid utf-8; "
        "pass the file's encoding with --encoding (e.g. gb18030)\n"
    )
    nothing_imported(crm)


def test_a_forced_gb18030_that_fails_suggests_another_encoding(crm, tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(lines(ascii_rows(1200), "gb18030") + b"Bad\x81\x20Row,x\r\n")
    assert crm.fails(2, "import", "customers", path, "--encoding", "gb18030") == (
        "crm: f.csv: line 1202 is not valid gb18030; "
        "pass the file's encoding with --encoding (e.g. utf-8)\n"
    )
    nothing_imported(crm)


@pytest.mark.parametrize(
    ("data", "example"),
    [
        (b"name,phone\nAB,13800001111\n", "utf-8"),
        ("name,phone\n北京,13800001111\n".encode("gb18030"), "gb18030"),
        ("name,phone\nAB,13800001111\n".encode("utf-16-le"), "utf-16-le"),
    ],
)
def test_utf16_forced_on_a_file_without_a_byte_order_mark(crm, tmp_path, data, example):
    path = tmp_path / "b.csv"
    path.write_bytes(data)
    assert crm.fails(2, "import", "customers", path, "--encoding", "utf-16") == (
        "crm: b.csv does not start with a UTF-16 byte-order mark; "
        f"pass its encoding with --encoding (e.g. {example})\n"
    )
    nothing_imported(crm)


# --- --rejects paths ----------------------------------------------------------------------------

BAD = b"name,phone\r\nA,123\r\nB,13800001111\r\n"


@pytest.fixture
def bad_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "bad.csv").write_bytes(BAD)
    return "f/bad.csv"


@pytest.mark.parametrize(
    ("rejects", "message"),
    [
        ("./f/bad.csv", "--rejects ./f/bad.csv is the file being imported; name another file"),
        (
            "f/../f/bad.csv",
            "--rejects f/../f/bad.csv is the file being imported; name another file",
        ),
        ("link.csv", "--rejects link.csv is the file being imported; name another file"),
        pytest.param(
            "crm.db",
            "--rejects crm.db is the database; name another file",
            marks=pytest.mark.sqlite_only(reason="--rejects names the SQLite file itself"),
        ),
        pytest.param(
            "./crm.db-wal",
            "--rejects ./crm.db-wal is the database; name another file",
            marks=pytest.mark.sqlite_only(reason="--rejects names the SQLite file's -wal"),
        ),
        (
            "/nonexistent-dir/r.csv",
            "cannot write --rejects /nonexistent-dir/r.csv: directory /nonexistent-dir "
            "does not exist",
        ),
        ("f", "--rejects f is a directory; name a file to write the rejected rows to"),
    ],
)
def test_a_rejects_file_that_would_overwrite_or_cannot_be_written_is_refused_first(
    crm, tmp_path, database_made, bad_file, rejects, message
):
    (tmp_path / "link.csv").symlink_to(tmp_path / bad_file)
    stderr = crm.fails(2, "import", "customers", bad_file, "--skip-invalid", "--rejects", rejects)
    assert stderr == f"crm: {message}\n"
    assert (tmp_path / bad_file).read_bytes() == BAD
    assert not database_made()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f", "link.csv"]
    assert [p.name for p in (tmp_path / "f").iterdir()] == ["bad.csv"]


def test_a_rejects_file_beside_the_input_is_written(crm, tmp_path, bad_file):
    result = crm(
        "import", "customers", bad_file, "--skip-invalid", "--rejects", "f/rejects.csv",
        "--as-of", ON, "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rejected"] == 1
    assert (tmp_path / "f" / "rejects.csv").read_text(encoding="utf-8").splitlines() == [
        "name,phone,reject_reason",
        "A,123,line 2: column phone: invalid phone number '123'",
    ]
