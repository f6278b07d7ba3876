"""Reading real CSV files, and the cell parsers import uses (crmcli.io)."""

from __future__ import annotations

import codecs
import io
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcli.errors import InvalidInput
from crmcli.io import tables, values
from crmcli.io.csvfile import (
    CsvSource,
    EncodingMismatch,
    detect_encoding,
    open_stream,
    sniff_delimiter,
    starts_as_utf8,
)
from crmcli.text import normalize


def read(data: bytes, **kwargs):
    src = open_stream(io.BytesIO(data), "t.csv", len(data), True, encoding=None, delimiter=None)
    return src, list(src.rows())


# --- encodings and delimiters ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (codecs.BOM_UTF8 + "名称\n".encode(), "utf-8-sig"),
        ("名称\n".encode("utf-16"), "utf-16"),
        ("名称\n".encode("utf-16-be"), "utf-16-be"),
        ("name\n".encode("utf-16-le"), "utf-16-le"),
        ("name\n".encode("utf-16-be"), "utf-16-be"),
        ("名称\n".encode(), "utf-8"),
        ("名称\n".encode("gb18030"), "gb18030"),
        (b"name\n", "utf-8"),
    ],
)
def test_detect_encoding(data, expected):
    assert detect_encoding(data) == expected


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [
        ("name,phone,email", ","),
        ("name;phone;email", ";"),
        ("name\tphone\temail", "\t"),
        ('"name, full";phone;email', ";"),
        ("name|phone", "|"),
        ("name", ","),
    ],
)
def test_sniff_delimiter(line, delimiter):
    assert sniff_delimiter(line) == delimiter


def test_rows_carry_the_line_they_start_on_across_quoted_newlines_and_blank_lines():
    data = b'name,notes\r\nA,"one\r\ntwo"\r\n\r\n,,\r\nB,plain\r\n"C","x\ny\nz"\r\nD,last'
    src, rows = read(data)
    assert src.header == ["name", "notes"]
    assert rows == [
        (2, ["A", "one\r\ntwo"]),
        (6, ["B", "plain"]),
        (7, ["C", "x\ny\nz"]),
        (10, ["D", "last"]),
    ]


def test_utf16_tab_separated_excel_unicode_text():
    text = "客户名称\t手机\r\n华为\t13800001111\r\n"
    src, rows = read(text.encode("utf-16"))
    assert (src.encoding, src.delimiter, src.header) == ("utf-16", "\t", ["客户名称", "手机"])
    assert rows == [(2, ["华为", "13800001111"])]


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([b"name\n", b"abc\n"], None),
        # 北京 cut between two blocks, a bad byte after it: UTF-8
        ([b"name\n\xe5\x8c", b"\x97\xe4\xba\xac\nbad \xff\n"], True),
        ([b"name\n" * 3, b"", b"\xe5\x8c\x97\n"], True),
        ("北京,".encode("gb18030"), False),
        # 录入 in GB18030: its first character happens to be UTF-8 (¼), the word is not
        ([b"x" * 10, "录入,\n".encode("gb18030")], False),
        ([b"name\n\xe5\x8c"], False),  # cut short by the end of the file
    ],
)
def test_starts_as_utf8_decides_from_the_first_non_ascii_text(blocks, expected):
    if isinstance(blocks, bytes):
        blocks = [blocks]
    assert starts_as_utf8(iter(blocks)) is expected


@pytest.mark.parametrize("before", [1000, 1003, 1250, 5000])
def test_a_decoding_error_names_the_line_of_the_bad_bytes(before):
    # Past the 64 KiB sample, the text layer decodes ahead of the rows the reader gave out.
    rows = "".join(f"row {i},{'x' * (50 + i % 40)}\r\n" for i in range(before))
    data = f'name,notes\r\n"quoted\r\nacross lines",x\r\n{rows}ok,\r\n'.encode()
    data += b"bad \xff,\r\nafter,\r\n"
    src = open_stream(io.BytesIO(data), "t.csv", len(data), True, encoding="utf-8", delimiter=None)
    with pytest.raises(EncodingMismatch) as caught:
        list(src.rows())
    assert caught.value.line == before + 5
    assert caught.value.message == (
        f"t.csv: line {before + 5} is not valid utf-8; "
        "pass the file's encoding with --encoding (e.g. gb18030)"
    )


def test_a_forced_utf8_keeps_no_byte_order_mark_in_the_first_header(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"name,phone\nA,1\n")
    with CsvSource(str(path), encoding="utf-8") as src:
        assert src.header == ["name", "phone"]


def test_empty_file_and_header_only():
    with pytest.raises(InvalidInput, match=r"t\.csv is empty"):
        read(b"  \n")
    src, rows = read(b"name\n")
    assert (src.header, rows) == (["name"], [])


