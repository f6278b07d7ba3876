"""crm export customers|contacts|followups|plans|sales: csv, tsv, json, jsonl, xlsx, vcf, ics.

Where the file goes, and how it is written safely, is crmcli.io.files.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import IO, Annotated, Any

import typer

from crmcli.cli.common import AsOfOpt, OwnerOpt, state, today
from crmcli.db import sqlite_file
from crmcli.i18n import N_, Catalogue, Nn_, _, ngettext
from crmcli.io.files import opened, output_target, replacing
from crmcli.output import message

app = typer.Typer(
    help="Export a table as csv, tsv, json, jsonl or xlsx; contacts as vCard; plans as iCalendar.",
    no_args_is_help=True,
)

Format = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="csv, tsv, json, jsonl, xlsx (vcf for contacts, ics for plans); default from -o's suffix, else csv.",
    ),
]
Output = Annotated[str, typer.Option("--output", "-o", help="File to write; - is stdout.")]
Excel = Annotated[
    bool, typer.Option("--excel", help="csv or tsv with the UTF-8 byte-order mark Excel needs.")
]
Redact = Annotated[
    bool, typer.Option("--redact", help="Mask phone and email: 138****5678, z***@example.com.")
]
CustomerOpt = Annotated[
    str | None, typer.Option("--customer", "-c", help="Only this customer's (id, code or name).")
]
From = Annotated[str | None, typer.Option("--from", help="First day.")]
To = Annotated[str | None, typer.Option("--to", help="Last day.")]

MESSAGES = Catalogue(
    {
        "only": N_("{fmt} export is for {table} only"),
        "binary": N_("xlsx is binary: write it to a file with -o FILE.xlsx (or pipe stdout)"),
        "unknown": N_("unknown format {fmt!r}; expected one of: {allowed}"),
        "excel": N_("--excel applies to csv and tsv only"),
        "ics_status": N_(
            "--status {status} does not apply to ics: the calendar holds open plans and due days"
        ),
    }
)
# What an export to a file wrote, by table (ics: the calendar's entries).
DONE = {
    "customers": Nn_(
        "exported {count} customer to {target}", "exported {count} customers to {target}"
    ),
    "contacts": Nn_(
        "exported {count} contact to {target}", "exported {count} contacts to {target}"
    ),
    "followups": Nn_(
        "exported {count} follow-up to {target}", "exported {count} followups to {target}"
    ),
    "plans": Nn_("exported {count} plan to {target}", "exported {count} plans to {target}"),
    "sales": Nn_("exported {count} sale to {target}", "exported {count} sales to {target}"),
    "complaints": Nn_(
        "exported {count} complaint to {target}", "exported {count} complaints to {target}"
    ),
    "surveys": Nn_("exported {count} survey to {target}", "exported {count} surveys to {target}"),
    "projects": Nn_(
        "exported {count} project to {target}", "exported {count} projects to {target}"
    ),
    "ics": Nn_(
        "exported {count} calendar entry to {target}",
        "exported {count} calendar entries to {target}",
    ),
}


# Formats that serve one table: address-book cards of contacts, calendar events of plans.
ONE_TABLE = {"vcf": N_("contacts"), "ics": N_("plans")}


def _format(fmt: str | None, output: str, table: str) -> str:
    from crmcli.errors import InvalidInput
    from crmcli.io.exporters import FORMATS, SUFFIXES

    if fmt is None:
        suffix = os.path.splitext(output)[1].lower() if output != "-" else ""
        chosen = SUFFIXES.get(suffix, "csv")
    else:
        chosen = fmt.strip().lower()
        if chosen not in FORMATS:
            allowed = [f for f in FORMATS if ONE_TABLE.get(f, table) == table]
            raise InvalidInput(MESSAGES["unknown"].format(fmt=fmt, allowed=", ".join(allowed)))
    if ONE_TABLE.get(chosen, table) != table:
        raise InvalidInput(MESSAGES["only"].format(fmt=chosen, table=_(ONE_TABLE[chosen])))
    if chosen == "xlsx" and output == "-" and sys.stdout.isatty():
        raise InvalidInput(MESSAGES["binary"])
    return chosen


def _export(
    ctx: typer.Context,
    table: str,
    fmt: str | None,
    output: str,
    excel: bool,
    redact: bool,
    filters: dict[str, Any],
    as_of: str | None = None,
) -> None:
    from crmcli.errors import InvalidInput

    chosen = _format(fmt, output, table)
    if excel and chosen not in ("csv", "tsv"):
        raise InvalidInput(MESSAGES["excel"])
    target, whole = (
        (None, False)
        if output == "-"
        else output_target(output, sqlite_file(state(ctx).db_target()))
    )
    day = today(ctx, as_of)
    from crmcli.dates import parse_date
    from crmcli.io.tables import table as describe
    from crmcli.services.exports import ExportFilter

    spec = describe(table)
    f = ExportFilter(
        owner=filters.get("owner"),
        tier=filters.get("tier"),
        stage=filters.get("stage"),
        search=filters.get("search"),
        status=filters.get("status"),
        start=parse_date(filters["from"], day, what="--from date") if filters.get("from") else None,
        end=parse_date(filters["to"], day, what="--to date") if filters.get("to") else None,
    )
    from crmcli.cli.common import open_db

    database = open_db(ctx, write=False)
    with database.session() as session:
        if f.owner is not None:
            from crmcli.cli.common import known_owner

            known_owner(session, f.owner)
        if filters.get("customer"):
            from crmcli.services.customers import resolve_customer

            f.customer_id = resolve_customer(session, filters["customer"]).id
        binary = chosen in ("xlsx", "ics")
        if target is None:
            out = sys.stdout.buffer if binary else sys.stdout
            count = _write(session, ctx, spec, chosen, out, f, excel=excel, redact=redact)
            out.flush()
        elif not whole:  # a device or a pipe: nothing there to keep, nothing to rename
            with opened(target, output, binary) as out:
                count = _write(session, ctx, spec, chosen, out, f, excel=excel, redact=redact)
        else:
            with replacing(target, output, binary) as out:
                count = _write(
                    session, ctx, spec, chosen, out, f, excel=excel, redact=redact, to_file=True
                )
    if target is not None:
        said = DONE["ics" if chosen == "ics" else spec.name]
        message(ngettext(*said, count).format(count=count, target=output))


def _write(
    session: Any,
    ctx: typer.Context,
    spec: Any,
    chosen: str,
    out: IO[Any],
    f: Any,
    *,
    excel: bool,
    redact: bool,
    to_file: bool = False,
) -> int:
    from crmcli.io import exporters
    from crmcli.services.exports import calendar_entries, export_rows

    if chosen == "ics":
        from crmcli.io.cards import write_calendar

        entries = calendar_entries(session, f)
        from crmcli.io.cards import Alarms

        config = state(ctx).config
        alarms = Alarms(
            on=bool(config.get("calendar.alarms")),
            minutes=int(config.get("calendar.alarm_minutes")),
            all_day=str(config.get("calendar.all_day_alarm")),
        )
        return write_calendar(entries, out, timezone=config.timezone, redact=redact, alarms=alarms)
    rows = export_rows(session, spec.name, f)
    if to_file:
        rows = _with_progress(session, spec.name, f, rows)
    if chosen == "vcf":
        from crmcli.io.cards import write_vcards

        return write_vcards(rows, out, redact=redact)
    columns = spec.exported_columns
    if chosen in ("csv", "tsv"):
        delimiter = "\t" if chosen == "tsv" else ","
        return exporters.write_csv(
            rows, columns, out, redact=redact, excel=excel, delimiter=delimiter
        )
    if chosen in ("json", "jsonl"):
        return exporters.write_json(rows, columns, out, redact=redact, lines=chosen == "jsonl")
    return exporters.write_xlsx(rows, columns, out, redact=redact, title=spec.name)


def _with_progress(session: Any, table: str, f: Any, rows: Iterator[Any]) -> Any:
    """Rows counted on a progress bar, when a terminal watches a file being written."""
    if not sys.stderr.isatty():
        return rows
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress

    from crmcli.services.exports import count_rows

    total = count_rows(session, table, f)

    def counted() -> Iterator[Any]:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as progress:
            task = progress.add_task(f"exporting {table}", total=total)
            for done, row in enumerate(rows, 1):
                yield row
                if done % 500 == 0:
                    progress.update(task, completed=done)

    return counted()


@app.command("customers")
def customers(
    ctx: typer.Context,
    format: Format = None,
    output: Output = "-",
    excel: Excel = False,
    redact: Redact = False,
    tier: Annotated[str | None, typer.Option("--tier", help="Only this tier.")] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Only this stage.")] = None,
    owner: OwnerOpt = None,
    search: Annotated[
        str | None, typer.Option("--search", "-s", help="Part of name, pinyin, code or phone.")
    ] = None,
) -> None:
    """Export customers 客户档案 (every field; re-imports with crm import customers)."""
    from crmcli.enums import STAGE, TIER

    filters = {
        "tier": TIER.parse(tier) if tier else None,
        "stage": STAGE.parse(stage) if stage else None,
        "owner": owner,
        "search": search,
    }
    _export(ctx, "customers", format, output, excel, redact, filters)


def _child_command(table: str, doc: str, *, dated: bool) -> Any:
    def command(
        ctx: typer.Context,
        format: Format = None,
        output: Output = "-",
        excel: Excel = False,
        redact: Redact = False,
        customer: CustomerOpt = None,
        owner: OwnerOpt = None,
        from_: From = None,
        to: To = None,
        as_of: AsOfOpt = None,
    ) -> None:
        from crmcli.errors import InvalidInput

        if not dated and (from_ or to):
            raise InvalidInput(_("--from/--to do not apply to {table}").format(table=table))
        filters = {"customer": customer, "owner": owner, "from": from_, "to": to}
        _export(ctx, table, format, output, excel, redact, filters, as_of)

    command.__doc__ = doc
    return command


app.command("contacts")(
    _child_command(
        "contacts",
        "Export contacts 联系人; --format vcf writes vCards for an address book.",
        dated=False,
    )
)
app.command("followups")(
    _child_command("followups", "Export follow-ups 跟进记录 (--from/--to by day).", dated=True)
)
app.command("sales")(
    _child_command("sales", "Export sales 购买记录 (--from/--to by day).", dated=True)
)
app.command("complaints")(
    _child_command(
        "complaints",
        "Export complaints 客户投诉 with their times (--from/--to by the day received; "
        "--owner: the handler).",
        dated=True,
    )
)
app.command("projects")(
    _child_command(
        "projects",
        "Export projects 合作项目 (--from/--to by the day added; --owner: who follows it).",
        dated=True,
    )
)
app.command("surveys")(
    _child_command(
        "surveys", "Export satisfaction surveys 满意度调查 (--from/--to by day).", dated=True
    )
)


@app.command("plans")
def plans(
    ctx: typer.Context,
    format: Format = None,
    output: Output = "-",
    excel: Excel = False,
    redact: Redact = False,
    customer: CustomerOpt = None,
    owner: OwnerOpt = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="open, done, cancelled or all (default); ics holds open plans only.",
            show_default=False,
        ),
    ] = None,
    from_: From = None,
    to: To = None,
    as_of: AsOfOpt = None,
) -> None:
    """Export plans 跟进计划. --format ics writes open plans and each customer's next due
    day (all-day) for a calendar app; --customer, --owner and --from/--to limit both."""
    from crmcli.enums import PLAN_STATUS
    from crmcli.errors import InvalidInput

    chosen = None
    if status is not None and status.strip().lower() != "all":
        chosen = PLAN_STATUS.parse(status)
    if status is not None and chosen != "open" and _format(format, output, "plans") == "ics":
        raise InvalidInput(MESSAGES["ics_status"].format(status=status.strip()))
    filters = {"customer": customer, "owner": owner, "status": chosen, "from": from_, "to": to}
    _export(ctx, "plans", format, output, excel, redact, filters, as_of)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="export")
