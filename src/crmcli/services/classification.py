"""客户分级 and 分类 (SPEC §2 Classification; seeds 001, 002, 003 ABC).

Everything here is set-based SQL: one ranked query (window functions) grades every
customer with net sales in the window, a temporary table holds only what changes,
and history rows and updates are written from it with INSERT … SELECT / UPDATE, so
memory stays flat however many customers there are.

- amounts: every sale in the base currency, other currencies at the configured rates
  (``services.currencies``); a currency without a rate is refused by name.
- grade A: the smallest set of top customers (by net sales, ties by code) whose sales
  reach grade_a_percent of the total; the customer that crosses a threshold belongs to
  the higher grade. B: the next ones up to grade_b_percent. C: the rest with sales.
- value: RFM-style quintile scores (NTILE(5), 1–5) of amount, orders and months with a
  purchase, summed (3–15): high ≥ value_high_score, mid ≥ value_mid_score, else low.
- tier: A→tier_a, B→tier_b, C→tier_c; no sales and a prospect stage → no_sales_tier;
  tier_locked keeps the tier; junk/lost customers are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    case,
    cast,
    distinct,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from crmcli import history, phrases, schema
from crmcli.config import Config
from crmcli.enums import TERMINAL_STAGES
from crmcli.services import cadence, currencies
from crmcli.services.context import Actor
from crmcli.sqlfuncs import month_key, thousands, whole

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Columns of the tables the rules read (Core: the readers need no model classes).
_SALE, _CUSTOMER = schema.sale.c, schema.customer.c


@dataclass(frozen=True)
class Window:
    start: date  # exclusive
    end: date  # inclusive (the as-of day)
    months: int


def sales_window(config: Config, as_of: date) -> Window:
    from dateutil.relativedelta import relativedelta

    months = int(config.get("classification.window_months"))
    return Window(as_of - relativedelta(months=months), as_of, months)


def _in_window(window: Window) -> tuple[Any, ...]:
    return (_SALE.sold_on > window.start, _SALE.sold_on <= window.end)


@dataclass(frozen=True)
class Money:
    """How the window's sales are counted: in the base currency, at these rates."""

    rates: currencies.Rates
    currencies: tuple[str, ...]  # those the window's sales are in

    @property
    def amount(self) -> Any:
        return currencies.in_base(_SALE.amount_micros, _SALE.currency, self.rates, self.currencies)

    @property
    def unit(self) -> str:
        """The base currency as ``text.amount`` writes it before a number."""
        return "¥" if self.rates.base == "CNY" else f"{self.rates.base} "


def window_money(conn: Any, config: Config, window: Window) -> Money:
    """The currencies of the window's sales, each with its rate, or a refusal naming
    those without one."""
    return Money(*currencies.of_sales(conn, config, *_in_window(window)))


