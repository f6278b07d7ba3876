"""crm remind: the day's duties for cron — quiet on a clear day."""

from __future__ import annotations

from typing import Annotated

import typer

from crmcli.cli.common import AsOfOpt, FormatOpt, OwnerOpt, fmt, known_owner, open_db, state, today
from crmcli.errors import EXIT_FOUND
from crmcli.output import Col, print_json, render, render_columns

SUMMARY_COLUMNS = (
    Col("owner", "Owner"),
    Col("duty", "Duty"),
    Col("count", "Count", "right"),
    Col("most_days_late", "Most late", "right"),
)
COLUMNS = (
    Col("owner", "Owner"),
    Col("duty", "Duty"),
    Col("customer", "Customer"),
    Col("detail", "Detail"),
    Col("late", "Late", "right"),
)


def remind(
    ctx: typer.Context,
    as_of: AsOfOpt = None,
    owner: OwnerOpt = None,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when anything is due (errors use 2–4).")
    ] = False,
    quiet_if_clear: Annotated[
        bool,
        typer.Option("--quiet-if-clear", help="With --format json: print nothing on a clear day."),
    ] = False,
    summary: Annotated[
        bool,
        typer.Option(
            "--summary",
            help="One line per salesperson and duty: how many, and the most days late.",
        ),
    ] = False,
    format: FormatOpt = "table",
) -> None:
    """The daily digest: overdue contacts, late complaints, plans, late projects, greetings,
    monthly calls, campaigns, surveys due."""
    output = fmt(format)
    day = today(ctx, as_of)
    from crmcli.i18n import _
    from crmcli.services.remind import DUTY_LABELS, SECTIONS, digest, summarize

    database = open_db(ctx, write=False)
    with database.reading() as connection:
        known_owner(connection, owner)
        sections = digest(
            connection, state(ctx).config, day, owner=owner, text=None if output == "json" else _
        )
    total = sum(len(items) for items in sections.values())
    if output == "json":
        if total or not quiet_if_clear:
            head = {
                "as_of": day,
                "owner": owner,
                "total": total,
                "counts": {name: len(sections[name]) for name in SECTIONS},
            }
            if summary:
                print_json({**head, "summary": summarize(sections)})
            else:
                print_json(
                    {**head, **{name: [i.as_dict() for i in sections[name]] for name in SECTIONS}}
                )
    elif total and summary:
        duties = {label: _(label) for label in DUTY_LABELS.values()}
        lines = [
            {**row, "duty": duties[row["duty"]], "most_days_late": row["most_days_late"] or None}
            for row in summarize(sections)
        ]
        render(lines, SUMMARY_COLUMNS, output)
    elif total:  # a clear day prints nothing at all, not even a csv header
        items = [i for name in SECTIONS for i in sections[name]]
        duty = {name: _(label) for name, label in DUTY_LABELS.items()}
        if not owner:
            items.sort(key=lambda i: i.owner or "")  # stable: keeps the section order
        render_columns(
            [
                [i.owner for i in items],
                [duty[i.section] for i in items],
                [f"{i.code} {i.name}" for i in items],
                [i.detail for i in items],
                [i.days_late or None for i in items],
            ],
            COLUMNS,
            output,
        )
    if exit_code and total:
        raise typer.Exit(EXIT_FOUND)


def register(root: typer.Typer) -> None:
    root.command("remind")(remind)
