"""The sections of the management report (SPEC §5; seed 000 第十四条, 001 第十六条/第十九条,
002 三.2, 003 考核), each a function of a connection, the config and the period.

Figures are SQL aggregates over the period's rows (GROUP BY, window functions for the
medians and percentiles); what Python adds up afterwards is a handful of grouped rows.
The rules themselves stay where they live: the SLA targets of a complaint
(``services.complaints``), the days a project spends in a stage and its success rate
(``services.projects``), the grades (``services.classification``), the yearly survey
(``services.surveys``) and the duties and fines of a salesperson
(``services.compliance``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, literal, select

from crmcli import schema
from crmcli.config import Config
from crmcli.enums import (
    CHANNEL,
    PROJECT_STAGE,
    SEVERITY,
    STAGE,
    TERMINAL_STAGES,
    TIER,
    VALUE,
    Choice,
)
from crmcli.i18n import N_
from crmcli.services import currencies
from crmcli.services.reports.model import (
    AUTO,
    DATE,
    EMAIL,
    INT,
    MONEY,
    NUMBER,
    PCT,
    PHONE,
    Chart,
    Column,
    Period,
    Section,
    Table,
    Wording,
    rate,
    rate_columns,
    rate_row,
)
from crmcli.services.reports.sql import (
    MEDIAN_DEFINITION,
    P90_DEFINITION,
    median_p90,
)
from crmcli.sqlfuncs import days_between, minutes_between, month_key, to_date, whole

# Money in the rows is in millionths (what sales are kept in); projects are kept in cents.
CENT = 10_000
ACTIVE_STAGES = ("customer", "loyal")
PROSPECT_STAGES = ("lead", "target", "qualified")

DEFINITIONS = {
    "conversion": N_(
        "lead→customer conversion = customers added in the period and in stage customer "
        "or loyal at its end ÷ customers added in the period"
    ),
    "conversions": N_(
        "conversions = stage moves from lead/target/qualified to customer or loyal in the period"
    ),
    "conversion_days": N_(
        "days to convert = from the day a customer was added to the day its stage moved "
        "from lead/target/qualified to customer, for the moves in the period"
    ),
    "success": N_(
        "project success rate = completed ÷ (completed + lost), projects closed in the period"
    ),
    "complaint_rate": N_(
        "complaints per 100 active customers = complaints received in the period × 100 ÷ "
        "customers in stage customer or loyal at its end"
    ),
    "response_sla": N_(
        "response SLA compliance = complaints answered within the response target ÷ "
        "complaints whose response target has passed or was met"
    ),
    "resolution_sla": N_(
        "resolution SLA compliance = complaints resolved within the resolution target ÷ "
        "complaints whose resolution target has passed or was met"
    ),
    "within_sla": N_(
        "within SLA = complaints received in the period with no target missed or "
        "breaching at its end ÷ complaints received in the period"
    ),
    "response_time": N_("response time = hours from receipt to the first answer (calendar hours)"),
    "resolution_time": N_(
        "resolution time = hours from receipt to the resolution (calendar hours)"
    ),
    "overall": N_("overall = the customer's overall score, else the mean of the four dimensions"),
    "overdue": N_("overdue = customers whose earliest due day is before the period's last day"),
    "share": N_("share = the grade's net sales ÷ the net sales of every graded customer"),
}


PER_100 = N_("complaints per 100 active customers: the percentage is the count per 100 customers")


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _after(day: date) -> datetime:
    from datetime import timedelta

    return datetime.combine(day + timedelta(days=1), time.min)


def _end_of(day: date) -> datetime:
    """Targets are judged at the end of the period's last day (as ``--as-of`` does)."""
    return datetime.combine(day, time(23, 59, 59))


def _owned(query: Any, column: Any, period: Period) -> Any:
    return query.where(column == period.owner) if period.owner else query


def _sales_owned(query: Any, period: Period) -> Any:
    """Sales of the owner's customers; joined to the customers only when there is an
    owner to ask for (the join costs a lookup per sale, and every sale has a customer)."""
    if not period.owner:
        return query
    c = schema.customer.c
    return query.join(schema.customer, c.id == schema.sale.c.customer_id).where(
        c.owner == period.owner
    )


def _none(_: Wording) -> str:
    """A cell for a value not given (a customer not graded yet)."""
    return _("none") if _.people else "none"


def _joined(_: Wording, *parts: str) -> str:
    """Definitions and notes one after another (``；`` between them in Chinese)."""
    return _("; ").join(p for p in parts if p)


def _label(_: Wording, choice: Choice | None, value: str) -> str:
    return value if choice is None else _.label(choice, value)


def _living(c: Any) -> Any:
    return c.stage.notin_(TERMINAL_STAGES)


def _float(value: Any, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)


# --- summary -----------------------------------------------------------------------------


def _count(bind: Any, query: Any) -> int:
    return int(bind.execute(query).scalar() or 0)


def _active_customers(bind: Any, period: Period) -> int:
    c = schema.customer.c
    query = select(func.count()).where(c.stage.in_(ACTIVE_STAGES), c.created_on <= period.end)
    return _count(bind, _owned(query, c.owner, period))


