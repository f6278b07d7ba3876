"""Phase 2, deciding: which customer a row names, which rows are duplicates (of an
earlier row of the file, of a record in the database), and so what becomes of each row:
add, update, skip, merge into an earlier row, or reject (SPEC §4 Duplicates).

Every rule is one Core statement run on ``Plan.local``, an SQLite connection where the
staged rows and the target's rows meet: for an SQLite database, the database itself
with the staging file attached; for a server, a local file into which ``mirror`` first
copies the server's rows that the staged keys name (and only those), asked for with
chunks of the staged keys. The same statements decide either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    MetaData,
    Table,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    tuple_,
    union,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crmcli import phrases, schema
from crmcli.io.tables import Key
from crmcli.services.imports.common import CHUNK, MESSAGES, Plan, chunks

# --- the server's rows, where the staged keys name them ----------------------------------


class Mirror:
    """Local copies of the server's tables, holding the rows phase 2 looked up.

    Each copy has every column of its table (an update compares every value) under the
    table's own name in the local file's main schema, so the decision statements, written
    over ``crmcli.schema``'s tables, read them as they would read the database's.
    """

    def __init__(self, local: Any, target: Any, tables: Iterable[Table]) -> None:
        self.local = local
        self.target = target
        self.metadata = MetaData()
        self.copies: dict[str, Table] = {}
        for table in tables:
            self.copy_of(table)

    def copy_of(self, table: Table) -> Table:
        copy = self.copies.get(table.name)
        if copy is None:
            copy = Table(
                table.name,
                self.metadata,
                *(Column(c.name, c.type, primary_key=c.primary_key) for c in table.c),
            )
            self.copies[table.name] = copy
            copy.create(self.local)
        return copy

    def bring(self, table: Table, columns: tuple[str, ...], keys: Any) -> None:
        """Copy the rows of ``table`` whose ``columns`` equal a row of ``keys`` (a query
        of the staged rows, run locally), asked for a chunk of keys at a time."""
        copy = self.copy_of(table)
        name = f"ix_{table.name}_{'_'.join(columns)}"
        if not any(index.name == name for index in copy.indexes):
            Index(name, *(copy.c[c] for c in columns)).create(self.local)
        wanted = [tuple(row) for row in self.local.execute(keys.distinct())]
        if len(columns) == 1:
            match: Any = table.c[columns[0]]
            wanted = [row[0] for row in wanted]  # type: ignore[misc]
        else:
            match = tuple_(*(table.c[c] for c in columns))
        add = sqlite_insert(copy).on_conflict_do_nothing()
        for chunk in chunks(wanted):
            rows = [
                dict(r._mapping) for r in self.target.execute(select(table).where(match.in_(chunk)))
            ]
            if rows:
                self.local.execute(add, rows)


def bring(plan: Plan, table: Table, columns: tuple[str, ...], keys: Any) -> None:
    """Make the target's rows that ``keys`` name readable by ``plan.local`` (a server's
    are copied; an SQLite database's are there already)."""
    if plan.mirror is not None:
        plan.mirror.bring(table, columns, keys)


def has_rows(plan: Plan, table: Table) -> bool:
    """Whether the target table has any row (asked of the target itself)."""
    return bool(plan.target.scalar(select(exists(select(table.c.id)))))


# --- which customer a row names ----------------------------------------------------------


