"""The html report: one self-contained file, inline CSS and SVG charts, no network.

Charts are drawn by pygal (axes, scales, labels), rendered to SVG text and inlined; its
tooltip script is left out (``js=[]``), and its comments and the inline script of
its options are removed, so the file fetches nothing and opens offline. It prints on A4: one column,
tables that break between rows, a section never starting at the foot of a page.
"""

from __future__ import annotations

import re
from html import escape
from typing import IO, Any

from crmcli.i18n import _
from crmcli.services.reports import values
from crmcli.services.reports.model import Report, Section

CSS = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Noto Sans", "Helvetica Neue", Arial, sans-serif;
       font-size: 10pt; color: #222; max-width: 186mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 8mm 0 2mm; border-bottom: 1px solid #999; break-after: avoid; }
h3 { font-size: 10.5pt; margin: 4mm 0 1mm; break-after: avoid; }
section { break-before: auto; }
figure.chart { margin: 2mm 0; break-inside: avoid; }
figure.chart svg { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 2mm; font-size: 8.5pt; }
th, td { border-bottom: 1px solid #ddd; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr { break-inside: avoid; }
p.def, p.note { font-size: 8pt; color: #555; margin: 0 0 1mm; }
.empty { color: #777; font-style: italic; }
@media print { body { padding: 0; max-width: none; } }
"""

_RIGHT = frozenset({"int", "money", "pct", "number"})
# pygal's comments name its web site, and its one inline script only hands its options to
# the tooltip script that ``js=[]`` leaves out: both go, the drawing stays.
_UNUSED = re.compile(r"<!--.*?-->|<script\b[^>]*>.*?</script>", re.S)


def chart_svg(section: Section) -> str:
    """The section's bar chart as inline SVG."""
    import pygal
    from pygal.style import Style

    assert section.chart is not None
    chart = section.chart
    table = section.table(chart.table)
    label_col = next(c for c in table.columns if c.key == chart.label)
    value_col = next(c for c in table.columns if c.key == chart.value)
    labels = [values.text(label_col, row, False) for row in table.rows]
    figures = [values.number(value_col, row) for row in table.rows]
    style = Style(
        background="white",
        plot_background="white",
        colors=("#3b6ea5",),
        font_family="sans-serif",
        label_font_size=11,
        major_label_font_size=11,
        value_font_size=10,
        title_font_size=13,
    )
    drawing = pygal.HorizontalBar(
        js=[],
        disable_xml_declaration=True,
        show_legend=False,
        width=760,
        height=max(160, 60 + 26 * len(labels)),
        style=style,
        print_values=True,
        title=chart.title,
        no_data_text=_("no data in the period"),
    )
    # pygal stacks horizontal bars from the bottom up: reversed, they read top-down.
    drawing.x_labels = labels[::-1]
    drawing.add(value_col.header, figures[::-1])
    return _UNUSED.sub("", drawing.render(is_unicode=True))


def write_html(report: Report, out: IO[Any], *, redact: bool) -> None:
    from crmcli.i18n import language
    from crmcli.services.reports.text import heading

    title = escape(heading(report))
    lang = "zh-CN" if language() == "zh" else "en"
    out.write(f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n')
    out.write(f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n")
    out.write(f"<h1>{title}</h1>\n")
    for section in report.sections:
        out.write(f'<section id="{section.key}">\n<h2>{escape(section.title)}</h2>\n')
        if section.chart is not None:
            out.write(
                f'<figure class="chart" data-section="{section.key}">{chart_svg(section)}</figure>\n'
            )
        for table in section.tables:
            out.write(f"<h3>{escape(table.title)}</h3>\n")
            if not table.rows:
                out.write(f'<p class="empty">{escape(_("(none)"))}</p>\n')
                continue
            right = {c.key: values.kind_of(c, table.rows[0]) in _RIGHT for c in table.columns}
            out.write(f'<table data-table="{table.key}">\n<thead><tr>')
            for c in table.columns:
                cls = ' class="n"' if right[c.key] else ""
                out.write(f"<th{cls}>{escape(c.header)}</th>")
            out.write("</tr></thead>\n<tbody>\n")
            for row in table.rows:
                out.write("<tr>")
                for c in table.columns:
                    cls = ' class="n"' if right[c.key] else ""
                    out.write(f"<td{cls}>{escape(values.text(c, row, redact))}</td>")
                out.write("</tr>\n")
            out.write("</tbody>\n</table>\n")
            for header, definition in table.definitions.items():
                out.write(f'<p class="def"><b>{escape(header)}</b>: {escape(definition)}</p>\n')
            if table.note:
                out.write(f'<p class="note">{escape(table.note)}</p>\n')
        out.write("</section>\n")
    out.write("</body>\n</html>\n")
