"""crm import list and crm import undo: the batches, and taking one back (SPEC §4).

Undo removes what a batch added and puts back what it updated, set-based, on either
engine; it refuses while a later batch changed or added rows under what it imported,
and (unless forced) while rows were recorded by hand under them or values it updated
were changed by hand since.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    bindparam,
    delete,
    func,
    select,
    union,
    update,
)

from crmcli import history, phrases, schema
from crmcli.errors import InvalidInput, NotFound
from crmcli.i18n import _
from crmcli.io import tables as io_tables
from crmcli.services.context import Actor
from crmcli.services.imports import dues
from crmcli.services.imports.common import CHUNK, chunks
from crmcli.services.imports.writing import ADDED_FACTS, items
from crmcli.text.bounds import looks_like_id, record_id


def list_batches(session: Any) -> list[Any]:
    from crmcli.models import ImportBatch

    return list(session.scalars(select(ImportBatch).order_by(ImportBatch.id)).all())


@dataclass
class UndoResult:
    batch_id: int
    kind: str
    source: str
    removed: dict[str, int]
    restored: dict[str, int]
    blocked_by: list[int] = field(default_factory=list)
    dependents: dict[str, int] = field(default_factory=dict)
    # Values it would restore that were changed since by hand ("C0001 industry").
    edited: list[str] = field(default_factory=list)


_NOUNS = {
    "customer": ("customer", "customers"),
    "contact": ("contact", "contacts"),
    "followup": ("follow-up", "follow-ups"),
    "plan": ("plan", "plans"),
    "sale": ("sale", "sales"),
    "complaint": ("complaint", "complaints"),
    "complaintstep": ("complaint step", "complaint steps"),
    "project": ("project", "projects"),
    "projectstage": ("project stage", "project stages"),
    "survey": ("survey", "surveys"),
    "greeting": ("greeting", "greetings"),
    "campaignnotice": ("campaign notice", "campaign notices"),
}


def describe_counts(counts: dict[str, int]) -> str:
    parts = []
    for table_name, n in counts.items():
        if n:
            one, many = _NOUNS.get(table_name, (table_name, table_name))
            parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts)


def get_batch(session: Any, ref: str) -> Any:
    from crmcli.models import ImportBatch

    text = ref.strip().lstrip("#")
    if not looks_like_id(text):
        raise InvalidInput(_("import batch must be a number, not {ref!r}").format(ref=ref))
    number = record_id(text)
    batch = session.get(ImportBatch, number) if number is not None else None
    if batch is None:
        raise NotFound(_("no import batch #{text}").format(text=text))
    return batch


def _referencing(table_name: str) -> list[tuple[Any, Any]]:
    """(table, column) pairs with a foreign key to ``table_name``.id, besides history."""
    found = []
    for table in schema.metadata.sorted_tables:
        if table.name in ("history", "importitem"):
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == table_name and fk.column.name == "id":
                found.append((table, fk.parent))
    return found


def _owners(session: Any, table_name: str, ids: list[int]) -> dict[int, int]:
    """The customer of each row of a table (history is kept per customer)."""
    if table_name == "customer":
        return {i: i for i in ids}
    t = schema.metadata.tables[table_name]
    found: dict[int, int] = {}
    for chunk in chunks(ids):
        found.update(
            (row.id, row.customer_id)
            for row in session.execute(select(t.c.id, t.c.customer_id).where(t.c.id.in_(chunk)))
        )
    return found


def _edited_since(session: Any, batch: Any, restored: list[Any]) -> list[str]:
    """The fields a batch updated that something else changed afterwards, as
    "CODE field": restoring them would silently undo that later change."""
    if not restored:
        return []
    h, c = schema.history.c, schema.customer.c
    changes = session.execute(
        select(h.customer_id, h.field, c.code)
        .join_from(schema.history, schema.customer, c.id == h.customer_id)
        .where(
            h.at >= batch.at,
            (h.reason.is_(None)) | (~h.reason.like(f"import #{batch.id} from %")),
        )
        .order_by(h.id)
    ).all()
    changed = {(row.customer_id, row.field): row.code for row in changes}
    if not changed:
        return []
    owners: dict[tuple[str, int], int] = {}
    for table_name in sorted({item.table_name for item in restored}):
        ids = [item.row_id for item in restored if item.table_name == table_name]
        owners.update(((table_name, i), o) for i, o in _owners(session, table_name, ids).items())
    edited: set[str] = set()
    for item in restored:
        owner = owners.get((item.table_name, item.row_id))
        prefix = "" if item.table_name == "customer" else f"{item.table_name}.{item.row_id}."
        for column in json.loads(item.before or "{}"):
            code = changed.get((owner, prefix + column))
            if code is not None:
                edited.add(f"{code} {prefix}{column}")
    return sorted(edited)


def _restored_value(column: Any, value: Any) -> Any:
    """A value of an import item's ``before`` as its column takes it (days and times
    were kept in ISO; older batches kept SQLite's stored text and 0/1 flags)."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if isinstance(kind, Date):
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if isinstance(kind, Boolean):
        return bool(value)
    if isinstance(kind, Integer):
        return int(value)
    return value