def resolve_customers(plan: Plan) -> None:
    """Rows name their customer by code, by exact (normalized) name, or either."""
    if not plan.tbl.customer_ref:
        return
    s, local = plan.staged, plan.local
    customer, c = schema.customer, schema.customer.c
    if has_rows(plan, customer):
        bring(
            plan,
            customer,
            ("code",),
            union(
                select(s.c.ref_code.label("key")).where(s.c.ref_code.is_not(None)),
                select(s.c.ref_any).where(s.c.ref_any.is_not(None)),
            )
            .subquery()
            .select(),
        )
        bring(
            plan,
            customer,
            ("name_key",),
            union(
                select(s.c.ref_name_key.label("key")).where(s.c.ref_name_key.is_not(None)),
                select(s.c.ref_any_key).where(s.c.ref_any_key.is_not(None)),
            )
            .subquery()
            .select(),
        )
    local.execute(
        update(s)
        .where(s.c.ref_code.is_not(None))
        .values(customer_id=select(c.id).where(c.code == s.c.ref_code).scalar_subquery())
    )
    local.execute(
        update(s)
        .where(s.c.ref_code.is_(None), s.c.ref_any.is_not(None))
        .values(customer_id=select(c.id).where(c.code == s.c.ref_any).scalar_subquery())
    )
    by_name = func.coalesce(s.c.ref_name_key, s.c.ref_any_key)

    def by_names() -> None:
        local.execute(
            update(s)
            .where(s.c.customer_id.is_(None), s.c.ref_code.is_(None), by_name.is_not(None))
            .values(ref_n=select(func.count()).where(c.name_key == by_name).scalar_subquery())
        )
        local.execute(
            update(s)
            .where(s.c.customer_id.is_(None), s.c.ref_n == 1)
            .values(customer_id=select(c.id).where(c.name_key == by_name).scalar_subquery())
        )

    by_names()
    if plan.opts.create_customers and _create_named(plan, by_name):
        by_names()
    missing = local.execute(
        select(
            s.c.line,
            s.c.ref_code,
            func.coalesce(s.c.ref_name, s.c.ref_any).label("ref"),
            by_name.label("key"),
            s.c.ref_n,
        )
        .where(s.c.customer_id.is_(None))
        .order_by(s.c.line)
    ).all()
    for row in missing:
        if row.ref_code is not None:
            plan.problem(
                row.line, plan.labels["ref_code"], MESSAGES["no_code"].format(ref=row.ref_code)
            )
            continue
        column = plan.labels.get("ref_name") or plan.labels.get("ref_any", "customer")
        if not row.ref_n:
            plan.problem(row.line, column, MESSAGES["no_name"].format(ref=row.ref))
            continue
        candidates = local.execute(
            select(c.code, c.name).where(c.name_key == row.key).order_by(c.id).limit(10)
        ).all()
        shown = "; ".join(f"{k.code} {k.name}" for k in candidates)
        plan.problem(row.line, column, MESSAGES["ambiguous"].format(ref=row.ref, candidates=shown))
    if plan.tbl.contact_ref and "contact_ref" in plan.present:
        _resolve_contacts(plan)


def _create_named(plan: Plan, by_name: Any) -> bool:
    """--create-customers: add each customer that rows name by a name no customer has
    (one per name, as ``crm customer add`` adds one: a generated code, its owner the
    first row's owner, else --owner, else the one importing). A code no customer has is
    still refused: a code is an identity, and a typo in one would make a second customer.
    One is added on the day of its first event in the file, if that is earlier than the
    import's: it was a customer then (``check_event_days``)."""
    from dataclasses import replace

    from sqlalchemy.orm import Session

    from crmcli.services.customers import add_customer

    s = plan.staged
    name = func.coalesce(s.c.ref_name, s.c.ref_any)
    owner = s.c.owner if "owner" in s.c else literal(None)
    event = plan.tbl.event_day
    first = s.c[event] if event is not None and event in plan.present else literal(None)
    wanted = plan.local.execute(
        select(
            by_name.label("key"),
            func.min(name).label("name"),
            func.min(owner).label("owner"),
            func.min(first).label("first"),
        )
        .where(s.c.customer_id.is_(None), s.c.ref_code.is_(None), s.c.ref_n == 0)
        .group_by(by_name)
        .order_by(func.min(s.c.line))
    ).all()
    if not wanted:
        return False
    why = phrases.NAMED_BY_IMPORT(file=plan.source)
    with Session(bind=plan.target) as session:
        for row in wanted:
            raw = {"name": row.name, "owner": row.owner or plan.opts.owner}
            day = row.first.date() if isinstance(row.first, datetime) else row.first
            actor = plan.actor
            if day is not None and day < actor.today:
                actor = replace(actor, today=day)
            added = add_customer(session, actor, raw, reason=why)
            plan.created_customers.append(added.id)
        session.flush()
    keys = select(by_name.label("key")).where(
        s.c.customer_id.is_(None), s.c.ref_code.is_(None), s.c.ref_n == 0
    )
    bring(plan, schema.customer, ("name_key",), keys)
    return True


