"""客户信息销毁 (seed 002 五.3: information no longer needed is destroyed; SPEC §6).

A purge removes a customer and everything about it — contacts, follow-ups, plans, sales,
greetings, notices, complaints (and their steps), surveys, projects (stages, documents),
its history, and the import records that held its values — and then makes the storage
forget them: on SQLite the freed pages are zeroed (``secure_delete``, on for every
connection), the WAL is checkpointed and truncated and the file rebuilt (``VACUUM``); on
PostgreSQL the touched tables are vacuumed. History keeps one line, "customer #id purged
by X at T", with nothing that identifies whom. Purge makes no backup of its own: a
backup would keep what it destroys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, delete, func, or_, select

from crmcli import history, phrases, schema
from crmcli.services.context import Actor

# Tables whose rows belong to a customer (by customer_id), and the rows that hang on those.
OWNED = (
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
BELOW = {"complaint": ("complaintstep",), "project": ("projectstage", "projectdoc")}


@dataclass
class PurgePlan:
    customer_id: int
    counts: dict[str, int] = field(default_factory=dict)


def plan_purge(bind: Any, customer: Any) -> PurgePlan:
    plan = PurgePlan(customer.id)
    for name in OWNED:
        table = schema.metadata.tables[name]
        n = bind.scalar(
            select(func.count()).select_from(table).where(table.c.customer_id == customer.id)
        )
        if n:
            plan.counts[name] = n
    return plan


def _import_items(customer_id: int) -> Any:
    """The import records of the customer and of its rows (an update's ``before`` holds
    old values)."""
    i = schema.importitem.c
    owned = [
        and_(
            i.table_name == name,
            i.row_id.in_(
                select(schema.metadata.tables[name].c.id).where(
                    schema.metadata.tables[name].c.customer_id == customer_id
                )
            ),
        )
        for name in OWNED
        if name != "history"
    ]
    return or_(and_(i.table_name == "customer", i.row_id == customer_id), *owned)


def purge_customer(session: Any, actor: Actor, customer: Any) -> None:
    """Delete the customer and everything about it, in the session's transaction."""
    session.execute(delete(schema.importitem).where(_import_items(customer.id)))
    for name in OWNED:
        table = schema.metadata.tables[name]
        for below in BELOW.get(name, ()):
            child = schema.metadata.tables[below]
            key = child.c[f"{name}_id"]
            session.execute(
                delete(child).where(
                    key.in_(select(table.c.id).where(table.c.customer_id == customer.id))
                )
            )
        session.execute(delete(table).where(table.c.customer_id == customer.id))
    session.execute(delete(schema.customer).where(schema.customer.c.id == customer.id))
    history.record(
        session, actor, [history.Change(None, "customer", f"#{customer.id}", phrases.PURGED())]
    )


def forget(engine: Any) -> str | None:
    """After the purge is committed, make the storage forget the deleted bytes. Returns a
    warning when that could not be finished (another process kept the WAL in use)."""
    tables = ["customer", "importitem", *OWNED, *(b for bs in BELOW.values() for b in bs)]
    # VACUUM runs outside any transaction: on the driver's own connection, in autocommit
    # (the engine's connections begin one for every statement).
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        if engine.dialect.name == "sqlite":
            driver.isolation_level = None
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            driver.execute("VACUUM")
            busy = driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            driver.isolation_level = ""
            if busy is not None and busy[0]:
                return (
                    "another process is reading the database: its write-ahead log is "
                    "emptied when the last reader ends"
                )
            return None
        driver.autocommit = True
        for name in tables:
            driver.execute(f'VACUUM "{name}"')
        driver.autocommit = False
    finally:
        raw.close()
    return None
