"""Portable date functions for set-based policy SQL (SQLite and PostgreSQL).

SQLite keeps dates as ISO text and has no date arithmetic operators; PostgreSQL has
real dates. These constructs compile to each dialect so services stay dialect-free.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Date, Integer, String, cast, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement, func

FAR_FUTURE = date(9999, 12, 31)


class to_date(FunctionElement[date]):
    """The calendar day of a date or datetime expression."""

    type = Date()
    inherit_cache = True


@compiles(to_date)
def _to_date_default(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(to_date, "sqlite")
def _to_date_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


class add_days(FunctionElement[date]):
    """``add_days(expr, n)``: the day n days after expr (n a Python int)."""

    type = Date()
    inherit_cache = False

    def __init__(self, expr: Any, days: int) -> None:
        self.days = int(days)
        super().__init__(expr)


@compiles(add_days)
def _add_days_default(element: Any, compiler: Any, **kw: Any) -> str:
    inner = compiler.process(element.clauses, **kw)
    return f"(CAST({inner} AS DATE) + {element.days})"


@compiles(add_days, "sqlite")
def _add_days_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    inner = compiler.process(element.clauses, **kw)
    return f"date({inner}, '{element.days:+d} days')"


class least(FunctionElement[date]):
    """The smallest of several non-null date expressions."""

    type = Date()
    inherit_cache = True


@compiles(least)
def _least_default(element: Any, compiler: Any, **kw: Any) -> str:
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


def earliest(*exprs: Any) -> ColumnElement[date]:
    """The earliest of date expressions that may be NULL; NULL when all are."""
    far = literal(FAR_FUTURE, Date)
    return func.nullif(least(*(func.coalesce(e, far) for e in exprs)), far)


class days_between(FunctionElement[int]):
    """Whole calendar days from the second date to the first (``later - earlier``)."""

    type = Integer()
    inherit_cache = True


@compiles(days_between)
def _days_default(element: Any, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"(CAST({compiler.process(later, **kw)} AS DATE) - CAST({compiler.process(earlier, **kw)} AS DATE))"


@compiles(days_between, "sqlite")
def _days_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"CAST(ROUND(julianday(date({compiler.process(later, **kw)})) - "
        f"julianday(date({compiler.process(earlier, **kw)}))) AS INTEGER)"
    )


class minutes_between(FunctionElement[int]):
    """Whole minutes (rounded) from the second time to the first."""

    type = Integer()
    inherit_cache = True


@compiles(minutes_between)
def _minutes_default(element: Any, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"CAST(ROUND(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - "
        f"{compiler.process(earlier, **kw)})) / 60) AS INTEGER)"
    )


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"CAST(ROUND((julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)})) * 1440) AS INTEGER)"
    )


class month_key(FunctionElement[str]):
    """'YYYY-MM' of a date or a time: its calendar month (months with a purchase, the
    months of a report)."""

    type = String()
    inherit_cache = True


@compiles(month_key)
def _month_key_default(element: Any, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


@compiles(month_key, "sqlite")
def _month_key_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # SQLite keeps dates and times as ISO text, which starts with the month: its first
    # seven characters are strftime('%Y-%m', …) at half the cost on a million rows.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


class thousands(FunctionElement[str]):
    """A whole number as text with thousands separators: 1234000 → '1,234,000'."""

    type = String()
    inherit_cache = True


@compiles(thousands)
def _thousands_default(element: Any, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'FM999,999,999,999,999,990')"


@compiles(thousands, "sqlite")
def _thousands_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"printf('%,d', {compiler.process(element.clauses, **kw)})"


class unindexed(FunctionElement[Any]):
    """``unindexed(column)``: the column's values, as a term the SQLite planner cannot
    answer from an index. To list most of a table in name order, one scan and one sort
    beat walking the name index with a random row read per entry; SQLite would take the
    index (it has no statistics to tell), PostgreSQL decides from its own statistics."""

    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed_default(element: Any, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # The unary plus is SQLite's documented way to keep a term away from the indexes.
    return f"+{compiler.process(element.clauses, **kw)}"


def whole(expr: Any) -> Any:
    """A sum (or other aggregate) of whole numbers, kept whole: PostgreSQL's ``sum`` of a
    bigint is a numeric, which would reach Python as a Decimal where SQLite gives an int."""
    return cast(expr, BigInteger)