def _conversions(period: Period) -> Any:
    """The stage moves from a prospect stage to customer within the period, with the days
    since the customer was added."""
    h, c = schema.history.c, schema.customer.c
    moved_on = func.coalesce(h.on, to_date(h.at))
    query = (
        select(
            c.owner.label("owner"),
            days_between(moved_on, c.created_on).label("days"),
        )
        .join(schema.customer, c.id == h.customer_id)
        .where(
            h.field == "stage",
            h.old.in_(PROSPECT_STAGES),
            h.new.in_(ACTIVE_STAGES),
            moved_on >= period.start,
            moved_on <= period.end,
        )
    )
    return _owned(query, c.owner, period)


def _project_closes(period: Period) -> Any:
    p = schema.project.c
    query = select(
        p.owner.label("owner"),
        month_key(p.closed_on).label("month"),
        func.count(case((p.stage == "completed", 1))).label("completed"),
        func.count(case((p.stage == "lost", 1))).label("lost"),
        whole(
            func.coalesce(func.sum(case((p.stage == "completed", p.amount_cents))), 0) * CENT
        ).label("won_micros"),
    ).where(
        p.stage.in_(("completed", "lost")), p.closed_on >= period.start, p.closed_on <= period.end
    )
    return _owned(query, p.owner, period).group_by(p.owner, month_key(p.closed_on))


def summary(bind: Any, config: Config, period: Period, _: Wording) -> Section:
    c, f, s, k, v = (
        schema.customer.c,
        schema.followup.c,
        schema.sale.c,
        schema.complaint.c,
        schema.survey.c,
    )
    customers = _count(
        bind,
        _owned(select(func.count()).where(_living(c), c.created_on <= period.end), c.owner, period),
    )
    active = _active_customers(bind, period)
    added = _count(
        bind,
        _owned(
            select(func.count()).where(c.created_on >= period.start, c.created_on <= period.end),
            c.owner,
            period,
        ),
    )
    in_period = and_(f.at >= _start(period.start), f.at < _after(period.end))
    followups = _count(bind, _owned(select(func.count()).where(in_period), f.owner, period))
    amount, base, converted = _sales_in_base(bind, config, period)
    sales_query = (
        select(
            whole(func.coalesce(func.sum(amount), 0)),
            func.count(case((s.amount_micros > 0, 1))),
        )
        .select_from(schema.sale)
        .where(s.sold_on >= period.start, s.sold_on <= period.end)
    )
    net, orders = bind.execute(_sales_owned(sales_query, period)).one()
    conversions = _count(bind, select(func.count()).select_from(_conversions(period).subquery()))
    closes = bind.execute(_project_closes(period)).all()
    completed = sum(r.completed for r in closes)
    lost = sum(r.lost for r in closes)
    complaints_query = (
        select(func.count())
        .select_from(schema.complaint)
        .where(k.received_at >= _start(period.start), k.received_at < _after(period.end))
    )
    complaints = _count(bind, _owned(complaints_query, k.handler, period))
    mean_query = (
        select(func.avg(_overall(v)), func.count())
        .join(schema.customer, c.id == v.customer_id)
        .where(v.on >= period.start, v.on <= period.end)
    )
    mean, surveyed = bind.execute(_owned(mean_query, c.owner, period)).one()
    overdue = _count(
        bind,
        _owned(select(func.count()).where(c.next_due_at < period.end, _living(c)), c.owner, period),
    )
    figures = [
        (_("customers (not junk or lost)"), customers, INT),
        (_("active customers (customer, loyal)"), active, INT),
        (_("customers added in the period"), added, INT),
        (_("follow-ups"), followups, INT),
        (_("net sales"), int(net or 0), MONEY),
        (_("orders"), int(orders or 0), INT),
        (_("conversions to customer"), conversions, INT),
        (_("projects completed"), completed, INT),
        (_("projects lost"), lost, INT),
        (_("complaints received"), complaints, INT),
        (_("surveys"), int(surveyed or 0), INT),
        (_("mean overall satisfaction (1–5)"), _float(mean), NUMBER),
        (_("overdue customers at the period's end"), overdue, INT),
    ]
    table = Table(
        "figures",
        _("Key figures"),
        [Column("figure", _("Figure")), Column("value", _.pgettext("figure", "Value"), AUTO)],
        [
            {"figure": name, "value": value, "kind": kind, "currency": base}
            for name, value, kind in figures
        ],
        note=_("net sales in {base}: {rates}").format(base=base, rates=converted)
        if converted
        else None,
    )
    rates = Table(
        "rates",
        _("Rates"),
        rate_columns(_),
        [
            rate_row(
                _("project success rate"),
                completed,
                completed + lost,
                _(DEFINITIONS["success"]),
            ),
            rate_row(
                _("complaints per 100 active customers"),
                complaints,
                active,
                _(DEFINITIONS["complaint_rate"]),
            ),
        ],
        note=_(PER_100),
    )
    monthly = _monthly(bind, period, amount, base, _)
    return Section(
        "summary",
        _.pgettext("report", "Summary"),
        [table, rates, monthly],
        Chart("monthly", "month", "followups", _("Follow-ups per month")),
    )