def _blocked_by(session: Any, batch_id: int) -> set[int]:
    """Later batches, not undone, that changed the rows this one wrote or added rows
    under the rows it added."""
    i, b = schema.importitem, schema.importbatch
    later = i.alias("later")
    live = select(b.c.id).where(b.c.undone_at.is_(None))
    found = set(
        session.scalars(
            select(later.c.batch_id)
            .distinct()
            .join_from(
                i,
                later,
                (later.c.table_name == i.c.table_name)
                & (later.c.row_id == i.c.row_id)
                & (later.c.batch_id > i.c.batch_id),
            )
            .where(i.c.batch_id == batch_id, later.c.batch_id.in_(live))
        )
    )
    return found


def _dependents(
    session: Any, batch_id: int, tables_added: list[str], later: set[int]
) -> dict[str, int]:
    """Rows under what the batch added: of later batches (added to ``later``), or
    recorded by hand (counted by table)."""
    i, b = schema.importitem, schema.importbatch
    live = select(b.c.id).where(b.c.undone_at.is_(None))
    found: dict[str, int] = {}
    for table_name in tables_added:
        for table, column in _referencing(table_name):
            theirs = i.alias("theirs")
            rows = session.execute(
                select(theirs.c.batch_id, func.count())
                .select_from(
                    table.outerjoin(
                        theirs,
                        (theirs.c.table_name == table.name)
                        & (theirs.c.row_id == table.c.id)
                        & (theirs.c.action == "added")
                        & theirs.c.batch_id.in_(live),
                    )
                )
                .where(
                    column.in_(items(batch_id, table_name)),
                    table.c.id.not_in(items(batch_id, table.name)),
                )
                .group_by(theirs.c.batch_id)
            ).all()
            for other, n in rows:
                if other is not None:
                    later.add(other)
                else:
                    found[table.name] = found.get(table.name, 0) + n
    return found


