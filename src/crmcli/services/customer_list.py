"""客户列表: the customers of ``crm customer list``, in pinyin order of their names.

Only reads, on a Core connection or a session, through the tables of crmcli.schema: the
most used listing of all needs neither the ORM nor the model classes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from crmcli import schema
from crmcli.errors import InvalidInput, NotFound
from crmcli.i18n import _
from crmcli.text import normalize


def check_owner(bind: Any, owner: str) -> None:
    """Refuse an ``--owner`` that owns no customer and no plan: in a crontab, a misspelt
    name would be a salesperson who silently never hears of a duty again."""
    t = schema
    if bind.execute(select(select(t.customer.c.id).exists())).scalar() is False:
        return  # a fresh database: nobody owns anything yet, so no name is a typo
    owns = select(t.customer.c.id).where(t.customer.c.owner == owner).exists()
    plans = select(t.plan.c.id).where(t.plan.c.owner == owner).exists()
    if bind.execute(select(or_(owns, plans))).scalar():
        return
    c = t.customer.c
    known = bind.execute(
        select(c.owner).where(c.owner.is_not(None)).group_by(c.owner).order_by(c.owner).limit(11)
    ).scalars()
    names = list(known)
    listed = ", ".join(names[:10]) + (" …" if len(names) > 10 else "")
    raise NotFound(
        _("nobody named {owner!r} owns a customer or a plan{owners}").format(
            owner=owner, owners=_("; owners: {listed}").format(listed=listed) if names else ""
        )
    )


def list_customers(
    bind: Any,
    *,
    tier: str | None = None,
    stage: str | None = None,
    owner: str | None = None,
    search: str | None = None,
    limit: int | None = None,
) -> list[Any]:
    """Rows with every column of the customer; ``search`` matches a part of the name, its
    pinyin or initials, the code, or the phone number (as typed or in part)."""
    customer = schema.customer
    c = customer.c
    query = select(customer)
    if tier:
        query = query.where(c.tier == tier)
    if stage:
        query = query.where(c.stage == stage)
    if owner:
        query = query.where(c.owner == owner)
    if search:
        query = query.where(matching(c, search))
    query = query.order_by(c.sort_key, c.id)
    if limit:
        query = query.limit(limit)
    return list(bind.execute(query).all())


def matching(c: Any, search: str) -> Any:
    """The customers (columns ``c``) a ``--search`` finds: a part of the name, its pinyin or
    initials, the code, the phone number (as typed or in part), or a contact's name or
    phone."""
    pattern = f"%{escape_like(normalize.name_key(search))}%"
    digits = "".join(ch for ch in search if ch.isdigit())
    phone = _as_phone(search)
    k = schema.contact.c
    conditions = [
        # A contact's name finds its customer (张伟 → 华为技术).
        select(k.id)
        .where(k.customer_id == c.id, func.lower(k.name).like(pattern, escape="\\"))
        .exists(),
        c.name_key.like(pattern, escape="\\"),
        c.search_key.like(pattern, escape="\\"),
        func.lower(c.code).like(pattern, escape="\\"),
    ]
    if len(digits) >= 4:
        # Stored in E.164 (+86…): a national form typed with its trunk 0 (021 5080…) or
        # the 0086 prefix is found by the digits after it.
        forms = {digits}
        if digits.startswith("0086"):
            forms.add(digits[2:])
        elif digits.startswith("0"):
            forms.add("86" + digits[1:])
        conditions.extend(c.phone.like(f"%{form}%") for form in forms)
        conditions.append(
            select(k.id)
            .where(k.customer_id == c.id, or_(*(k.phone.like(f"%{f}%") for f in forms)))
            .exists()
        )
    if phone:
        conditions.append(c.phone.like(f"{phone.split(';')[0]}%"))
    return or_(*conditions)


def escape_like(text: str) -> str:
    """Text matched literally inside a LIKE pattern (with ``escape="\\\\"``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _as_phone(text: str) -> str | None:
    """The E.164 form of a search text that is a whole phone number (as shown or typed)."""
    if sum(ch.isdigit() for ch in text) < 7:
        return None
    try:
        return normalize.phone_e164(text)
    except InvalidInput:
        return None