def _sales_in_base(bind: Any, config: Config, period: Period) -> tuple[Any, str, str]:
    """The period's sale amounts in the base currency, other currencies at their rates
    (``services.currencies``: never added as they are); the base currency; the rates
    used (``USD at 7.1``, empty when every sale is in the base currency)."""
    s = schema.sale.c
    rates, found = currencies.of_sales(
        bind, config, s.sold_on >= period.start, s.sold_on <= period.end
    )
    amount = currencies.in_base(s.amount_micros, s.currency, rates, found)
    return amount, rates.base, rates.described(found)


def _monthly(bind: Any, period: Period, amount: Any, base: str, _: Wording) -> Table:
    f, s = schema.followup.c, schema.sale.c
    fq = _owned(
        select(month_key(f.at), func.count()).where(
            f.at >= _start(period.start), f.at < _after(period.end)
        ),
        f.owner,
        period,
    ).group_by(month_key(f.at))
    sq = _sales_owned(
        select(month_key(s.sold_on), whole(func.sum(amount)))
        .select_from(schema.sale)
        .where(s.sold_on >= period.start, s.sold_on <= period.end),
        period,
    ).group_by(month_key(s.sold_on))
    follow = dict(bind.execute(fq).all())
    sold = dict(bind.execute(sq).all())
    months = sorted(set(follow) | set(sold) | set(_months(period)))
    return Table(
        "monthly",
        _("By month"),
        [
            Column("month", _("Month")),
            Column("followups", _("Follow-ups"), INT),
            Column("sales", _("Net sales"), MONEY),
        ],
        [
            {
                "month": m,
                "followups": int(follow.get(m, 0)),
                "sales": int(sold.get(m) or 0),
                "currency": base,
            }
            for m in months
        ],
    )


def _months(period: Period) -> list[str]:
    found = []
    year, month = period.start.year, period.start.month
    while (year, month) <= (period.end.year, period.end.month):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


# --- tiers ---------------------------------------------------------------------------------


def tiers(bind: Any, config: Config, period: Period, _: Wording) -> Section:
    c, h = schema.customer.c, schema.history.c
    tables = []
    orders = {"tier": list(TIER.values), "grade": ["A", "B", "C"], "value": list(VALUE.values)}
    words = {
        "tier": (
            _("Tier"),
            _("Customers by tier (not junk or lost)"),
            _("share = customers of the tier ÷ all {total}"),
        ),
        "grade": (
            _("Grade"),
            _("Customers by grade (not junk or lost)"),
            _("share = customers of the grade ÷ all {total}"),
        ),
        "value": (
            _("Value"),
            _("Customers by value (not junk or lost)"),
            _("share = customers of the value ÷ all {total}"),
        ),
    }
    shown = {"tier": TIER, "value": VALUE}
    for name, (title, heading, share) in words.items():
        column = c[name]
        query = _owned(
            select(column, func.count()).where(_living(c), c.created_on <= period.end),
            c.owner,
            period,
        ).group_by(column)
        counts = {key: int(n) for key, n in bind.execute(query)}
        total = sum(counts.values())
        keys = [k for k in orders[name] if k in counts] + sorted(
            (k for k in counts if k not in orders[name] and k is not None), key=str
        )
        if None in counts:
            keys.append(None)
        tables.append(
            Table(
                name,
                heading,
                [
                    Column(name, title),
                    Column("customers", _("Customers"), INT),
                    Column("share", _("Share"), PCT, share.format(total=total)),
                ],
                [
                    {
                        name: _none(_) if key is None else _label(_, shown.get(name), key),
                        "customers": counts[key],
                        "share": rate(counts[key], total),
                    }
                    for key in keys
                ],
            )
        )
    moved_on = func.coalesce(h.on, to_date(h.at))
    moves = _owned(
        select(h.field, h.old, h.new, func.count())
        .join(schema.customer, c.id == h.customer_id)
        .where(
            h.field.in_(("tier", "grade", "value")),
            moved_on >= period.start,
            moved_on <= period.end,
        ),
        c.owner,
        period,
    ).group_by(h.field, h.old, h.new)
    found = sorted(
        ((field, old, new, int(n)) for field, old, new, n in bind.execute(moves)),
        key=lambda r: (r[0], -r[3], r[1] or "none", r[2] or "none"),
    )

    def moved(field: str, value: str | None) -> str:
        return _none(_) if value is None else _label(_, shown.get(field), value)

    rows = [
        {
            "field": words[field][0] if _.chinese else field,
            "from": moved(field, old),
            "to": moved(field, new),
            "customers": n,
        }
        for field, old, new, n in found
    ]
    tables.append(
        Table(
            "moves",
            _("Moves in the period"),
            [
                Column("field", _("Field")),
                Column("from", _("From")),
                Column("to", _("To")),
                Column("customers", _("Customers"), INT),
            ],
            rows,
        )
    )
    return Section(
        "tiers",
        _("Tiers, grades and value"),
        tables,
        Chart("tier", "tier", "customers", _("Customers by tier")),
    )


