"""The daily digest for cron (crm remind): every duty of the day, in a fixed order.

1. overdue visits and calls (cadence and outreach call-back rules of services.cadence),
2. complaints past (or reaching, by the end of the day) a response or resolution target,
3. plans due today or late, 4. open projects past their expected close, 5. greetings
due today, 6. greetings missed yesterday, 7. monthly calls still missing this month,
8. campaigns with customers not yet told, 9. customers due for their yearly
satisfaction survey.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select

from crmcli import schema
from crmcli.config import Config
from crmcli.enums import CHANNEL, PROJECT_STAGE, SEVERITY, TERMINAL_STAGES, Choice
from crmcli.i18n import N_, Nn_, label
from crmcli.services import cadence, complaints, compliance, projects, surveys

SECTIONS = (
    "overdue",
    "complaints",
    "plans",
    "projects",
    "greetings_today",
    "greetings_missed",
    "monthly_calls",
    "campaigns",
    "surveys",
)
# English in JSON; the table shows them through the catalogue.
DUTY_LABELS = {
    "overdue": N_("contact overdue"),
    "complaints": N_("complaint late"),
    "surveys": N_("survey due"),
    "plans": N_("plan due"),
    "projects": N_("project late"),
    "greetings_today": N_("greet today"),
    "greetings_missed": N_("greeting missed"),
    "monthly_calls": N_("monthly call"),
    "campaigns": N_("tell about campaign"),
}


class Item(NamedTuple):
    """One duty of the digest. A digest can hold a hundred thousand of them, so it is a
    tuple, and ``extra`` (the section's own JSON fields) is shared where it can be."""

    section: str
    owner: str | None
    customer_id: int
    code: str
    name: str
    detail: str
    due_on: date
    days_late: int
    extra: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "duty": DUTY_LABELS[self.section],
            "customer_id": self.customer_id,
            "code": self.code,
            "name": self.name,
            "owner": self.owner,
            "detail": self.detail,
            "due_on": self.due_on.isoformat(),  # as JSON has it, without a converter call
            "days_late": self.days_late,
            **self.extra,
        }


# The details of the duties: English in JSON, worded by ``text`` for a table.
DETAILS = {
    "complaint": N_("{severity} complaint #{id}: {target} due {due} ({summary})"),
    "plan": N_("#{id} {channel}: {content} (due {due})"),
    "project": N_("{reason} ({stage})"),
    "never_surveyed": N_("never surveyed"),
    "last_survey": N_("last survey {on}"),
}
PLURAL_DETAILS = {
    "monthly_call": Nn_(
        "no phone call yet in {month} ({days} day left)",
        "no phone call yet in {month} ({days} days left)",
    ),
    "campaign": Nn_("{campaign} on {on} (in {days} day)", "{campaign} on {on} (in {days} days)"),
}
COMPLAINT_TARGETS = {"response": N_("response"), "resolution": N_("resolution")}


class Words(NamedTuple):
    """How details are worded: the catalogue's ``text`` and enumeration labels for
    people, or the English texts and values as they are (JSON)."""

    text: Callable[[str], str] | None

    def __call__(self, key: str, **fields: Any) -> str:
        message = DETAILS[key]
        return (self.text(message) if self.text else message).format(**fields)

    def counted(self, key: str, n: int, **fields: Any) -> str:
        """A detail with a count in it, in the form for ``n``."""
        singular, plural = PLURAL_DETAILS[key]
        if self.text:
            from crmcli.i18n import ngettext

            return ngettext(singular, plural, n).format(**fields)
        return (singular if n == 1 else plural).format(**fields)

    def word(self, message: str) -> str:
        return self.text(message) if self.text else message

    def value(self, choice: Choice, value: str) -> str:
        return label(choice, value) if self.text else value


