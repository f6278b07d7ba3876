"""定期拜访/回访 and 逾期 (SPEC §2 Visit cadence, Overdue).

A customer's due dates are derived, never flags: from the last qualifying follow-up
(or the day it was added), its tier's cadence, the outreach call-back rule and its open
plans. They are stored on the customer (indexed) and recomputed set-based whenever a
write touches them or the cadence policy changes, so the overdue list reads an index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, select, update
from sqlmodel import Session

from crmcli.config import Config
from crmcli.enums import TERMINAL_STAGES, TIER
from crmcli.models import Customer, FollowUp, Meta, Plan
from crmcli.sqlfuncs import add_days, earliest, to_date

POLICY_KEY = "cadence_policy"
POLICY_SECTIONS = ("cadence", "outreach")

REASONS = {
    "contact": "last {what} {since}; {tier} customers need one every {days} days",
    "none_since_added": "no {what} since added {since}; {tier} customers need one every {days} days",
    "visit": "no visit since {since}; {tier} customers need a visit every {days} days",
    "callback": "outreach customer added {since}: call back within {days} days",
    "plan": "plan #{plan_id} due {due}: {content}",
    "never": "never contacted (added {since})",
}


def _last_followup(channels: Sequence[str]) -> Any:
    return (
        select(func.max(FollowUp.at))
        .where(FollowUp.customer_id == Customer.id, FollowUp.channel.in_(channels))
        .scalar_subquery()
    )


def _cadence_case(config: Config, *, visit: bool, fresh: bool = False) -> Any:
    whens = []
    for tier in TIER.values:
        rule = config.get(f"cadence.{tier}")
        days = rule["visit_days"] if visit else rule["days"]
        if days <= 0:
            continue
        channels = rule["visit_channels"] if visit else rule["channels"]
        base = (
            Customer.created_on
            if fresh
            else func.coalesce(to_date(_last_followup(channels)), Customer.created_on)
        )
        whens.append((Customer.tier == tier, add_days(base, days)))
    return case(*whens, else_=None) if whens else None


def refresh_due(
    session: Session,
    config: Config,
    customer_ids: Iterable[int] | None = None,
    *,
    where: Any = None,
    fresh: bool = False,
) -> None:
    """Recompute last contact and every due date: for the given ids, a condition, or all.

    ``fresh`` customers were just created and have no follow-ups or plans yet: their
    dates follow from the day they were added alone, without looking at other tables.
    """
    outreach = config.get("outreach")
    has_callback = exists().where(
        FollowUp.customer_id == Customer.id, FollowUp.channel.in_(outreach["channels"])
    )
    callback_owed = Customer.channel == "outreach"
    components = {
        "last_contact_at": None
        if fresh
        else select(func.max(FollowUp.at))
        .where(FollowUp.customer_id == Customer.id)
        .scalar_subquery(),
        "contact_due_on": _cadence_case(config, visit=False, fresh=fresh),
        "visit_due_on": _cadence_case(config, visit=True, fresh=fresh),
        "callback_due_on": case(
            (
                callback_owed if fresh else and_(callback_owed, ~has_callback),
                add_days(Customer.created_on, outreach["callback_days"]),
            ),
            else_=None,
        ),
        "plan_due_on": None
        if fresh
        else select(func.min(Plan.due_on))
        .where(Plan.customer_id == Customer.id, Plan.status == "open")
        .scalar_subquery(),
    }
    ids = None if customer_ids is None else list(customer_ids)
    # Derived columns only: a recompute is not an edit, so updated_at stays as it was.
    first = update(Customer).values(updated_at=Customer.updated_at, **components)
    second = update(Customer).values(
        updated_at=Customer.updated_at,
        next_due_at=case(
            (Customer.stage.in_(TERMINAL_STAGES), None),
            else_=earliest(
                Customer.contact_due_on,
                Customer.visit_due_on,
                Customer.callback_due_on,
                Customer.plan_due_on,
            ),
        ),
    )
    opts = {"synchronize_session": False}
    if where is not None:
        session.execute(first.where(where), execution_options=opts)
        session.execute(second.where(where), execution_options=opts)
        return
    if ids is None:
        session.execute(first, execution_options=opts)
        session.execute(second, execution_options=opts)
        return
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(first.where(Customer.id.in_(chunk)), execution_options=opts)
        session.execute(second.where(Customer.id.in_(chunk)), execution_options=opts)


def policy_is_current(session: Session, config: Config) -> bool:
    stored = session.get(Meta, POLICY_KEY)
    return stored is not None and stored.value == config.policy_fingerprint(*POLICY_SECTIONS)


def ensure_policy_current(session: Session, config: Config) -> bool:
    """Recompute all due dates when the cadence policy differs from the one they used."""
    fingerprint = config.policy_fingerprint(*POLICY_SECTIONS)
    stored = session.get(Meta, POLICY_KEY)
    if stored is not None and stored.value == fingerprint:
        return False
    refresh_due(session, config)
    if stored is None:
        session.add(Meta(key=POLICY_KEY, value=fingerprint))
    else:
        stored.value = fingerprint
    session.flush()
    return True


@dataclass
class OverdueReason:
    rule: str
    due_on: date
    days_overdue: int
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "due_on": self.due_on.isoformat(),
            "days_overdue": self.days_overdue,
            "text": self.text,
        }


@dataclass
class OverdueCustomer:
    id: int
    code: str
    name: str
    tier: str
    stage: str
    owner: str | None
    phone: str | None
    last_contact_at: datetime | None
    due_on: date
    days_overdue: int
    reasons: list[OverdueReason]


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def overdue_customers(
    session: Session,
    config: Config,
    as_of: date,
    *,
    owner: str | None = None,
    tier: str | None = None,
    limit: int | None = None,
) -> list[OverdueCustomer]:
    """Customers whose earliest due day is before ``as_of``, most days late first."""
    c = Customer.__table__.c
    query = select(
        c.id,
        c.code,
        c.name,
        c.tier,
        c.stage,
        c.owner,
        c.phone,
        c.created_on,
        c.last_contact_at,
        c.contact_due_on,
        c.visit_due_on,
        c.callback_due_on,
        c.plan_due_on,
        c.next_due_at,
    ).where(c.next_due_at < as_of)
    if owner is not None:
        query = query.where(c.owner == owner)
    if tier is not None:
        query = query.where(c.tier == tier)
    query = query.order_by(c.next_due_at, c.sort_key, c.id)
    if limit:
        query = query.limit(limit)
    rows = session.execute(query).all()
    plans = _late_plans(
        session,
        as_of,
        [r.id for r in rows if r.plan_due_on is not None and _as_date(r.plan_due_on) < as_of],
    )
    rules = _tier_rules(config)
    callback_days = int(config.get("outreach.callback_days"))
    result = []
    for row in rows:
        reasons = _reasons(row, rules, callback_days, as_of, plans.get(row.id, []))
        due = _as_date(row.next_due_at)
        assert due is not None
        result.append(
            OverdueCustomer(
                id=row.id,
                code=row.code,
                name=row.name,
                tier=row.tier,
                stage=row.stage,
                owner=row.owner,
                phone=row.phone,
                last_contact_at=row.last_contact_at,
                due_on=due,
                days_overdue=(as_of - due).days,
                reasons=reasons,
            )
        )
    return result


def _late_plans(session: Session, as_of: date, ids: list[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(
            select(Plan.id, Plan.customer_id, Plan.due_on, Plan.content)
            .where(Plan.customer_id.in_(chunk), Plan.status == "open", Plan.due_on < as_of)
            .order_by(Plan.due_on, Plan.id)
        ).all()
        for plan in rows:
            found.setdefault(plan.customer_id, []).append(plan)
    return found


def _channel_words(channels: list[str]) -> str:
    """'contact' when every usual channel counts, else e.g. 'phone contact'."""
    from crmcli.config import ALL_CONTACT_CHANNELS

    if set(ALL_CONTACT_CHANNELS) <= set(channels):
        return "contact"
    return "/".join(channels) + " contact"


@dataclass(frozen=True)
class _TierRule:
    days: int
    visit_days: int
    what: str


def _tier_rules(config: Config) -> dict[str, _TierRule]:
    rules = {}
    for tier in TIER.values:
        rule = config.get(f"cadence.{tier}")
        rules[tier] = _TierRule(rule["days"], rule["visit_days"], _channel_words(rule["channels"]))
    return rules


def _reasons(
    row: Any, rules: dict[str, _TierRule], callback_days: int, as_of: date, plans: list[Any]
) -> list[OverdueReason]:
    reasons: list[OverdueReason] = []
    rule = rules[row.tier]
    created = _as_date(row.created_on)

    def add(kind: str, due: date, text: str) -> None:
        reasons.append(OverdueReason(kind, due, (as_of - due).days, text))

    contact_due = _as_date(row.contact_due_on)
    if contact_due is not None and contact_due < as_of:
        since = contact_due - timedelta(days=rule.days)
        if row.last_contact_at is None:
            text = REASONS["never"].format(since=created)
        else:
            template = REASONS["none_since_added" if since == created else "contact"]
            text = template.format(what=rule.what, since=since, tier=row.tier, days=rule.days)
        add("contact", contact_due, text)
    visit_due = _as_date(row.visit_due_on)
    if visit_due is not None and visit_due < as_of:
        since = visit_due - timedelta(days=rule.visit_days)
        text = REASONS["visit"].format(since=since, tier=row.tier, days=rule.visit_days)
        add("visit", visit_due, text)
    callback_due = _as_date(row.callback_due_on)
    if callback_due is not None and callback_due < as_of:
        add("callback", callback_due, REASONS["callback"].format(since=created, days=callback_days))
    for plan in plans:
        due = _as_date(plan.due_on)
        assert due is not None
        add("plan", due, REASONS["plan"].format(plan_id=plan.id, due=due, content=plan.content))
    if len(reasons) > 1:
        reasons.sort(key=lambda r: (r.due_on, r.rule))
    return reasons