def undo_batch(
    session: Any, actor: Actor, batch: Any, *, force: bool = False, dry_run: bool = False
) -> UndoResult:
    """Remove what a batch added, restore what it updated; refuse what would break later work."""
    if batch.undone_at is not None:
        raise InvalidInput(
            _(
                "import #{id} was already undone on {undone_at:%Y-%m-%d %H:%M} (UTC) by {undone_by}"
            ).format(id=batch.id, undone_at=batch.undone_at, undone_by=batch.undone_by)
        )
    i = schema.importitem.c
    result = UndoResult(batch.id, batch.kind, batch.source, {}, {})
    tables_added = list(
        session.scalars(
            select(i.table_name)
            .distinct()
            .where(i.batch_id == batch.id, i.action == "added")
            .order_by(i.table_name)
        )
    )
    later = _blocked_by(session, batch.id)
    result.dependents = _dependents(session, batch.id, tables_added, later)
    result.blocked_by = sorted(later)
    if result.blocked_by or (result.dependents and not force):
        return result
    f, p = schema.followup.c, schema.plan.c
    touched = list(
        session.scalars(
            union(
                select(f.customer_id).where(f.id.in_(items(batch.id, "followup"))),
                select(p.customer_id).where(p.id.in_(items(batch.id, "plan"))),
                items(batch.id, "customer", "updated"),
            )
        )
    )
    restored = session.execute(
        select(i.id, i.table_name, i.row_id, i.before)
        .where(i.batch_id == batch.id, i.action == "updated")
        .order_by(i.id.desc())
    ).all()
    for item in restored:
        result.restored[item.table_name] = result.restored.get(item.table_name, 0) + 1
    result.edited = _edited_since(session, batch, restored)
    described = {t.table for t in io_tables.TABLES.values()}
    for table_name in tables_added:
        if table_name not in described:
            continue  # the details of a record (a complaint's steps) go unmentioned
        result.removed[table_name] = session.scalar(
            select(func.count()).select_from(items(batch.id, table_name).subquery())
        )
    if dry_run:
        return result
    why = phrases.IMPORT_UNDONE(id=batch.id, file=os.path.basename(batch.source))
    _restore(session, actor, restored, why)
    # A customer last: its rows go with it, and with them the dependents (--force).
    for table_name in sorted(tables_added, key=lambda t: t == "customer"):
        table = schema.metadata.tables[table_name]
        _removed_history(session, actor, batch.id, table, why)
        session.execute(delete(table).where(table.c.id.in_(items(batch.id, table_name))))
    batch.undone_at = schema.utcnow()
    batch.undone_by = actor.user
    session.add(batch)
    summary = (
        f"{why}: removed {describe_counts(result.removed) or 'nothing'}, "
        f"restored {describe_counts(result.restored) or 'nothing'}"
    )
    history.record(session, actor, [history.import_undone(batch.id, summary)])
    session.flush()
    c = schema.customer.c
    remaining = [
        n for chunk in chunks(touched) for n in session.scalars(select(c.id).where(c.id.in_(chunk)))
    ]
    dues.settle(session, actor.config, moved=remaining)
    return result


def _removed_history(session: Any, actor: Actor, batch_id: int, table: Any, why: str) -> None:
    """Each record taken away under a customer leaves a line in its history: the line
    it left when added, as the old text (a customer the batch added goes with its own)."""
    kind = next((t.name for t in io_tables.TABLES.values() if t.table == table.name), None)
    fact = ADDED_FACTS.get(kind or "")
    if fact is None:
        return
    query = select(table).where(table.c.id.in_(items(batch_id, table.name))).order_by(table.c.id)
    last = 0
    while True:
        rows = session.execute(query.where(table.c.id > last).limit(CHUNK)).all()
        if not rows:
            return
        added = [fact(row, why) for row in rows]
        history.record(
            session,
            actor,
            [history.Change(a.customer_id, a.field, a.new, None, why) for a in added],
        )
        last = rows[-1].id


def _restore(session: Any, actor: Actor, restored: list[Any], why: str) -> None:
    """Put back the values an update batch replaced: the rows of each table read and
    written a chunk at a time, a statement per set of columns."""
    by_table: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for item in restored:  # latest first: an earlier value of one row wins
        before = json.loads(item.before or "{}")
        if before:
            by_table.setdefault(item.table_name, []).append((item.row_id, before))
    for table_name, entries in by_table.items():
        t = schema.metadata.tables[table_name]
        for chunk in chunks(entries, CHUNK):
            ids = sorted({row_id for row_id, _ in chunk})
            names = sorted({c for _, before in chunk for c in before})
            owner = t.c.id if table_name == "customer" else t.c.customer_id
            current = {
                row.id: row
                for row in session.execute(
                    select(t.c.id, owner.label("owner_id"), *(t.c[c] for c in names)).where(
                        t.c.id.in_(ids)
                    )
                )
            }
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            changes: list[history.Change] = []
            for row_id, before in chunk:
                now = current.get(row_id)
                if now is None:
                    continue
                values = {c: _restored_value(t.c[c], v) for c, v in before.items()}
                groups.setdefault(tuple(values), []).append(
                    {"tid": row_id, **{"v_" + c: v for c, v in values.items()}}
                )
                prefix = "" if table_name == "customer" else f"{table_name}.{row_id}."
                changes.extend(
                    history.Change(now.owner_id, prefix + c, now._mapping[c], v, why)
                    for c, v in values.items()
                )
            for columns, rows in groups.items():
                session.execute(
                    update(t)
                    .where(t.c.id == bindparam("tid"))
                    .values({c: bindparam("v_" + c, type_=t.c[c].type) for c in columns}),
                    rows,
                )
            history.record(session, actor, changes)