def test_control_characters_from_a_wrong_guess_are_refused():
    # bytes that decode as GB18030 into private-use characters: not a spreadsheet's text
    data = b"name\nx\xfe\xfe\n"
    with pytest.raises(InvalidInput, match=r"cannot tell the encoding of t\.csv"):
        read(data)


# --- headers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("公司名称", "name"),
        ("客户名称", "name"),
        (" Company  Name ", "name"),
        ("CONTACT_NAME", "contact_name"),
        ("联系人", "contact_name"),
        ("电话", "phone"),
        ("手机", "phone"),
        ("Ｅ-Mail", "email"),
        ("邮箱", "email"),
        ("地址", "address"),
        ("行业", "industry"),
        ("规模", "scale"),
        ("来源", "source"),
        ("负责人", "owner"),
        ("生日", "birthday"),
        ("客户id", "code"),
    ],
)
def test_customer_header_aliases(header, key):
    col = tables.CUSTOMERS.match_header(header)
    assert col is not None and col.key == key


def test_layout_keeps_unknown_and_second_same_field_columns_in_notes():
    lay = tables.layout(tables.CUSTOMERS, ["名称", "电话", "手机", "年龄", ""], {})
    assert [(i, c.key) for i, c in lay.fields] == [(0, "name"), (1, "phone")]
    assert lay.unknown == [(2, "手机"), (3, "年龄"), (4, "column 5")]
    assert lay.notices == [
        "columns '电话' and '手机' both give phone: '电话' is used, '手机' is kept in notes",
        "columns kept in notes: 手机, 年龄",
    ]


def test_every_table_header_alias_is_unique_and_every_import_field_is_exported():
    for table in tables.TABLES.values():
        exported = {c.key for c in table.exported_columns}
        for col in table.columns:
            if col.importable and col.exported:
                assert col.key in exported
        assert table.match_header(table.columns[0].key) is table.columns[0]


def test_parse_map():
    assert tables.parse_map(["客户名称=name,手机=phone", "Fax="]) == {
        "客户名称": "name",
        "手机": "phone",
        "fax": "",
    }
    with pytest.raises(InvalidInput, match="expected HEADER=field"):
        tables.parse_map(["name"])


# --- cell values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22", date(2026, 11, 22)),
        ("2024/5/5", date(2024, 5, 5)),
        ("2024.5.5", date(2024, 5, 5)),
        ("4/15/2017", date(2017, 4, 15)),  # Excel US: month/day/year
        ("15/4/2017", date(2017, 4, 15)),  # a first number above 12 is the day
        ("2026年11月22日", date(2026, 11, 22)),
        ("２０２６年１１月２２日", date(2026, 11, 22)),
        ("45000", date(2023, 3, 15)),  # Excel serial number
        ("2026-11-22 00:00:00", date(2026, 11, 22)),
    ],
)
def test_parse_day(text, expected):
    assert values.parse_day(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22 14:30", datetime(2026, 11, 22, 14, 30)),
        ("2026-11-22T14:30:05", datetime(2026, 11, 22, 14, 30, 5)),
        ("2026/11/22 9:05", datetime(2026, 11, 22, 9, 5)),
        ("2026年11月22日 14:30", datetime(2026, 11, 22, 14, 30)),
        ("45000.5", datetime(2023, 3, 15, 12, 0)),
        ("2026-11-22", datetime(2026, 11, 22)),
    ],
)
def test_parse_moment(text, expected):
    assert values.parse_moment(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024/13/45", "no such date '2024/13/45'"),
        ("yesterday", "cannot read date 'yesterday'"),
        ("2024-05-05 25:00", "no such time in date '2024-05-05 25:00'"),
        ("11-08-16", "date '11-08-16' may be 2016-11-08 or 2016-08-11"),
        ("11-08", "cannot read date '11-08'"),
    ],
)
def test_parse_day_refuses(text, message):
    with pytest.raises(InvalidInput) as caught:
        values.parse_day(text)
    assert caught.value.message.startswith(message)


def test_a_day_column_with_a_time_of_day_gives_the_date():
    assert values.parse_day("2024-05-05 14:30") == date(2024, 5, 5)
    assert values.parse_days(["2011-10-17 12:25:00", "2011/10/18 8:00"]) == [
        date(2011, 10, 17),
        date(2011, 10, 18),
    ]


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("128000", 128_000_000_000),
        ("1,280.50", 1_280_500_000),
        ("¥128,000", 128_000_000_000),
        ("￥1,280.5", 1_280_500_000),
        ("-500", -500_000_000),
        ("-¥500.00", -500_000_000),
        ("１２８", 128_000_000),
        ("15.552", 15_552_000),
        ("0.000001", 1),
    ],
)
def test_parse_micros(text, micros):
    assert values.parse_micros(text) == micros


