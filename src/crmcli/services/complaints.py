"""客户投诉 (seed 003 四; 三.1; 002 三.2/三.3): record, grade, answer, resolve, feed back.

A complaint moves forward only: open → responded → resolved → closed. Waiting on the
customer (wait/resume), reopening and re-grading (escalate) are steps of their own,
each with who, when and why, kept as the complaint's timeline and in history.

The SLA state is never stored. Two targets count from receipt: the first answer within
``sla.response_hours`` for every severity (seed 003 三.1: 24 小时内答复) and the solution
within ``sla.resolution_days`` of its severity (from the last reopening, once reopened);
``services.sla`` counts them in real or working time, the waiting spans left out.
Re-grading moves the resolution target of the new severity, still from receipt.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select

from crmcli import enums, history, schema
from crmcli.config import Config
from crmcli.errors import InvalidInput, NotFound
from crmcli.i18n import N_, _, label
from crmcli.services import sla
from crmcli.services.context import Actor
from crmcli.text.bounds import looks_like_id, record_id

OPEN_STATUSES = ("open", "responded")


# --- the SLA state, computed -----------------------------------------------------------


def clock(config: Config) -> sla.Clock:
    rules = config.get("sla")
    return sla.Clock(
        kind=rules["clock"],
        day_start=time.fromisoformat(rules["day_start"]),
        day_end=time.fromisoformat(rules["day_end"]),
    )


class Target(NamedTuple):
    """One SLA target of one complaint, as of a moment (a tuple: a report judges
    100,000 complaints, and a frozen dataclass costs twice as much to make)."""

    name: str  # response | resolution
    due: datetime
    done_at: datetime | None
    # met (done in time) | missed (done late) | pending | waiting (on the customer) |
    # breaching (due and not done)
    state: str
    late: timedelta | None  # how late (missed or breaching)

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.name,
            "due": self.due.isoformat(sep=" ", timespec="minutes"),
            "done_at": None if self.done_at is None else self.done_at.isoformat(sep=" "),
            "state": self.state,
            "late_minutes": None if self.late is None else int(self.late.total_seconds() // 60),
        }


class Facts(NamedTuple):
    """What the targets of one complaint follow from: its times and its closed waiting
    spans (a tuple, made for each of a report's complaints)."""

    received_at: datetime
    severity: str
    responded_at: datetime | None
    resolved_at: datetime | None
    reopened_at: datetime | None
    waiting_since: datetime | None
    spans: Sequence[tuple[datetime, datetime]]

    @classmethod
    def of(cls, row: Any, spans: Sequence[tuple[datetime, datetime]]) -> Facts:
        """The facts of a complaint's row (or anything with its columns' names)."""
        return cls(
            row.received_at,
            row.severity,
            row.responded_at,
            row.resolved_at,
            row.reopened_at,
            row.waiting_since,
            list(spans),
        )


@dataclass(frozen=True, slots=True)
class Rules:
    """The SLA settings ``targets`` applies, read from the config once for any number of
    complaints: the clock, and the hours of each target."""

    clock: sla.Clock
    response: timedelta  # counted on the clock (``sla.counted_target``)
    resolution: dict[str, timedelta]  # by severity


def rules(config: Config) -> Rules:
    settings = config.get("sla")
    counted = clock(config)
    return Rules(
        counted,
        sla.counted_target(float(settings["response_hours"]), counted),
        {
            k: sla.counted_target(float(v) * 24, counted)
            for k, v in settings["resolution_days"].items()
        },
    )


def targets(facts: Facts, rules: Rules, now: datetime) -> tuple[Target, Target]:
    """The response and resolution targets of a complaint at ``now``."""
    pauses: list[tuple[datetime, datetime | None]] = list(facts.spans)
    since = facts.waiting_since
    if since is not None:
        # Still waiting: the clocks stand still up to now.
        pauses.append((since, max(now, since)))
    waiting = since is not None
    received = facts.received_at
    return (
        _target(
            "response", received, rules.response, facts.responded_at,
            rules.clock, pauses, now, waiting,
        ),
        _target(
            "resolution", facts.reopened_at or received, rules.resolution[facts.severity],
            facts.resolved_at, rules.clock, pauses, now, waiting,
        ),
    )  # fmt: skip


def _target(
    name: str,
    start: datetime,
    counted: timedelta,
    done_at: datetime | None,
    clock: sla.Clock,
    pauses: list[tuple[datetime, datetime | None]],
    now: datetime,
    waiting: bool,
) -> Target:
    """One target from its start, its counted time and when it was done (if it was)."""
    due = sla.deadline_after(start, counted, clock, pauses)
    assert due is not None  # every pause is closed in ``targets``
    if done_at is not None:
        if done_at <= due:
            return Target(name, due, done_at, "met", None)
        return Target(name, due, done_at, "missed", done_at - due)
    if now > due:
        return Target(name, due, done_at, "breaching", now - due)
    return Target(name, due, done_at, "waiting" if waiting else "pending", None)


def unpublished_years(config: Config, moments: Iterable[datetime]) -> list[int]:
    """The years between the given moments whose statutory holidays are not published
    yet: working time counts only their weekends off (say so to the user)."""
    if config.get("sla.clock") != "working":
        return []
    years = {m.year for m in moments}
    if not years:
        return []
    return [y for y in range(min(years), max(years) + 1) if not sla.calendar_known(y)]


def waiting_spans(bind: Any, complaints: Any) -> dict[int, list[tuple[datetime, datetime]]]:
    """The closed waiting spans (waiting → resumed) of each complaint ``complaints`` (a
    query with their ``id``) selects, in one query: the ids stay in the database, however
    many complaints a period has."""
    s = schema.complaintstep.c
    chosen = complaints.subquery()
    rows = bind.execute(
        select(s.complaint_id, s.kind, s.at)
        .where(s.complaint_id.in_(select(chosen.c.id)), s.kind.in_(("waiting", "resumed")))
        .order_by(s.complaint_id, s.at, s.id)
    )
    spans: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    started: dict[int, datetime] = {}
    for cid, kind, at in rows:
        if kind == "waiting":
            started[cid] = at
        elif cid in started:
            spans[cid].append((started.pop(cid), at))
    return spans


# --- reading ------------------------------------------------------------------------------


@dataclass(slots=True)
class Listed:
    id: int
    customer_id: int
    code: str
    name: str
    owner: str | None
    severity: str
    status: str
    summary: str
    handler: str | None
    channel: str | None
    received_at: datetime
    waiting_since: datetime | None
    response: Target
    resolution: Target

    @property
    def breaching(self) -> bool:
        return "breaching" in (self.response.state, self.resolution.state)

    @property
    def late(self) -> timedelta:
        """How late its most late breaching target is (zero when none breaches)."""
        return max(
            (t.late for t in (self.response, self.resolution) if t.state == "breaching" and t.late),
            default=timedelta(0),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "code": self.code,
            "name": self.name,
            "owner": self.owner,
            "severity": self.severity,
            "status": self.status,
            "summary": self.summary,
            "handler": self.handler,
            "channel": self.channel,
            "received_at": self.received_at.isoformat(sep=" ", timespec="minutes"),
            "waiting": self.waiting_since is not None,
            "breaching": self.breaching,
            "response": self.response.as_dict(),
            "resolution": self.resolution.as_dict(),
        }


def list_complaints(
    bind: Any,
    config: Config,
    now: datetime,
    *,
    open_only: bool = False,
    breaching: bool = False,
    severity: str | None = None,
    owner: str | None = None,
    customer_id: int | None = None,
) -> list[Listed]:
    """Complaints newest first; breaching ones (only open ones can breach) most late first."""
    k, c = schema.complaint.c, schema.customer.c
    query = (
        select(
            k.id,
            k.customer_id,
            c.code,
            c.name,
            c.owner,
            k.severity,
            k.status,
            k.summary,
            k.handler,
            k.channel,
            k.received_at,
            k.responded_at,
            k.resolved_at,
            k.reopened_at,
            k.waiting_since,
        )
        .join(schema.customer, c.id == k.customer_id)
        .where(k.received_at <= now)
        .order_by(k.received_at.desc(), k.id.desc())
    )
    if open_only or breaching:
        query = query.where(k.status.in_(OPEN_STATUSES))
    if severity:
        query = query.where(k.severity == severity)
    if owner:
        query = query.where(k.handler == owner)
    if customer_id is not None:
        query = query.where(k.customer_id == customer_id)
    rows = bind.execute(query).all()
    spans = waiting_spans(bind, query)
    found = []
    applied = rules(config)
    for r in rows:
        response, resolution = targets(Facts.of(r, spans.get(r.id, ())), applied, now)
        item = Listed(
            r.id,
            r.customer_id,
            r.code,
            r.name,
            r.owner,
            r.severity,
            r.status,
            r.summary,
            r.handler,
            r.channel,
            r.received_at,
            r.waiting_since,
            response,
            resolution,
        )
        if not breaching or item.breaching:
            found.append(item)
    if breaching:
        found.sort(key=lambda item: -item.late)
    return found


def open_major(bind: Any, customer_ids: Iterable[int]) -> dict[int, list[int]]:
    """The open major complaints (重大投诉) of some customers: customer id → complaint ids.

    Every open major complaint is read (on the status index: they are few, each answered
    within days) and kept for the customers asked about; sending the ids of a whole
    overdue list back to the database cost more than the list itself on PostgreSQL."""
    wanted = set(customer_ids)
    found: dict[int, list[int]] = defaultdict(list)
    if not wanted:
        return found
    k = schema.complaint.c
    rows = bind.execute(
        select(k.customer_id, k.id)
        .where(k.status.in_(OPEN_STATUSES), k.severity == "major")
        .order_by(k.customer_id, k.id)
    )
    for cid, kid in rows:
        if cid in wanted:
            found[cid].append(kid)
    return found


# --- the lifecycle --------------------------------------------------------------------------

# Which status each step may be taken from, and the status it leaves.
STEPS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "responded": (("open",), "responded"),
    "waiting": (OPEN_STATUSES, None),
    "resumed": (OPEN_STATUSES, None),
    "resolved": (("responded",), "resolved"),
    "closed": (("resolved",), "closed"),
    "reopened": (("resolved", "closed"), None),
    "escalated": ((*OPEN_STATUSES, "resolved"), None),
}
REFUSED = {
    ("resolved", "open"): N_("complaint #{id} has had no response yet: respond first"),
    ("closed", "open"): N_("complaint #{id} is not resolved yet: resolve it first"),
    ("closed", "responded"): N_("complaint #{id} is not resolved yet: resolve it first"),
}
# Any other step refused where the complaint stands ({status}: its label in Chinese).
REFUSED_STEP = {
    "responded": N_("complaint #{id} is {status}: it cannot be responded now"),
    "waiting": N_("complaint #{id} is {status}: it cannot be waiting now"),
    "resumed": N_("complaint #{id} is {status}: it cannot be resumed now"),
    "resolved": N_("complaint #{id} is {status}: it cannot be resolved now"),
    "closed": N_("complaint #{id} is {status}: it cannot be closed now"),
    "reopened": N_("complaint #{id} is {status}: it cannot be reopened now"),
    "escalated": N_("complaint #{id} is {status}: it cannot be escalated now"),
}


