"""购买记录: sales and refunds, kept in millionths of their currency so totals are exact."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmcli import history, schema
from crmcli.errors import InvalidInput
from crmcli.i18n import N_, _
from crmcli.io.values import amount_micros
from crmcli.models import Customer, Sale
from crmcli.services.context import Actor
from crmcli.text import money
from crmcli.text.bounds import SALES_TOTAL_CENTS, SALES_TOTAL_MICROS

TOTAL_TOO_LARGE = N_(
    "sales and refunds would add up to more than {most}, the most crmcli can total; "
    "check the amounts (nothing was written)"
)


def parse_amount(text: str, *, refund: bool = False) -> int:
    """Text like 128000, 1,280.50, 15.552 or ¥128,000 → millionths; refunds are negative
    and flagged.

    Read as an import reads an amount cell (``values.amount_micros``), except that a
    minus sign alone does not make a refund here: ``--refund`` does.
    """
    micros = amount_micros(text)
    if micros < 0 and not refund:
        raise InvalidInput(
            _("amount {text} is negative: record a refund with --refund").format(text=text)
        )
    return -abs(micros) if refund else micros


def add_sale(
    session: Session,
    actor: Actor,
    customer: Customer,
    *,
    amount_micros: int,
    sold_on: date,
    product: str | None = None,
    note: str | None = None,
    currency: str = "CNY",
) -> Sale:
    from crmcli.services.timeline import check_not_before_added

    check_not_before_added(customer, sold_on, N_("sale --on"))
    sale = Sale(
        customer_id=customer.id,
        sold_on=sold_on,
        amount_micros=amount_micros,
        currency=currency,
        product=(product or "").strip() or None,
        note=(note or "").strip() or None,
    )
    session.add(sale)
    session.flush()
    check_sales_total(session)
    history.record(
        session,
        actor,
        [history.sale_added(customer.id, sale.id, amount_micros, sold_on, currency=currency)],  # type: ignore[arg-type]
    )
    return sale


def list_sales(
    session: Session,
    *,
    customer: Customer | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[tuple[Sale, Customer]]:
    query = select(Sale, Customer).join(Customer, Sale.customer_id == Customer.id)
    if customer is not None:
        query = query.where(Sale.customer_id == customer.id)
    if start is not None:
        query = query.where(Sale.sold_on >= start)
    if end is not None:
        query = query.where(Sale.sold_on <= end)
    query = query.order_by(Sale.sold_on, Sale.id)
    return [(row[0], row[1]) for row in session.execute(query).all()]


def cents_to_decimal(cents: int) -> Decimal:
    """A project's amount (kept in cents) as a number."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def check_sales_total(bind: Any) -> None:
    """Refuse (exit 2) a write after which every sale and refund together, in absolute
    amounts, would pass ``SALES_TOTAL_CENTS``: then every sum the reports and the ABC
    grading make of them fits in 64 bits. Summed as
    floating point, which cannot overflow; the margin below 2^63 dwarfs its rounding."""
    amount = schema.sale.c.amount_micros
    total = bind.execute(select(func.sum(func.abs(amount) * 1.0))).scalar()
    if total is not None and float(total) > SALES_TOTAL_MICROS:
        raise InvalidInput(_(TOTAL_TOO_LARGE).format(most=money(SALES_TOTAL_CENTS)))
