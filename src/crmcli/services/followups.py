"""跟进记录 and 跟进计划 (seed 000 第十一条): what was said, and the promised next step."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from crmcli import history, schema
from crmcli.errors import InvalidInput, NotFound
from crmcli.i18n import N_, _
from crmcli.schema import utcnow
from crmcli.services import cadence, timeline
from crmcli.services.context import Actor
from crmcli.text.bounds import looks_like_id, record_id

if TYPE_CHECKING:
    from sqlalchemy.engine import Row
    from sqlalchemy.orm import Session

    from crmcli.models import Contact, Customer, Plan


def log_followup(
    session: Session,
    actor: Actor,
    customer: Any,
    *,
    channel: str,
    summary: str,
    at: datetime,
    result: str | None = None,
    contact: Contact | None = None,
    owner: str | None = None,
    next_at: tuple[datetime, bool] | None = None,
    next_action: str | None = None,
    next_channel: str | None = None,
    done_plans: list[Plan] | None = None,
    project_id: int | None = None,
) -> tuple[Row[Any], Row[Any] | None]:
    """Record a follow-up of a customer (its row or record) and the plan of its next step;
    both are written by Core statements and returned as rows. ``done_plans`` (records)
    are closed by it."""
    summary = summary.strip()
    if not summary:
        raise InvalidInput(_("--summary must not be empty: say what was discussed"))
    timeline.check_event_day(customer, at, actor.today, N_("follow-up --at"))
    if next_at is not None:
        when, has_time = next_at
        if (has_time and when < at) or (not has_time and when.date() < at.date()):
            shown = when if has_time else when.date()
            raise InvalidInput(
                _("--next {shown} is before the follow-up it belongs to ({at})").format(
                    shown=shown, at=at
                )
            )
    for fulfilled in done_plans or []:
        _require_open(fulfilled)
        if fulfilled.customer_id != customer.id:
            raise InvalidInput(_("plan #{id} belongs to another customer").format(id=fulfilled.id))
    f = schema.followup
    followup = session.execute(
        insert(f)
        .values(
            customer_id=customer.id,
            contact_id=contact.id if contact else None,
            at=at,
            channel=channel,
            summary=summary,
            result=(result or "").strip() or None,
            owner=owner or customer.owner or actor.user,
            project_id=project_id,  # checked to be the customer's (services.projects)
        )
        .returning(*f.c)
    ).one()
    for fulfilled in done_plans or []:
        fulfilled.status, fulfilled.followup_id, fulfilled.closed_at = "done", followup.id, utcnow()
    plan = None
    if next_at is not None:
        values = _plan_values(
            customer,
            actor,
            next_at,
            next_channel or channel,
            next_action or f"follow up: {summary}",
            followup.owner,
        )
        plan = session.execute(insert(schema.plan).values(**values).returning(*schema.plan.c)).one()
    cadence.due_changed(session, [customer.id])
    cadence.settle(session, actor.config)
    return followup, plan


def _plan_values(
    customer: Any,
    actor: Actor,
    due: tuple[datetime, bool],
    channel: str,
    content: str,
    owner: str | None,
) -> dict[str, Any]:
    """The columns of a new plan (the table's defaults give the rest)."""
    when, has_time = due
    return {
        "customer_id": customer.id,
        "due_on": when.date(),
        "due_time": when.strftime("%H:%M") if has_time else None,
        "channel": channel,
        "content": content.strip(),
        "owner": owner or customer.owner or actor.user,
    }


def add_plan(
    session: Session,
    actor: Actor,
    customer: Customer,
    *,
    due: tuple[datetime, bool],
    channel: str,
    content: str,
    owner: str | None = None,
) -> Plan:
    if not content.strip():
        raise InvalidInput(_("--content must not be empty: say what is to be done"))
    timeline.check_not_before_added(customer, due[0], N_("--due"))
    from crmcli.models import Plan

    plan = Plan(**_plan_values(customer, actor, due, channel, content, owner))
    session.add(plan)
    session.flush()
    history.record(session, actor, [history.plan_added(customer.id, plan.id, plan.due_on)])  # type: ignore[arg-type]
    return plan


def get_plan(session: Session, plan_id: str) -> Plan:
    from crmcli.models import Plan

    if not looks_like_id(plan_id):
        raise InvalidInput(_("plan id must be a number, not {plan_id!r}").format(plan_id=plan_id))
    number = record_id(plan_id)
    plan = session.get(Plan, number) if number is not None else None
    if plan is None:
        raise NotFound(_("no plan #{value}").format(value=plan_id.strip().lstrip("#")))
    return plan


def _require_open(plan: Plan) -> None:
    if plan.status != "open":
        raise InvalidInput(
            _("plan #{id} is already {status}").format(id=plan.id, status=plan.status)
        )


def complete_plan(
    session: Session,
    actor: Actor,
    plan: Plan,
    *,
    at: datetime,
    summary: str | None = None,
    result: str | None = None,
) -> Row[Any]:
    """Done by a follow-up: record one on the plan's channel, then close the plan."""
    from crmcli.models import Customer

    _require_open(plan)
    customer = session.get(Customer, plan.customer_id)
    assert customer is not None
    followup, _ = log_followup(
        session,
        actor,
        customer,
        channel=plan.channel,
        summary=summary or plan.content,
        result=result,
        at=at,
        owner=plan.owner,
        done_plans=[plan],
    )
    return followup


def cancel_plan(session: Session, actor: Actor, plan: Plan, reason: str | None) -> None:
    _require_open(plan)
    plan.status, plan.closed_at = "cancelled", utcnow()
    history.record(
        session,
        actor,
        [history.Change(plan.customer_id, "plan", f"#{plan.id} open", "cancelled", reason)],
    )
    session.flush()


def list_plans(
    session: Session,
    *,
    as_of: date,
    status: str | None = "open",
    overdue: bool = False,
    owner: str | None = None,
    customer: Customer | None = None,
) -> list[tuple[Plan, Customer]]:
    from crmcli.models import Customer, Plan

    query = select(Plan, Customer).join(Customer, Plan.customer_id == Customer.id)
    if overdue:
        query = query.where(Plan.status == "open", Plan.due_on < as_of)
    elif status:
        query = query.where(Plan.status == status)
    if owner:
        query = query.where(Plan.owner == owner)
    if customer is not None:
        query = query.where(Plan.customer_id == customer.id)
    query = query.order_by(Plan.due_on, Plan.due_time, Plan.id)
    return [(row[0], row[1]) for row in session.execute(query).all()]
