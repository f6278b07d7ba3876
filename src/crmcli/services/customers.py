"""客户档案: add, find, edit, show; every change recorded in history (the list: customer_list).

Finding a customer, adding one and its profile are Core statements on the tables of
``crmcli.schema``, on a session or a connection: ``crm customer add|show`` and ``crm log``
never build the model classes. Edits change the records (models) of the unit of work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, or_, select

from crmcli import history, schema
from crmcli.errors import Ambiguous, InvalidInput, NotFound
from crmcli.history import DERIVED
from crmcli.i18n import N_, _
from crmcli.services import cadence
from crmcli.services.context import Actor
from crmcli.services.customer_list import escape_like
from crmcli.text import normalize
from crmcli.text.bounds import record_id
from crmcli.text.fields import CUSTOMER_FIELDS, parse_birthday, parse_fields

if TYPE_CHECKING:
    from sqlalchemy.engine import Row
    from sqlalchemy.orm import Session

    from crmcli.models import Contact, Customer


def customer_row(bind: Any, customer_id: int) -> Row[Any] | None:
    """Every column of one customer, by id (a Core row), or None."""
    c = schema.customer.c
    return bind.execute(select(schema.customer).where(c.id == customer_id)).first()


def find_customer(bind: Any, ref: str) -> Row[Any]:
    """A customer by id, code, exact name, or an unambiguous part of its name or pinyin:
    its row, on a connection or a session."""
    customer, c = schema.customer, schema.customer.c
    text = ref.strip()
    if not text:
        raise InvalidInput(_("customer reference must not be empty"))
    number = record_id(text) if text.isdigit() else None
    if number is not None:
        found = customer_row(bind, number)
        if found is not None:
            return found
    by_code = bind.execute(select(customer).where(c.code == text)).first()
    if by_code is not None:
        return by_code
    key = normalize.name_key(text)
    exact = bind.execute(select(customer).where(c.name_key == key).limit(11)).all()
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise Ambiguous(N_("customer"), ref, [f"{r.code} {r.name}" for r in exact])
    pattern = f"%{escape_like(key)}%"
    partial = bind.execute(
        select(customer)
        .where(
            or_(
                c.name_key.like(pattern, escape="\\"),
                c.search_key.like(pattern, escape="\\"),
                func.lower(c.code) == key,
            )
        )
        .order_by(c.sort_key)
        .limit(21)
    ).all()
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise Ambiguous(N_("customer"), ref, [f"{r.code} {r.name}" for r in partial])
    raise NotFound(_("no customer matches {ref!r}").format(ref=ref))


def resolve_customer(session: Session, ref: str) -> Customer:
    """The record of the customer ``find_customer`` finds, for writers that change it."""
    from crmcli.models import Customer

    found = session.get(Customer, find_customer(session, ref).id)
    assert found is not None
    return found


def _code_taken(bind: Any, code: str) -> bool:
    c = schema.customer.c
    return bind.scalar(select(c.id).where(c.code == code)) is not None


def _next_code(bind: Any) -> str:
    highest = bind.scalar(select(func.max(schema.customer.c.id))) or 0
    number = highest + 1
    while True:
        code = f"C{number:06d}"
        if not _code_taken(bind, code):
            return code
        number += 1


def _apply_name(values: dict[str, Any]) -> None:
    if "name" in values:
        values["name_key"] = normalize.name_key(values["name"])
        values["sort_key"], values["search_key"] = normalize.pinyin_keys(values["name"])


def _birthday_values(
    birthday: str | None,
    lunar: bool | None,
    leap: bool | None,
    current: Customer | Contact | None = None,
) -> dict[str, Any]:
    if birthday is None and lunar is None and leap is None:
        return {}
    text = birthday if birthday is not None else (current.birthday if current else None)
    use_lunar = lunar if lunar is not None else bool(current and current.birthday_lunar)
    use_leap = leap if leap is not None else bool(current and current.birthday_leap)
    if not text:
        return {"birthday": None, "birthday_lunar": False, "birthday_leap": False, "birth_md": None}
    normalized = parse_birthday(text, lunar=use_lunar, leap=use_leap)
    return {
        "birthday": normalized,
        "birthday_lunar": use_lunar,
        "birthday_leap": use_leap,
        "birth_md": normalized[-5:],
    }


def check_input(
    raw: dict[str, str | None],
    *,
    birthday: str | None = None,
    lunar: bool = False,
    leap: bool = False,
) -> None:
    """Refuse bad values before the database is even opened (nothing is written)."""
    parse_fields(CUSTOMER_FIELDS, raw)
    if birthday:
        parse_birthday(birthday, lunar=lunar, leap=leap)


def add_customer(
    session: Session,
    actor: Actor,
    raw: dict[str, str | None],
    *,
    birthday: str | None = None,
    lunar: bool = False,
    leap: bool = False,
    reason: str | None = None,
    allow_duplicate: bool = False,
) -> Row[Any]:
    """Add a customer (one INSERT; the table's defaults fill what was not given); its row
    as stored, due days included. A customer that an import would take for one already
    stored (same code, else phone, else name) is refused unless ``allow_duplicate``; the
    primary contact given is a contact of its own."""
    values = parse_fields(CUSTOMER_FIELDS, raw)
    if not values.get("name"):
        raise InvalidInput(_("customer name must not be empty"))
    values.update(_birthday_values(birthday, lunar or None, leap or None))
    code = values.get("code")
    if code:
        if _code_taken(session, code):
            raise InvalidInput(_("customer code {code!r} already exists").format(code=code))
    else:
        values["code"] = _next_code(session)
    values.setdefault("owner", actor.user)
    values = {k: v for k, v in values.items() if v is not None}
    _apply_name(values)
    if not allow_duplicate:
        _refuse_duplicate(session, {**values, "code": code})  # the code as given, if any
    added = session.execute(
        insert(schema.customer).values(created_on=actor.today, **values)
    ).inserted_primary_key[0]
    history.record(session, actor, [history.customer_created(added, reason)])
    if values.get("contact_name"):
        session.execute(
            insert(schema.contact).values(customer_id=added, name=values["contact_name"])
        )
        history.record(session, actor, [history.contact_added(added, values["contact_name"])])
    cadence.due_changed(session, [added])
    cadence.settle(session, actor.config)
    row = customer_row(session, added)
    assert row is not None
    return row


DUPLICATE = N_(
    "a customer with the same {key} exists: {code} {name}; "
    "pass --allow-duplicate to add another anyway"
)


def _refuse_duplicate(bind: Any, values: dict[str, Any]) -> None:
    """The duplicate rule of imports (SPEC §4: code, else phone, else normalised name),
    asked of one customer about to be added."""
    from crmcli.io.tables import CUSTOMERS

    c = schema.customer.c
    for key in CUSTOMERS.keys:
        if not all(values.get(column) for column in key.columns):
            continue
        found = bind.execute(
            select(c.code, c.name)
            .where(*(c[column] == values[column] for column in key.columns))
            .order_by(c.id)
            .limit(1)
        ).first()
        if found is not None:
            raise InvalidInput(
                _(DUPLICATE).format(key=_(key.label), code=found.code, name=found.name)
            )
        if key.decisive:
            return


def edit_customer(
    session: Session,
    actor: Actor,
    customer: Customer,
    raw: dict[str, str | None],
    *,
    birthday: str | None = None,
    lunar: bool | None = None,
    leap: bool | None = None,
    reason: str | None = None,
) -> list[tuple[str, Any, Any]]:
    """Apply changes; returns (field, old, new) for each field that really changed."""
    values = parse_fields(CUSTOMER_FIELDS, raw)
    values.update(_birthday_values(birthday, lunar, leap, customer))
    if "name" in values and not values["name"]:
        raise InvalidInput(_("customer name must not be empty"))
    if (
        values.get("code")
        and values["code"] != customer.code
        and _code_taken(session, values["code"])
    ):
        raise InvalidInput(_("customer code {code!r} already exists").format(code=values["code"]))
    if "code" in values and not values["code"]:
        raise InvalidInput(_("customer code must not be empty"))
    return apply_changes(session, actor, customer, values, reason)


def apply_changes(
    session: Session, actor: Actor, customer: Customer, values: dict[str, Any], reason: str | None
) -> list[tuple[str, Any, Any]]:
    changes = [
        (k, getattr(customer, k), v)
        for k, v in values.items()
        if getattr(customer, k) != v and k not in DERIVED
    ]
    if not changes:
        return []
    derived = dict(values)
    _apply_name(derived)
    for key, value in derived.items():
        setattr(customer, key, value)
    history.record(
        session,
        actor,
        (history.Change(customer.id, field, old, new, reason) for field, old, new in changes),
    )
    cadence.settle(session, actor.config)
    return changes


def set_tier(
    session: Session,
    actor: Actor,
    customer: Customer,
    tier: str,
    *,
    lock: bool | None,
    reason: str | None,
) -> list[tuple[str, Any, Any]]:
    values: dict[str, Any] = {"tier": tier}
    if lock is not None:
        values["tier_locked"] = lock
    return apply_changes(session, actor, customer, values, reason)


def customer_history(bind: Any, customer: Any, limit: int | None = None) -> list[Row[Any]]:
    h = schema.history.c
    query = (
        select(schema.history)
        .where(h.customer_id == customer.id)
        .order_by(h.at.desc(), h.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return list(bind.execute(query).all())


def customer_detail(bind: Any, customer: Any, *, limit: int = 20) -> dict[str, Any]:
    """A customer's profile: its contacts, latest follow-ups, plans (open first) and history."""
    t = schema
    k, f, p = t.contact.c, t.followup.c, t.plan.c
    contacts = bind.execute(
        select(t.contact).where(k.customer_id == customer.id).order_by(k.id)
    ).all()
    followups = bind.execute(
        select(t.followup)
        .where(f.customer_id == customer.id)
        .order_by(f.at.desc(), f.id.desc())
        .limit(limit)
    ).all()
    plans = bind.execute(
        select(t.plan)
        .where(p.customer_id == customer.id)
        .order_by((p.status == "open").desc(), p.due_on.desc(), p.id.desc())
        .limit(limit)
    ).all()
    return {
        "customer": customer,
        "classification": classification_reasons(bind, customer),
        "contacts": list(contacts),
        "followups": list(followups),
        "plans": list(plans),
        "history": customer_history(bind, customer, limit),
    }


def classification_reasons(bind: Any, customer: Any) -> dict[str, dict[str, Any]]:
    """The last recorded change of grade, value and tier: when, by whom, and why."""
    h = schema.history.c
    found: dict[str, dict[str, Any]] = {}
    for field in ("grade", "value", "tier"):
        row = bind.execute(
            select(h.at, h.user, h.command, h.reason)
            .where(h.customer_id == customer.id, h.field == field)
            .order_by(h.at.desc(), h.id.desc())
            .limit(1)
        ).first()
        if row is not None:
            found[field] = {
                "at": row.at,
                "user": row.user,
                "command": row.command,
                "reason": row.reason,
            }
    return found