# --- pipeline ------------------------------------------------------------------------------


def pipeline(bind: Any, config: Config, period: Period, _: Wording) -> Section:
    from crmcli.services.projects import CLOSED_STAGES, STAGES, stage_days

    c, p = schema.customer.c, schema.project.c
    funnel_q = _owned(
        select(c.stage, func.count()).where(c.created_on <= period.end), c.owner, period
    )
    funnel = dict(bind.execute(funnel_q.group_by(c.stage)).all())
    funnel_rows = [
        {
            "stage": _.label(STAGE, stage),
            "label": STAGE.label(stage),
            "customers": int(funnel.get(stage, 0)),
        }
        for stage in STAGE.values
    ]
    added_q = _owned(
        select(func.count(), func.count(case((c.stage.in_(ACTIVE_STAGES), 1)))).where(
            c.created_on >= period.start, c.created_on <= period.end
        ),
        c.owner,
        period,
    )
    added, converted = bind.execute(added_q).one()
    moves = _conversions(period).subquery()
    days_stats = bind.execute(median_p90(moves, literal("all"), moves.c.days)).first()
    rates = Table(
        "conversion",
        _("Conversion"),
        rate_columns(_),
        [
            rate_row(
                _("lead→customer conversion"),
                int(converted),
                int(added),
                _(DEFINITIONS["conversion"]),
            )
        ],
    )
    conversion_days = Table(
        "conversion_days",
        _("Days to convert"),
        [
            Column("conversions", _("Conversions"), INT),
            Column("median_days", _("Median days"), NUMBER, _(MEDIAN_DEFINITION)),
            Column("p90_days", _("90th pct days"), NUMBER, _(P90_DEFINITION)),
        ],
        [
            {
                "conversions": int(days_stats[1]) if days_stats else 0,
                "median_days": _float(days_stats[2]) if days_stats else None,
                "p90_days": _float(days_stats[3]) if days_stats else None,
            }
        ],
        note=_(DEFINITIONS["conversion_days"]),
    )
    stage_q = (
        _owned(
            select(p.stage, func.count(), whole(func.coalesce(func.sum(p.amount_cents), 0) * CENT)),
            p.owner,
            period,
        )
        .where(p.added_on <= period.end)
        .group_by(p.stage)
    )
    by_stage = {stage: (int(n), int(v or 0)) for stage, n, v in bind.execute(stage_q)}
    ids_q = _owned(select(p.id).where(p.added_on <= period.end), p.owner, period)
    spent = stage_days(period.end, ids_q).subquery()
    medians = {
        stage: middle
        for stage, _n, middle, _p90 in bind.execute(median_p90(spent, spent.c.stage, spent.c.days))
    }
    projects = Table(
        "projects",
        _("Projects by stage"),
        [
            Column("stage", _.pgettext("report", "Stage")),
            Column("projects", _("Projects"), INT),
            Column("value", _.pgettext("figure", "Value"), MONEY),
            Column(
                "median_days",
                _("Median days in stage"),
                NUMBER,
                _joined(
                    _,
                    _(
                        "median of the calendar days each project spent in the stage (the "
                        "current one up to the period's end)"
                    ),
                    _(MEDIAN_DEFINITION),
                ),
            ),
        ],
        [
            {
                "stage": _.label(PROJECT_STAGE, stage),
                "projects": by_stage.get(stage, (0, 0))[0],
                "value": by_stage.get(stage, (0, 0))[1],
                "median_days": _float(medians.get(stage)),
            }
            for stage in (*STAGES, *(s for s in CLOSED_STAGES if s not in STAGES))
        ],
    )
    closes = bind.execute(_project_closes(period)).all()
    per_owner: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    per_month: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in closes:
        for bucket, key in ((per_owner, r.owner or "—"), (per_month, r.month)):
            bucket[key][0] += r.completed
            bucket[key][1] += r.lost
            bucket[key][2] += int(r.won_micros or 0)
    success_columns = [
        Column("completed", _("Completed"), INT),
        Column("lost", _("Lost"), INT),
        Column("won_value", _("Won value"), MONEY),
        Column("success_rate", _("Success rate"), PCT, _(DEFINITIONS["success"])),
    ]

    def success_rows(bucket: dict[str, list[int]], key: str) -> list[dict[str, Any]]:
        return [
            {
                key: k,
                "completed": v[0],
                "lost": v[1],
                "won_value": v[2],
                "success_rate": rate(v[0], v[0] + v[1]),
            }
            for k, v in sorted(bucket.items())
        ]

    completed = sum(v[0] for v in per_owner.values())
    lost = sum(v[1] for v in per_owner.values())
    success = Table(
        "success",
        _("Project success rate"),
        rate_columns(_),
        [
            rate_row(
                _("project success rate"), completed, completed + lost, _(DEFINITIONS["success"])
            )
        ],
    )
    # In Chinese the stage is its label already: no second column saying it again.
    label = [] if _.chinese else [Column("label", "阶段")]
    return Section(
        "pipeline",
        _("Pipeline"),
        [
            Table(
                "funnel",
                _("Customers by lifecycle stage"),
                [
                    Column("stage", _.pgettext("report", "Stage")),
                    *label,
                    Column("customers", _("Customers"), INT),
                ],
                funnel_rows,
            ),
            rates,
            conversion_days,
            projects,
            success,
            Table(
                "success_by_owner",
                _("Success by owner"),
                [Column("owner", _("Owner")), *success_columns],
                success_rows(per_owner, "owner"),
            ),
            Table(
                "success_by_month",
                _("Success by month"),
                [Column("month", _("Month")), *success_columns],
                success_rows(per_month, "month"),
            ),
        ],
        Chart("funnel", "stage", "customers", _("Customers by stage")),
    )