def digest(
    bind: Any,
    config: Config,
    as_of: date,
    *,
    owner: str | None = None,
    text: Callable[[str], str] | None = None,
) -> dict[str, list[Item]]:
    """Every duty of the day by section; ``bind`` is a Core connection or a session;
    ``text`` (a catalogue's gettext) words the overdue reasons for people."""
    yesterday = as_of - timedelta(days=1)
    words = Words(text)
    return {
        "overdue": _overdue(bind, config, as_of, owner, words),
        "complaints": _complaints(bind, config, as_of, owner, words),
        "plans": _plans(bind, as_of, owner, words),
        "projects": _projects(bind, as_of, owner, words),
        "greetings_today": _greetings(bind, config, "greetings_today", as_of, as_of, owner),
        "greetings_missed": _greetings(bind, config, "greetings_missed", yesterday, as_of, owner),
        "monthly_calls": _monthly_calls(bind, config, as_of, owner, words),
        "campaigns": _campaigns(bind, as_of, owner, words),
        "surveys": _surveys(bind, config, as_of, owner, words),
    }


def _overdue(bind: Any, config: Config, as_of: date, owner: str | None, words: Words) -> list[Item]:
    items = []
    joint = words.word("; ")
    for row in cadence.overdue_customers(bind, config, as_of, owner=owner, text=words.text):
        reasons = [r for r in row.reasons if r.rule not in ("plan", "project")]
        if reasons:
            earliest = reasons[0]
            items.append(
                Item(
                    "overdue",
                    row.owner,
                    row.id,
                    row.code,
                    row.name,
                    joint.join([r.text for r in reasons]),
                    earliest.due_on,
                    earliest.days_overdue,
                    {"rules": [r.rule for r in reasons]},
                )
            )
    # Plan and project reasons went to their own sections: order by what is left, most late first.
    items.sort(key=lambda item: -item.days_late)
    return items


def _complaints(
    bind: Any, config: Config, as_of: date, owner: str | None, words: Words
) -> list[Item]:
    """Open complaints whose response or resolution target is past by the end of the
    day: the handler's duty (seed 003 三.1, 四), most late first."""
    end_of_day = datetime.combine(as_of, time(23, 59, 59))
    items = []
    for k in complaints.list_complaints(bind, config, end_of_day, breaching=True, owner=owner):
        target = k.response if k.response.state == "breaching" else k.resolution
        items.append(
            Item(
                "complaints",
                k.handler,
                k.customer_id,
                k.code,
                k.name,
                words(
                    "complaint",
                    severity=words.value(SEVERITY, k.severity),
                    id=k.id,
                    target=words.word(COMPLAINT_TARGETS[target.name]),
                    due=f"{target.due:%Y-%m-%d %H:%M}",
                    summary=k.summary,
                ),
                target.due.date(),
                (as_of - target.due.date()).days,
                {"complaint_id": k.id, "target": target.name},
            )
        )
    return items


def _surveys(bind: Any, config: Config, as_of: date, owner: str | None, words: Words) -> list[Item]:
    return [
        Item(
            "surveys",
            d.owner,
            d.customer_id,
            d.code,
            d.name,
            words("never_surveyed") if d.last_on is None else words("last_survey", on=d.last_on),
            d.due_on,
            d.days_overdue,
            {},
        )
        for d in surveys.surveys_due(bind, config, as_of, owner=owner)
    ]


def _plans(bind: Any, as_of: date, owner: str | None, words: Words) -> list[Item]:
    t = schema
    p, c = t.plan.c, t.customer.c
    query = (
        select(
            p.id, p.customer_id, p.owner, p.channel, p.content, p.due_on, p.due_time, c.code, c.name
        )
        .join(t.customer, c.id == p.customer_id)
        # Junk and lost end every duty, as in ``crm overdue``.
        .where(p.status == "open", p.due_on <= as_of, c.stage.notin_(TERMINAL_STAGES))
        .order_by(p.due_on, p.due_time, p.id)
    )
    if owner:
        query = query.where(p.owner == owner)
    items = []
    for plan in bind.execute(query):
        when = f"{plan.due_on}" + (f" {plan.due_time}" if plan.due_time else "")
        items.append(
            Item(
                "plans",
                plan.owner,
                plan.customer_id,
                plan.code,
                plan.name,
                words(
                    "plan",
                    id=plan.id,
                    channel=words.value(CHANNEL, plan.channel),
                    content=plan.content,
                    due=when,
                ),
                plan.due_on,
                (as_of - plan.due_on).days,
                {"plan_id": plan.id},
            )
        )
    return items


