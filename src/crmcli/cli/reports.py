"""crm report …: management reports (SPEC §5)."""

from __future__ import annotations

from typing import Annotated

import typer

from crmcli.cli.common import AsOfOpt, FormatOpt, fmt, open_db, state, today
from crmcli.output import Col, message, print_json, render

app = typer.Typer(help="Reports for management.", no_args_is_help=True)

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
    limit: Annotated[int | None, typer.Option("--limit", min=1)] = None,
    format: FormatOpt = "table",
) -> None:
    """The Pareto (ABC) table: customers by net sales in the window, with their grades."""
    output = fmt(format)
    day = today(ctx, as_of)
    from crmcli.io.values import format_micros
    from crmcli.services.classification import abc_rows, window_net
    from crmcli.text import amount

    database = open_db(ctx, write=False)
    with database.session() as session:
        window, rows, summary = abc_rows(session, state(ctx).config, day, limit)
        net = window_net(session, state(ctx).config, window)
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
            f"{g['grade']}: {g['customers']} customers, {g['share']} %" for g in grades
        )
        rates = net.money.rates.described(net.money.currencies)
        message(
            f"net sales {window.start} (excl.) to {window.end}: "
            f"{shown(net.total)}"
            + (f" (in {base}: {rates})" if rates else "")
            + (f" — {parts}" if parts else "")
        )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="report")