def get_complaint(session: Any, ref: str) -> Any:
    from crmcli.models import Complaint

    text = ref.strip().lstrip("#")
    if not looks_like_id(text):
        raise InvalidInput(_("complaint id must be a number, not {ref!r}").format(ref=ref))
    number = record_id(text)
    found = session.get(Complaint, number) if number is not None else None
    if found is None:
        raise NotFound(_("no complaint #{text}").format(text=text))
    return found


def _step_time(complaint: Any, at: datetime, actor: Actor, last: datetime | None) -> None:
    if at < complaint.received_at:
        raise InvalidInput(
            _(
                "{at:%Y-%m-%d %H:%M} is before complaint #{id} was received ({received_at:%Y-%m-%d %H:%M})"
            ).format(at=at, id=complaint.id, received_at=complaint.received_at)
        )
    if last is not None and at < last:
        raise InvalidInput(
            _(
                "{at:%Y-%m-%d %H:%M} is before the last step of complaint #{id} ({last:%Y-%m-%d %H:%M})"
            ).format(at=at, id=complaint.id, last=last)
        )
    _not_future(at, actor)


def _not_future(at: datetime, actor: Actor) -> None:
    """A step cannot be after the day the command reckons from, nor after the clock."""
    from crmcli.dates import now_in

    if at.date() > actor.today or at > now_in(actor.config.timezone):
        raise InvalidInput(_("{at:%Y-%m-%d %H:%M} is in the future").format(at=at))


