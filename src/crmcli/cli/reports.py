"""crm report …: management reports (SPEC §5)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crmcli.cli.common import AsOfOpt, FormatOpt, OwnerOpt, fmt, open_db, state, today
from crmcli.i18n import _, ngettext
from crmcli.output import Col, message, print_json, render
from crmcli.text.bounds import MAX_LIMIT

app = typer.Typer(help="Reports for management.", no_args_is_help=True)

# The formats of the sections (crmcli.services.reports.FORMATS); abc also prints tsv.
REPORT_FORMATS = ("table", "markdown", "csv", "json", "xlsx", "html")
FromOpt = Annotated[
    str | None,
    typer.Option("--from", help="First day of the period (default: a year before --to)."),
]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day of the period (default: today).")]
ReportFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="table, markdown, csv, json, xlsx or html (default: from -o's suffix, else table).",
        show_default=False,
    ),
]
OutputOpt = Annotated[str, typer.Option("--output", "-o", help="Write to FILE (- is stdout).")]
RedactOpt = Annotated[bool, typer.Option("--redact", help="Mask phones and e-mails.")]


def _report(
    ctx: typer.Context,
    names: tuple[str, ...],
    *,
    start: str | None,
    end: str | None,
    as_of: str | None,
    owner: str | None,
    format: str | None,
    output: str,
    redact: bool,
) -> None:
    """Parse, check (before anything is opened), build the sections and write them."""
    import os

    from crmcli.dates import parse_date
    from crmcli.services import reports

    chosen = format
    if chosen is None:
        chosen = reports.SUFFIXES.get(os.path.splitext(output)[1].lower(), "table")
    chosen = fmt(chosen, reports.FORMATS)
    day = today(ctx, as_of)
    last = parse_date(end, day, what="--to date") if end else day
    first = parse_date(start, day, what="--from date") if start else None
    period = reports.period(first, last, owner)
    target, whole = None, False
    if output != "-":
        target, whole = _target(ctx, output)
    database = open_db(ctx, write=False)
    with database.reading() as connection:
        if owner:
            from crmcli.cli.common import known_owner

            known_owner(connection, owner)
        report = reports.build(
            connection,
            state(ctx).config,
            period,
            names,
            _progress(),
            people=chosen in reports.FOR_PEOPLE,
        )
    _emit(report, chosen, output, target, whole, redact)


def _progress() -> Any:
    """One line per section on a terminal's stderr; nothing when it is not a terminal."""
    import sys

    if not sys.stderr.isatty():
        return None
    return lambda name: message(f"… {name}")


def _target(ctx: typer.Context, output: str) -> tuple[str, bool]:
    from crmcli.db import sqlite_file
    from crmcli.io.files import output_target

    with _storage():
        return output_target(output, sqlite_file(state(ctx).db_target()))


def _storage() -> Any:
    """A file that cannot be written is a storage failure (exit 4), not bad usage."""
    from contextlib import contextmanager

    from crmcli.errors import InvalidInput, StorageError
    from crmcli.io.files import MESSAGES

    cannot = MESSAGES["cannot"].split("{")[0], MESSAGES["directory"].split("{")[0]

    @contextmanager
    def converted() -> Any:
        try:
            yield
        except InvalidInput as exc:
            if exc.message.startswith(cannot):
                raise StorageError(exc.message) from None
            raise

    return converted()


def _emit(
    report: Any, chosen: str, output: str, target: str | None, whole: bool, redact: bool
) -> None:
    import sys

    from crmcli.io.files import opened, replacing
    from crmcli.output import is_terminal
    from crmcli.services import reports

    binary = chosen in reports.BINARY
    if target is None:
        out: Any = sys.stdout.buffer if binary else sys.stdout
        reports.write(report, chosen, out, redact=redact, terminal=is_terminal())
        out.flush()
        return
    with _storage():
        writing = replacing(target, output, binary) if whole else opened(target, output, binary)
        with writing as out:
            reports.write(report, chosen, out, redact=redact)
    message(
        _("wrote {n} report sections to {output}").format(n=len(report.sections), output=output)
    )


def _section_command(name: str, doc: str) -> None:
    def command(
        ctx: typer.Context,
        start: FromOpt = None,
        end: ToOpt = None,
        as_of: AsOfOpt = None,
        owner: OwnerOpt = None,
        format: ReportFormatOpt = None,
        output: OutputOpt = "-",
        redact: RedactOpt = False,
    ) -> None:
        names = SECTION_NAMES if name == "all" else (name,)
        _report(
            ctx, names, start=start, end=end, as_of=as_of, owner=owner,
            format=format, output=output, redact=redact,
        )  # fmt: skip

    command.__doc__ = doc
    app.command(name)(command)