def _projects(bind: Any, as_of: date, owner: str | None, words: Words) -> list[Item]:
    """Open projects past their expected close: the project owner's duty."""
    return [
        Item(
            "projects",
            p.owner,
            p.customer_id,
            p.code,
            p.customer_name,
            words(
                "project",
                reason=words.word(projects.LATE_REASON).format(
                    id=p.id, name=p.name, expected=p.expected_on
                ),
                stage=words.value(PROJECT_STAGE, p.stage),
            ),
            p.expected_on,
            (as_of - p.expected_on).days,
            {"project_id": p.id, "stage": p.stage},
        )
        for p in projects.late_projects(bind, as_of, owner=owner)
    ]


def _greetings(
    bind: Any, config: Config, section: str, day: date, as_of: date, owner: str | None
) -> list[Item]:
    late = (as_of - day).days
    shared: dict[str, dict[str, Any]] = {}  # one extra per occasion for customer greetings
    items = []
    for g in compliance.greeting_rows(bind, config, day, owner=owner, pending_only=True):
        extra = shared.get(g.occasion) if g.contact_id is None else None
        if extra is None:
            extra = {
                "occasion": g.occasion,
                "contact_id": g.contact_id,
                "contact_name": g.contact_name,
            }
            if g.contact_id is None:
                shared[g.occasion] = extra
        items.append(
            Item(section, g.owner, g.customer_id, g.code, g.name, g.detail, day, late, extra)
        )
    return items


def _monthly_calls(
    bind: Any, config: Config, as_of: date, owner: str | None, words: Words
) -> list[Item]:
    first, following = compliance.month_bounds(as_of)
    month_end = following - timedelta(days=1)
    month = f"{first:%Y-%m}"
    left = (month_end - as_of).days
    detail = words.counted("monthly_call", left, month=month, days=left)
    extra = {"month": month}
    rows = compliance.calls_missing_rows(
        bind, config, as_of, owner=owner, until=as_of + timedelta(days=1)
    )
    return [
        Item("monthly_calls", owner_, id_, code, name, detail, month_end, 0, extra)
        for id_, code, name, owner_, _first in rows
    ]


def _campaigns(bind: Any, as_of: date, owner: str | None, words: Words) -> list[Item]:
    items: list[Item] = []
    # A customer told on the campaign's day was told too late (a miss, ``greet missed``):
    # the digest lists campaigns still ahead, due the day before.
    ahead = compliance.campaigns_between(bind, as_of + timedelta(days=1), None, known_on=as_of)
    for campaign in ahead:
        ahead_by = (campaign.on - as_of).days
        detail = words.counted(
            "campaign", ahead_by, campaign=campaign.name, on=campaign.on, days=ahead_by
        )
        extra = {"campaign": campaign.name}
        last = campaign.on - timedelta(days=1)
        items += [
            Item("campaigns", owner_, id_, code, name, detail, last, 0, extra)
            for id_, code, name, owner_, _done in compliance.campaign_audience_rows(
                bind, campaign, owner=owner
            )
        ]
    return items


def summarize(sections: dict[str, list[Item]]) -> list[dict[str, Any]]:
    """One row per salesperson and duty, in owner order then section order: how many
    duties, and the most days late among them (a team lead's view of the digest)."""
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for order, name in enumerate(SECTIONS):
        for item in sections[name]:
            key = (item.owner or "", order)
            row = rows.get(key)
            if row is None:
                rows[key] = {
                    "owner": item.owner,
                    "duty": DUTY_LABELS[name],
                    "count": 1,
                    "most_days_late": item.days_late,
                }
            else:
                row["count"] += 1
                row["most_days_late"] = max(row["most_days_late"], item.days_late)
    return [rows[key] for key in sorted(rows)]