def _last_step(session: Any, complaint_id: int) -> datetime | None:
    s = schema.complaintstep.c
    return session.execute(
        select(s.at)
        .where(s.complaint_id == complaint_id)
        .order_by(s.at.desc(), s.id.desc())
        .limit(1)
    ).scalar()


def _add_step(
    session: Any,
    actor: Actor,
    complaint: Any,
    kind: str,
    at: datetime,
    note: str | None,
    severity: str | None = None,
) -> None:
    from crmcli.models import ComplaintStep

    session.add(
        ComplaintStep(
            complaint_id=complaint.id, at=at, kind=kind, note=note, severity=severity, by=actor.user
        )
    )


def open_complaint(
    session: Any,
    actor: Actor,
    customer: Any,
    *,
    severity: str,
    summary: str,
    at: datetime,
    handler: str | None,
    channel: str | None,
) -> Any:
    from crmcli.models import Complaint

    summary = summary.strip()
    if not summary:
        raise InvalidInput(_("a complaint needs a --summary of what the customer complains about"))
    _not_future(at, actor)
    from crmcli.services.timeline import check_not_before_added

    check_not_before_added(customer, at, N_("complaint --at"))
    complaint = Complaint(
        customer_id=customer.id,
        received_at=at,
        severity=severity,
        summary=summary,
        channel=channel,
        # Whose it is: the one handling it, else the customer's owner.
        handler=(handler or "").strip() or customer.owner,
        status="open",
        opened_by=actor.user,
    )
    session.add(complaint)
    session.flush()
    _add_step(session, actor, complaint, "opened", at, summary, severity)
    history.record(
        session, actor, [history.complaint_opened(customer.id, complaint.id, severity, summary)]
    )
    return complaint