def _resolve_contacts(plan: Plan) -> None:
    s, local = plan.staged, plan.local
    k, c = schema.contact.c, schema.customer.c
    named = and_(s.c.contact_ref.is_not(None), s.c.customer_id.is_not(None), s.c.problem.is_(None))
    if has_rows(plan, schema.contact):
        bring(
            plan,
            schema.contact,
            ("customer_id", "name"),
            select(s.c.customer_id, s.c.contact_ref).where(named),
        )
    same = and_(k.customer_id == s.c.customer_id, k.name == s.c.contact_ref)
    local.execute(
        update(s)
        .where(named)
        .values(
            contact_n=select(func.count()).where(same).scalar_subquery(),
            contact_id=select(func.min(k.id)).where(same).scalar_subquery(),
        )
    )
    bad = local.execute(
        select(s.c.line, s.c.contact_ref, s.c.contact_n, c.code, c.name)
        .join_from(s, schema.customer, c.id == s.c.customer_id)
        .where(s.c.contact_ref.is_not(None), s.c.problem.is_(None), s.c.contact_n != 1)
        .order_by(s.c.line)
    ).all()
    for row in bad:
        customer = f"{row.code} {row.name}"
        key = "no_contact" if not row.contact_n else "ambiguous_contact"
        plan.problem(
            row.line,
            plan.labels["contact_ref"],
            MESSAGES[key].format(customer=customer, ref=row.contact_ref, n=row.contact_n),
        )


def check_event_days(plan: Plan) -> None:
    """A row's event dated before its customer was added (or, for an event that has
    happened, after the import's day) is refused, by line, as the command recording one
    event is (``timeline``)."""
    from crmcli.i18n import _
    from crmcli.services.timeline import BEFORE_ADDED, FUTURE, after_day, before_added

    column = plan.tbl.event_day
    if column is None or column not in plan.present:
        return
    s, c = plan.staged, schema.customer.c
    day = s.c[column]
    early = plan.local.execute(
        select(s.c.line, day.label("day"), c.code, c.name, c.created_on)
        .join_from(s, schema.customer, c.id == s.c.customer_id)
        .where(s.c.problem.is_(None), day.is_not(None), before_added(day, c.created_on))
        .order_by(s.c.line)
    ).all()
    label = plan.label(column)
    for row in early:
        day_of = row.day.date() if isinstance(row.day, datetime) else row.day
        text = _(BEFORE_ADDED).format(
            what=label, day=day_of, code=row.code, name=row.name, added=row.created_on
        )
        plan.problem(row.line, label, text)
    if not plan.tbl.event_past:
        return
    today = plan.actor.today
    late = plan.local.execute(
        select(s.c.line, day.label("day"))
        .where(s.c.problem.is_(None), day.is_not(None), after_day(day, today))
        .order_by(s.c.line)
    ).all()
    for row in late:
        day_of = row.day.date() if isinstance(row.day, datetime) else row.day
        plan.problem(row.line, label, _(FUTURE).format(what=label, day=day_of, today=today))


# --- duplicates ---------------------------------------------------------------------------


