"""Phase 2, writing: the batch, the rows added and updated, what each left in history,
and the due days of the customers touched, in the import's one transaction.

Into an SQLite database the added rows go in one INSERT … SELECT from the attached
staging file. Into a server, the same SELECT runs on the local file (staged rows and the
mirrored customers their owners come from) and its rows go to the server a chunk at a
time: the chunk's ids drawn from the table's sequence in one statement, then the rows
and their import items each one executemany. Updates are executemany'd, a statement
per set of changed columns and chunk, whichever the database.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    Column,
    MetaData,
    String,
    Table,
    bindparam,
    exists,
    func,
    insert,
    literal,
    select,
    type_coerce,
    update,
)

from crmcli import history, phrases, schema
from crmcli.services.imports import dues
from crmcli.services.imports.common import CHUNK, ImportResult, Plan, chunks
from crmcli.services.imports.decisions import update_columns, updates

CACHE_KIB = 48 * 1024
GENERATED_CODE = "C%06d"
_GENERATED = re.compile(r"C[0-9]{6}")

# The history line a record added by an import leaves: the very line the command that
# adds one by hand leaves (a follow-up leaves none, as ``crm log`` leaves none).
ADDED_FACTS: dict[str, Any] = {
    "contacts": lambda r, why: history.contact_added(r.customer_id, r.name, why),
    "plans": lambda r, why: history.plan_added(r.customer_id, r.id, r.due_on, why),
    "sales": lambda r, why: history.sale_added(
        r.customer_id, r.id, r.amount_micros, r.sold_on, why, currency=r.currency
    ),
    "complaints": lambda r, why: history.complaint_opened(
        r.customer_id, r.id, r.severity, r.summary, why
    ),
    "surveys": lambda r, why: history.survey_added(r.customer_id, r.id, r.on, r.method, why),
    "projects": lambda r, why: history.project_added(
        r.customer_id, r.id, r.name, r.amount_cents, why
    ),
}

# SQLite's catalogue, read to know which indexes a table has before dropping any.
_catalogue = Table(
    "sqlite_master",
    MetaData(),
    Column("type", String),
    Column("name", String),
    Column("tbl_name", String),
    Column("sql", String),
)


def reason(plan: Plan, batch_id: int) -> str:
    return phrases.IMPORTED(id=batch_id, file=plan.source)


# --- the batch ----------------------------------------------------------------------------


def open_batch(plan: Plan, result: ImportResult) -> int:
    b = schema.importbatch
    return int(
        plan.target.execute(
            insert(b)
            .values(
                kind=plan.tbl.name,
                source=result.source,
                encoding=result.encoding,
                delimiter=result.delimiter,
                user=plan.actor.user,
            )
            .returning(b.c.id)
        ).scalar_one()
    )


def close_batch(plan: Plan, batch_id: int, result: ImportResult) -> None:
    b = schema.importbatch
    plan.target.execute(
        update(b)
        .where(b.c.id == batch_id)
        .values(
            added=result.added,
            updated=result.updated,
            skipped=result.skipped,
            rejected=result.rejected,
        )
    )


def items(batch_id: int, table_name: str, action: str = "added") -> Any:
    """The ids of the rows of a table a batch added (or updated)."""
    i = schema.importitem.c
    return select(i.row_id).where(
        i.batch_id == batch_id, i.table_name == table_name, i.action == action
    )


# --- codes ---------------------------------------------------------------------------------


def generate_codes(plan: Plan) -> Any:
    """Customers added without a code get C000123, numbered after the highest id.

    Returns the expression that gives an added row its code. When no code already taken
    (in the database or in the file) falls in the range the new ones will use — the
    usual case — they are numbered as they are inserted; otherwise each is assigned
    here, skipping the taken ones, as ``customers._next_code`` does for one customer.
    """
    s = plan.staged
    if plan.tbl.name != "customers":
        return None
    c = schema.customer.c
    base = int(plan.target.scalar(select(func.coalesce(func.max(c.id), 0))) or 0)
    # The rows to number, in line order, get 1, 2, 3… as the ids of a narrow table.
    # (A running count over the staged rows themselves has SQLite buffer every whole
    # row of the INSERT … SELECT, which costs more than the insert into this table.)
    numbered = plan.stage.numbered
    needed = plan.local.execute(
        insert(numbered).from_select(
            ["line"],
            select(s.c.line).where(s.c.action == "add", s.c.code.is_(None)).order_by(s.c.line),
        )
    ).rowcount
    if not needed:
        return s.c.code
    low, high = GENERATED_CODE % (base + 1), GENERATED_CODE % (base + needed)
    # Not BETWEEN: PostgreSQL takes no COLLATE (the codes' bytewise order) inside it.
    taken = plan.target.scalar(select(exists().where(c.code >= low, c.code <= high)))
    if not taken and "code" in plan.given:
        taken = plan.local.scalar(select(exists().where(s.c.code >= low, s.c.code <= high)))
    if not taken and len(low) == len(high):
        n = select(numbered.c.n).where(numbered.c.line == s.c.line).scalar_subquery()
        # Evaluated by SQLite whatever the database: the SELECT runs on ``plan.local``.
        return func.coalesce(s.c.code, func.printf(GENERATED_CODE, literal(base) + n))
    top = "C999999"
    used = {
        code
        for code in (
            *plan.target.scalars(select(c.code).where(c.code >= low, c.code <= top)),
            *plan.local.scalars(select(s.c.code).where(s.c.code >= low, s.c.code <= top)),
        )
        if _GENERATED.fullmatch(code)
    }
    number = base
    assigned = []
    for line in plan.local.scalars(select(numbered.c.line).order_by(numbered.c.n)).all():
        number += 1
        while GENERATED_CODE % number in used:
            number += 1
        assigned.append({"l": line, "v": GENERATED_CODE % number})
    statement = update(s).where(s.c.line == bindparam("l")).values(code=bindparam("v"))
    for chunk in chunks(assigned, 5 * CHUNK):
        plan.local.execute(statement, chunk)
    return s.c.code


# --- rows added ----------------------------------------------------------------------------


def added_rows(plan: Plan, code: Any) -> Any:
    """The SELECT of the rows to add, over the staged rows, a column per stored column:
    what the file gives, else the owner (``--owner``, the customer's, the user), the
    import day, the schema's default."""
    s, t, tbl, actor = plan.staged, plan.table, plan.tbl, plan.actor
    staged = set(tbl.stored_columns) | {"customer_id", "contact_id"}
    now = schema.utcnow()
    columns = []
    for column in t.columns:
        name = column.name
        if name == "id":
            continue
        default = column.default
        fixed = default.arg if default is not None and default.is_scalar else None  # type: ignore[attr-defined]
        expr: Any
        if name in ("created_at", "updated_at"):
            expr = literal(now, column.type)
        elif name == tbl.owner:
            fallbacks: list[Any] = [literal(plan.opts.owner, column.type)]
            if tbl.customer_ref:
                c = schema.customer.c
                fallbacks.append(select(c.owner).where(c.id == s.c.customer_id).scalar_subquery())
            fallbacks.append(literal(actor.user, column.type))
            expr = func.coalesce(s.c[name], *fallbacks)
        elif name in tbl.defaults_today:
            expr = func.coalesce(s.c[name], literal(actor.today, column.type))
        elif name in tbl.defaults_config:
            setting = actor.config.get(tbl.defaults_config[name])
            expr = func.coalesce(s.c[name], literal(setting, column.type))
        elif name == "code" and tbl.name == "customers":
            expr = code
        elif name in staged:
            expr = (
                s.c[name]
                if fixed is None
                else func.coalesce(s.c[name], literal(fixed, column.type))
            )
        elif fixed is not None:
            expr = literal(fixed, column.type)
        else:
            continue
        columns.append(type_coerce(expr, column.type).label(name))
    return select(*columns).where(s.c.action == "add").order_by(s.c.line)


def insert_added(plan: Plan, batch_id: int, code: Any) -> None:
    """Add the rows, and an import item for each."""
    t, i = plan.table, schema.importitem
    query = added_rows(plan, code)
    if plan.same_database:
        before = plan.target.scalar(select(func.coalesce(func.max(t.c.id), 0))) or 0
        plan.target.execute(insert(t).from_select([c.name for c in query.selected_columns], query))
        # The database is locked for writing since the import began: the rows past the
        # highest id before are this batch's.
        plan.target.execute(
            insert(i).from_select(
                ["batch_id", "table_name", "row_id", "action"],
                select(literal(batch_id), literal(t.name), t.c.id, literal("added")).where(
                    t.c.id > before
                ),
            )
        )
        return
    # Ids are drawn from the table's sequence first, a chunk at a time, so that the rows
    # go in by the driver's executemany (one statement parsed once, pipelined); an
    # INSERT … RETURNING of many rows is one long statement, whose parameters psycopg
    # would parse again for every chunk (some 25 s for 100,000 customers).
    sequence = func.pg_get_serial_sequence(t.name, "id")
    for part in plan.local.execute(query).partitions(CHUNK):
        ids = sorted(
            plan.target.scalars(
                select(func.nextval(sequence)).select_from(func.generate_series(1, len(part)))
            )
        )
        plan.target.execute(
            insert(t), [{**row._mapping, "id": n} for n, row in zip(ids, part, strict=True)]
        )
        plan.target.execute(
            insert(i),
            [
                {"batch_id": batch_id, "table_name": t.name, "row_id": n, "action": "added"}
                for n in ids
            ],
        )


def defer_indexes(plan: Plan) -> list[Any]:
    """SQLite: drop the table's plain (not unique) indexes when the rows about to be
    added outnumber the rows it has; returns the indexes to build again.

    Built afterwards, an index gets all rows sorted in one pass instead of one B-tree
    insert a row at a random place: 100,000 customers into an empty table are written
    in 1.8 s instead of 2.5 s. Unique indexes stay, checking every row as it comes; a
    table with ANALYZE statistics keeps its indexes (dropping one drops its figures).
    Drop and rebuild are in the import's transaction: a kill takes back both. (A server
    maintains its indexes as it likes; PostgreSQL's are left alone.)
    """
    if not plan.same_database:
        return []
    t, m, conn = plan.table, _catalogue.c, plan.target
    having = conn.scalar(select(func.count()).select_from(t)) or 0
    if plan.adding <= having:
        return []
    if conn.scalar(select(func.count()).where(m.name == "sqlite_stat1")):
        return []
    existing = set(
        conn.scalars(
            select(m.name).where(m.type == "index", m.tbl_name == t.name, m.sql.is_not(None))
        )
    )
    plain = sorted(
        (ix for ix in t.indexes if not ix.unique and ix.name in existing),
        key=lambda ix: str(ix.name),
    )
    for index in plain:
        index.drop(conn)
    return plain


def rebuild_indexes(plan: Plan, indexes: list[Any]) -> None:
    if not indexes:
        return
    conn = plan.target
    # Each CREATE INDEX sorts in as much memory as the page cache may hold: half the
    # cache for each keeps a 1,000,000-row import at 225 MB peak instead of 253 MB.
    # (A pragma: SQLite's own setting, with no Core form.)
    conn.exec_driver_sql(f"PRAGMA main.cache_size = {-CACHE_KIB // 2}")
    for index in indexes:
        index.create(conn)
    conn.exec_driver_sql(f"PRAGMA main.cache_size = {-CACHE_KIB}")


def _complete_complaints(plan: Plan, batch_id: int) -> None:
    """What ``crm complaint open`` and its steps fill in: the handler (else the customer's
    owner), who recorded it, and the timeline, one step per time the row gave. The steps
    are items of the batch, so its undo takes them away with their complaints."""
    t, s = schema.complaint, schema.complaintstep
    mine = items(batch_id, t.name)
    plan.target.execute(
        update(t).where(t.c.id.in_(mine), t.c.opened_by.is_(None)).values(opened_by=plan.actor.user)
    )
    before = plan.target.scalar(select(func.coalesce(func.max(s.c.id), 0))) or 0
    now = schema.utcnow()
    steps = (
        ("opened", t.c.received_at, t.c.summary, t.c.severity),
        ("responded", t.c.responded_at, None, None),
        ("resolved", t.c.resolved_at, t.c.resolution, None),
        ("closed", t.c.closed_at, t.c.feedback, None),
    )
    for kind, at, note, severity in steps:
        plan.target.execute(
            insert(s).from_select(
                ["complaint_id", "at", "kind", "note", "severity", "by", "created_at"],
                select(
                    t.c.id,
                    at,
                    literal(kind),
                    note if note is not None else literal(None, s.c.note.type),
                    severity if severity is not None else literal(None, s.c.severity.type),
                    literal(plan.actor.user),
                    literal(now, s.c.created_at.type),
                )
                .where(t.c.id.in_(mine), at.is_not(None))
                .order_by(t.c.id),
            )
        )
    _items_past(plan, batch_id, s, before)


def _items_past(plan: Plan, batch_id: int, t: Any, before: int) -> None:
    """The rows of ``t`` past id ``before`` are the batch's too (the database is locked
    for writing while an import runs): its undo takes them away."""
    plan.target.execute(
        insert(schema.importitem).from_select(
            ["batch_id", "table_name", "row_id", "action"],
            select(literal(batch_id), literal(t.name), t.c.id, literal("added")).where(
                t.c.id > before
            ),
        )
    )


def _complete_projects(plan: Plan, batch_id: int) -> None:
    """What ``crm project add`` and its moves fill in: the customer's project lead, who
    added it, one product spelling for names that differ only in spaces or case (``GTX
    Pro`` / ``GTXPro``: the earliest project's), and the stage history from which the
    days in each stage are counted: evaluation from the day it was added, then the
    stage it has, from the day it closed (else that same day)."""
    t, st, c = schema.project, schema.projectstage, schema.customer
    mine = items(batch_id, t.name)
    target = plan.target
    target.execute(
        update(t)
        .where(t.c.id.in_(mine), t.c.lead.is_(None))
        .values(lead=select(c.c.project_lead).where(c.c.id == t.c.customer_id).scalar_subquery())
    )
    target.execute(update(t).where(t.c.id.in_(mine)).values(created_by=plan.actor.user))
    earlier = t.alias("earlier")

    def folded(column: Any) -> Any:
        return func.lower(func.replace(column, " ", ""))

    target.execute(
        update(t)
        .where(t.c.id.in_(mine), t.c.product.is_not(None))
        .values(
            product=select(earlier.c.product)
            .where(folded(earlier.c.product) == folded(t.c.product))
            .order_by(earlier.c.id)
            .limit(1)
            .scalar_subquery()
        )
    )
    before = target.scalar(select(func.coalesce(func.max(st.c.id), 0))) or 0
    now, user = schema.utcnow(), plan.actor.user
    query = select(t.c.id, t.c.stage, t.c.added_on, t.c.closed_on).where(t.c.id.in_(mine))
    for part in target.execute(query.order_by(t.c.id)).partitions(CHUNK):
        moves: list[dict[str, Any]] = []
        for row in part:
            began = datetime.combine(row.added_on, time())
            moves.append(dict(project_id=row.id, stage="evaluation", from_stage=None, at=began))
            if row.stage != "evaluation":
                at = datetime.combine(row.closed_on, time()) if row.closed_on else began
                moves.append(
                    dict(project_id=row.id, stage=row.stage, from_stage="evaluation", at=at)
                )
        target.execute(insert(st), [{**m, "by": user, "created_at": now} for m in moves])
    _items_past(plan, batch_id, st, before)
    _promote(plan, mine)


def _promote(plan: Plan, mine: Any) -> None:
    """A prospect whose project reached the contract is a customer (成交) now, as when
    ``crm project move`` takes one there."""
    from sqlalchemy.orm import Session

    from crmcli.models import Customer
    from crmcli.services.customers import apply_changes
    from crmcli.services.projects import CONTRACT, PROMOTED_STAGES, STAGES, promotion_reason

    t, c = schema.project, schema.customer
    promoted = (
        select(t.c.customer_id, func.min(t.c.id).label("project_id"))
        .join(c, c.c.id == t.c.customer_id)
        .where(t.c.id.in_(mine), t.c.stage.in_(STAGES[CONTRACT:]), c.c.stage.in_(PROMOTED_STAGES))
        .group_by(t.c.customer_id)
        .order_by(t.c.customer_id)
    )
    rows = plan.target.execute(promoted).all()
    if not rows:
        return
    with Session(bind=plan.target) as session:
        for row in rows:
            project = session.execute(select(t).where(t.c.id == row.project_id)).one()
            why = promotion_reason(project.id, project.name, project.stage)
            customer = session.get(Customer, row.customer_id)
            apply_changes(session, plan.actor, customer, {"stage": "customer"}, why)
        session.flush()


def _complete_surveys(plan: Plan, batch_id: int) -> None:
    """Who did the survey, as ``crm survey add`` records it: else the one importing."""
    t = schema.survey
    plan.target.execute(
        update(t)
        .where(t.c.id.in_(items(batch_id, t.name)), t.c.by.is_(None))
        .values(by=plan.actor.user)
    )


# What a table's added rows still need that the hand-made command writes too.
COMPLETE_ADDED: dict[str, Any] = {
    "complaints": _complete_complaints,
    "surveys": _complete_surveys,
    "projects": _complete_projects,
}


def added_history(plan: Plan, batch_id: int) -> None:
    """One history line per record added, made by the helpers every command uses."""
    t, why = plan.table, reason(plan, batch_id)
    mine = items(batch_id, t.name)
    if plan.tbl.name == "customers":
        history.record_each(plan.target, plan.actor, history.customer_created(None, why), mine)
        return
    fact = ADDED_FACTS.get(plan.tbl.name)
    if fact is None:
        return
    query = select(t).where(t.c.id.in_(mine)).order_by(t.c.id)
    last = 0
    while True:
        rows = plan.target.execute(query.where(t.c.id > last).limit(CHUNK)).all()
        if not rows:
            return
        history.record(plan.target, plan.actor, [fact(r, why) for r in rows])
        last = rows[-1].id


# --- rows updated --------------------------------------------------------------------------


def _kept(value: Any) -> Any:
    """A value as an import item's ``before`` keeps it (JSON): days and times in ISO."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def apply_updates(plan: Plan, batch_id: int) -> tuple[int, int, list[int]]:
    """Write each 'update' row's non-empty values over its record; returns
    (updated, unchanged, customer ids whose due days may move)."""
    t = plan.table
    columns = update_columns(plan)
    if not columns:
        return 0, 0, []
    why = reason(plan, batch_id)
    now = schema.utcnow()
    updated = unchanged = 0
    touched: list[int] = []
    for page in updates(plan, columns):
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        kept: list[dict[str, Any]] = []
        changes: list[history.Change] = []
        for row, changed in page:
            if not changed:
                unchanged += 1
                continue
            updated += 1
            touched.append(row["owner_id"])
            target = row["target_id"]
            params = {"v_" + c: new for c, (_, new) in changed.items()}
            groups.setdefault(tuple(changed), []).append({"tid": target, **params})
            before = {c: _kept(old) for c, (old, _) in changed.items()}
            kept.append(
                {
                    "batch_id": batch_id,
                    "table_name": t.name,
                    "row_id": target,
                    "action": "updated",
                    "before": json.dumps(before, ensure_ascii=False),
                }
            )
            prefix = "" if plan.tbl.name == "customers" else f"{t.name}.{target}."
            changes.extend(
                history.Change(row["owner_id"], prefix + c, old, new, why)
                for c, (old, new) in changed.items()
            )
        for names, rows in groups.items():
            statement = (
                update(t)
                .where(t.c.id == bindparam("tid"))
                .values({c: bindparam("v_" + c, type_=t.c[c].type) for c in names})
                .values(updated_at=now)
            )
            plan.target.execute(statement, rows)
        if kept:
            plan.target.execute(insert(schema.importitem), kept)
            history.record(plan.target, plan.actor, changes)
    return updated, unchanged, touched


# --- the whole write -----------------------------------------------------------------------


def write(plan: Plan, batch_id: int, result: ImportResult) -> None:
    """Everything an import writes, once its rows are decided."""
    if plan.created_customers:
        plan.target.execute(
            insert(schema.importitem),
            [
                {"batch_id": batch_id, "table_name": "customer", "row_id": n, "action": "added"}
                for n in plan.created_customers
            ],
        )
    code = generate_codes(plan)
    deferred = defer_indexes(plan)
    insert_added(plan, batch_id, code)
    complete = COMPLETE_ADDED.get(plan.tbl.name)
    if complete is not None:
        complete(plan, batch_id)
    added_history(plan, batch_id)
    # The due days are recomputed over customers, reading their follow-ups and plans:
    # a customer table's indexes are built after it (its writes move no index entry),
    # another table's before (its reads find them).
    if plan.table is not schema.customer:
        rebuild_indexes(plan, deferred)
    updated, unchanged, touched = apply_updates(plan, batch_id)
    result.updated = updated
    result.unchanged += unchanged
    result.skipped += unchanged
    _settle_dues(plan, batch_id, touched)
    if plan.table is schema.customer:
        rebuild_indexes(plan, deferred)


def _settle_dues(plan: Plan, batch_id: int, touched: list[int]) -> None:
    name, t = plan.tbl.name, plan.table
    added = items(batch_id, t.name)
    dues.settle(
        plan.target,
        plan.actor.config,
        created=added if name == "customers" else None,
        among=select(t.c.customer_id).where(t.c.id.in_(added))
        if name in ("followups", "plans")
        else None,
        moved=touched if name in ("customers", "followups", "plans") else (),
    )
