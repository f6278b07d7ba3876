"""The one writer of history rows (变动历史, seed 000 第七条 可追溯性).

Every change to a customer, and every record added to or removed from it, goes through
``record`` (rows built in Python) or ``record_select`` (rows chosen by a query, for the
set-based writers: reclassify, imports). Both fill the same columns the same way: the
UTC time, the business day (the command's ``--as-of`` day), the user and the command.
The texts of the facts that more than one command records (a customer created, a
contact, plan or sale added) are made here once, so ``sale add`` and an import of the
same sale leave the same line.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import phrases, schema
from crmcli.text import amount, money

if TYPE_CHECKING:
    from sqlalchemy.sql import Select

    from crmcli.services.context import Actor

# Stored for lookups only (indexes), never shown as a change of their own.
DERIVED = frozenset({"name_key", "sort_key", "search_key", "birth_md"})


class Change(NamedTuple):
    """One changed field of one customer (or of one of its records, ``contact.7.phone``)."""

    customer_id: int | None
    field: str
    old: Any
    new: Any
    reason: str | None = None


def shown(value: Any) -> str | None:
    """The text a value is kept as in history: dates in ISO, times to the second."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _bind(bind: Any) -> Any:
    """A Core connection for an ORM session or a connection."""
    return bind if hasattr(bind, "exec_driver_sql") else bind.connection()


def record(bind: Any, actor: Actor, changes: Iterable[Change]) -> int:
    """Write one history row per change; returns how many were written."""
    at = schema.utcnow()
    rows = [
        {
            "customer_id": c.customer_id,
            "at": at,
            "on": actor.today,
            "user": actor.user,
            "field": c.field,
            "old": shown(c.old),
            "new": shown(c.new),
            "command": actor.command,
            "reason": c.reason,
        }
        for c in changes
        if c.field.rsplit(".", 1)[-1] not in DERIVED
    ]
    if rows:
        _bind(bind).execute(schema.history.insert(), rows)
    return len(rows)


def record_select(bind: Any, actor: Actor, query: Select[Any]) -> None:
    """Write the history rows a query selects, as columns named ``customer_id``,
    ``field``, ``old``, ``new`` and ``reason`` (texts already), in one statement."""
    from sqlalchemy import insert, literal, select

    h = schema.history.c
    q = query.subquery()
    conn = _bind(bind)
    conn.execute(
        insert(schema.history).from_select(
            ["customer_id", "at", "on", "user", "field", "old", "new", "command", "reason"],
            select(
                q.c.customer_id,
                literal(schema.utcnow(), h.at.type),
                literal(actor.today, h.on.type),
                literal(actor.user, h.user.type),
                q.c.field,
                q.c.old,
                q.c.new,
                literal(actor.command, h.command.type),
                q.c.reason,
            )
            # Ids in customer order on every engine, so listings by id agree.
            .order_by(q.c.customer_id, q.c.field),
        )
    )


def record_each(bind: Any, actor: Actor, fact: Change, customer_ids: Select[Any]) -> None:
    """Write the same fact for every customer a query of ids selects, in one statement:
    its field, texts and reason, with each selected id as its customer (an import's
    customers created, each with the line ``customer add`` leaves)."""
    from sqlalchemy import String, literal, select

    ids = customer_ids.subquery()
    record_select(
        bind,
        actor,
        select(
            ids.c[0].label("customer_id"),
            literal(fact.field, String).label("field"),
            literal(shown(fact.old), String).label("old"),
            literal(shown(fact.new), String).label("new"),
            literal(fact.reason, String).label("reason"),
        ),
    )


# The texts of facts recorded by more than one command.


def customer_created(customer_id: int | None, reason: str | None = None) -> Change:
    return Change(customer_id, "customer", None, phrases.CREATED(), reason)


def contact_added(customer_id: int, name: str, reason: str | None = None) -> Change:
    return Change(customer_id, "contact", None, phrases.CONTACT_ADDED(name=name), reason)


def plan_added(customer_id: int, plan_id: int, due_on: date, reason: str | None = None) -> Change:
    return Change(customer_id, "plan", None, phrases.PLAN_ADDED(id=plan_id, due=due_on), reason)


def sale_added(
    customer_id: int,
    sale_id: int,
    amount_micros: int,
    sold_on: date,
    reason: str | None = None,
    *,
    currency: str = "CNY",
) -> Change:
    kind = "refund" if amount_micros < 0 else "sale"
    return Change(
        customer_id,
        kind,
        None,
        phrases.SALE_ADDED(id=sale_id, amount=amount(amount_micros, currency), on=sold_on),
        reason,
    )


def complaint_opened(
    customer_id: int, complaint_id: int, severity: str, summary: str, reason: str | None = None
) -> Change:
    text = phrases.COMPLAINT_OPENED(severity=severity, summary=summary)
    return Change(customer_id, f"complaint.{complaint_id}", None, text, reason)


def survey_added(
    customer_id: int, survey_id: int, on: date, method: str, reason: str | None = None
) -> Change:
    text = phrases.SURVEY_ADDED(id=survey_id, method=method, on=on)
    return Change(customer_id, "survey", None, text, reason)


def project_added(
    customer_id: int,
    project_id: int,
    name: str,
    amount_cents: int | None,
    reason: str | None = None,
) -> Change:
    text = (
        phrases.PROJECT_ADDED(name=name)
        if amount_cents is None
        else phrases.PROJECT_WITH_AMOUNT(name=name, amount=money(amount_cents))
    )
    return Change(customer_id, f"project.{project_id}", None, text, reason)


def project_stage(
    customer_id: int, project_id: int, old: str, new: str, reason: str | None = None
) -> Change:
    return Change(customer_id, f"project.{project_id}.stage", old, new, reason)


def project_approved(customer_id: int, project_id: int, by: str) -> Change:
    return Change(
        customer_id, f"project.{project_id}.approval", None, phrases.PROJECT_APPROVED(by=by)
    )


def project_doc_added(
    customer_id: int, project_id: int, kind: str, name: str, sha256: str
) -> Change:
    return Change(
        customer_id,
        f"project.{project_id}.doc",
        None,
        phrases.PROJECT_DOC(kind=kind, name=name, sha256=sha256[:12]),
    )


def import_undone(batch_id: int, reason: str) -> Change:
    """An import batch taken back (``crm import undo``): a line of no one customer."""
    return Change(None, "import", f"#{batch_id}", phrases.UNDONE(), reason)