def ranked_sales(config: Config, window: Window, money: Money) -> Any:
    """Customers with positive net sales in the window, ranked, graded and scored."""
    cls = config.get("classification")
    amount = money.amount
    positive = _SALE.amount_micros > 0
    agg = (
        select(
            _SALE.customer_id.label("customer_id"),
            whole(func.sum(amount)).label("total"),
            func.count(case((positive, 1))).label("orders"),
            func.count(distinct(case((positive, month_key(_SALE.sold_on))))).label("months"),
        )
        .where(*_in_window(window))
        .group_by(_SALE.customer_id)
        .having(func.sum(amount) > 0)
        .cte("agg")
    )
    by_total = (agg.c.total.desc(), _CUSTOMER.code)
    ranked = (
        select(
            agg.c.customer_id,
            agg.c.total,
            agg.c.orders,
            agg.c.months,
            # Codes are unique, so the order has no ties and the running total may sum
            # ROWS up to this one (cheaper than RANGE, which looks for peers).
            whole(func.sum(agg.c.total).over(order_by=by_total, rows=(None, 0))).label("running"),
            whole(func.sum(agg.c.total).over()).label("grand"),
            func.row_number().over(order_by=by_total).label("rank"),
            func.ntile(5).over(order_by=(agg.c.total, _CUSTOMER.code)).label("m_score"),
            func.ntile(5).over(order_by=(agg.c.orders, _CUSTOMER.code)).label("f_score"),
            func.ntile(5).over(order_by=(agg.c.months, _CUSTOMER.code)).label("s_score"),
        )
        # The stage is asked of each customer once, after its sales are summed (from
        # the covering index alone), not of each sale.
        .join(schema.customer, _CUSTOMER.id == agg.c.customer_id)
        .where(_CUSTOMER.stage.notin_(TERMINAL_STAGES))
        .cte("ranked")
    )
    # Before this customer, had the running total already reached the threshold?
    # before × 10,000 < grand × bp, compared in whole numbers that stay within 64 bits
    # however large the totals (millionths times basis points would not): with
    # grand = q × 10,000 + r it is before - q × bp < ⌈r × bp ÷ 10,000⌉.
    before = ranked.c.running - ranked.c.total
    q, r = ranked.c.grand // 10000, ranked.c.grand % 10000

    def below(percent: Any) -> Any:
        bp = round(float(percent) * 100)
        return before - q * bp < (r * bp + 9999) // 10000

    score = ranked.c.m_score + ranked.c.f_score + ranked.c.s_score
    return select(
        ranked.c.customer_id,
        ranked.c.total,
        ranked.c.orders,
        ranked.c.months,
        ranked.c.running,
        ranked.c.grand,
        ranked.c.rank,
        ranked.c.m_score,
        ranked.c.f_score,
        ranked.c.s_score,
        score.label("score"),
        case(
            (below(cls["grade_a_percent"]), "A"),
            (below(cls["grade_b_percent"]), "B"),
            else_="C",
        ).label("grade"),
        case(
            (score >= cls["value_high_score"], "high"),
            (score >= cls["value_mid_score"], "mid"),
            else_="low",
        ).label("value"),
    ).subquery("graded")


def _graded_table() -> Table:
    """The graded customers, keyed by customer: joined to every customer by primary key.

    Joining the window-function query directly makes SQLite rescan it for every customer
    (no automatic index on such a subquery): quadratic in the number of customers.
    """
    return Table(
        "reclassify_graded",
        MetaData(),
        Column("customer_id", Integer, primary_key=True),
        Column("total", BigInteger),
        Column("orders", Integer),
        Column("months", Integer),
        Column("running", BigInteger),
        Column("grand", BigInteger),
        Column("m_score", Integer),
        Column("f_score", Integer),
        Column("s_score", Integer),
        Column("score", Integer),
        Column("grade", String),
        Column("value", String),
        prefixes=["TEMPORARY"],
    )


def _changes_table() -> Table:
    return Table(
        "reclassify_changes",
        MetaData(),
        Column("customer_id", Integer, primary_key=True),
        Column("old_grade", String),
        Column("new_grade", String),
        Column("old_value", String),
        Column("new_value", String),
        Column("old_tier", String),
        Column("new_tier", String),
        Column("stage", String),
        Column("total", BigInteger),
        Column("orders", Integer),
        Column("months", Integer),
        Column("share", Integer),
        Column("score", Integer),
        Column("m_score", Integer),
        Column("f_score", Integer),
        Column("s_score", Integer),
        prefixes=["TEMPORARY"],
    )


@dataclass
class Move:
    field: str
    old: str | None
    new: str | None
    count: int


@dataclass
class Outcome:
    window: Window
    moves: list[Move]
    changed_customers: int
    changes: list[dict[str, Any]]


def _yuan(micros: Any) -> Any:
    """Whole units with thousands separators and the cents (rounded), as ``text.money``
    shows an amount. The totals shown are positive: classification ranks customers with
    net sales."""
    cents = (micros + 5_000) // 10_000
    frac = cents % 100
    return thousands(cents // 100) + case(
        (frac < 10, literal(".0") + cast(frac, String)),
        else_=literal(".") + cast(frac, String),
    )


