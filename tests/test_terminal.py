"""What a salesperson sees on a real terminal 80 columns wide, in both languages.

The commands run as processes under ``script`` (a pseudo-terminal, as a person's shell
gives them), so Rich draws its tables exactly as it would for them. The snapshots in
tests/snapshots/ are the overdue list, the remind digest and ``customer show``;
``CRM_UPDATE_SNAPSHOTS=1`` rewrites them after a deliberate change (then read the diff).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from crmcli.output import cell_width

SNAPSHOTS = Path(__file__).parent / "snapshots"
DAY = "2026-11-20"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CODES = ("C0001", "C0002", "C0003", "C0004")


@pytest.fixture
def world(crm, db_sql):
    """Four customers of every width: a long Chinese name, a long English one, a short
    one, never contacted, and a contact, follow-ups and a plan past due."""
    crm.ok(
        "customer", "add", "上海浦江精密机械股份有限公司", "--code", "C0001", "--tier", "core",
        "--owner", "zhang", "--phone", "021 6490 8851", "--contact", "程洁", "--as-of", "2026-09-01",
    )  # fmt: skip
    crm.ok(
        "log", "add", "C0001", "-c", "visit", "-m", "定期上门回访，跟进上次投诉的处理结果",
        "-r", "客户对处理结果满意", "--at", "2026-09-30 10:25", "--as-of", DAY,
    )  # fmt: skip
    crm.ok(
        "log", "add", "C0001", "-c", "phone", "-m", "电话确认下批订单交期，对方希望提前一周到货",
        "--at", "2026-11-13 14:15", "--as-of", DAY,
    )  # fmt: skip
    crm.ok(
        "customer", "add", "Fabrikam Furniture International Trading (Shenzhen) Co., Ltd.",
        "--code", "C0002", "--tier", "key", "--owner", "li", "--as-of", "2026-08-01",
    )  # fmt: skip
    crm.ok(
        "log", "add", "C0002", "-c", "phone", "-m", "Asked about the spring catalogue",
        "--at", "2026-10-02 09:00", "--as-of", DAY,
    )  # fmt: skip
    crm.ok(
        "plan", "add", "C0002", "--due", "2026-11-10", "--content", "Send the price list",
        "--as-of", "2026-11-01",
    )  # fmt: skip
    crm.ok(
        "customer", "add", "赵雅琴", "--code", "C0003", "--tier", "potential", "--owner", "li",
        "--as-of", "2026-09-14",
    )  # fmt: skip
    crm.ok(
        "customer", "add", "Acme", "--code", "C0004", "--tier", "general", "--owner", "wang",
        "--as-of", "2026-11-01",
    )  # fmt: skip
    # History is stamped with the clock; the snapshot needs one moment.
    db_sql("UPDATE history SET at = :at", at=datetime(2026, 11, 20, 1, 30))


def on_terminal(*args: str, lang: str = "en", colour: bool = False, term: str = "xterm") -> str:
    """``crm ARGS`` on a pseudo-terminal 80 columns wide: what the person sees, with
    line ends as the terminal gives them (\\r\\n) turned back to \\n."""
    assert shutil.which("script"), "util-linux's script is needed (it comes with Debian)"
    env = {**os.environ, "COLUMNS": "80", "LINES": "50", "TERM": term, "CRM_LANG": lang}
    env.pop("NO_COLOR", None)
    if not colour:
        env["NO_COLOR"] = "1"
    command = shlex.join([sys.executable, "-m", "crmcli", *args])
    done = subprocess.run(
        ["script", "-qefc", command, "/dev/null"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    return done.stdout.replace("\r\n", "\n")


def plain(text: str) -> list[str]:
    return [line.rstrip() for line in ANSI.sub("", text).splitlines()]


def check_snapshot(name: str, lines: list[str]) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    text = "\n".join(lines) + "\n"
    if os.environ.get("CRM_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{path} differs"


def check_whole(lines: list[str], words: list[str]) -> None:
    """Every line fits in 80 columns, and no code, date or tier is broken across lines."""
    assert [line for line in lines if cell_width(line) > 80] == []
    joined = "\n".join(lines)
    for word in words:
        assert word in joined, word


COMMANDS = {
    "overdue": ("overdue", "--as-of", DAY),
    "remind": ("remind", "--as-of", DAY),
    "customer-show": ("customer", "show", "C0001", "--as-of", DAY),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_80_columns_snapshot(world, name, lang):
    lines = plain(on_terminal(*COMMANDS[name], lang=lang))
    check_snapshot(f"{name}.{lang}", lines)
    tiers = ["core", "key", "potential"] if lang == "en" else ["核心", "重点", "潜在"]
    dates = ["2026-09-30", "2026-11-13"] if name != "remind" else []
    codes = list(CODES[:3]) if name != "customer-show" else ["C0001"]
    check_whole(lines, codes + dates + (tiers if name == "overdue" else []))


def test_overdue_rows_keep_every_field_whole_on_one_line(world):
    lines = plain(on_terminal("overdue", "--as-of", DAY))
    rows = [line.split() for line in lines if line[:6].strip().isdigit()]
    # The names and reasons go under their rows at 80 columns.
    assert [tuple(r) for r in rows] == [
        ("37", "C0003", "potential", "li", "never", "2026-10-14"),
        ("21", "C0001", "core", "zhang", "2026-11-13", "2026-10-30"),
        ("19", "C0002", "key", "li", "2026-10-02", "2026-11-01"),
    ]


def test_colour_says_how_late_and_which_tier_and_none_without_a_colour_terminal(crm, world):
    coloured = on_terminal("overdue", "--as-of", DAY, colour=True, term="xterm-256color")
    rows = [line for line in coloured.splitlines() if "C000" in line]
    # more than 30 days late: bold red; fewer: yellow; a core customer: bold magenta
    assert rows[0].startswith("\x1b[1;31m  37\x1b[0m  C0003")
    assert rows[1].startswith("\x1b[33m  21\x1b[0m  C0001")
    assert "\x1b[1;35mcore" in rows[1]
    for quiet in (
        on_terminal("overdue", "--as-of", DAY, colour=False, term="xterm-256color"),
        on_terminal("overdue", "--as-of", DAY, colour=True, term="dumb"),
        crm.ok("overdue", "--as-of", DAY).stdout,  # a pipe
    ):
        assert "\x1b[" not in quiet


def test_a_complaint_past_its_target_is_red_and_one_met_green(crm, world):
    crm.ok(
        "complaint", "open", "C0001", "-s", "important", "-m", "售后工程师未按约上门",
        "--at", "2026-11-12 15:00", "--as-of", DAY,
    )  # fmt: skip
    crm.ok(
        "complaint", "open", "C0002", "-s", "general", "-m", "Wrong invoice",
        "--at", "2026-11-18 09:00", "--as-of", DAY,
    )  # fmt: skip
    crm.ok("complaint", "respond", "2", "--at", "2026-11-18 10:00", "--as-of", DAY)
    coloured = on_terminal("complaint", "list", "--as-of", DAY, colour=True, term="xterm-256color")
    assert "\x1b[1;31mbreaching" in coloured
    assert "\x1b[32mmet" in coloured
    lines = plain(on_terminal("complaint", "list", "--as-of", DAY))
    check_whole(lines, ["C0001", "C0002", "2026-11-12 15:00", "2026-11-18 09:00", "important"])
