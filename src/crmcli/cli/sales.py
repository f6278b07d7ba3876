"""crm sale add|list: 购买记录, the ground of classification."""

from __future__ import annotations

from typing import Annotated

import typer

from crmcli.cli.common import AsOfOpt, FormatOpt, actor, fmt, open_db, state, today
from crmcli.dates import parse_date
from crmcli.i18n import N_, _
from crmcli.output import Col, message, print_json, render

app = typer.Typer(help="Sales 购买记录 (orders and refunds).", no_args_is_help=True)

COLUMNS = (
    Col("id", "Id", "right"),
    Col("sold_on", "Date"),
    Col("customer", "Customer"),
    Col("amount", "Amount", "right"),
    Col("product", "Product"),
    Col("note", "Note"),
)


def _sale_json(sale, customer) -> dict:  # type: ignore[no-untyped-def]
    from crmcli.io.values import format_micros

    return {
        "id": sale.id,
        "customer_id": sale.customer_id,
        "customer_code": customer.code,
        "customer_name": customer.name,
        "sold_on": sale.sold_on,
        "amount": format_micros(sale.amount_micros),
        "currency": sale.currency,
        "product": sale.product,
        "note": sale.note,
    }


@app.command("add", context_settings={"ignore_unknown_options": True})
def add(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id, code, or part of its name.")],
    amount: Annotated[
        str, typer.Argument(help="Amount: 128000, 1,280.50, ¥128,000, 15.552 (to six decimals).")
    ],
    on: Annotated[str | None, typer.Option("--on", help="Sale date (default today).")] = None,
    product: Annotated[str | None, typer.Option("--product")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    currency: Annotated[
        str | None,
        typer.Option("--currency", help="Three-letter code (default: config currency.base)."),
    ] = None,
    refund: Annotated[
        bool,
        typer.Option(
            "--refund", help="A refund: stored negative, nets out of the customer's sales."
        ),
    ] = False,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Record a sale (or, with --refund, a refund) for a customer."""
    output = fmt(format)
    from crmcli.io.values import parse_currency
    from crmcli.services.sales import add_sale, parse_amount
    from crmcli.text import amount as shown

    micros = parse_amount(amount, refund=refund)
    code = parse_currency(currency) if currency else str(state(ctx).config.get("currency.base"))
    day = today(ctx, as_of)
    sold_on = parse_date(on, day, what="--on date") if on else day
    who = actor(ctx, as_of)
    from crmcli.services.customers import resolve_customer

    database = open_db(ctx, write=True)
    with database.session() as session:
        target = resolve_customer(session, customer)
        sale = add_sale(
            session,
            who,
            target,
            amount_micros=micros,
            sold_on=sold_on,
            product=product,
            note=note,
            currency=code,
        )
    said = (
        _("recorded refund #{id}: {micros} from {code} {name} on {sold_on}")
        if micros < 0
        else _("recorded sale #{id}: {micros} from {code} {name} on {sold_on}")
    )
    message(
        said.format(
            id=sale.id,
            micros=shown(micros, code),
            code=target.code,
            name=target.name,
            sold_on=sold_on,
        )
    )
    if output == "json":
        print_json(_sale_json(sale, target))


@app.command("list")
def list_(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Argument(help="Only this customer's sales.")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="First day.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day.")] = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """List sales by date; the total goes to stderr."""
    output = fmt(format)
    day = today(ctx, as_of)
    start = parse_date(from_, day, what="--from date") if from_ else None
    end = parse_date(to, day, what="--to date") if to else None
    from crmcli.errors import InvalidInput

    if start and end and start > end:
        raise InvalidInput(_("--from {start} is after --to {end}").format(start=start, end=end))
    from crmcli.services.customers import resolve_customer
    from crmcli.services.sales import list_sales
    from crmcli.text import amount, amounts

    database = open_db(ctx, write=False)
    with database.session() as session:
        target = resolve_customer(session, customer) if customer else None
        rows = list_sales(session, customer=target, start=start, end=end)
    table = [
        {
            "id": s.id,
            "sold_on": s.sold_on,
            "customer": f"{c.code} {c.name}",
            "amount": amount(s.amount_micros, s.currency),
            "product": s.product,
            "note": s.note,
        }
        for s, c in rows
    ]
    render(table, COLUMNS, output, json_rows=lambda: [_sale_json(s, c) for s, c in rows])
    if rows and output == "table":
        totals: dict[str, int] = {}
        for s, _customer in rows:
            totals[s.currency] = totals.get(s.currency, 0) + s.amount_micros
        message(_("{n} sales, total {totals}").format(n=len(rows), totals=amounts(totals)))


SaleId = Annotated[str, typer.Argument(help="Sale id (as crm sale list shows).")]


@app.command("edit")
def edit(
    ctx: typer.Context,
    sale_id: SaleId,
    amount: Annotated[
        str | None, typer.Option("--amount", help="The right amount, in the sale's currency.")
    ] = None,
    on: Annotated[str | None, typer.Option("--on", help="The right date.")] = None,
    product: Annotated[str | None, typer.Option("--product", help='"" clears it.')] = None,
    note: Annotated[str | None, typer.Option("--note", help='"" clears it.')] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why; kept in history.")] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Correct a sale (a refund stays a refund); the old values are kept in history."""
    from crmcli.services.corrections import edit_sale, get_sale, record_id
    from crmcli.services.sales import parse_amount

    record_id(sale_id, N_("sale"))
    day = today(ctx, as_of)
    sold_on = parse_date(on, day, what="--on date") if on else None
    who = actor(ctx, as_of)
    database = open_db(ctx, write=True)
    with database.session() as session:
        sale = get_sale(session, sale_id)
        micros = parse_amount(amount, refund=sale.amount_micros < 0) if amount else None
        changes = edit_sale(
            session,
            who,
            sale,
            amount_micros=micros,
            sold_on=sold_on,
            product=product,
            note=note,
            reason=reason,
        )
    if not changes:
        message(_("sale #{id}: nothing changed").format(id=sale.id))
    from crmcli.i18n import language

    # In Chinese a field is named by its column's header (sold_on: 日期); English keeps it.
    headers = {c.key: c.header for c in COLUMNS}
    for change in changes:
        field = change.field.rsplit(".", 1)[-1]
        if language() != "en" and field in headers:
            field = _(headers[field])
        old, new = change.old, change.new
        message(
            _("sale #{id} {field}: {value} → {value2}").format(
                id=sale.id,
                field=field,
                value=old if old is not None else "—",
                value2=new if new is not None else "—",
            )
        )


@app.command("void")
def void(
    ctx: typer.Context,
    sale_id: SaleId,
    reason: Annotated[str, typer.Option("--reason", help="Why it is voided; kept in history.")],
    as_of: AsOfOpt = None,
) -> None:
    """Void a sale entered by mistake: it leaves every figure (ABC, reports, reclassify);
    history keeps what it was and why."""
    from crmcli.services.corrections import get_sale, record_id, void_sale

    record_id(sale_id, N_("sale"))
    who = actor(ctx, as_of)
    database = open_db(ctx, write=True)
    with database.session() as session:
        sale = get_sale(session, sale_id)
        change = void_sale(session, who, sale, reason)
    message(_("voided sale #{id} ({old})").format(id=sale.id, old=change.old))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="sale")
