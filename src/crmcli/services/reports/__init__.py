"""Reports for management (SPEC §5): ``build`` makes the sections asked for, and
``write`` prints them in one of the formats (table, markdown, csv, json, xlsx, html).

The sections are computed once, as typed tables (``model``); each format only writes
those values, so the figures are the same in every format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import IO, Any

from crmcli.config import Config
from crmcli.errors import InvalidInput
from crmcli.i18n import N_, Catalogue
from crmcli.services.reports.model import Period, Report

NAMES = ("summary", "tiers", "pipeline", "staff", "complaints", "satisfaction", "abc")
FORMATS = ("table", "markdown", "csv", "json", "xlsx", "html")
# The formats people read speak the interface language; json and csv are read by
# scripts, and stay English (SPEC §3).
FOR_PEOPLE = frozenset({"table", "markdown", "xlsx", "html"})
BINARY = frozenset({"xlsx"})
SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".json": "json",
            ".xlsx": "xlsx", ".html": "html", ".htm": "html"}  # fmt: skip

MESSAGES = Catalogue(
    {
        "order": N_("--from {start} is after --to {end}"),
    }
)


def period(start: date | None, end: date, owner: str | None) -> Period:
    """The period: ``--from`` (default: a year before ``--to``, the day after) to ``--to``."""
    from dateutil.relativedelta import relativedelta

    first = start if start is not None else end - relativedelta(years=1) + relativedelta(days=1)
    if first > end:
        raise InvalidInput(MESSAGES["order"].format(start=first, end=end))
    return Period(first, end, owner)


def build(
    bind: Any,
    config: Config,
    when: Period,
    names: Sequence[str],
    progress: Callable[[str], None] | None = None,
    *,
    people: bool = False,
) -> Report:
    """The sections, worded for people (``people``: the interface language) or for
    scripts (English)."""
    from crmcli.services.reports.model import Wording
    from crmcli.services.reports.sections import SECTIONS, shared

    report = Report(when)
    wording = Wording(people)
    with shared():
        for name in names:
            if progress is not None:
                progress(name)
            report.sections.append(SECTIONS[name](bind, config, when, wording))
    return report


def write(report: Report, fmt: str, out: IO[Any], *, redact: bool, terminal: bool = False) -> None:
    if fmt == "xlsx":
        from crmcli.services.reports.xlsx import write_xlsx

        write_xlsx(report, out, redact=redact)
    elif fmt == "html":
        from crmcli.services.reports.html import write_html

        write_html(report, out, redact=redact)
    else:
        from crmcli.services.reports import text

        text.WRITERS[fmt](report, out, redact=redact, terminal=terminal)
