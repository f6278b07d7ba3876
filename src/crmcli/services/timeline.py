"""Days that cannot be true (seed 000 第七条 准确性: records kept accurate).

A follow-up, greeting, notice or plan completion dated after the day a command reckons
from (``--as-of``, else today) would become the customer's last contact and hide it from
``crm overdue``; an event before the customer was added happened to nobody we knew. Every
writer of a dated event checks it here, so the rule is stated once. To back-fill, add the
customer with ``customer add --as-of`` (or import it with its added day) first.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from crmcli.errors import InvalidInput
from crmcli.i18n import N_, _

# ``what`` names the day refused ("sale --on"): callers mark it with N_, shown with _().
FUTURE = N_("{what} {day} is in the future (today is {today}); record what has happened")
BEFORE_ADDED = N_(
    "{what} {day} is before {code} {name} was added ({added}); "
    "to back-fill, add the customer with --as-of its first day"
)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def check_not_future(value: date | datetime, today: date, what: str) -> None:
    day = _day(value)
    if day > today:
        raise InvalidInput(_(FUTURE).format(what=_(what), day=day, today=today))


def check_not_before_added(customer: Any, value: date | datetime, what: str) -> None:
    day = _day(value)
    added = customer.created_on
    if added is not None and day < added:
        raise InvalidInput(
            _(BEFORE_ADDED).format(
                what=_(what), day=day, code=customer.code, name=customer.name, added=added
            )
        )


def before_added(day: Any, added: Any) -> Any:
    """``check_not_before_added`` as an SQL condition, for many rows at once (an import's):
    ``day``, a date or a time on one, is before ``added``, the day its customer was added."""
    from sqlalchemy import and_

    return and_(added.is_not(None), day < added)


def after_day(value: Any, today: date) -> Any:
    """``check_not_future`` as an SQL condition: ``value``, a date or a time on one, falls
    after ``today``."""
    from datetime import timedelta

    return value >= datetime.combine(today + timedelta(days=1), datetime.min.time())


def check_event_day(customer: Any, value: date | datetime, today: date, what: str) -> None:
    """An event of a customer that has happened: not after today, not before it was added."""
    check_not_future(value, today, what)
    check_not_before_added(customer, value, what)
