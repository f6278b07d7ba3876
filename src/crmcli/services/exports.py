"""The rows ``crm export`` writes: each table as its description names the fields, with the
filters of the matching list command, streamed from the database in a stable order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmcli import schema
from crmcli.errors import InvalidInput
from crmcli.i18n import _
from crmcli.services.customer_list import matching

STREAM_ROWS = 1000


@dataclass
class ExportFilter:
    customer_id: int | None = None
    owner: str | None = None
    tier: str | None = None
    stage: str | None = None
    search: str | None = None
    status: str | None = None  # plans; None: every status
    start: date | None = None
    end: date | None = None


def _customers(f: ExportFilter) -> Any:
    c = schema.customer.c
    query = select(schema.customer)
    if f.customer_id is not None:
        query = query.where(c.id == f.customer_id)
    if f.tier:
        query = query.where(c.tier == f.tier)
    if f.stage:
        query = query.where(c.stage == f.stage)
    if f.owner:
        query = query.where(c.owner == f.owner)
    if f.search:
        query = query.where(matching(c, f.search))
    return query.order_by(c.sort_key, c.id)


def _with_customer(table: Any, f: ExportFilter, *extra: Any) -> Any:
    c = schema.customer.c
    query = (
        select(table, c.code.label("customer_code"), c.name.label("customer_name"), *extra)
        .select_from(table)
        .join(schema.customer, table.c.customer_id == c.id)
    )
    if f.customer_id is not None:
        query = query.where(table.c.customer_id == f.customer_id)
    return query


def _day_range(column: Any, f: ExportFilter, *, moment: bool) -> list[Any]:
    conditions = []
    if f.start is not None:
        conditions.append(column >= (datetime.combine(f.start, time()) if moment else f.start))
    if f.end is not None:
        end = f.end + timedelta(days=1)
        conditions.append(column < (datetime.combine(end, time()) if moment else end))
    return conditions


def _query(table_name: str, f: ExportFilter) -> Any:
    cu = schema.customer.c
    if f.start and f.end and f.start > f.end:
        raise InvalidInput(_("--from {start} is after --to {end}").format(start=f.start, end=f.end))
    if table_name == "customers":
        return _customers(f)
    if table_name == "contacts":
        t = schema.contact
        query = _with_customer(t, f)
        if f.owner:
            query = query.where(cu.owner == f.owner)
        return query.order_by(cu.sort_key, t.c.id)
    if table_name == "followups":
        t = schema.followup
        k = schema.contact
        query = _with_customer(t, f, k.c.name.label("contact_name")).outerjoin(
            k, t.c.contact_id == k.c.id
        )
        if f.owner:
            query = query.where(t.c.owner == f.owner)
        query = query.where(*_day_range(t.c.at, f, moment=True))
        return query.order_by(t.c.at, t.c.id)
    if table_name == "plans":
        t = schema.plan
        query = _with_customer(t, f)
        if f.owner:
            query = query.where(t.c.owner == f.owner)
        if f.status:
            query = query.where(t.c.status == f.status)
        query = query.where(*_day_range(t.c.due_on, f, moment=False))
        return query.order_by(t.c.due_on, t.c.due_time, t.c.id)
    if table_name == "sales":
        t = schema.sale
        query = _with_customer(t, f)
        if f.owner:
            query = query.where(cu.owner == f.owner)
        query = query.where(*_day_range(t.c.sold_on, f, moment=False))
        return query.order_by(t.c.sold_on, t.c.id)
    if table_name == "complaints":
        t = schema.complaint
        query = _with_customer(t, f)
        if f.owner:
            query = query.where(t.c.handler == f.owner)
        if f.status:
            query = query.where(t.c.status == f.status)
        query = query.where(*_day_range(t.c.received_at, f, moment=True))
        return query.order_by(t.c.received_at, t.c.id)
    if table_name == "surveys":
        t = schema.survey
        k = schema.contact
        query = _with_customer(t, f, k.c.name.label("contact_name")).outerjoin(
            k, t.c.contact_id == k.c.id
        )
        if f.owner:
            query = query.where(cu.owner == f.owner)
        query = query.where(*_day_range(t.c.on, f, moment=False))
        return query.order_by(t.c.on, t.c.id)
    if table_name == "projects":
        t = schema.project
        query = _with_customer(t, f)
        if f.owner:
            query = query.where(t.c.owner == f.owner)
        if f.stage:
            query = query.where(t.c.stage == f.stage)
        query = query.where(*_day_range(t.c.added_on, f, moment=False))
        return query.order_by(t.c.added_on, t.c.id)
    raise InvalidInput(_("{table_name} cannot be exported").format(table_name=table_name))


def export_rows(session: Session, table_name: str, f: ExportFilter) -> Iterator[Mapping[str, Any]]:
    """Rows as mappings, fetched a thousand at a time."""
    result = session.execute(_query(table_name, f), execution_options={"yield_per": STREAM_ROWS})
    keys = list(result.keys())
    for row in result:
        yield dict(zip(keys, row, strict=True))  # a dict's get is C; a RowMapping's is not


def count_rows(session: Session, table_name: str, f: ExportFilter) -> int:
    query = _query(table_name, f).order_by(None)
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


# --- the calendar: open plans and the day each customer is next due ------------------------

# The cadence's due days (plans are entries of their own), most pressing rule first.
DUE_KINDS = (
    ("callback_due_on", "call back"),
    ("visit_due_on", "visit"),
    ("contact_due_on", "contact"),
)


@dataclass
class CalendarEntry:
    uid: str
    summary: str
    day: date
    clock: str | None  # "14:30", or None for an all-day entry
    description: str
    phone: str | None
    owner: str | None
    # An open plan is CONFIRMED; a due day, which the next contact moves, TENTATIVE.
    status: str = "CONFIRMED"
    # The record's last change (UTC), and its revision: a calendar that imports the file
    # again replaces an entry of the same UID when its SEQUENCE is higher (RFC 5545 3.8.7.4).
    modified: datetime | None = None
    sequence: int = 0


def revision(created: datetime | None, modified: datetime | None) -> int:
    """SEQUENCE of a record: the seconds from its creation to its last change. The same
    record exported twice has the same one; every change makes it larger."""
    if created is None or modified is None:
        return 0
    return max(0, int((modified - created).total_seconds()))


def calendar_entries(session: Session, f: ExportFilter) -> list[CalendarEntry]:
    """Open plans (at their time, if they have one) and, as all-day entries, each customer's
    next due day from the cadence (SPEC §4: plans and due visits for a calendar app).
    Junk and lost customers have no due day and no entry. The filters of the csv export
    apply to both: one customer, one salesperson, the days from ``start`` to ``end``;
    ``status`` can only be open (or none): the calendar holds nothing else."""
    if f.start and f.end and f.start > f.end:
        raise InvalidInput(_("--from {start} is after --to {end}").format(start=f.start, end=f.end))
    entries: list[CalendarEntry] = []
    t = schema.plan
    cu = schema.customer.c
    plans = select(
        t.c.id,
        t.c.due_on,
        t.c.due_time,
        t.c.channel,
        t.c.content,
        t.c.owner,
        t.c.created_at,
        t.c.updated_at,
        cu.code,
        cu.name,
        cu.phone,
    ).join(schema.customer, t.c.customer_id == cu.id)
    plans = plans.where(t.c.status == "open", *_day_range(t.c.due_on, f, moment=False))
    if f.owner:
        plans = plans.where(t.c.owner == f.owner)
    if f.customer_id is not None:
        plans = plans.where(t.c.customer_id == f.customer_id)
    for row in session.execute(plans.order_by(t.c.due_on, t.c.due_time, t.c.id)):
        entries.append(
            CalendarEntry(
                uid=f"plan-{row.id}@crmcli",
                summary=f"{row.channel}: {row.name} ({row.code}) — {row.content}",
                day=row.due_on,
                clock=row.due_time,
                description=f"plan #{row.id} for {row.code} {row.name}: {row.content}",
                phone=row.phone,
                owner=row.owner,
                modified=row.updated_at,
                sequence=revision(row.created_at, row.updated_at),
            )
        )
    due = select(
        cu.id,
        cu.code,
        cu.name,
        cu.phone,
        cu.owner,
        cu.tier,
        cu.next_due_at,
        cu.created_at,
        cu.updated_at,
        *(getattr(cu, column) for column, _ in DUE_KINDS),
    ).where(cu.next_due_at.is_not(None))
    if f.owner:
        due = due.where(cu.owner == f.owner)
    if f.customer_id is not None:
        due = due.where(cu.id == f.customer_id)
    for row in session.execute(due.order_by(cu.next_due_at, cu.sort_key, cu.id)):
        dues = [(getattr(row, column), label) for column, label in DUE_KINDS]
        dues = [(day, label) for day, label in dues if day is not None]
        if not dues:
            continue
        day = min(d for d, _ in dues)
        if (f.start is not None and day < f.start) or (f.end is not None and day > f.end):
            continue
        kind = next(label for d, label in dues if d == day)
        entries.append(
            CalendarEntry(
                # One entry per customer, whatever its day: an export after the next
                # contact moves the entry instead of adding another.
                uid=f"due-{row.id}@crmcli",
                summary=f"{kind} due: {row.name} ({row.code})",
                day=day,
                clock=None,
                description=f"{row.code} {row.name} ({row.tier}) is due for {kind} on {day}",
                phone=row.phone,
                owner=row.owner,
                status="TENTATIVE",
                modified=row.updated_at,
                sequence=revision(row.created_at, row.updated_at),
            )
        )
    return entries