SECTION_NAMES = ("summary", "tiers", "pipeline", "staff", "complaints", "satisfaction", "abc")
for _name, _doc in (
    ("summary", "Key figures of the period, its rates with their definitions, and its months."),
    ("tiers", "Customers by tier, grade and value now, and the moves within the period."),
    ("pipeline", "Funnel by stage, lead→customer conversion, projects by stage, success rate."),
    ("staff", "Per salesperson: customers, follow-ups, overdue, results, missed duties, fines."),
    ("complaints", "By severity: response and resolution times, SLA compliance, complaint rate."),
    ("satisfaction", "Mean score per dimension, trend by quarter, lowest customers, surveys due."),
    ("all", "Every section in one report (e.g. --format html -o report.html)."),
):
    _section_command(_name, _doc)

ABC_COLUMNS = (
    Col("rank", "#", "right"),
    Col("code", "Code"),
    Col("name", "Name"),
    Col("sales", "Net sales", "right"),
    Col("share", "Share %", "right"),
    Col("cumulative", "Cum. %", "right"),
    Col("grade", "Grade"),
    Col("orders", "Orders", "right"),
    Col("months", "Months", "right"),
    Col("value", "Value"),
)


def _pct(part: int, whole: int) -> float:
    return round(part * 100 / whole, 2) if whole else 0.0


@app.command("abc")
def abc(
    ctx: typer.Context,
    as_of: AsOfOpt = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, max=MAX_LIMIT)] = None,
    format: FormatOpt = "table",
    start: FromOpt = None,
    end: ToOpt = None,
    owner: OwnerOpt = None,
    output_file: OutputOpt = "-",
    redact: RedactOpt = False,
) -> None:
    """The Pareto (ABC) table: customers by net sales in the window, with their grades.

    As a section of the report (the grades and the top 20; the window ends on --to) with
    --from/--to, --owner, -o, or --format markdown, xlsx or html."""
    report_only = (start, end, owner) != (None, None, None) or output_file != "-"
    if report_only or format.strip().lower() in ("markdown", "xlsx", "html"):
        _report(
            ctx, ("abc",), start=start, end=end, as_of=as_of, owner=owner,
            format=None if format == "table" else format, output=output_file, redact=redact,
        )  # fmt: skip
        return
    output = fmt(format)
    day = today(ctx, as_of)
    from crmcli.io.values import format_micros
    from crmcli.services.classification import abc_rows
    from crmcli.text import amount

    database = open_db(ctx, write=False)
    with database.reading() as connection:
        window, rows, summary, net = abc_rows(connection, state(ctx).config, day, limit)
    base = net.money.rates.base

    def shown(micros: int) -> str:
        return amount(micros, base)

    data = [
        {
            "rank": r["rank"],
            "code": r["code"],
            "name": r["name"],
            "owner": r["owner"],
            "sales": format_micros(r["total"]),
            "share": _pct(r["total"], r["grand"]),
            "cumulative": _pct(r["running"], r["grand"]),
            "grade": r["grade"],
            "orders": r["orders"],
            "months": r["months"],
            "value": r["value"],
            "score": r["score"],
        }
        for r in rows
    ]
    grand = summary[0]["grand"] if summary else 0
    grades = [
        {
            "grade": s["grade"],
            "customers": s["customers"],
            "sales": format_micros(s["total"]),
            "share": _pct(s["total"], grand),
        }
        for s in summary
    ]
    if output == "json":
        print_json(
            {
                "as_of": window.end,
                "window": {"after": window.start, "through": window.end, "months": window.months},
                "total": format_micros(grand),
                "net": format_micros(net.total),
                "currency": base,
                "grades": grades,
                "customers": data,
            }
        )
        return
    render(
        [{**d, "sales": shown(r["total"])} for d, r in zip(data, rows, strict=True)],
        ABC_COLUMNS,
        output,
    )
    if output == "table":
        parts = ", ".join(
            ngettext(
                "{grade}: {n} customer, {share} %",
                "{grade}: {n} customers, {share} %",
                g["customers"],
            ).format(grade=g["grade"], n=g["customers"], share=g["share"])
            for g in grades
        )
        rates = net.money.rates.described(net.money.currencies)
        message(
            _("net sales {start} (excl.) to {end}: {total}{rates}{grades}").format(
                start=window.start,
                end=window.end,
                total=shown(net.total),
                rates=_(" (in {base}: {rates})").format(base=base, rates=rates) if rates else "",
                grades=f" — {parts}" if parts else "",
            )
        )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="report")
