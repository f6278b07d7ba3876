"""Two records of one customer made one (seed 000 第七条 准确性: one customer, one record).

Everything about the duplicate — contacts, follow-ups, plans, sales, greetings, notices,
complaints, surveys, projects and its history — moves to the customer kept; the kept
customer's empty fields take the duplicate's values; the duplicate goes. One history line
on the kept customer says what was merged into it, and each field it took is a change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, exists, func, select, update

from crmcli import history, phrases, schema
from crmcli.errors import InvalidInput
from crmcli.i18n import _
from crmcli.services import cadence
from crmcli.services.context import Actor

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# What moves, in the order it is counted and reported.
MOVED = (
    "contact",
    "followup",
    "plan",
    "sale",
    "greeting",
    "campaignnotice",
    "complaint",
    "survey",
    "project",
    "history",
)
# Profile fields the kept customer takes from the duplicate when it has none.
FILLED = (
    "contact_name",
    "phone",
    "email",
    "address",
    "region",
    "industry",
    "scale",
    "need",
    "needs_note",
    "main_business",
    "budget",
    "source",
    "channel",
    "potential",
    "likelihood",
    "cooperation_plan",
    "intake_by",
    "project_lead",
    "tags",
    "notes",
)
BIRTHDAY = ("birthday", "birthday_lunar", "birthday_leap", "birth_md")


@dataclass
class MergePlan:
    keep: Any
    duplicate: Any
    moved: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)  # greetings/notices of both
    filled: dict[str, Any] = field(default_factory=dict)


def _doubles(keep_id: int, dup_id: int) -> dict[str, Any]:
    """The duplicate's rows that the kept customer already has (unique per customer)."""
    g, n = schema.greeting.c, schema.campaignnotice.c
    mine_g = schema.greeting.alias("mine")
    mine_n = schema.campaignnotice.alias("mine")
    return {
        "greeting": and_(
            g.customer_id == dup_id,
            g.contact_id.is_(None),
            exists().where(
                mine_g.c.customer_id == keep_id,
                mine_g.c.contact_id.is_(None),
                mine_g.c.occasion == g.occasion,
                mine_g.c.on == g.on,
            ),
        ),
        "campaignnotice": and_(
            n.customer_id == dup_id,
            exists().where(mine_n.c.customer_id == keep_id, mine_n.c.campaign_id == n.campaign_id),
        ),
    }


def plan_merge(bind: Any, keep: Any, duplicate: Any) -> MergePlan:
    """What merging would do (counts and the fields filled), without writing."""
    if keep.id == duplicate.id:
        raise InvalidInput(
            _("{code} {name} is the same customer twice; name two").format(
                code=keep.code, name=keep.name
            )
        )
    plan = MergePlan(keep, duplicate)
    doubles = _doubles(keep.id, duplicate.id)
    for name in MOVED:
        table = schema.metadata.tables[name]
        total = bind.scalar(
            select(func.count()).select_from(table).where(table.c.customer_id == duplicate.id)
        )
        double = 0
        if name in doubles:
            double = bind.scalar(select(func.count()).select_from(table).where(doubles[name]))
        if total - double:
            plan.moved[name] = total - double
        if double:
            plan.dropped[name] = double
    for name in FILLED:
        if getattr(keep, name) in (None, "") and getattr(duplicate, name) not in (None, ""):
            plan.filled[name] = getattr(duplicate, name)
    if not keep.birthday and duplicate.birthday:
        plan.filled.update({name: getattr(duplicate, name) for name in BIRTHDAY})
    if duplicate.created_on < keep.created_on:
        plan.filled["created_on"] = duplicate.created_on
    return plan


def merge_customers(session: Session, actor: Actor, plan: MergePlan) -> None:
    from crmcli.models import Customer
    from crmcli.services.customers import apply_changes

    keep_id, dup_id = plan.keep.id, plan.duplicate.id
    for name, condition in _doubles(keep_id, dup_id).items():
        session.execute(delete(schema.metadata.tables[name]).where(condition))
    for name in MOVED:
        table = schema.metadata.tables[name]
        session.execute(
            update(table).where(table.c.customer_id == dup_id).values(customer_id=keep_id)
        )
    dup = plan.duplicate
    history.record(
        session,
        actor,
        [history.Change(keep_id, "merged", None, f"{dup.code} {dup.name} (#{dup.id})")],
    )
    duplicate = session.get(Customer, dup_id)
    if duplicate is not None:
        session.expunge(duplicate)
    session.execute(delete(schema.customer).where(schema.customer.c.id == dup_id))
    kept = session.get(Customer, keep_id)
    assert kept is not None
    reason = phrases.MERGED(code=dup.code)
    apply_changes(session, actor, kept, dict(plan.filled), reason)
    cadence.due_changed(session, [keep_id])
    cadence.settle(session, actor.config)
