"""定期拜访/回访 and 逾期 (SPEC §2 Visit cadence, Overdue).

A customer's due dates are derived, never flags: from the last qualifying follow-up
(or the day it was added), its tier's cadence, the outreach call-back rule and its open
plans. They are stored on the customer (indexed) and recomputed set-based whenever a
write touches them or the cadence policy changes, so the overdue list reads an index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, select, update

from crmcli import schema
from crmcli.config import Config
from crmcli.enums import CHANNEL, TERMINAL_STAGES, TIER
from crmcli.i18n import N_
from crmcli.sqlfuncs import add_days, earliest, to_date

POLICY_KEY = "cadence_policy"
# The due days a customer's next due day is the earliest of.
DUE_COLUMNS = ("contact_due_on", "visit_due_on", "callback_due_on", "plan_due_on")
POLICY_SECTIONS = ("cadence", "outreach")

# English in JSON; a table shows them through the catalogue (``text`` of overdue_customers).
REASONS = {
    "contact": N_("last {what} {since}; {tier} customers need one every {days} days"),
    "none_since_added": N_(
        "no {what} since added {since}; {tier} customers need one every {days} days"
    ),
    "visit": N_("no visit since {since}; {tier} customers need a visit every {days} days"),
    "callback": N_("outreach customer added {since}: call back within {days} days"),
    "plan": N_("plan #{plan_id} due {due}: {content}"),
    "never": N_("never contacted (added {since})"),
    # "project": services.projects.LATE_REASON
}
CONTACT_WORDS = (N_("contact"), N_("{channels} contact"))


def _tier_case(config: Config, tier: Any, base: Callable[[list[str]], Any], *, visit: bool) -> Any:
    """The due day by tier: ``base(channels)`` (the day the clock starts, given the
    channels that count) plus the tier's cadence; None when no tier has a cadence."""
    whens = []
    for name in TIER.values:
        rule = config.get(f"cadence.{name}")
        days = rule["visit_days"] if visit else rule["days"]
        if days <= 0:
            continue
        channels = rule["visit_channels"] if visit else rule["channels"]
        whens.append((tier == name, add_days(base(channels), days)))
    return case(*whens, else_=None) if whens else None


def _next_due(stage: Any, dues: Sequence[Any]) -> Any:
    return case((stage.in_(TERMINAL_STAGES), None), else_=earliest(*dues))


def new_customer_dues(
    config: Config, *, tier: Any, created_on: Any, channel: Any, stage: Any
) -> dict[str, Any]:
    """The due columns of customers just created, as expressions of their tier, creation
    day, acquisition channel and stage (columns, or the expressions an INSERT … SELECT
    writes into them): no follow-ups or plans yet, so every clock starts on creation."""
    outreach = config.get("outreach")
    dues = {
        "contact_due_on": _tier_case(config, tier, lambda _: created_on, visit=False),
        "visit_due_on": _tier_case(config, tier, lambda _: created_on, visit=True),
        "callback_due_on": case(
            (channel == "outreach", add_days(created_on, outreach["callback_days"])),
            else_=None,
        ),
    }
    dues["next_due_at"] = _next_due(stage, [d for d in dues.values() if d is not None])
    return dues


