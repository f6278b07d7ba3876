"""The daily digest for cron (crm remind): every duty of the day, in a fixed order.

1. overdue visits and calls (cadence and outreach call-back rules of services.cadence),
2. plans due today or late, 3. greetings due today, 4. greetings missed yesterday,
5. monthly calls still missing this month, 6. campaigns with customers not yet told.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from crmcli.config import Config
from crmcli.schema import tables
from crmcli.services import cadence, compliance

SECTIONS = ("overdue", "plans", "greetings_today", "greetings_missed", "monthly_calls", "campaigns")
DUTY_LABELS = {
    "overdue": "contact overdue",
    "plans": "plan due",
    "greetings_today": "greet today",
    "greetings_missed": "greeting missed",
    "monthly_calls": "monthly call",
    "campaigns": "tell about campaign",
}


@dataclass(slots=True)
class Item:
    section: str
    customer_id: int
    code: str
    name: str
    owner: str | None
    detail: str
    due_on: date
    days_late: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def duty(self) -> str:
        return DUTY_LABELS[self.section]

    def as_dict(self) -> dict[str, Any]:
        return {
            "duty": DUTY_LABELS[self.section],
            "customer_id": self.customer_id,
            "code": self.code,
            "name": self.name,
            "owner": self.owner,
            "detail": self.detail,
            "due_on": self.due_on,
            "days_late": self.days_late,
            **self.extra,
        }


def digest(
    bind: Any, config: Config, as_of: date, *, owner: str | None = None
) -> dict[str, list[Item]]:
    """Every duty of the day by section; ``bind`` is a Core connection or a session."""
    result: dict[str, list[Item]] = {name: [] for name in SECTIONS}

    overdue = result["overdue"]
    for row in cadence.overdue_customers(bind, config, as_of, owner=owner):
        reasons = [r for r in row.reasons if r.rule != "plan"]
        if reasons:
            earliest = reasons[0]
            overdue.append(
                Item(
                    "overdue",
                    row.id,
                    row.code,
                    row.name,
                    row.owner,
                    "; ".join([r.text for r in reasons]),
                    earliest.due_on,
                    earliest.days_overdue,
                    {"rules": [r.rule for r in reasons]},
                )
            )
    # Plan reasons went to their own section: order by what is left, most late first.
    overdue.sort(key=lambda item: -item.days_late)

    t = tables(bind)
    p, c = t.plan.c, t.customer.c
    query = (
        select(
            p.id, p.customer_id, p.owner, p.channel, p.content, p.due_on, p.due_time, c.code, c.name
        )
        .join(t.customer, c.id == p.customer_id)
        .where(p.status == "open", p.due_on <= as_of)
        .order_by(p.due_on, p.due_time, p.id)
    )
    if owner:
        query = query.where(p.owner == owner)
    for plan in bind.execute(query):
        when = f"{plan.due_on}" + (f" {plan.due_time}" if plan.due_time else "")
        result["plans"].append(
            Item(
                "plans",
                plan.customer_id,
                plan.code,
                plan.name,
                plan.owner,
                f"#{plan.id} {plan.channel}: {plan.content} (due {when})",
                plan.due_on,
                (as_of - plan.due_on).days,
                {"plan_id": plan.id},
            )
        )

    for key, day in (("greetings_today", as_of), ("greetings_missed", as_of - timedelta(days=1))):
        late = (as_of - day).days
        result[key] = [
            Item(
                key,
                duty.customer_id,
                duty.code,
                duty.name,
                duty.owner,
                duty.detail,
                day,
                late,
                {
                    "occasion": duty.occasion,
                    "contact_id": duty.contact_id,
                    "contact_name": duty.contact_name,
                },
            )
            for duty in compliance.greetings_on(bind, config, day, owner=owner, pending_only=True)
        ]

    first, following = compliance.month_bounds(as_of)
    month_end = following - timedelta(days=1)
    month = f"{first:%Y-%m}"
    detail = f"no phone call yet in {month} ({(month_end - as_of).days} days left)"
    result["monthly_calls"] = [
        Item(
            "monthly_calls",
            duty.customer_id,
            duty.code,
            duty.name,
            duty.owner,
            detail,
            month_end,
            0,
            {"month": month},
        )
        for duty in compliance.calls_missing(
            bind, config, as_of, owner=owner, until=as_of + timedelta(days=1)
        )
    ]

    for campaign in compliance.campaigns_between(bind, as_of, None):
        detail = f"{campaign.name} on {campaign.on} (in {(campaign.on - as_of).days} days)"
        result["campaigns"] += [
            Item(
                "campaigns",
                duty.customer_id,
                duty.code,
                duty.name,
                duty.owner,
                detail,
                campaign.on,
                0,
                {"campaign": campaign.name},
            )
            for duty in compliance.campaign_audience(bind, campaign, owner=owner)
        ]
    return result


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