def test_parse_micros_refuses():
    for text, message in (
        ("0", "amount must not be zero"),
        ("0.0000001", "amount '0.0000001' has more than six decimals"),
        ("abc", "amount 'abc' is not a number"),
    ):
        with pytest.raises(InvalidInput) as caught:
            values.parse_micros(text)
        assert caught.value.message == message


@settings(deadline=None)
@given(st.text(max_size=20))
def test_formula_escaping_round_trips_and_neutralises(text):
    escaped = values.escape_formula(text)
    assert values.unescape_formula(escaped) == text
    assert not escaped.startswith(("=", "+", "-", "@"))


def test_escape_examples():
    assert values.escape_formula("=SUM(A1)") == "'=SUM(A1)"
    assert values.escape_formula("+8613812345678") == "'+8613812345678"
    assert values.escape_formula("'=x") == "''=x"
    assert values.escape_formula("O'Brien") == "O'Brien"
    assert values.unescape_formula("'+8613812345678") == "+8613812345678"


def test_masks():
    assert values.mask_phone("+8613812345678") == "138****5678"
    assert values.mask_phone("+861012345678;ext=12") == "010****5678"
    assert values.mask_email("zhang@example.com") == "z***@example.com"


# --- the caches in front of the slow validators agree with them --------------------------------


def _outcome(parse, text):
    try:
        return parse(text)
    except InvalidInput as exc:
        return ("error", exc.message)


@settings(max_examples=1500, deadline=None)
@given(
    st.one_of(
        st.from_regex(r"1[0-9]{10}", fullmatch=True),
        st.from_regex(r"\+861[0-9]{10}", fullmatch=True),
        st.from_regex(r"1[3-9][0-9] [0-9]{4}-[0-9]{4}", fullmatch=True),
        st.from_regex(r"0[1-9][0-9]{1,2}-?[0-9]{7,8}", fullmatch=True),
        st.from_regex(r"\(0[1-9][0-9]{1,2}\) ?[0-9]{3,4} ?[0-9]{4}", fullmatch=True),
        st.from_regex(r"\+86 ?[1-9][0-9]{1,2} ?[0-9]{7,8}", fullmatch=True),
        st.from_regex(r"0?1[0-9]{10}", fullmatch=True),
        st.from_regex(r"(0|\+86)?[1-9][0-9]{6,11}", fullmatch=True),
        st.text(alphabet="0123456789+-() 转", max_size=16),
    )
)
def test_phone_shortcut_gives_what_phone_e164_gives(text):
    assert _outcome(values.phone, text) == _outcome(normalize.phone_e164, text)


_PHONE_TEXTS = st.one_of(
    st.from_regex(r"1[0-9]{10}", fullmatch=True),
    st.from_regex(r"1[3-9][0-9] [0-9]{4}-[0-9]{4}", fullmatch=True),
    st.from_regex(r"\(0[1-9][0-9]{1,2}\) ?[0-9]{3,4} ?[0-9]{4}", fullmatch=True),
    st.from_regex(r"(0|\+86)?[1-9][0-9]{6,11}", fullmatch=True),
    st.sampled_from(["", "１３８００１３８０００", "13800138000;ext=12", "138\n00138000", "x"]),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_PHONE_TEXTS, max_size=8))
def test_a_phone_column_is_read_as_each_of_its_cells(texts):
    # Import reads a file's phones a column at a time: the numbers stored must be those
    # of reading them one by one, and a column with a bad number must be refused (its
    # cells are then read one by one to say which).
    each = [_outcome(values.phone, t) if t else None for t in texts]
    refused = [e for e in each if isinstance(e, tuple)]
    if refused:
        with pytest.raises(InvalidInput):
            values.phones(texts)
    else:
        assert values.phones(texts) == each


def test_phone_round_trips_through_its_exported_form():
    for stored in ("+8613812345678", "+861012345678", "+16502530000", "+8657185022088;ext=321"):
        shown = normalize.phone_display(stored)
        assert values.phone(values.unescape_formula(values.escape_formula(shown))) == stored


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.emails(),
        st.from_regex(r"[a-zA-Z0-9._+-]{1,12}@[a-zA-Z0-9.-]{1,12}", fullmatch=True),
        st.sampled_from(
            [
                "A.B@Example.COM",
                "a..b@x.com",
                ".a@x.com",
                "a@localhost",
                "a@x.invalid",
                '"a b"@x.com',
                "x" * 65 + "@example.com",
                "名字@例子.中国",
                " ok@example.com ",
            ]
        ),
    )
)
def test_email_cache_gives_what_email_validator_gives(text):
    assert _outcome(values.email, text) == _outcome(normalize.email_normalized, text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *"重庆银行长沙乐行都华为技术有限公司的地得了ＡＢａｂ１２ -_.,（）",
                *("中国", "单于", "曾", "Zh", "x", " ", "行长", "银行"),
            ]
        ),
        max_size=10,
    ).map("".join)
)
def test_pinyin_cache_gives_what_normalize_gives(name):
    assert values.pinyin_keys(name) == normalize.pinyin_keys(name)