def step(
    session: Any,
    actor: Actor,
    complaint: Any,
    kind: str,
    *,
    at: datetime,
    note: str | None = None,
    severity: str | None = None,
    satisfied: bool | None = None,
) -> list[str]:
    """Take one step of a complaint's lifecycle; returns what it did, for the user."""
    allowed, leaves = STEPS[kind]
    status = complaint.status
    if status == "closed" and kind != "reopened":
        raise InvalidInput(
            _("complaint #{id} is closed: only reopen takes it further").format(id=complaint.id)
        )
    if status not in allowed:
        reason = REFUSED.get((kind, status)) or REFUSED_STEP[kind]
        raise InvalidInput(
            _(reason).format(id=complaint.id, status=label(enums.COMPLAINT_STATUS, status))
        )
    note = (note or "").strip() or None
    if kind in ("closed",) and not note:
        raise InvalidInput(
            _("closing needs --feedback: what the customer was told of the result (反馈处理结果)")
        )
    if kind in ("resolved",) and not note:
        raise InvalidInput(_("resolving needs --resolution: what was done"))
    if kind in ("waiting", "reopened", "escalated") and not note:
        raise InvalidInput(_("{kind} needs --reason").format(kind=_verb(kind)))
    _step_time(complaint, at, actor, _last_step(session, complaint.id))
    done: list[str] = []
    changes: list[history.Change] = []
    field = f"complaint.{complaint.id}"
    if kind == "waiting":
        if complaint.waiting_since is not None:
            raise InvalidInput(
                _(
                    "complaint #{id} already waits on the customer since {waiting_since:%Y-%m-%d %H:%M}"
                ).format(id=complaint.id, waiting_since=complaint.waiting_since)
            )
        complaint.waiting_since = at
        changes.append(history.Change(complaint.customer_id, f"{field}.waiting", None, at, note))
    elif kind == "resumed":
        if complaint.waiting_since is None:
            raise InvalidInput(
                _("complaint #{id} is not waiting on the customer").format(id=complaint.id)
            )
        changes.append(
            history.Change(complaint.customer_id, f"{field}.waiting", complaint.waiting_since, None)
        )
        complaint.waiting_since = None
    else:
        if complaint.waiting_since is not None:
            # The customer answered: the wait ends when the next step is taken.
            _add_step(session, actor, complaint, "resumed", at, None)
            changes.append(
                history.Change(
                    complaint.customer_id, f"{field}.waiting", complaint.waiting_since, None
                )
            )
            complaint.waiting_since = None
            done.append("no longer waiting on the customer")
        if kind == "escalated":
            if severity == complaint.severity:
                raise InvalidInput(
                    _("complaint #{id} is already {severity}").format(
                        id=complaint.id, severity=severity
                    )
                )
            changes.append(
                history.Change(
                    complaint.customer_id, f"{field}.severity", complaint.severity, severity, note
                )
            )
            complaint.severity = severity
        elif kind == "reopened":
            complaint.resolved_at = complaint.closed_at = None
            complaint.feedback = complaint.satisfied = None
            complaint.reopened_at = at
            leaves = "responded" if complaint.responded_at else "open"
        elif kind == "responded":
            complaint.responded_at = at
        elif kind == "resolved":
            complaint.resolved_at = at
            complaint.resolution = note
        elif kind == "closed":
            complaint.closed_at = at
            complaint.feedback = note
            complaint.satisfied = satisfied
    if leaves is not None and leaves != status:
        changes.append(
            history.Change(complaint.customer_id, f"{field}.status", status, leaves, note)
        )
        complaint.status = leaves
    _add_step(session, actor, complaint, kind, at, note, severity)
    session.add(complaint)
    session.flush()
    history.record(session, actor, changes)
    return done