def _reason_exprs(t: Table, window: Window, config: Config, money: Money) -> dict[str, Any]:
    """Why each customer moves, as SQL writing the phrases history keeps (phrases.py)."""
    cls = config.get("classification")
    period = {"months": window.months, "end": window.end}
    grade = {
        "grade": t.c.new_grade,
        "amount": literal(money.unit) + _yuan(t.c.total),
        "months": window.months,
        "orders": t.c.orders,
        "share": cast(t.c.share, String) + literal(" %"),
    }
    grade_reason = case(
        (t.c.new_grade.is_(None), phrases.NO_GRADE.sql(**period)),
        (t.c.orders == 1, phrases.GRADE_ONE_ORDER.sql(**grade)),
        else_=phrases.GRADE.sql(**grade),
    )
    value_reason = case(
        (t.c.new_value.is_(None), phrases.NO_VALUE.sql(**period)),
        else_=phrases.VALUE.sql(
            value=t.c.new_value,
            score=t.c.score,
            amount=t.c.m_score,
            orders=t.c.f_score,
            months=t.c.s_score,
        ),
    )
    tier_reason = case(
        (
            t.c.new_grade.is_(None),
            phrases.NO_SALES_TIER.sql(tier=cls["no_sales_tier"], stage=t.c.stage, **period),
        ),
        else_=phrases.TIER.sql(tier=t.c.new_tier, reason=grade_reason),
    )
    return {"grade": grade_reason, "value": value_reason, "tier": tier_reason}


def reclassify(
    session: Session, actor: Actor, as_of: date, *, dry_run: bool, detail_limit: int | None = None
) -> Outcome:
    """Recompute grade, value and tier for every customer; write only what changes."""
    config = actor.config
    cls = config.get("classification")
    window = sales_window(config, as_of)
    conn = session.connection()
    money = window_money(conn, config, window)
    graded = _graded_table()
    graded.drop(conn, checkfirst=True)
    graded.create(conn)
    ranked = ranked_sales(config, window, money)
    names = [col.name for col in graded.c]
    conn.execute(insert(graded).from_select(names, select(*(ranked.c[n] for n in names))))
    c = schema.customer.c
    new_grade = graded.c.grade
    new_value = graded.c.value
    new_tier = case(
        (c.tier_locked.is_(True), c.tier),
        (new_grade == "A", cls["tier_a"]),
        (new_grade == "B", cls["tier_b"]),
        (new_grade == "C", cls["tier_c"]),
        (c.stage.in_(cls["no_sales_stages"]), cls["no_sales_tier"]),
        else_=c.tier,
    )
    share = cast(func.round(graded.c.running * 100.0 / graded.c.grand), Integer)
    candidates = (
        select(
            c.id,
            c.grade,
            new_grade,
            c.value,
            new_value,
            c.tier,
            new_tier,
            c.stage,
            graded.c.total,
            graded.c.orders,
            graded.c.months,
            share,
            graded.c.score,
            graded.c.m_score,
            graded.c.f_score,
            graded.c.s_score,
        )
        .select_from(schema.customer.outerjoin(graded, graded.c.customer_id == c.id))
        .where(c.stage.notin_(TERMINAL_STAGES))
        .where(
            or_(
                c.grade.is_distinct_from(new_grade),
                c.value.is_distinct_from(new_value),
                c.tier.is_distinct_from(new_tier),
            )
        )
    )
    table = _changes_table()
    table.drop(conn, checkfirst=True)
    table.create(conn)
    conn.execute(insert(table).from_select([col.name for col in table.c], candidates))

    moves = [
        Move(field, row[0], row[1], row[2])
        for field in ("grade", "value", "tier")
        for row in conn.execute(
            select(table.c[f"old_{field}"], table.c[f"new_{field}"], func.count())
            .where(table.c[f"old_{field}"].is_distinct_from(table.c[f"new_{field}"]))
            .group_by(table.c[f"old_{field}"], table.c[f"new_{field}"])
            .order_by(table.c[f"old_{field}"], table.c[f"new_{field}"])
        ).all()
    ]
    changed = conn.execute(select(func.count()).select_from(table)).scalar_one()
    reasons = _reason_exprs(table, window, config, money)
    changes: list[dict[str, Any]] = []
    if dry_run or detail_limit:
        detail = (
            select(
                _CUSTOMER.code,
                _CUSTOMER.name,
                table,
                reasons["grade"].label("grade_reason"),
                reasons["value"].label("value_reason"),
                reasons["tier"].label("tier_reason"),
            )
            .join(schema.customer, _CUSTOMER.id == table.c.customer_id)
            .order_by(_CUSTOMER.sort_key, _CUSTOMER.id)
        )
        if detail_limit:
            detail = detail.limit(detail_limit)
        changes = [dict(row._mapping) for row in conn.execute(detail)]
    if not dry_run and changed:
        _apply(session, actor, table, reasons)
    table.drop(conn)
    graded.drop(conn)
    return Outcome(window, moves, changed, changes)


