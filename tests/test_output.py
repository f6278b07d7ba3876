"""The plain table and JSON writers that every long list goes through."""

from __future__ import annotations

import io
import json

from hypothesis import given
from hypothesis import strategies as st

from crmcli.output import Col, _widths, cell_width, print_json, render, render_columns

COLUMNS = (Col("owner", "Owner"), Col("name", "Customer"), Col("late", "Late", "right"))

# Letters people type in names and notes: ASCII, CJK, full-width forms, kana, Hangul,
# Latin-1, dashes and quotes (three-byte but narrow), an astral CJK ideograph.
NAME_CHARS = st.sampled_from(
    list("abcXYZ 09-()")
    + list("华为科技王芳张")
    + list("（）１２＠")
    + list("あカ한")
    + list("éü·×")
    + list("—“”…①")
    + ["\U00020000", "\u4dc0", "\u3000"]
)


@given(st.lists(st.text(NAME_CHARS, max_size=12), min_size=1, max_size=30))
def test_column_widths_agree_with_the_width_of_each_cell(cells):
    assert _widths(cells, "".join(cells)) == [cell_width(text) for text in cells]


def test_cjk_width_counts_two_columns():
    assert cell_width("华为 Apex") == 9
    assert cell_width("（１）") == 6
    assert cell_width("café—“x”") == 8


def plain(rows, columns=COLUMNS):
    out = io.StringIO()
    render(rows, columns, "table", out=out)
    return out.getvalue()


def test_plain_table_aligns_wide_names_and_repeated_values():
    # Eight rows share two owners: the repeated values are padded once and reused.
    rows = [
        {"owner": "li" if n % 2 else "wangfang", "name": name, "late": n or None}
        for n, name in enumerate(
            ["华为技术", "Apex Ltd", "王芳 Nova", "上海（中国）", "Zen", "é café", "A—B", "本"]
        )
    ]
    assert plain(rows) == (
        "Owner     Customer      Late\n"
        "wangfang  华为技术\n"
        "li        Apex Ltd         1\n"
        "wangfang  王芳 Nova        2\n"
        "li        上海（中国）     3\n"
        "wangfang  Zen              4\n"
        "li        é café           5\n"
        "wangfang  A—B              6\n"
        "li        本               7\n"
    )


def test_plain_table_pads_a_column_of_few_values_like_any_other():
    # Thirteen rows, two owners and two lateness values: those columns are padded per value.
    rows = [
        {"owner": "王芳" if n % 2 else "li", "name": f"C{n}", "late": 12 if n % 3 else None}
        for n in range(13)
    ]
    expected = ["Owner  Customer  Late"] + [
        ("王芳 " if n % 2 else "li   ") + f"  C{n:<7}  " + ("  12" if n % 3 else "")
        for n in range(13)
    ]
    assert plain(rows) == "\n".join(line.rstrip() for line in expected) + "\n"


def test_plain_table_turns_line_breaks_into_spaces():
    rows = [{"owner": "li", "name": "line one\nline two", "late": 3}]
    assert plain(rows) == "Owner  Customer           Late\nli     line one line two     3\n"


def test_columns_and_rows_render_the_same_in_every_format():
    rows = [{"owner": "li", "name": '华为, "HQ"', "late": 2}, {"owner": None, "name": "Zen"}]
    values = [[r.get(c.key) for r in rows] for c in COLUMNS]
    for fmt in ("table", "csv", "tsv"):
        by_rows, by_columns = io.StringIO(), io.StringIO()
        render(rows, COLUMNS, fmt, out=by_rows)
        render_columns(values, COLUMNS, fmt, out=by_columns)
        assert by_rows.getvalue() == by_columns.getvalue()
    out = io.StringIO()
    render_columns(values, COLUMNS, "csv", out=out)
    assert out.getvalue() == 'owner,name,late\nli,"华为, ""HQ""",2\n,Zen,\n'


def test_empty_list_prints_nothing_as_a_table_and_a_header_as_csv():
    empty: list[list[object]] = [[], [], []]
    out = io.StringIO()
    render_columns(empty, COLUMNS, "table", out=out)
    assert out.getvalue() == ""
    render_columns(empty, COLUMNS, "csv", out=out)
    assert out.getvalue() == "owner,name,late\n"


def test_json_object_with_a_long_list_writes_one_element_per_line():
    data = {
        "as_of": "2026-11-22",
        "counts": {"a": 101, "b": 1},
        "a": [{"n": n, "name": "王芳"} for n in range(101)],
        "b": [{"n": 0}],
    }
    out = io.StringIO()
    print_json(data, out)
    text = out.getvalue()
    assert json.loads(text) == data
    lines = text.splitlines()
    assert lines[:8] == [
        "{",
        '  "as_of": "2026-11-22",',
        '  "counts": {',
        '    "a": 101,',
        '    "b": 1',
        "  },",
        '  "a": [',
        '    {"n": 0, "name": "王芳"},',
    ]
    assert lines[-8:] == [
        '    {"n": 100, "name": "王芳"}',
        "  ],",
        '  "b": [',
        "    {",
        '      "n": 0',
        "    }",
        "  ]",
        "}",
    ]


def test_json_of_short_data_is_indented_as_before():
    out = io.StringIO()
    print_json({"a": [1, 2], "b": None}, out)
    assert out.getvalue() == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": null\n}\n'


def test_one_very_long_name_is_cut_in_the_plain_table_and_kept_whole_in_csv_and_json():
    pasted = "某" * 5000  # a page pasted into a name: 10,000 columns wide
    rows = [{"owner": "li", "name": pasted, "late": 3}, {"owner": "wang", "name": "Zen", "late": 1}]
    lines = plain(rows).splitlines()
    # The name column is as wide as the cut cell (at most 120 columns), not 10,000.
    assert lines[1] == "li     " + "某" * 59 + "…" + "  " + "   3"
    assert lines[2] == "wang   Zen" + " " * 116 + "  " + "   1"
    assert {cell_width(line) for line in lines} == {7 + 119 + 2 + 4}
    for fmt in ("csv", "json"):
        out = io.StringIO()
        render(rows, COLUMNS, fmt, out=out)
        assert pasted in out.getvalue()


def test_a_reason_crm_composed_is_never_cut_however_long():
    reason = "no phone contact since added 2026-09-14; potential customers need one every 30 days"
    reasons = "; ".join([reason, "plan #12 due 2026-11-10: send the price list", reason])
    out = io.StringIO()
    render(
        [{"owner": "li", "reason": reasons}],
        (Col("owner", "Owner"), Col("reason", "Why")),
        "table",
        out=out,
    )
    assert out.getvalue().splitlines()[1] == "li     " + reasons
