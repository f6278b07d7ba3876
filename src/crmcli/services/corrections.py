"""Mistakes put right (seed 000 第七条 准确性 and 可追溯性): a typo'd follow-up, a wrong
sale, a contact or greeting entered by mistake, a plan to reschedule.

Each correction is a change of the unit of work's records, so the due days follow by the
unit-of-work hook (services.cadence.keep_due_current), and each one leaves a history line
with who, when and the old value, so nothing is changed without a trace.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select

from crmcli import history, phrases, schema
from crmcli.enums import PLAN_STATUS
from crmcli.errors import InvalidInput, NotFound
from crmcli.history import Change
from crmcli.i18n import N_, _, label
from crmcli.services import timeline
from crmcli.services.context import Actor
from crmcli.services.customer_list import escape_like
from crmcli.text import amount
from crmcli.text.bounds import looks_like_id
from crmcli.text.bounds import record_id as bounded

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crmcli.models import Contact, Customer, FollowUp, Greeting, Plan, Sale


def record_id(text: str, what: str) -> int:
    """A record number as typed (7 or #7); one past any id a record can have is no
    record (exit 3), as for every other command that takes an id."""
    if not looks_like_id(text):
        raise InvalidInput(
            _("{what} id must be a number, not {text!r}").format(what=_(what), text=text)
        )
    number = bounded(text)
    if number is None:
        raise NotFound(_("no {what} #{value}").format(what=_(what), value=text.strip().lstrip("#")))
    return number


def _get(session: Session, model: Any, text: str, what: str) -> Any:
    number = record_id(text, what)
    found = session.get(model, number)
    if found is None:
        raise NotFound(_("no {what} #{number}").format(what=_(what), number=number))
    return found


def _customer(session: Session, customer_id: int) -> Customer:
    from crmcli.models import Customer

    found = session.get(Customer, customer_id)
    assert found is not None
    return found


def _changes(record: Any, values: dict[str, Any], prefix: str, reason: str | None) -> list[Change]:
    """Set the values that differ on a record; the history lines of what changed."""
    found = []
    for key, value in values.items():
        old = getattr(record, key)
        if old != value:
            found.append(Change(record.customer_id, f"{prefix}.{key}", old, value, reason))
            setattr(record, key, value)
    return found


# -- follow-ups ---------------------------------------------------------------------------


def get_followup(session: Session, text: str) -> FollowUp:
    from crmcli.models import FollowUp

    return _get(session, FollowUp, text, N_("follow-up"))  # type: ignore[no-any-return]


def followup_text(f: Any) -> str:
    """A follow-up as history keeps it when it is removed."""
    at = f"{f.at:%Y-%m-%d %H:%M}"
    if f.result:
        return phrases.FOLLOWUP_WITH_RESULT(
            at=at, channel=f.channel, summary=f.summary, result=f.result
        )
    return phrases.FOLLOWUP(at=at, channel=f.channel, summary=f.summary)


def edit_followup(
    session: Session,
    actor: Actor,
    followup: FollowUp,
    *,
    at: datetime | None = None,
    channel: str | None = None,
    summary: str | None = None,
    result: str | None = None,
    contact: Contact | bool | None = False,
    reason: str | None = None,
) -> list[Change]:
    """Correct a follow-up; ``contact`` False leaves it, None clears it."""
    customer = _customer(session, followup.customer_id)
    values: dict[str, Any] = {}
    if at is not None:
        timeline.check_event_day(customer, at, actor.today, N_("--at"))
        values["at"] = at
    if channel is not None:
        values["channel"] = channel
    if summary is not None:
        if not summary.strip():
            raise InvalidInput(_("--summary must not be empty: say what was discussed"))
        values["summary"] = summary.strip()
    if result is not None:
        values["result"] = result.strip() or None
    if contact is not False:
        values["contact_id"] = contact.id if contact else None  # type: ignore[union-attr]
    changes = _changes(followup, values, f"followup.{followup.id}", reason)
    history.record(session, actor, changes)
    session.flush()
    return changes


def delete_followup(
    session: Session, actor: Actor, followup: FollowUp, reason: str | None
) -> Change:
    change = Change(
        followup.customer_id,
        f"followup.{followup.id}",
        followup_text(followup),
        phrases.DELETED(),
        reason,
    )
    session.delete(followup)
    session.flush()
    history.record(session, actor, [change])
    return change


def list_followups(
    bind: Any,
    *,
    customer_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    owner: str | None = None,
    channel: str | None = None,
    search: str | None = None,
    limit: int | None = None,
) -> list[Any]:
    """Follow-ups newest first, with their customer's code and name and the contact's name."""
    t = schema
    f, c, k = t.followup.c, t.customer.c, t.contact.c
    query = (
        select(
            *f,
            c.code.label("customer_code"),
            c.name.label("customer_name"),
            k.name.label("contact_name"),
        )
        .join(t.customer, c.id == f.customer_id)
        .outerjoin(t.contact, k.id == f.contact_id)
    )
    if customer_id is not None:
        query = query.where(f.customer_id == customer_id)
    if start is not None:
        query = query.where(f.at >= datetime.combine(start, datetime.min.time()))
    if end is not None:
        query = query.where(f.at < datetime.combine(end, datetime.max.time()))
    if owner:
        query = query.where(f.owner == owner)
    if channel:
        query = query.where(f.channel == channel)
    if search:
        pattern = f"%{escape_like(search.strip().lower())}%"
        query = query.where(
            or_(
                func.lower(f.summary).like(pattern, escape="\\"),
                func.lower(func.coalesce(f.result, "")).like(pattern, escape="\\"),
            )
        )
    query = query.order_by(f.at.desc(), f.id.desc())
    if limit:
        query = query.limit(limit)
    return list(bind.execute(query).all())


# -- sales --------------------------------------------------------------------------------


def get_sale(session: Session, text: str) -> Sale:
    from crmcli.models import Sale

    return _get(session, Sale, text, N_("sale"))  # type: ignore[no-any-return]


def sale_text(s: Any) -> str:
    shown = amount(s.amount_micros, s.currency)
    if s.product:
        return phrases.SALE_OF_PRODUCT(amount=shown, on=s.sold_on, product=s.product)
    return phrases.SALE(amount=shown, on=s.sold_on)


def edit_sale(
    session: Session,
    actor: Actor,
    sale: Sale,
    *,
    amount_micros: int | None = None,
    sold_on: date | None = None,
    product: str | None = None,
    note: str | None = None,
    reason: str | None = None,
) -> list[Change]:
    customer = _customer(session, sale.customer_id)
    values: dict[str, Any] = {}
    if amount_micros is not None:
        values["amount_micros"] = amount_micros
    if sold_on is not None:
        timeline.check_event_day(customer, sold_on, actor.today, N_("--on"))
        values["sold_on"] = sold_on
    if product is not None:
        values["product"] = product.strip() or None
    if note is not None:
        values["note"] = note.strip() or None
    changes = [
        # History keeps an amount as it is shown (¥1,200, USD 15.552), not in millionths.
        change._replace(
            field=f"sale.{sale.id}.amount",
            old=amount(change.old, sale.currency),
            new=amount(change.new, sale.currency),
        )
        if change.field == f"sale.{sale.id}.amount_micros"
        else change
        for change in _changes(sale, values, f"sale.{sale.id}", reason)
    ]
    history.record(session, actor, changes)
    session.flush()
    return changes


def void_sale(session: Session, actor: Actor, sale: Sale, reason: str) -> Change:
    """A sale entered by mistake: removed from every figure (ABC, reports, reclassify),
    kept in history with what it was and why it was voided."""
    if not reason.strip():
        raise InvalidInput(_("--reason must say why the sale is voided"))
    change = Change(
        sale.customer_id, f"sale.{sale.id}", sale_text(sale), phrases.VOIDED(), reason.strip()
    )
    session.delete(sale)
    session.flush()
    history.record(session, actor, [change])
    return change


# -- contacts -----------------------------------------------------------------------------


def delete_contact(
    session: Session, actor: Actor, customer: Customer, contact: Contact, reason: str | None
) -> list[Change]:
    """Remove a contact: its follow-ups and surveys stay (without it), its greetings go."""
    changes = [
        Change(customer.id, f"contact.{contact.id}", contact.name, phrases.DELETED(), reason)
    ]
    if customer.contact_name == contact.name:
        changes.append(Change(customer.id, "contact_name", customer.contact_name, None, reason))
        customer.contact_name = None
    session.delete(contact)
    session.flush()
    history.record(session, actor, changes)
    return changes


# -- plans --------------------------------------------------------------------------------


def edit_plan(
    session: Session,
    actor: Actor,
    plan: Plan,
    *,
    due: tuple[datetime, bool] | None = None,
    content: str | None = None,
    channel: str | None = None,
    owner: str | None = None,
    reason: str | None = None,
) -> list[Change]:
    if plan.status != "open":
        raise InvalidInput(
            _("plan #{id} is already {status}; only open plans change").format(
                id=plan.id, status=label(PLAN_STATUS, plan.status)
            )
        )
    customer = _customer(session, plan.customer_id)
    values: dict[str, Any] = {}
    if due is not None:
        when, has_time = due
        timeline.check_not_before_added(customer, when, N_("--due"))
        values["due_on"] = when.date()
        values["due_time"] = when.strftime("%H:%M") if has_time else None
    if content is not None:
        if not content.strip():
            raise InvalidInput(_("--content must not be empty: say what is to be done"))
        values["content"] = content.strip()
    if channel is not None:
        values["channel"] = channel
    if owner is not None:
        if not owner.strip():
            raise InvalidInput(_("--owner must name someone"))
        values["owner"] = owner.strip()
    changes = _changes(plan, values, f"plan.{plan.id}", reason)
    history.record(session, actor, changes)
    session.flush()
    return changes


# -- greetings ----------------------------------------------------------------------------


def undo_greeting(
    session: Session,
    actor: Actor,
    customer: Customer,
    occasion_text: str,
    *,
    day: date,
    contact: Contact | None = None,
    reason: str | None = None,
) -> Greeting:
    """Take back a greeting marked sent by mistake: it is owed (or missed) again."""
    from crmcli.models import Greeting
    from crmcli.services.calendar import parse_occasion

    name, _kind = parse_occasion(occasion_text)
    g = schema.greeting.c
    found = session.scalars(
        select(Greeting).where(
            and_(
                g.customer_id == customer.id,
                g.occasion == name,
                g.on == day,
                g.contact_id.is_(None) if contact is None else g.contact_id == contact.id,
            )
        )
    ).first()
    if found is None:
        to = (contact or customer).name
        raise NotFound(
            _("no {name} greeting of {day} to {to} was marked sent").format(
                name=name, day=day, to=to
            )
        )
    change = Change(
        customer.id,
        "greeting",
        f"{name} {day} to {(contact or customer).name} sent {found.sent_at:%Y-%m-%d %H:%M}",
        "undone",
        reason,
    )
    session.delete(found)
    session.flush()
    history.record(session, actor, [change])
    return found