def refresh_due(
    session: Any,
    config: Config,
    customer_ids: Iterable[int] | None = None,
    *,
    among: Any = None,
    fresh: bool = False,
) -> None:
    """Recompute last contact and every due date: for the given ids, the customers whose
    ids a query (``among``) selects, or everybody.

    ``fresh`` customers were just created and have no follow-ups or plans yet: their
    dates follow from the day they were added alone, without looking at other tables.
    """
    t = schema
    customer, c, f, p = t.customer, t.customer.c, t.followup.c, t.plan.c
    ids = None if customer_ids is None else list(customer_ids)
    # Derived columns only: a recompute is not an edit, so updated_at stays as it was.
    if fresh:
        # No subqueries: one statement (every index on the due columns is rewritten once).
        dues = new_customer_dues(
            config, tier=c.tier, created_on=c.created_on, channel=c.channel, stage=c.stage
        )
        statements = [update(customer).values(last_contact_at=None, plan_due_on=None, **dues)]
    else:
        outreach = config.get("outreach")
        has_callback = exists().where(f.customer_id == c.id, f.channel.in_(outreach["channels"]))

        def since_last(channels: list[str]) -> Any:
            last = select(func.max(f.at)).where(f.customer_id == c.id, f.channel.in_(channels))
            return func.coalesce(to_date(last.scalar_subquery()), c.created_on)

        components = {
            "last_contact_at": select(func.max(f.at))
            .where(f.customer_id == c.id)
            .scalar_subquery(),
            "contact_due_on": _tier_case(config, c.tier, since_last, visit=False),
            "visit_due_on": _tier_case(config, c.tier, since_last, visit=True),
            "callback_due_on": case(
                (
                    and_(c.channel == "outreach", ~has_callback),
                    add_days(c.created_on, outreach["callback_days"]),
                ),
                else_=None,
            ),
            "plan_due_on": select(func.min(p.due_on))
            .where(p.customer_id == c.id, p.status == "open")
            .scalar_subquery(),
        }
        # The next due day reads the columns the first statement wrote, so that the
        # correlated subqueries run once per customer.
        statements = [
            update(customer).values(**components),
            update(customer).values(next_due_at=_next_due(c.stage, [c[n] for n in DUE_COLUMNS])),
        ]
    if among is not None:
        for statement in statements:
            session.execute(statement.where(c.id.in_(among)))
        return
    if ids is None:
        for statement in statements:
            session.execute(statement)
        return
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for statement in statements:
            session.execute(statement.where(c.id.in_(chunk)))


# What a write must change for a customer's due days to move: its follow-ups and plans
# (added, edited, removed) and these columns of the customer itself.
DUE_INPUTS = frozenset({"tier", "stage", "channel", "created_on"})
_PENDING = "crmcli.due_pending"


def keep_due_current(session: Any, config: Config) -> None:
    """Keep the derived due days current through one unit of work (an ORM session).

    Every customer whose due days a write can move is noted as the session flushes
    (a follow-up or plan of it added, changed or removed; its tier, stage, channel or
    creation day changed), and recomputed once, set-based, before the session commits.
    Writers that change rows with Core statements note their customers with
    ``due_changed``. So no writer refreshes due days by hand, and none can forget to.
    """
    from sqlalchemy import event
    from sqlalchemy import inspect as orm_state

    session.info[_PENDING] = set()

    def customer_ids(obj: Any) -> Iterator[int]:
        table = getattr(type(obj), "__table__", None)
        if table is schema.customer:
            state = orm_state(obj)
            if state.pending or any(state.attrs[name].history.has_changes() for name in DUE_INPUTS):
                yield obj.id
        elif table is schema.followup or table is schema.plan:
            moved = orm_state(obj).attrs.customer_id.history
            yield from (cid for cid in (*moved.deleted, obj.customer_id) if cid is not None)

    @event.listens_for(session, "after_flush")
    def noted(session: Any, _context: Any) -> None:
        pending = session.info[_PENDING]
        for obj in (*session.new, *session.dirty, *session.deleted):
            pending.update(customer_ids(obj))

    @event.listens_for(session, "before_commit")
    def recompute(session: Any) -> None:
        settle(session, config)


def due_changed(session: Any, customer_ids: Iterable[int]) -> None:
    """Note customers whose follow-ups, plans or due inputs a Core statement changed."""
    session.info.setdefault(_PENDING, set()).update(customer_ids)


def settle(session: Any, config: Config) -> None:
    """Recompute now the due days of every customer noted so far (a writer that shows
    them before its unit of work ends calls this); the records of those customers that
    the session holds are read again, so they show the new days."""
    session.flush()
    pending = session.info.get(_PENDING)
    if not pending:
        return
    ids = sorted(pending)
    pending.clear()
    refresh_due(session, config, ids)
    wanted = set(ids)
    for obj in list(session.identity_map.values()):
        if getattr(type(obj), "__table__", None) is schema.customer and obj.id in wanted:
            session.refresh(obj)


def policy_is_current(bind: Any, config: Config) -> bool:
    m = schema.meta.c
    stored = bind.execute(select(m.value).where(m.key == POLICY_KEY)).scalar()
    return stored == config.policy_fingerprint(*POLICY_SECTIONS)


# Rewriting every customer's due days moves every entry of the overdue index; with
# SQLite's default 2 MiB page cache the index pages are read again and again (about 6 s
# instead of 4 s for 100,000 customers). Only this rare, whole-table statement gets more.
RECOMPUTE_CACHE_KIB = 64 * 1024


@contextmanager
def _page_cache(session: Any, kib: int) -> Iterator[None]:
    """A bigger SQLite page cache for the statements inside (other databases: unchanged)."""
    connection = session.connection() if hasattr(session, "connection") else session
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = {-int(kib)}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


