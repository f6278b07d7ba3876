"""Row shapes for output: the documented JSON objects and the table columns."""

from __future__ import annotations

from typing import Any

from crmcli.i18n import N_
from crmcli.output import Col

CUSTOMER_JSON_FIELDS = (
    "id",
    "code",
    "name",
    "kind",
    "contact_name",
    "phone",
    "email",
    "address",
    "region",
    "industry",
    "scale",
    "need",
    "needs_note",
    "main_business",
    "budget",
    "source",
    "channel",
    "stage",
    "tier",
    "tier_locked",
    "grade",
    "value",
    "potential",
    "likelihood",
    "cooperation_plan",
    "owner",
    "intake_by",
    "project_lead",
    "birthday",
    "birthday_lunar",
    "birthday_leap",
    "tags",
    "notes",
    "created_on",
    "last_contact_at",
    "next_due_at",
    "created_at",
    "updated_at",
)

CUSTOMER_COLUMNS = (
    Col("code", "Code"),
    Col("name", "Name"),
    Col("tier", "Tier"),
    Col("stage", "Stage"),
    Col("owner", "Owner"),
    Col("phone", "Phone"),
    Col("last_contact", "Last contact"),
    Col("next_due", "Next due"),
)


def customer_json(customer: Any) -> dict[str, Any]:
    """A customer (model or Core row) as the documented JSON object."""
    fields = getattr(customer, "_fields", None)
    if fields is not None:  # a row: by position, as a row's attributes are slow to ask
        values = dict(zip(fields, customer, strict=True))
        data = {name: values[name] for name in CUSTOMER_JSON_FIELDS}
    else:
        data = {name: getattr(customer, name) for name in CUSTOMER_JSON_FIELDS}
    data["tags"] = customer.tags.split(",") if customer.tags else []
    return data


def customer_row(customer: Any) -> dict[str, Any]:
    from crmcli.enums import STAGE, TIER
    from crmcli.i18n import _, label
    from crmcli.text.normalize import phone_display

    tier = label(TIER, customer.tier)
    return {
        "code": customer.code,
        "name": customer.name,
        "tier": _("{tier} (locked)").format(tier=tier) if customer.tier_locked else tier,
        "stage": label(STAGE, customer.stage),
        "owner": customer.owner,
        "phone": phone_display(customer.phone),
        "last_contact": customer.last_contact_at.date() if customer.last_contact_at else None,
        "next_due": customer.next_due_at,
    }


def contact_json(contact: Any, customer: Any | None = None) -> dict[str, Any]:
    data = {
        "id": contact.id,
        "customer_id": contact.customer_id,
        "name": contact.name,
        "title": contact.title,
        "phone": contact.phone,
        "email": contact.email,
        "gender": contact.gender,
        "birthday": contact.birthday,
        "birthday_lunar": contact.birthday_lunar,
        "birthday_leap": contact.birthday_leap,
        "notes": contact.notes,
    }
    if customer is not None:
        data["customer_code"] = customer.code
        data["customer_name"] = customer.name
    return data


def birthday_text(obj: Any) -> str | None:
    if not obj.birthday:
        return None
    if obj.birthday_lunar:
        return f"{obj.birthday} (农历{'闰月' if obj.birthday_leap else ''})"
    return obj.birthday


def followup_json(f: Any) -> dict[str, Any]:
    return {
        "id": f.id,
        "customer_id": f.customer_id,
        "contact_id": f.contact_id,
        "at": f.at,
        "channel": f.channel,
        "summary": f.summary,
        "result": f.result,
        "owner": f.owner,
        "project_id": f.project_id,
    }


def plan_json(p: Any, customer: Any | None = None) -> dict[str, Any]:
    data = {
        "id": p.id,
        "customer_id": p.customer_id,
        "due_on": p.due_on,
        "due_time": p.due_time,
        "channel": p.channel,
        "content": p.content,
        "owner": p.owner,
        "status": p.status,
        "followup_id": p.followup_id,
    }
    if customer is not None:
        data["customer_code"] = customer.code
        data["customer_name"] = customer.name
    return data