@pytest.mark.parametrize("suffix", ["0000000", "5555555", "9999999"])
def test_phone_shortcut_agrees_on_every_mobile_prefix(suffix):
    # Every four-digit start of an 11-digit number beginning with 1, spelled plainly,
    # with spaces and with +86: the metadata patterns decide exactly as phonenumbers.
    for prefix in range(1000, 2000):
        digits = f"{prefix}{suffix}"
        for text in (digits, f"{digits[:3]} {digits[3:7]} {digits[7:]}", f"+86{digits}"):
            assert _outcome(values.phone, text) == _outcome(normalize.phone_e164, text)


@pytest.mark.parametrize("local", ["2345678", "62345678", "8765432"])
def test_phone_shortcut_agrees_on_every_area_code(local):
    for area in [*range(10, 100), *range(100, 1000)]:
        for text in (f"0{area}-{local}", f"(0{area}) {local}", f"+86 {area} {local}"):
            assert _outcome(values.phone, text) == _outcome(normalize.phone_e164, text)


_PLACES = ("上海", "北京", "重庆", "长沙", "银行", "西安", "厦门")
_SURNAMES = "王李张刘陈单曾解区朴"
_GIVEN = "伟芳行乐长重华"
_TRADES = ("科技有限公司", "银行", "行长", "制造厂", "音乐", "重庆火锅", "")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=16))
def test_pinyin_keys_of_ascii_text_are_what_pypinyin_gives(name):
    # normalize and the cache skip pypinyin for ASCII text: it must give it back whole.
    from pypinyin import Style, lazy_pinyin

    folded = name.lower()
    syllables = [s.strip() for s in lazy_pinyin(folded, style=Style.NORMAL) if s.strip()]
    initials = "".join(s[0] for s in syllables if s[0].isalnum())
    joined = "".join("".join(s.split()) for s in syllables)
    expected = (" ".join(syllables), f"{joined}|{initials}")
    assert normalize.pinyin_keys(name) == values.pinyin_keys(name) == expected


@settings(max_examples=500, deadline=None)
@given(
    st.tuples(
        st.sampled_from(["", "Apex ", "ＡＢＣ", "Li Na ", "12"]),
        st.sampled_from(_PLACES),
        st.sampled_from(_SURNAMES),
        st.sampled_from(_GIVEN),
        st.sampled_from(_TRADES),
        st.sampled_from(["", " 17", "-3", " Ltd.", "（北京）", "\u3000x"]),
    ).map("".join)
)
def test_pinyin_cache_on_company_names(name):
    # Names built like real ones share runs (科技有限公司) in different surroundings, so
    # the cache is hit from other names as well as missed.
    assert values.pinyin_keys(name) == normalize.pinyin_keys(name)


@pytest.mark.parametrize("name", ["有中国特色的", "上海有中国特色的", "Apex 民主集中 2", "劈劈啪"])
def test_pinyin_cache_where_the_rest_of_a_run_only_starts_phrases(name):
    # Forward matching gives such a rest character by character, not as the phrases
    # inside it (中国, 特色): the sort key must not change with the cache.
    assert values.pinyin_keys(name) == normalize.pinyin_keys(name)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from("〇\ue815\ue864\u3400\U00020000\ufa18\u3000\t 　,.·-_'ü"),
            st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80),
            st.characters(max_codepoint=0x7F),
        ),
        max_size=12,
    )
)
def test_pinyin_cache_on_any_characters(name):
    assert values.pinyin_keys(name) == normalize.pinyin_keys(name)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=20))
def test_clean_text_and_name_key_fold_spaces_as_the_regular_expression_does(text):
    import re
    import unicodedata

    folded = unicodedata.normalize("NFKC", text)
    assert normalize.clean_text(text) == re.sub(r"\s+", " ", folded).strip()
    assert normalize.name_key(text) == re.sub(r"\s+", "", folded).casefold()


@pytest.mark.parametrize("name", sorted(tables.TABLES))
def test_no_two_columns_of_a_table_answer_to_one_header(name):
    # Each header a table knows, as the import folds it, names one column only.
    table = tables.TABLES[name]
    index = table.aliases_index
    for col in table.columns:
        for header in (col.key, *col.aliases):
            assert index[tables.fold_header(header)] is col
            assert table.match_header(f" {header.upper()} ") is col