def _apply(session: Session, actor: Actor, table: Table, reasons: dict[str, Any]) -> None:
    conn = session.connection()
    for field in ("grade", "value", "tier"):
        old, new = table.c[f"old_{field}"], table.c[f"new_{field}"]
        history.record_select(
            conn,
            actor,
            select(
                table.c.customer_id.label("customer_id"),
                literal(field).label("field"),
                old.label("old"),
                new.label("new"),
                reasons[field].label("reason"),
            ).where(old.is_distinct_from(new)),
        )
    c = schema.customer.c

    def pick(column: str) -> Any:
        return select(table.c[column]).where(table.c.customer_id == c.id).scalar_subquery()

    in_table = c.id.in_(select(table.c.customer_id))
    conn.execute(
        update(schema.customer)
        .where(in_table)
        .values(grade=pick("new_grade"), value=pick("new_value"), tier=pick("new_tier"))
    )
    tier_moved = select(table.c.customer_id).where(
        table.c.old_tier.is_distinct_from(table.c.new_tier)
    )
    cadence.refresh_due(session, actor.config, among=tier_moved)


@dataclass(frozen=True)
class Net:
    """All the sales of a window, refunds included, in the base currency."""

    total: int  # millionths of the base currency
    money: Money


def _window_net(bind: Any, window: Window, money: Money) -> Net:
    """The net of every sale in the window (the ABC report's header): refunds count, and
    so do customers whose refunds outweigh their sales, who have no grade."""
    total = bind.execute(
        select(whole(func.coalesce(func.sum(money.amount), 0))).where(*_in_window(window))
    ).scalar_one()
    return Net(int(total), money)


def abc_rows(
    bind: Any, config: Config, as_of: date, limit: int | None = None
) -> tuple[Window, list[dict[str, Any]], list[dict[str, Any]], Net]:
    """The Pareto table the grades come from, a summary per grade, and the window's net."""
    window = sales_window(config, as_of)
    money = window_money(bind, config, window)
    graded = ranked_sales(config, window, money)
    # One pass over the ranking (its window functions are most of the cost): each row
    # also carries its grade's count and total, read from the grade's first row.
    per_grade = {"partition_by": graded.c.grade}
    with_grades = (
        select(
            graded.c.rank,
            _CUSTOMER.code,
            _CUSTOMER.name,
            _CUSTOMER.owner,
            graded.c.total,
            graded.c.running,
            graded.c.grand,
            graded.c.orders,
            graded.c.months,
            graded.c.grade,
            graded.c.value,
            graded.c.score,
            func.count().over(**per_grade).label("grade_customers"),
            whole(func.sum(graded.c.total).over(**per_grade)).label("grade_total"),
            func.row_number().over(order_by=graded.c.rank, **per_grade).label("grade_first"),
        )
        .join(schema.customer, _CUSTOMER.id == graded.c.customer_id)
        .subquery()
    )
    query = select(with_grades).order_by(with_grades.c.rank)
    if limit:
        query = query.where((with_grades.c.rank <= limit) | (with_grades.c.grade_first == 1))
    found = [dict(r._mapping) for r in bind.execute(query)]
    extra = ("grade_customers", "grade_total", "grade_first")
    rows = [
        {k: v for k, v in r.items() if k not in extra}
        for r in found
        if not limit or r["rank"] <= limit
    ]
    summary = [
        {
            "grade": r["grade"],
            "customers": r["grade_customers"],
            "total": r["grade_total"],
            "grand": r["grand"],
        }
        for r in sorted(found, key=lambda r: r["grade"])
        if r["grade_first"] == 1
    ]
    return window, rows, summary, _window_net(bind, window, money)