# --- complaints ------------------------------------------------------------------------------


def _complaints_of(period: Period) -> Any:
    k = schema.complaint.c
    query = select(
        k.id,
        k.severity,
        k.handler,
        k.received_at,
        k.responded_at,
        k.resolved_at,
        k.reopened_at,
        k.waiting_since,
    ).where(k.received_at >= _start(period.start), k.received_at < _after(period.end))
    return _owned(query, k.handler, period)


# What more than one section needs, computed once per report (``shared``): the SLA
# judgement of each complaint is read by the complaints and the staff sections.
_SHARED: ContextVar[dict[Any, Any] | None] = ContextVar("report_shared", default=None)


@contextmanager
def shared() -> Iterator[None]:
    """While a report is built, figures two sections read are computed once."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _judged(bind: Any, config: Config, period: Period) -> list[tuple[Any, Any, Any]]:
    """Each complaint of the period with its two targets at the end of the period:
    the SLA rule of ``services.complaints``, applied to each."""
    memo = _SHARED.get()
    key = ("judged", period.start, period.end, period.owner)
    if memo is not None and key in memo:
        return memo[key]  # type: ignore[no-any-return]
    found = _judge(bind, config, period)
    if memo is not None:
        memo[key] = found
    return found


def _judge(bind: Any, config: Config, period: Period) -> list[tuple[Any, Any, Any]]:
    from crmcli.services.complaints import Facts, rules, targets, waiting_spans

    query = _complaints_of(period)
    rows = bind.execute(query).all()
    spans = waiting_spans(bind, query)
    now = _end_of(period.end)
    found = []
    applied = rules(config)
    for r in rows:
        # The row's columns in ``_complaints_of``'s order, read as a tuple: by name,
        # reading 100,000 rows' times cost more than judging them.
        id_, severity, _handler, received, responded, resolved, reopened, waiting = r
        facts = Facts(
            received, severity, responded, resolved, reopened, waiting, spans.get(id_, ())
        )
        response, resolution = targets(facts, applied, now)
        found.append((r, response, resolution))
    return found


def complaints(bind: Any, config: Config, period: Period, _: Wording) -> Section:
    k = schema.complaint.c
    base = _owned(
        select(
            k.severity.label("severity"),
            minutes_between(k.responded_at, k.received_at).label("response"),
            minutes_between(k.resolved_at, k.received_at).label("resolution"),
        ).where(k.received_at >= _start(period.start), k.received_at < _after(period.end)),
        k.handler,
        period,
    ).subquery()
    times: dict[str, dict[str, Any]] = defaultdict(dict)
    for measure in ("response", "resolution"):
        for g, n, mid, p90 in bind.execute(median_p90(base, base.c.severity, base.c[measure])):
            times[g][measure] = (int(n), mid, p90)
    counts = dict(
        bind.execute(select(base.c.severity, func.count()).group_by(base.c.severity)).all()
    )
    judged = _judged(bind, config, period)
    sla: dict[str, dict[str, list[int]]] = defaultdict(
        lambda: {"response": [0, 0], "resolution": [0, 0]}
    )
    for r, response, resolution in judged:
        for target in (response, resolution):
            if target.state in ("met", "missed", "breaching"):
                tally = sla[r.severity][target.name]
                tally[0] += target.state == "met"
                tally[1] += 1

    def hours(value: Any) -> float | None:
        return None if value is None else round(float(value) / 60, 2)

    rows: list[dict[str, Any]] = []
    for severity in SEVERITY.values:
        t = times.get(severity, {})
        resp = t.get("response", (0, None, None))
        reso = t.get("resolution", (0, None, None))
        judged_of = sla[severity]
        rows.append(
            {
                "severity": _.label(SEVERITY, severity),
                "complaints": int(counts.get(severity, 0)),
                "median_response_h": hours(resp[1]),
                "p90_response_h": hours(resp[2]),
                "median_resolution_h": hours(reso[1]),
                "p90_resolution_h": hours(reso[2]),
                "response_sla": rate(*judged_of["response"]),
                "resolution_sla": rate(*judged_of["resolution"]),
            }
        )
    total = sum(r["complaints"] for r in rows)
    active = _active_customers(bind, period)
    by_severity = Table(
        "by_severity",
        _("Complaints by severity"),
        [
            Column("severity", _("Severity")),
            Column("complaints", _("Complaints"), INT),
            Column(
                "median_response_h",
                _("Median response h"),
                NUMBER,
                _joined(_, _(DEFINITIONS["response_time"]), _(MEDIAN_DEFINITION)),
            ),
            Column("p90_response_h", _("P90 response h"), NUMBER, _(P90_DEFINITION)),
            Column(
                "median_resolution_h",
                _("Median resolution h"),
                NUMBER,
                _(DEFINITIONS["resolution_time"]),
            ),
            Column("p90_resolution_h", _("P90 resolution h"), NUMBER),
            Column("response_sla", _("Response SLA"), PCT, _(DEFINITIONS["response_sla"])),
            Column("resolution_sla", _("Resolution SLA"), PCT, _(DEFINITIONS["resolution_sla"])),
        ],
        rows,
    )
    all_resp = [sum(sla[s]["response"][i] for s in sla) for i in (0, 1)]
    all_reso = [sum(sla[s]["resolution"][i] for s in sla) for i in (0, 1)]
    rates = Table(
        "rates",
        _("Rates"),
        rate_columns(_),
        [
            rate_row(
                _("complaints per 100 active customers"),
                total,
                active,
                _(DEFINITIONS["complaint_rate"]),
            ),
            rate_row(
                _("response SLA compliance"),
                all_resp[0],
                all_resp[1],
                _(DEFINITIONS["response_sla"]),
            ),
            rate_row(
                _("resolution SLA compliance"),
                all_reso[0],
                all_reso[1],
                _(DEFINITIONS["resolution_sla"]),
            ),
        ],
        note=_(PER_100),
    )
    return Section(
        "complaints",
        _("Complaints"),
        [by_severity, rates],
        Chart("by_severity", "severity", "complaints", _("Complaints by severity")),
    )


# --- satisfaction ---------------------------------------------------------------------------

# The four dimensions of a survey (seed 002 三.3) and its overall score, as headers.
DIMENSION_NAMES = {
    "quality": N_("Quality"),
    "price": N_("Price"),
    "delivery": N_("Delivery"),
    "service": N_("Service"),
    "overall": N_("Overall"),
}


def _overall(v: Any) -> Any:
    """``services.surveys.overall`` as SQL: as given, else the mean of the four scores."""
    from crmcli.services.surveys import DIMENSIONS

    mean = sum((v[d] for d in DIMENSIONS), start=literal(0)) / 4.0
    return func.coalesce(cast(v.overall, Float), cast(mean, Float))


def satisfaction(bind: Any, config: Config, period: Period, _: Wording) -> Section:
    from crmcli.services.surveys import DIMENSIONS, LABELS, surveys_due

    v, c = schema.survey.c, schema.customer.c
    dims = [*DIMENSIONS, "overall"]
    named = {d: _(DIMENSION_NAMES[d]) for d in dims}
    exprs = {d: (v[d] if d != "overall" else _overall(v)) for d in dims}
    in_period = and_(v.on >= period.start, v.on <= period.end)
    monthly = _owned(
        select(month_key(v.on), func.count(), *(func.sum(exprs[d]) for d in dims))
        .join(schema.customer, c.id == v.customer_id)
        .where(in_period),
        c.owner,
        period,
    ).group_by(month_key(v.on))
    quarters: dict[str, list[float]] = defaultdict(lambda: [0.0] * (len(dims) + 1))
    for month, n, *sums in bind.execute(monthly):
        year, m = month.split("-")
        acc = quarters[f"{year}-Q{(int(m) - 1) // 3 + 1}"]
        acc[0] += n
        for i, total in enumerate(sums, start=1):
            acc[i] += float(total)
    count = sum(q[0] for q in quarters.values())
    means = [
        {
            "dimension": named[d] if _.chinese else d,
            "label": LABELS.get(d, d),
            "mean": round(sum(q[i + 1] for q in quarters.values()) / count, 2) if count else None,
            "surveys": int(count),
        }
        for i, d in enumerate(dims)
    ]
    trend = [
        {
            "quarter": key,
            "surveys": int(q[0]),
            **{d: round(q[i + 1] / q[0], 2) for i, d in enumerate(dims)},
        }
        for key, q in sorted(quarters.items())
    ]
    per_customer = _owned(
        select(
            c.code,
            c.name,
            c.owner,
            c.phone,
            c.email,
            func.count().label("surveys"),
            func.avg(exprs["overall"]).label("mean"),
        )
        .join(schema.customer, c.id == v.customer_id)
        .where(in_period),
        c.owner,
        period,
    ).group_by(c.id, c.code, c.name, c.owner, c.phone, c.email)
    sub = per_customer.subquery()
    lowest = bind.execute(select(sub).order_by(sub.c.mean, sub.c.code).limit(10)).all()
    due = surveys_due(bind, config, period.end, owner=period.owner)
    label = [] if _.chinese else [Column("label", "维度")]
    return Section(
        "satisfaction",
        _("Satisfaction"),
        [
            Table(
                "dimensions",
                _("Mean score per dimension (1–5)"),
                [
                    Column("dimension", _("Dimension")),
                    *label,
                    Column("mean", _("Mean"), NUMBER, _(DEFINITIONS["overall"])),
                    Column("surveys", _("Surveys"), INT),
                ],
                means,
            ),
            Table(
                "trend",
                _("By quarter"),
                [
                    Column("quarter", _("Quarter")),
                    Column("surveys", _("Surveys"), INT),
                    *(Column(d, named[d], NUMBER) for d in dims),
                ],
                trend,
            ),
            Table(
                "lowest",
                _("Ten lowest customers (mean overall score)"),
                [
                    Column("code", _("Code")),
                    Column("name", _("Name")),
                    Column("owner", _("Owner")),
                    Column("phone", _("Phone"), PHONE),
                    Column("email", _("E-mail"), EMAIL),
                    Column("surveys", _("Surveys"), INT),
                    Column("mean", _("Mean overall"), NUMBER),
                ],
                [{**r._mapping, "surveys": int(r.surveys), "mean": _float(r.mean)} for r in lowest],
            ),
            Table(
                "due",
                _("Surveys due ({n}; the ten most overdue)").format(n=len(due)),
                [
                    Column("code", _("Code")),
                    Column("name", _("Name")),
                    Column("owner", _("Owner")),
                    Column("last_survey_on", _("Last survey"), DATE),
                    Column("due_on", _("Due"), DATE),
                    Column("days_overdue", _("Days overdue"), INT),
                ],
                [
                    {
                        "code": d.code,
                        "name": d.name,
                        "owner": d.owner,
                        "last_survey_on": d.last_on,
                        "due_on": d.due_on,
                        "days_overdue": d.days_overdue,
                    }
                    for d in due[:10]
                ],
            ),
        ],
        Chart("dimensions", "dimension", "mean", _("Mean score per dimension")),
    )


# --- staff ---------------------------------------------------------------------------------


def staff(bind: Any, config: Config, period: Period, _: Wording) -> Section:
    from crmcli.services import compliance

    c, f = schema.customer.c, schema.followup.c
    owners: dict[str, dict[str, Any]] = {}

    def line(owner: str | None) -> dict[str, Any]:
        key = owner or "—"
        if key not in owners:
            owners[key] = {
                "owner": key,
                **{t: 0 for t in TIER.values},
                "customers": 0,
                "followups": 0,
                **{ch: 0 for ch in CHANNEL.values},
                "overdue": 0,
                "conversions": 0,
                "won": 0,
                "lost": 0,
                "won_value": 0,
                "complaints": 0,
                "within_sla": None,
                "_within": 0,
                "missed_greetings": 0,
                "missed_calls": 0,
                "missed_notices": 0,
                "fines": 0,
            }
        return owners[key]

    tiers_q = _owned(
        select(
            c.owner, c.tier, func.count(), func.count(case((c.next_due_at < period.end, 1)))
        ).where(_living(c), c.created_on <= period.end),
        c.owner,
        period,
    ).group_by(c.owner, c.tier)
    for owner, tier, n, late in bind.execute(tiers_q):
        row = line(owner)
        row[tier] = row.get(tier, 0) + int(n)
        row["customers"] += int(n)
        row["overdue"] += int(late)
    follow_q = _owned(
        select(f.owner, f.channel, func.count()).where(
            f.at >= _start(period.start), f.at < _after(period.end)
        ),
        f.owner,
        period,
    ).group_by(f.owner, f.channel)
    for owner, channel, n in bind.execute(follow_q):
        row = line(owner)
        row[channel] = row.get(channel, 0) + int(n)
        row["followups"] += int(n)
    moves = _conversions(period).subquery()
    for owner, n in bind.execute(select(moves.c.owner, func.count()).group_by(moves.c.owner)):
        line(owner)["conversions"] += int(n)
    for r in bind.execute(_project_closes(period)):
        row = line(r.owner)
        row["won"] += r.completed
        row["lost"] += r.lost
        row["won_value"] += int(r.won_micros or 0)
    for r, response, resolution in _judged(bind, config, period):
        row = line(r.handler)
        row["complaints"] += 1
        row["_within"] += all(
            t.state not in ("missed", "breaching") for t in (response, resolution)
        )
    # Counted in SQL: a year's misses run to millions of rows, and only their number
    # per owner is shown.
    as_of = _after(period.end).date()
    misses = {
        "greeting": compliance.missed_greeting_counts(
            bind, config, period.start, period.end, owner=period.owner
        ),
        "monthly_call": compliance.missed_call_counts(
            bind, config, period.start, period.end, as_of, owner=period.owner
        ),
        "campaign": compliance.missed_notice_counts(
            bind, period.start, period.end, as_of, owner=period.owner
        ),
    }
    for fine in compliance.fines_of_counts(config, misses):
        row = line(fine.owner)
        row["missed_greetings"] = fine.greetings
        row["missed_calls"] = fine.monthly_calls
        row["missed_notices"] = fine.campaigns
        row["fines"] = fine.fine
    for row in owners.values():
        row["within_sla"] = rate(row.pop("_within"), row["complaints"])
    rows = sorted(owners.values(), key=lambda r: (r["owner"] == "—", r["owner"]))
    ident = [Column("owner", _("Owner"))]
    return Section(
        "staff",
        _("Staff"),
        [
            Table(
                "customers",
                _("Customers and follow-ups"),
                [
                    *ident,
                    Column("customers", _("Customers"), INT),
                    *(Column(t, _.heading(TIER, t), INT) for t in TIER.values),
                    Column("overdue", _("Overdue"), INT, _(DEFINITIONS["overdue"])),
                    Column("followups", _("Follow-ups"), INT),
                    *(Column(ch, _.heading(CHANNEL, ch), INT) for ch in CHANNEL.values),
                ],
                rows,
            ),
            Table(
                "results",
                _("Results"),
                [
                    *ident,
                    Column("conversions", _("Conversions"), INT, _(DEFINITIONS["conversions"])),
                    Column("won", _("Projects won"), INT),
                    Column("lost", _("Projects lost"), INT),
                    Column("won_value", _("Won value"), MONEY),
                    Column("complaints", _("Complaints"), INT),
                    Column("within_sla", _("Within SLA"), PCT, _(DEFINITIONS["within_sla"])),
                ],
                rows,
            ),
            Table(
                "duties",
                _("Missed duties and fines"),
                [
                    *ident,
                    Column("missed_greetings", _("Greetings missed"), INT),
                    Column("missed_calls", _("Monthly calls missed"), INT),
                    Column("missed_notices", _("Campaign notices missed"), INT),
                    Column("fines", _("Fines (yuan)"), INT),
                ],
                rows,
            ),
        ],
        Chart("customers", "owner", "followups", _("Follow-ups per owner")),
    )


# --- abc -------------------------------------------------------------------------------------


def abc(bind: Any, config: Config, period: Period, _: Wording, limit: int = 20) -> Section:
    from crmcli.services.classification import abc_rows
    from crmcli.text import amount

    window, rows, summary_rows, net = abc_rows(
        bind, config, period.end, None if period.owner else limit
    )
    if period.owner:
        rows = [r for r in rows if r["owner"] == period.owner][:limit]
    grand = summary_rows[0]["grand"] if summary_rows else 0
    base = net.money.rates.base
    rates = net.money.rates.described(net.money.currencies)
    notes = [
        # The grades share out the positive totals; the net is every sale, refunds included.
        _("net of every sale in the window, refunds included: {total}").format(
            total=amount(net.total, base)
        )
        + (_(" (in {base}: {rates})").format(base=base, rates=rates) if rates else ""),
        _("grades are the whole team's") if period.owner else "",
    ]
    grades = Table(
        "grades",
        _("Grades: net sales {start} (excl.) to {end}").format(start=window.start, end=window.end),
        [
            Column("grade", _("Grade")),
            Column("customers", _("Customers"), INT),
            Column("sales", _("Net sales"), MONEY),
            Column("share", _("Share"), PCT, _(DEFINITIONS["share"])),
        ],
        [
            {
                "grade": s["grade"],
                "customers": int(s["customers"]),
                "sales": int(s["total"]),
                "share": rate(int(s["total"]), int(grand)),
                "currency": base,
            }
            for s in summary_rows
        ],
        note=_joined(_, *notes),
    )
    customers = Table(
        "customers",
        _("Top {n} customers by net sales").format(n=limit),
        [
            Column("rank", "#", INT),
            Column("code", _("Code")),
            Column("name", _("Name")),
            Column("owner", _("Owner")),
            Column("sales", _("Net sales"), MONEY),
            Column(
                "share",
                _("Share"),
                PCT,
                _("share = the customer's net sales ÷ all graded customers'"),
            ),
            Column(
                "cumulative",
                _("Cumulative"),
                PCT,
                _("cumulative = net sales of this and every higher-ranked customer ÷ all"),
            ),
            Column("grade", _("Grade")),
            Column("value", _("Value")),
        ],
        [
            {
                "rank": int(r["rank"]),
                "code": r["code"],
                "name": r["name"],
                "owner": r["owner"],
                "sales": int(r["total"]),
                "share": rate(int(r["total"]), int(r["grand"])),
                "cumulative": rate(int(r["running"]), int(r["grand"])),
                "grade": r["grade"],
                "value": r["value"] and _.label(VALUE, r["value"]),
                "currency": base,
            }
            for r in rows
        ],
    )
    return Section(
        "abc",
        _("ABC (Pareto)"),
        [grades, customers],
        Chart("grades", "grade", "sales", _("Net sales by grade")),
    )


SECTIONS: dict[str, Callable[[Any, Config, Period, Wording], Section]] = {
    "summary": summary,
    "tiers": tiers,
    "pipeline": pipeline,
    "staff": staff,
    "complaints": complaints,
    "satisfaction": satisfaction,
    "abc": abc,
}
