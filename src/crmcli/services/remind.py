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
from sqlmodel import Session

from crmcli.config import Config
from crmcli.models import Customer, Plan
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


@dataclass
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
    session: Session, config: Config, as_of: date, *, owner: str | None = None
) -> dict[str, list[Item]]:
    result: dict[str, list[Item]] = {name: [] for name in SECTIONS}

    for row in cadence.overdue_customers(session, config, as_of, owner=owner):
        reasons = [r for r in row.reasons if r.rule != "plan"]
        if reasons:
            earliest = reasons[0]
            result["overdue"].append(
                Item(
                    "overdue",
                    row.id,
                    row.code,
                    row.name,
                    row.owner,
                    "; ".join(r.text for r in reasons),
                    earliest.due_on,
                    earliest.days_overdue,
                    {"rules": [r.rule for r in reasons]},
                )
            )
    # Plan reasons went to their own section: order by what is left, most late first.
    result["overdue"].sort(key=lambda item: -item.days_late)

    query = (
        select(Plan, Customer.code, Customer.name)
        .join(Customer, Customer.id == Plan.customer_id)
        .where(Plan.status == "open", Plan.due_on <= as_of)
        .order_by(Plan.due_on, Plan.due_time, Plan.id)
    )
    if owner:
        query = query.where(Plan.owner == owner)
    for plan, code, name in session.execute(query):
        when = f"{plan.due_on}" + (f" {plan.due_time}" if plan.due_time else "")
        result["plans"].append(
            Item(
                "plans",
                plan.customer_id,
                code,
                name,
                plan.owner,
                f"#{plan.id} {plan.channel}: {plan.content} (due {when})",
                plan.due_on,
                (as_of - plan.due_on).days,
                {"plan_id": plan.id},
            )
        )

    for key, day in (("greetings_today", as_of), ("greetings_missed", as_of - timedelta(days=1))):
        for duty in compliance.greetings_on(session, config, day, owner=owner, pending_only=True):
            result[key].append(
                Item(
                    key,
                    duty.customer_id,
                    duty.code,
                    duty.name,
                    duty.owner,
                    duty.detail,
                    day,
                    (as_of - day).days,
                    {
                        "occasion": duty.occasion,
                        "contact_id": duty.contact_id,
                        "contact_name": duty.contact_name,
                    },
                )
            )

    first, following = compliance.month_bounds(as_of)
    month_end = following - timedelta(days=1)
    for duty in compliance.calls_missing(
        session, config, as_of, owner=owner, until=as_of + timedelta(days=1)
    ):
        left = (month_end - as_of).days
        result["monthly_calls"].append(
            Item(
                "monthly_calls",
                duty.customer_id,
                duty.code,
                duty.name,
                duty.owner,
                f"no phone call yet in {first:%Y-%m} ({left} days left)",
                month_end,
                0,
                {"month": f"{first:%Y-%m}"},
            )
        )

    for campaign in compliance.campaigns_between(session, as_of, None):
        for duty in compliance.campaign_audience(session, campaign, owner=owner):
            result["campaigns"].append(
                Item(
                    "campaigns",
                    duty.customer_id,
                    duty.code,
                    duty.name,
                    duty.owner,
                    f"{campaign.name} on {campaign.on} (in {(campaign.on - as_of).days} days)",
                    campaign.on,
                    0,
                    {"campaign": campaign.name},
                )
            )
    return result
