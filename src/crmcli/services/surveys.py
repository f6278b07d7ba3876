"""满意度调查 (seed 003 五 and 第九条: every active customer at least once a year, by
questionnaire, phone, online or visit; 产品质量, 价格, 交货按时, 售后服务).

Each dimension is scored 1–5; ``overall`` is the customer's own overall score when
given, else the mean of the four. Who is due (``surveys.stages``, every
``surveys.interval_months``) is one query over the survey index, not a loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from crmcli import history, schema
from crmcli.config import Config
from crmcli.enums import TERMINAL_STAGES
from crmcli.errors import InvalidInput
from crmcli.i18n import N_, _
from crmcli.services.context import Actor

DIMENSIONS = ("quality", "price", "delivery", "service")
LABELS = {
    "quality": "产品质量 quality",
    "price": "价格 price",
    "delivery": "交货按时 delivery",
    "service": "售后服务 service",
    "overall": "overall",
}


def score(text: str | int, dimension: str) -> int:
    """A score as typed in ``--quality`` etc.: a whole number from 1 to 5."""
    from crmcli.text.fields import parse_score

    return parse_score(text, f"--{dimension}")


def overall(row: Any) -> Decimal:
    """The overall score: as given, else the mean of the four dimensions (2 places)."""
    if row.overall is not None:
        return Decimal(row.overall).quantize(Decimal("0.01"))
    total = sum(getattr(row, d) for d in DIMENSIONS)
    return (Decimal(total) / len(DIMENSIONS)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def add_survey(
    session: Any,
    actor: Actor,
    customer: Any,
    *,
    on: date,
    method: str,
    scores: dict[str, int],
    overall_score: int | None,
    contact: Any = None,
    comment: str | None = None,
) -> Any:
    from crmcli.models import Survey

    if on > actor.today:
        raise InvalidInput(_("survey day {on} is in the future").format(on=on))
    from crmcli.services.timeline import check_not_before_added

    check_not_before_added(customer, on, N_("survey day"))
    survey = Survey(
        customer_id=customer.id,
        contact_id=None if contact is None else contact.id,
        on=on,
        method=method,
        overall=overall_score,
        comment=(comment or "").strip() or None,
        by=actor.user,
        **scores,
    )
    session.add(survey)
    session.flush()
    history.record(session, actor, [history.survey_added(customer.id, survey.id, on, method)])
    return survey


def list_surveys(
    bind: Any,
    *,
    customer_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[Any]:
    s, c, k = schema.survey.c, schema.customer.c, schema.contact.c
    query = (
        select(
            s.id,
            s.customer_id,
            c.code,
            c.name,
            c.owner,
            s.on,
            s.method,
            *(s[d] for d in DIMENSIONS),
            s.overall,
            s.comment,
            s.by,
            k.name.label("contact"),
        )
        .join(schema.customer, c.id == s.customer_id)
        .outerjoin(schema.contact, k.id == s.contact_id)
        .order_by(s.on.desc(), s.id.desc())
    )
    if customer_id is not None:
        query = query.where(s.customer_id == customer_id)
    if start is not None:
        query = query.where(s.on >= start)
    if end is not None:
        query = query.where(s.on <= end)
    return list(bind.execute(query))


@dataclass(frozen=True, slots=True)
class Due:
    customer_id: int
    code: str
    name: str
    owner: str | None
    stage: str
    last_on: date | None
    due_on: date  # the last day the yearly survey was in time (from the last, else added)
    days_overdue: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "code": self.code,
            "name": self.name,
            "owner": self.owner,
            "stage": self.stage,
            "last_survey_on": None if self.last_on is None else self.last_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "days_overdue": self.days_overdue,
        }


def surveys_due(bind: Any, config: Config, as_of: date, *, owner: str | None = None) -> list[Due]:
    """Customers of the configured stages whose last survey is older than the interval (a
    survey exactly ``interval_months`` ago is still in time), most overdue first.

    A customer never surveyed counts from the day it was added: a customer of a week
    owes no yearly survey yet, and a new database does not put every customer in the
    digest on its first morning."""
    rules = config.get("surveys")
    months = int(rules["interval_months"])
    stages = [st for st in rules["stages"] if st not in TERMINAL_STAGES]
    cutoff = as_of - relativedelta(months=months)
    s, c = schema.survey.c, schema.customer.c
    last = (
        select(s.customer_id, func.max(s.on).label("last_on"))
        .where(s.on <= as_of)
        .group_by(s.customer_id)
        .subquery()
    )
    query = (
        select(c.id, c.code, c.name, c.owner, c.stage, c.created_on, last.c.last_on)
        .outerjoin(last, last.c.customer_id == c.id)
        .where(
            c.stage.in_(stages),
            func.coalesce(last.c.last_on, c.created_on) < cutoff,
        )
        .order_by(c.sort_key, c.id)
    )
    if owner:
        query = query.where(c.owner == owner)
    found = []
    step = relativedelta(months=months)
    due_of: dict[date, date] = {}  # a few hundred days among many customers: each added once
    for id_, code, name, owner_, stage, created_on, last_on in bind.execute(query):
        basis = last_on or created_on
        due_on = due_of.get(basis)
        if due_on is None:
            due_on = due_of[basis] = basis + step
        found.append(Due(id_, code, name, owner_, stage, last_on, due_on, (as_of - due_on).days))
    found.sort(key=lambda d: -d.days_overdue)
    return found
