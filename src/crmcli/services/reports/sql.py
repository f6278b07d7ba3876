"""Portable SQL for the reports: the median and the 90th percentile by window
functions, the same figures on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, select

from crmcli.i18n import N_

MEDIAN_DEFINITION = N_(
    "median = the middle value (the mean of the two middle ones for an even count)"
)
P90_DEFINITION = N_("90th percentile = the value at rank ⌈0.9 × n⌉ of n in ascending order")


def median_p90(values: Any, group: Any, value: Any) -> Any:
    """Per group of the subquery ``values``: the count, the median and the 90th
    percentile (nearest rank) of ``value``, NULL values left out.

    Both by ROW_NUMBER and COUNT over the group, so no engine's own percentile function
    (SQLite has none) decides the figure."""
    ranked = (
        select(
            group.label("g"),
            value.label("x"),
            func.row_number().over(partition_by=group, order_by=value).label("rn"),
            func.count().over(partition_by=group).label("n"),
        )
        .select_from(values)
        .where(value.is_not(None))
        .subquery()
    )
    r = ranked.c
    middle = and_(r.rn >= (r.n + 1) // 2, r.rn <= (r.n + 2) // 2)
    return select(
        r.g,
        func.count(),
        func.avg(case((middle, r.x))),
        func.min(case((r.rn >= (9 * r.n + 9) // 10, r.x))),
    ).group_by(r.g)