def ensure_policy_current(session: Any, config: Config) -> bool:
    """Recompute all due dates when the cadence policy differs from the one they used."""
    meta = schema.meta
    fingerprint = config.policy_fingerprint(*POLICY_SECTIONS)
    stored = session.execute(select(meta.c.value).where(meta.c.key == POLICY_KEY)).first()
    if stored is not None and stored.value == fingerprint:
        return False
    with _page_cache(session, RECOMPUTE_CACHE_KIB):
        refresh_due(session, config)
    if stored is None:
        session.execute(insert(meta).values(key=POLICY_KEY, value=fingerprint))
    else:
        session.execute(update(meta).where(meta.c.key == POLICY_KEY).values(value=fingerprint))
    return True


@dataclass(slots=True)
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


@dataclass(slots=True)
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


def overdue_customers(
    bind: Any,
    config: Config,
    as_of: date,
    *,
    owner: str | None = None,
    tier: str | None = None,
    limit: int | None = None,
    text: Callable[[str], str] | None = None,
) -> list[OverdueCustomer]:
    """Customers whose earliest due day is before ``as_of``, most days late first; their
    reasons in English, or made with ``text`` (a catalogue's gettext) for people."""
    t = schema
    c = t.customer.c
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
        c.sort_key,
    ).where(c.next_due_at < as_of)
    if owner is not None:
        query = query.where(c.owner == owner)
    if tier is not None:
        query = query.where(c.tier == tier)
    query = query.order_by(c.next_due_at, c.sort_key, c.id)
    if limit:
        query = query.limit(limit)
    rows = bind.execute(query).all()
    late_plans = [r.id for r in rows if r.plan_due_on is not None and r.plan_due_on < as_of]
    plans = _late_plans(bind, t, as_of, late_plans)
    explain = _Explainer(config, as_of, text)
    no_plans: list[Any] = []
    # Rows are unpacked by position: named access costs more than the rest of the loop.
    found = [
        OverdueCustomer(
            id_,
            code,
            name,
            tier_,
            stage,
            owner_,
            phone,
            last_contact,
            due,
            (as_of - due).days,
            explain(
                tier_,
                created,
                last_contact,
                contact_due,
                visit_due,
                callback_due,
                plans.get(id_, no_plans),
            ),
        )
        for (
            id_,
            code,
            name,
            tier_,
            stage,
            owner_,
            phone,
            created,
            last_contact,
            contact_due,
            visit_due,
            callback_due,
            _plan_due,
            due,
            _sort_key,
        ) in rows
    ]
    return _with_late_projects(
        bind, as_of, found, rows, owner=owner, tier=tier, limit=limit, text=text
    )


def _with_late_projects(
    bind: Any,
    as_of: date,
    found: list[OverdueCustomer],
    rows: Sequence[Any],
    *,
    owner: str | None,
    tier: str | None,
    limit: int | None,
    text: Callable[[str], str] | None = None,
) -> list[OverdueCustomer]:
    """Add the open projects past their expected close (services.projects) as reasons of
    their customers, who are overdue then whatever their cadence says."""
    from crmcli.services.projects import LATE_REASON, late_projects

    late = late_projects(bind, as_of, customer_owner=owner, tier=tier)
    if not late:
        return found
    keys = {row.id: row.sort_key for row in rows}
    by_id = {item.id: item for item in found}
    for project in late:
        reason = OverdueReason(
            "project",
            project.expected_on,
            (as_of - project.expected_on).days,
            project.reason
            if text is None
            else text(LATE_REASON).format(
                id=project.id, name=project.name, expected=project.expected_on
            ),
        )
        item = by_id.get(project.customer_id)
        if item is None:
            item = by_id[project.customer_id] = OverdueCustomer(
                project.customer_id,
                project.code,
                project.customer_name,
                project.tier,
                project.customer_stage,
                project.customer_owner,
                project.phone,
                project.last_contact_at,
                reason.due_on,
                reason.days_overdue,
                [],
            )
            keys[item.id] = project.sort_key
            found.append(item)
        item.reasons.append(reason)
        item.reasons.sort(key=lambda r: (r.due_on, r.rule))
        item.due_on = item.reasons[0].due_on
        item.days_overdue = item.reasons[0].days_overdue
    found.sort(key=lambda item: (item.due_on, keys[item.id], item.id))
    return found[:limit] if limit else found