# The words of history's field names (``project.3.stage``: project, its id, stage), shown
# in Chinese; history keeps the English names, and JSON shows them.
FIELD_WORDS = frozenset(
    {
        N_("customer"), N_("contact"), N_("sale"), N_("refund"), N_("plan"), N_("survey"),
        N_("complaint"), N_("project"), N_("tier"), N_("stage"), N_("owner"), N_("status"),
        N_("waiting"), N_("approval"), N_("doc"), N_("birthday"), N_("birthday_lunar"),
        N_("email"), N_("phone"), N_("title"), N_("notes"), N_("gender"), N_("name"),
        N_("code"), N_("grade"), N_("value"), N_("industry"), N_("scale"), N_("source"),
        N_("channel"), N_("need"), N_("potential"), N_("address"), N_("kind"),
        N_("contact_name"), N_("region"), N_("budget"), N_("tier_locked"),
    }
)  # fmt: skip


# How history keeps a yes/no field (``tier_locked``), as people read it.
TRUTH = {"True": N_("yes"), "False": N_("no")}


def change_shown(field: str, old: Any, new: Any) -> tuple[str, Any, Any]:
    """A change as people read it: in Chinese its field in words, enumeration values by
    their labels (``tier``: core → 分类: 核心) and the texts history words itself through
    their phrases (``added 张三`` → 新增 张三); in English as history keeps it."""
    from crmcli import enums, phrases
    from crmcli.i18n import _, label, language, pgettext

    if language() == "en":
        return field, old, new
    parts = field.split(".")
    choice = {
        "tier": enums.TIER,
        "stage": enums.PROJECT_STAGE if parts[0] == "project" else enums.STAGE,
        "status": enums.COMPLAINT_STATUS,
        "kind": enums.KIND,
        "gender": enums.GENDER,
        "value": enums.VALUE,
        "scale": enums.SCALE,
        "source": enums.SOURCE,
        "need": enums.NEED,
        "potential": enums.POTENTIAL,
    }.get(parts[-1])
    if choice is not None:
        old, new = (v if v is None else label(choice, v) for v in (old, new))
    elif parts[-1] == "tier_locked":
        old, new = (_(TRUTH[str(v)]) if str(v) in TRUTH else v for v in (old, new))
    else:
        old, new = phrases.read(field, old), phrases.read(field, new)

    def word(part: str) -> str:
        if part.isdigit():
            return f"#{part}"
        if part == "contact":  # a contact person 联系人, not a contact made 联系
            return pgettext("history", "contact")
        return _(part) if part in FIELD_WORDS else part

    words = [word(p) for p in parts]
    return " ".join(words), old, new


def history_row(h: Any, tz_name: str) -> dict[str, Any]:
    """A history row for people: its UTC time on the team's clock (config timezone), its
    field, values and reason in the interface language."""
    from crmcli import phrases
    from crmcli.dates import local_time

    field, old, new = change_shown(h.field, h.old, h.new)
    return {
        **history_json(h),
        "at": f"{local_time(h.at, tz_name):%Y-%m-%d %H:%M}",
        "field": field,
        "old": old,
        "new": new,
        "reason": phrases.read(phrases.REASON, h.reason),
    }


def history_json(h: Any) -> dict[str, Any]:
    return {
        "id": h.id,
        "customer_id": h.customer_id,
        "at": h.at,
        "user": h.user,
        "field": h.field,
        "old": h.old,
        "new": h.new,
        "command": h.command,
        "reason": h.reason,
    }


HISTORY_COLUMNS = (
    Col("at", "When"),
    Col("user", "Who"),
    Col("field", "Field"),
    Col("old", "Old"),
    Col("new", "New"),
    Col("command", "Command"),
    Col("reason", "Reason"),
)