def find_duplicates(plan: Plan) -> None:
    """Key by key, in order: an earlier row of the file, else a record in the database.

    A key no row has (codes, in most files) and records of an empty table are not
    looked for: each would cost a pass over every staged row that finds nothing.
    """
    s, local, t = plan.staged, plan.local, plan.table
    records = has_rows(plan, t)
    for number, key in enumerate(plan.tbl.keys):
        compared = (*key.columns, *key.optional)
        applicable = and_(*(s.c[c].is_not(None) for c in key.columns))
        if not local.scalar(select(exists().where(applicable))):
            continue
        plan.given.update(key.columns)
        if key.in_file:
            # With ``problem`` in the index, grouping reads the index alone, not every row.
            Index(f"staged_key{number}", *(s.c[c] for c in compared), s.c.problem).create(
                local, checkfirst=True
            )
            _in_file(plan, key, compared, applicable)
        if records:
            bring(
                plan,
                t,
                key.columns,
                select(*(s.c[c] for c in key.columns)).where(
                    applicable, s.c.decided.is_(None), s.c.problem.is_(None)
                ),
            )
            match = _match(key, t, s)
            local.execute(
                update(s)
                .where(
                    s.c.decided.is_(None), s.c.problem.is_(None), applicable, exists().where(match)
                )
                .values(
                    target_n=select(func.count()).select_from(t).where(match).scalar_subquery(),
                    target_id=select(func.min(t.c.id)).where(match).scalar_subquery(),
                    target_key=key.label,
                    decided=1,
                )
            )
            _narrow(plan, key)
        if key.decisive:
            local.execute(update(s).where(s.c.decided.is_(None), applicable).values(decided=1))


def _in_file(plan: Plan, key: Key, compared: tuple[str, ...], applicable: Any) -> None:
    """Rows of the file equal on ``key`` to an earlier row: duplicates of the first."""
    s, local = plan.staged, plan.local
    g = s.alias("g")
    groups = (
        select(*(g.c[c] for c in compared), func.min(g.c.line).label("first"))
        .where(*(g.c[c].is_not(None) for c in key.columns), g.c.problem.is_(None))
        .group_by(*(g.c[c] for c in compared))
        .having(func.count() > 1)
        .subquery("f")
    )
    if not key.apart and not key.apart_in_file:
        # Only groups with more than one row are looked at: found through the index.
        local.execute(
            update(s)
            .where(
                *(s.c[c].is_not_distinct_from(groups.c[c]) for c in compared),
                s.c.line > groups.c.first,
                s.c.decided.is_(None),
                s.c.problem.is_(None),
            )
            .values(dup_of=groups.c.first, dup_key=key.label, decided=1)
        )
        return
    # Each row of a group with more than one: the first earlier row it is not kept
    # apart from (one of the two has no phone, say, or both the same).
    e, r = s.alias("e"), s.alias("r")
    first = (
        select(func.min(e.c.line))
        .where(
            *(e.c[c].is_not_distinct_from(r.c[c]) for c in compared),
            e.c.line < r.c.line,
            e.c.problem.is_(None),
            *_together(key, e, r, key.apart + key.apart_in_file),
        )
        .scalar_subquery()
    )
    found = (
        select(r.c.line, first.label("first"))
        .join_from(r, groups, and_(*(r.c[c].is_not_distinct_from(groups.c[c]) for c in compared)))
        .where(r.c.decided.is_(None), r.c.problem.is_(None))
        .subquery("d")
    )
    local.execute(
        update(s)
        .where(s.c.line == found.c.line, found.c.first.is_not(None))
        .values(dup_of=found.c.first, dup_key=key.label, decided=1)
    )


def _narrow(plan: Plan, key: Key) -> None:
    """A row matching several records by ``key`` is the one of them it would leave
    unchanged, when only one is (a file exported and imported again names each of two
    people of one name by their other values)."""
    s, t = plan.staged, plan.table
    same = and_(
        _match(key, t, s),
        *(or_(s.c[c].is_(None), t.c[c] == s.c[c]) for c in update_columns(plan)),
    )
    plan.local.execute(
        update(s)
        .where(
            s.c.target_key == key.label,
            s.c.target_n > 1,
            select(func.count()).select_from(t).where(same).scalar_subquery() == 1,
        )
        .values(target_n=1, target_id=select(func.min(t.c.id)).where(same).scalar_subquery())
    )


def _match(key: Key, t: Any, s: Any) -> Any:
    """A target row ``t`` and a staged row ``s`` are one record by ``key``."""
    return and_(
        *(t.c[c] == s.c[c] for c in key.columns),
        *(t.c[c].is_not_distinct_from(s.c[c]) for c in key.optional),
        *_together(key, t, s),
    )