def _late_plans(bind: Any, t: Any, as_of: date, ids: list[int]) -> dict[int, list[Any]]:
    p = t.plan.c
    found: dict[int, list[Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = bind.execute(
            select(p.id, p.customer_id, p.due_on, p.content)
            .where(p.customer_id.in_(chunk), p.status == "open", p.due_on < as_of)
            .order_by(p.due_on, p.id)
        ).all()
        for plan in rows:
            found.setdefault(plan.customer_id, []).append(plan)
    return found


def _channel_words(channels: list[str], text: Callable[[str], str], name: Any) -> str:
    """'contact' when every usual channel counts, else e.g. 'phone contact'."""
    from crmcli.config import ALL_CONTACT_CHANNELS

    if set(ALL_CONTACT_CHANNELS) <= set(channels):
        return text(CONTACT_WORDS[0])
    return text(CONTACT_WORDS[1]).format(channels="/".join(name(CHANNEL, c) for c in channels))


def _around(template: str, **fields: Any) -> tuple[str, str]:
    """A reason template filled but for its day: the text before and after {since}."""
    head, tail = template.format(since="\0", **fields).split("\0")
    return head, tail


@dataclass(frozen=True)
class _TierRule:
    """One tier's cadence, with its reason texts made once per list, not once per row."""

    days: timedelta
    visit_days: timedelta
    contact: tuple[str, str]
    none_since_added: tuple[str, str]
    visit: tuple[str, str]


def _tier_rules(config: Config, text: Callable[[str], str] | None) -> dict[str, _TierRule]:
    from crmcli.i18n import label

    def english(choice: Any, value: str) -> str:
        return value

    name = english if text is None else label
    say = text or str
    rules = {}
    for tier in TIER.values:
        rule = config.get(f"cadence.{tier}")
        what = _channel_words(rule["channels"], say, name)
        days, visit_days = rule["days"], rule["visit_days"]
        shown = name(TIER, tier)
        rules[tier] = _TierRule(
            timedelta(days=days),
            timedelta(days=visit_days),
            _around(say(REASONS["contact"]), what=what, tier=shown, days=days),
            _around(say(REASONS["none_since_added"]), what=what, tier=shown, days=days),
            _around(say(REASONS["visit"]), tier=shown, days=visit_days),
        )
    return rules


class _Explainer:
    """Why one customer is overdue: a reason per rule it broke, earliest first."""

    def __init__(self, config: Config, as_of: date, text: Callable[[str], str] | None) -> None:
        say = text or str
        self.rules = _tier_rules(config, text)
        self.never = _around(say(REASONS["never"]))
        self.callback = _around(
            say(REASONS["callback"]), days=int(config.get("outreach.callback_days"))
        )
        self.plan = say(REASONS["plan"])
        self.as_of = as_of

    def __call__(
        self,
        tier: str,
        created: date,
        last_contact: datetime | None,
        contact_due: date | None,
        visit_due: date | None,
        callback_due: date | None,
        plans: list[Any],
    ) -> list[OverdueReason]:
        # Texts are joined from the parts made in __init__: str.format per row cost
        # more than the rest of the overdue list.
        as_of = self.as_of
        rule = self.rules[tier]
        reasons: list[OverdueReason] = []
        if contact_due is not None and contact_due < as_of:
            if last_contact is None:
                head, tail = self.never
                since = created
            else:
                since = contact_due - rule.days
                head, tail = rule.none_since_added if since == created else rule.contact
            text = head + since.isoformat() + tail
            reasons.append(OverdueReason("contact", contact_due, (as_of - contact_due).days, text))
        if visit_due is not None and visit_due < as_of:
            head, tail = rule.visit
            text = head + (visit_due - rule.visit_days).isoformat() + tail
            reasons.append(OverdueReason("visit", visit_due, (as_of - visit_due).days, text))
        if callback_due is not None and callback_due < as_of:
            head, tail = self.callback
            text = head + created.isoformat() + tail
            reasons.append(
                OverdueReason("callback", callback_due, (as_of - callback_due).days, text)
            )
        for plan in plans:
            text = self.plan.format(plan_id=plan.id, due=plan.due_on, content=plan.content)
            reasons.append(OverdueReason("plan", plan.due_on, (as_of - plan.due_on).days, text))
        if len(reasons) > 1:
            reasons.sort(key=lambda r: (r.due_on, r.rule))
        return reasons
