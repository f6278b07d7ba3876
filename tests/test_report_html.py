"""The html report of the demo data, rendered in a real headless Chromium (the
distribution's package, which .ci/run installs): every chart area drawn, and a PDF on A4.

Also: `crm demo` followed by `crm report all` has no empty section.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

DEMO_DAY = "2026-11-20"
SECTIONS = ("summary", "tiers", "pipeline", "staff", "complaints", "satisfaction", "abc")
BAR = (0x3B, 0x6E, 0xA5)  # the bars' colour in services.reports.html

# Where the charts are, read back from the page as Chromium lays it out.
PROBE = """<script>window.addEventListener("load", function () {
  var found = [];
  document.querySelectorAll("figure.chart").forEach(function (f) {
    var b = f.getBoundingClientRect();
    found.push([f.dataset.section, Math.round(b.left), Math.round(b.top + window.scrollY),
                Math.round(b.width), Math.round(b.height)]);
  });
  document.body.setAttribute("data-rects", JSON.stringify(found));
  document.body.setAttribute("data-height", String(document.documentElement.scrollHeight));
});</script>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed, and CI must render the html report")
    pytest.skip("chromium is not installed (`apt-get install chromium`; .ci/run does)")


def run_chromium(binary: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--force-device-scale-factor=1", "--no-first-run", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def demo(crm, tmp_path):
    """The demo database, and the whole report of the demo's day as html."""
    db = tmp_path / "demo.db"
    crm.ok("demo", "--db", db)
    page = tmp_path / "report.html"
    crm.ok("--db", db, "report", "all", "--to", DEMO_DAY, "-o", page)
    return db, page


def test_demo_report_has_no_empty_section(crm, demo):
    db, _ = demo
    data = json.loads(crm.ok("--db", db, "report", "all", "--to", DEMO_DAY, "-f", "json").stdout)
    assert list(data["sections"]) == list(SECTIONS)
    for key, section in data["sections"].items():
        chart = section["chart"]
        rows = section["tables"][chart["table"]]["rows"]
        figures = [r[chart["value"]] for r in rows if r[chart["value"]] not in (None, 0, "0.00")]
        assert figures, f"{key}: its chart has nothing to show"
        for table in section["tables"].values():
            if table["rows"]:
                break
        else:
            pytest.fail(f"{key}: every table is empty")


def _pixels(png: Path):  # -> PIL image
    from PIL import Image

    return Image.open(png).convert("RGB")


def test_html_renders_in_chromium_with_charts_drawn(demo, tmp_path):
    binary = chromium()
    _, page = demo
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"))
    dom = run_chromium(binary, "--window-size=1000,1000", "--dump-dom", probe.as_uri())
    assert dom.returncode == 0, dom.stderr
    rects = json.loads(unescape(re.search(r'data-rects="([^"]*)"', dom.stdout).group(1)))
    height = int(re.search(r'data-height="(\d+)"', dom.stdout).group(1))
    assert [r[0] for r in rects] == list(SECTIONS)

    png = tmp_path / "report.png"
    shot = run_chromium(
        binary, f"--window-size=1000,{height}", f"--screenshot={png}", probe.as_uri()
    )
    assert shot.returncode == 0 and png.exists(), shot.stderr
    image = _pixels(png)
    assert image.size == (1000, height)
    for key, left, top, width, height_ in rects:
        assert width > 300 and height_ > 100, key
        area = image.crop((left, top, left + width, top + height_))
        colours = area.getcolors(maxcolors=width * height_)
        bar = sum(
            n for n, rgb in colours if all(abs(a - b) <= 40 for a, b in zip(rgb, BAR, strict=True))
        )
        ink = sum(n for n, rgb in colours if sum(rgb) < 600)
        # Bars (in their colour) and axes/labels (dark) are drawn in every chart.
        assert bar > 500, (key, bar)
        assert ink > 200, (key, ink)


def test_html_prints_to_a4_pdf(demo, tmp_path):
    binary = chromium()
    _, page = demo
    pdf = tmp_path / "report.pdf"
    printed = run_chromium(binary, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert printed.returncode == 0 and pdf.exists(), printed.stderr
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert len(boxes) >= 3  # several pages, all A4 (595 × 842 points)
    assert all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes)
