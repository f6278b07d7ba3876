"""What colour says on a terminal: how late, which tier, a complaint past its target.

One meaning, one colour, in every table: a column is styled by its key (the same key
means the same thing in every command). Only the table drawn on a colour terminal asks;
``NO_COLOR``, ``TERM=dumb`` and pipes get plain text (output.use_color).
"""

from __future__ import annotations

from collections.abc import Callable

from crmcli.i18n import _

Styler = Callable[[str], str | None]

# Days late: due (0 or less) / late / very late, more than a month (the shortest cadence
# of seed 001: core customers every month).
VERY_LATE_DAYS = 30
DUE, LATE, VERY_LATE = "cyan", "yellow", "bold red"
TIERS = {"core": "bold magenta", "key": "cyan", "general": "", "potential": "dim"}
STAGES = {"customer": "green", "loyal": "bold green", "junk": "dim", "lost": "dim"}
BREACH, MET = "bold red", "green"

LATE_KEYS = ("days_overdue", "late", "most_days_late")
TARGET_KEYS = ("response", "resolution")


def late(text: str) -> str | None:
    digits = text.strip().split(" ", 1)[0].rstrip("d")
    if not digits.lstrip("-").isdigit():
        return None
    days = int(digits)
    return DUE if days <= 0 else LATE if days <= VERY_LATE_DAYS else VERY_LATE


def _by_label(colours: dict[str, str], choice_name: str) -> Styler:
    from crmcli import enums

    choice = getattr(enums, choice_name)
    table = {name: colours[value] for value in colours for name in (value, choice.label(value))}
    return lambda text: table.get(text) or None


# How a complaint's target reads in its table (cli/complaints.target_text), first word.
PAST_TARGET, MET_TARGET = ("breaching", "missed"), ("met",)


def _target(text: str) -> str | None:
    """Past its target: red; met: green (in either language)."""
    if text.startswith(PAST_TARGET + tuple(map(_, PAST_TARGET))):
        return BREACH
    if text.startswith(MET_TARGET + tuple(map(_, MET_TARGET))):
        return MET
    return None


def styler(key: str) -> Styler | None:
    """The style of a column's cells from their text, or None for a column without one."""
    if key in LATE_KEYS:
        return late
    if key == "tier":
        return _by_label(TIERS, "TIER")
    if key == "stage":
        return _by_label(STAGES, "STAGE")
    if key in TARGET_KEYS:
        return _target
    return None