def _together(key: Key, a: Any, b: Any, apart: tuple[str, ...] | None = None) -> list[Any]:
    """Rows ``a`` and ``b``, equal on ``key``, are not kept apart by its ``apart``
    columns, or by those given (each column missing from one of them, or the same in
    both); a column only one side has keeps nothing apart (the exported id, say, that
    the database does not store)."""
    return [
        or_(
            func.coalesce(a.c[c], "") == "",
            func.coalesce(b.c[c], "") == "",
            a.c[c] == b.c[c],
        )
        for c in (key.apart if apart is None else apart)
        if c in a.c and c in b.c
    ]


def describe(plan: Plan, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    if plan.tbl.name == "customers":
        c = schema.customer.c
        found = {}
        for chunk in chunks(sorted(set(ids))):
            for row in plan.local.execute(select(c.id, c.code, c.name).where(c.id.in_(chunk))):
                found[row.id] = f"{row.code} {row.name}"
        return found
    return {i: f"{plan.tbl.singular} #{i}" for i in ids}


# --- what becomes of each row -------------------------------------------------------------


def classify(plan: Plan) -> None:
    """Each row's action: add, update, skip, merge (into an earlier row), or reject."""
    s, local = plan.staged, plan.local
    mode = plan.opts.on_duplicate
    key_column = {k.label: _key_label(plan, k.columns) for k in plan.tbl.keys}
    on_line = {"skip": "skip", "update": "merge", "error": "reject"}[mode]
    on_db = {"skip": "skip", "update": "update", "error": "reject"}[mode]
    on_many = "skip" if mode == "skip" else "reject"
    # Rows were staged as 'add': only those with a problem or a duplicate change, and
    # rewriting just them is much cheaper than rewriting every staged row.
    local.execute(
        update(s)
        .where(
            or_(
                s.c.problem.is_not(None),
                s.c.dup_of.is_not(None),
                s.c.target_id.is_not(None),
                s.c.target_n > 1,
            )
        )
        .values(
            action=case(
                (s.c.problem.is_not(None), "reject"),
                (s.c.dup_of.is_not(None), on_line),
                (s.c.target_n > 1, on_many),
                (s.c.target_id.is_not(None), on_db),
                else_="add",
            )
        )
    )
    rejected = local.execute(
        select(s.c.line, s.c.dup_of, s.c.dup_key, s.c.target_id, s.c.target_n, s.c.target_key)
        .where(s.c.action == "reject", s.c.problem.is_(None))
        .order_by(s.c.line)
    ).all()
    names = describe(plan, [r.target_id for r in rejected if r.target_id is not None])
    for row in rejected:
        if row.dup_of is not None:
            plan.problem(
                row.line,
                key_column[row.dup_key],
                MESSAGES["dup_line"].format(line=row.dup_of, key=row.dup_key),
            )
        elif row.target_n and row.target_n > 1:
            plan.problem(row.line, key_column[row.target_key], _many(plan, row))
        else:
            plan.problem(
                row.line,
                key_column[row.target_key],
                MESSAGES["dup_db"].format(desc=names.get(row.target_id), key=row.target_key),
            )
    incomplete = local.execute(
        select(s.c.line, s.c.missing)
        .where(s.c.action == "add", s.c.missing.is_not(None))
        .order_by(s.c.line)
    ).all()
    for row in incomplete:
        for item in row.missing.split("\n"):
            label, _, key = item.partition("\t")
            plan.problem(row.line, label, MESSAGES["required"].format(field=key))
    if mode == "update":
        # A row merged into one that is itself rejected goes with it.
        r = s.alias("r")
        while True:
            orphans = local.execute(
                select(s.c.line, s.c.dup_of, s.c.dup_key)
                .join_from(s, r, r.c.line == s.c.dup_of)
                .where(s.c.action == "merge", r.c.action == "reject")
                .order_by(s.c.line)
            ).all()
            if not orphans:
                break
            for row in orphans:
                local.execute(update(s).where(s.c.line == row.line).values(action="reject"))
                plan.problem(
                    row.line,
                    key_column[row.dup_key],
                    MESSAGES["dup_rejected"].format(line=row.dup_of),
                )


def _key_label(plan: Plan, columns: tuple[str, ...]) -> str:
    """The file column a duplicate is reported under: the key's first own column."""
    own = [c for c in columns if c != "customer_id"]
    return plan.label(own[0] if own else "customer_id")


def _many(plan: Plan, row: Any) -> str:
    key = next(k for k in plan.tbl.keys if k.label == row.target_key)
    s, t = plan.staged, plan.table
    ids = list(
        plan.local.scalars(
            select(t.c.id)
            .join_from(t, s, _match(key, t, s))
            .where(s.c.line == row.line)
            .order_by(t.c.id)
            .limit(10)
        )
    )
    names = describe(plan, ids)
    return MESSAGES["dup_many"].format(
        n=row.target_n,
        table=plan.tbl.name,
        key=row.target_key,
        descs=", ".join(names[i] for i in ids),
    )


def merge_rows(plan: Plan) -> None:
    """--on-duplicate update: a later row's values fill in (and win over) the first one's."""
    if plan.opts.on_duplicate != "update":
        return  # only this mode merges rows (``classify``)
    s, local = plan.staged, plan.local
    merges = local.execute(
        select(s.c.line, s.c.dup_of).where(s.c.action == "merge").order_by(s.c.line)
    ).all()
    if not merges:
        return
    parent = {r.line: r.dup_of for r in merges}
    present = plan.stored_present()
    columns = [c for c in plan.tbl.stored_columns if c in present]
    m = s.alias("m")
    for line in parent:
        root = parent[line]
        while root in parent:
            root = parent[root]
        local.execute(
            update(s)
            .where(s.c.line == root)
            .values(
                {
                    c: func.coalesce(
                        select(m.c[c]).where(m.c.line == line).scalar_subquery(), s.c[c]
                    )
                    for c in columns
                }
            )
        )


def update_columns(plan: Plan) -> list[str]:
    """The stored columns an 'update' row may write: those this file gives."""
    present = plan.stored_present()
    return [c for c in plan.tbl.stored_columns if c in present and c in plan.table.c and c != "id"]


def updates(
    plan: Plan, columns: list[str]
) -> Iterator[list[tuple[Any, dict[str, tuple[Any, Any]]]]]:
    """Pages of 'update' rows, each with the values it changes in its record:
    column → (old, new). A page is read whole before it is given out: the caller may
    write the records between pages."""
    s, t = plan.staged, plan.table
    owner_of = t.c.id if plan.tbl.name == "customers" else t.c.customer_id
    query = select(
        s.c.line,
        s.c.target_id,
        owner_of.label("owner_id"),
        *(s.c[c].label("new_" + c) for c in columns),
        *(t.c[c].label("old_" + c) for c in columns),
    ).join_from(s, t, t.c.id == s.c.target_id)
    last = 0
    while True:
        rows = (
            plan.local.execute(
                query.where(s.c.action == "update", s.c.line > last).order_by(s.c.line).limit(CHUNK)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        last = rows[-1]["line"]
        page = []
        for row in rows:
            changes = {
                c: (row["old_" + c], row["new_" + c])
                for c in columns
                if row["new_" + c] is not None and row["new_" + c] != row["old_" + c]
            }
            page.append((row, changes))
        yield page


def mark_unchanged(plan: Plan) -> None:
    """'update' rows whose values their record already has become 'unchanged': reported
    and counted as such, not as updates."""
    if plan.opts.on_duplicate != "update":
        return  # only this mode updates records (``classify``)
    s = plan.staged
    columns = update_columns(plan)
    if not columns:
        plan.local.execute(update(s).where(s.c.action == "update").values(action="unchanged"))
        return
    same = [row["line"] for page in updates(plan, columns) for row, changes in page if not changes]
    for chunk in chunks(same):
        plan.local.execute(update(s).where(s.c.line.in_(chunk)).values(action="unchanged"))


def counts(plan: Plan) -> dict[str, int]:
    s = plan.staged
    found = dict.fromkeys(("add", "update", "unchanged", "skip", "merge", "reject"), 0)
    for row in plan.local.execute(select(s.c.action, func.count()).group_by(s.c.action)):
        found[row[0]] = row[1]
    return found


def all_known(plan: Plan) -> bool:
    """Whether every row that is not rejected is skipped as a record already in the
    database (a file imported again), and there is at least one."""
    s = plan.staged
    kept = s.c.action != "reject"
    known = and_(
        s.c.action == "skip",
        s.c.dup_of.is_(None),
        s.c.target_id.is_not(None),
        func.coalesce(s.c.target_n, 1) == 1,
    )
    return bool(
        plan.local.scalar(select(exists().where(known)))
        and not plan.local.scalar(select(exists().where(kept, ~known)))
    )


def rejected_lines(plan: Plan) -> int:
    p = plan.stage.problems
    return int(plan.local.scalar(select(func.count(p.c.line.distinct()))) or 0)


# --- what the user is told ----------------------------------------------------------------


def row_reports(plan: Plan, *, known: bool = True) -> Iterator[tuple[int, str]]:
    """Per-row lines for duplicates that are skipped, merged, update a record or leave
    it unchanged; without ``known``, none for a row skipped as the one record it is
    already in the database as."""
    s = plan.staged
    last = 0
    while True:
        rows = plan.local.execute(
            select(
                s.c.line,
                s.c.action,
                s.c.dup_of,
                s.c.dup_key,
                s.c.target_id,
                s.c.target_n,
                s.c.target_key,
            )
            .where(s.c.action.in_(("skip", "merge", "update", "unchanged")), s.c.line > last)
            .order_by(s.c.line)
            .limit(2 * CHUNK)
        ).all()
        if not rows:
            return
        names = describe(plan, [r.target_id for r in rows if r.target_id is not None])
        for r in rows:
            if r.action == "merge":
                text = MESSAGES["merge"].format(line=r.line, other=r.dup_of, key=r.dup_key)
            elif r.dup_of is not None:
                text = MESSAGES["skip_line"].format(line=r.line, other=r.dup_of, key=r.dup_key)
            elif r.target_n and r.target_n > 1:
                text = MESSAGES["skip_many"].format(
                    line=r.line, n=r.target_n, table=plan.tbl.name, key=r.target_key
                )
            elif r.action in ("update", "unchanged"):
                text = MESSAGES[r.action].format(
                    line=r.line, desc=names.get(r.target_id), key=r.target_key
                )
            elif not known:
                continue
            else:
                text = MESSAGES["skip_db"].format(
                    line=r.line, desc=names.get(r.target_id), key=r.target_key
                )
            yield r.line, text
        last = rows[-1].line


def problem_lines(plan: Plan) -> Iterator[tuple[int, str]]:
    from crmcli.i18n import _

    p = plan.stage.problems
    for row in plan.local.execute(
        select(p.c.line, p.c.col, p.c.message).order_by(p.c.line, p.c.id)
    ):
        where = (
            _("line {line}, column {col}").format(line=row.line, col=row.col)
            if row.col
            else _("line {line}").format(line=row.line)
        )
        yield row.line, _("{where}: {message}").format(where=where, message=row.message)


def rejected_rows(plan: Plan) -> Iterator[tuple[int, str | None, str]]:
    """Each rejected line once, with its raw cells and every reason it was refused."""
    p = plan.stage.problems
    rows = plan.local.execute(
        select(p.c.line, p.c.col, p.c.message, p.c.raw).order_by(p.c.line, p.c.id)
    )
    line: int | None = None
    raw: str | None = None
    reasons: list[str] = []
    for row in rows:
        if row.line != line:
            if line is not None:
                yield line, raw, "; ".join(reasons)
            line, raw, reasons = row.line, row.raw, []
        reasons.append(f"column {row.col}: {row.message}" if row.col else row.message)
    if line is not None:
        yield line, raw, "; ".join(reasons)