def _verb(kind: str) -> str:
    return {"waiting": "waiting", "reopened": "reopening", "escalated": "re-grading"}[kind]


def timeline(session: Any, complaint: Any, config: Config, now: datetime) -> list[dict[str, Any]]:
    """Every step, with the SLA state of both targets as it stood at that step."""
    s = schema.complaintstep.c
    steps = session.execute(
        select(s.at, s.kind, s.note, s.severity, s.by)
        .where(s.complaint_id == complaint.id)
        .order_by(s.at, s.id)
    ).all()
    rows = []
    state = _Replay(complaint.received_at)
    applied = rules(config)
    for st in steps:
        state.apply(st)
        response, resolution = targets(state.facts(), applied, st.at)
        rows.append(
            {
                "at": st.at.isoformat(sep=" ", timespec="minutes"),
                "step": st.kind,
                "by": st.by,
                "note": st.note,
                "severity": state.severity,
                "response": response.state,
                "resolution": resolution.state,
            }
        )
    return rows


class _Replay:
    """The facts of a complaint as they stood after each of its steps."""

    def __init__(self, received_at: datetime) -> None:
        self.received_at = received_at
        self.severity = "general"
        self.responded_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.reopened_at: datetime | None = None
        self.waiting_since: datetime | None = None
        self.spans: list[tuple[datetime, datetime]] = []

    def apply(self, st: Any) -> None:
        if st.severity:
            self.severity = st.severity
        if st.kind == "responded":
            self.responded_at = st.at
        elif st.kind == "resolved":
            self.resolved_at = st.at
        elif st.kind == "reopened":
            self.resolved_at, self.reopened_at = None, st.at
        elif st.kind == "waiting":
            self.waiting_since = st.at
        elif st.kind == "resumed" and self.waiting_since is not None:
            self.spans.append((self.waiting_since, st.at))
            self.waiting_since = None

    def facts(self) -> Facts:
        return Facts.of(self, self.spans)
