"""联系人: the people at a customer, with the personal details seed 003 asks to keep."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli import history
from crmcli.errors import Ambiguous, InvalidInput, NotFound
from crmcli.history import DERIVED
from crmcli.i18n import _
from crmcli.models import Contact, Customer
from crmcli.services.context import Actor
from crmcli.services.customers import _birthday_values
from crmcli.text import normalize
from crmcli.text.bounds import record_id
from crmcli.text.fields import CONTACT_FIELDS, parse_fields


def add_contact(
    session: Session,
    actor: Actor,
    customer: Customer,
    raw: dict[str, str | None],
    *,
    birthday: str | None = None,
    lunar: bool = False,
    leap: bool = False,
    completed: list[Contact] | None = None,
) -> Contact:
    """Add a contact, or complete the one of the same name the customer already has (the
    primary contact ``customer add --contact`` made) when nothing given contradicts it;
    a contact completed so is appended to ``completed``."""
    values = parse_fields(CONTACT_FIELDS, raw)
    if not values.get("name"):
        raise InvalidInput(_("contact name must not be empty"))
    values.update(_birthday_values(birthday, lunar or None, leap or None))
    same = _completable(session, customer, values)
    if same is not None:
        edit_contact(session, actor, same, raw, birthday=birthday, lunar=lunar, leap=leap)
        if completed is not None:
            completed.append(same)
        return same
    contact = Contact(customer_id=customer.id, **{k: v for k, v in values.items() if v is not None})
    session.add(contact)
    session.flush()
    history.record(session, actor, [history.contact_added(customer.id, contact.name)])  # type: ignore[arg-type]
    return contact


def _completable(session: Session, customer: Customer, values: dict[str, object]) -> Contact | None:
    """The customer's one contact of this name whose every stored detail agrees with
    ``values`` (empty or equal), if there is exactly one."""
    key = normalize.name_key(str(values["name"]))
    contacts = session.scalars(select(Contact).where(Contact.customer_id == customer.id)).all()
    same = [c for c in contacts if normalize.name_key(c.name) == key]
    if len(same) != 1:
        return None
    found = same[0]
    for field, value in values.items():
        if field in DERIVED or field == "name" or value is None:
            continue
        stored = getattr(found, field, None)
        if stored not in (None, "", False, value):  # False: a flag never set
            return None
    return found


def resolve_contact(session: Session, customer: Customer, ref: str) -> Contact:
    text = ref.strip()
    number = record_id(text) if text.isdigit() else None
    if number is not None:
        found = session.get(Contact, number)
        if found is not None and found.customer_id == customer.id:
            return found
    key = normalize.name_key(text)
    contacts = session.scalars(select(Contact).where(Contact.customer_id == customer.id)).all()
    exact = [c for c in contacts if normalize.name_key(c.name) == key]
    matches = exact or [c for c in contacts if key in normalize.name_key(c.name)]
    if not matches and key.isascii() and key.isalnum():
        # Typed in pinyin, as customers may be: wangfang or wf for 王芳.
        spelt = {c.id: normalize.pinyin_keys(c.name)[1].split("|") for c in contacts}
        exact = [c for c in contacts if key in spelt[c.id]]
        matches = exact or [c for c in contacts if spelt[c.id][0].startswith(key)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise Ambiguous("contact", ref, [f"{c.id} {c.name}" for c in matches])
    raise NotFound(_("{name} has no contact matching {ref!r}").format(name=customer.name, ref=ref))


def edit_contact(
    session: Session,
    actor: Actor,
    contact: Contact,
    raw: dict[str, str | None],
    *,
    birthday: str | None = None,
    lunar: bool | None = None,
    leap: bool | None = None,
) -> list[tuple[str, object, object]]:
    values = parse_fields(CONTACT_FIELDS, raw)
    if "name" in values and not values["name"]:
        raise InvalidInput(_("contact name must not be empty"))
    values.update(_birthday_values(birthday, lunar, leap, contact))
    changes = [
        (k, getattr(contact, k), v)
        for k, v in values.items()
        if getattr(contact, k) != v and k not in DERIVED
    ]
    for key, value in values.items():
        setattr(contact, key, value)
    history.record(
        session,
        actor,
        (
            history.Change(contact.customer_id, f"contact.{contact.id}.{field}", old, new)
            for field, old, new in changes
        ),
    )
    session.flush()
    return changes


def list_contacts(
    session: Session, customer: Customer | None = None
) -> list[tuple[Contact, Customer]]:
    query = select(Contact, Customer).join(Customer, Contact.customer_id == Customer.id)
    if customer is not None:
        query = query.where(Contact.customer_id == customer.id)
    query = query.order_by(Customer.sort_key, Contact.id)
    return [(row[0], row[1]) for row in session.execute(query).all()]
