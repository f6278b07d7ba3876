"""Staff duties and their misses (seed 003 三 客户维护要求及处罚).

- greetings 问候: on statutory holidays, solar terms and birthdays, to customers whose
  stage or acquisition channel the config names; not sent by the end of its day = missed;
- monthly call 每月电话拜访: every calendar month a phone contact with each qualified/target
  (and walk-in) customer that existed on the month's first day;
- campaigns 营销活动/答谢会: every customer of the campaign's stages told before its day.

Each miss carries the configured fine. Duties are computed from the calendar, the
customers and what was recorded — never stored as flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    String,
    and_,
    case,
    cast,
    column,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
    values,
)

from crmcli import schema
from crmcli.config import Config
from crmcli.enums import TERMINAL_STAGES
from crmcli.errors import InvalidInput, NotFound
from crmcli.i18n import N_, _
from crmcli.services import calendar
from crmcli.sqlfuncs import unindexed
from crmcli.text.bounds import record_id

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crmcli.models import Campaign, CampaignNotice, Contact, Customer, Greeting
    from crmcli.services.context import Actor

# Reading functions take a Core connection or an ORM session (``bind``) and query the
# tables of crmcli.schema; the ones that record something use the models.


# A duty's kind and the details crm writes, English in JSON; ``worded`` for a table.
DUTY_KINDS = {
    "greeting": N_("greeting"),
    "monthly_call": N_("monthly_call"),
    "campaign": N_("campaign"),
}
MONTHLY_DETAIL = N_("no phone call in {month}")
CAMPAIGN_DETAIL = N_("tell about {campaign} on {on}")


@dataclass(slots=True)
class Duty:
    """One thing a salesperson must do (or failed to do) for one customer."""

    kind: str  # greeting | monthly_call | campaign
    customer_id: int
    code: str
    name: str
    owner: str | None
    occasion: str
    day: date  # the day it is due (greeting day, month's last day, campaign day)
    contact_id: int | None = None
    contact_name: str | None = None
    detail: str = ""
    done: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def worded(self) -> tuple[str, str]:
        """The kind and detail as a table shows them, in the interface language."""
        if self.kind == "monthly_call":
            detail = _(MONTHLY_DETAIL).format(month=self.occasion)
        elif self.kind == "campaign":
            detail = _(CAMPAIGN_DETAIL).format(campaign=self.occasion, on=self.day)
        else:
            detail = self.detail
        return _(DUTY_KINDS[self.kind]), detail


class _Then(NamedTuple):
    """A customer's stage and owner at the end of a day, as SQL expressions."""

    stage: Any
    owner: Any


def _state_on(bind: Any, t: Any, day: Any, *, since: date | None = None) -> _Then:
    """Stage and owner at the end of ``day``: a duty of a past day is owed by the
    customer's stage then, and charged to whoever owned it then.

    ``day`` is a date, or a column of days none before ``since`` (the occasions of a
    period). Where no stage or owner changed after the first such day (today's duties,
    and any day before the last such change) they are the columns themselves; otherwise
    a customer changed since has, from its first change after the day, the value that
    change replaced."""
    c, h = t.customer.c, t.history.c
    fields = ("stage", "owner")
    first = day if since is None else since
    later = select(h.id).where(h.field.in_(fields), h.on > first)
    if not bind.execute(select(later.exists())).scalar():
        return _Then(c.stage, c.owner)

    def then(field: str, now: Any) -> Any:
        # Customers changed after the first day: one list, read once; for a column of
        # days, whether the change came after the row's own day too.
        changed = c.id.in_(select(h.customer_id).where(h.field == field, h.on > first))
        if since is not None:
            changed = and_(
                changed,
                exists().where(h.customer_id == c.id, h.field == field, h.on > day),
            )
        replaced = (
            select(h.old)
            .where(h.customer_id == c.id, h.field == field, h.on > day)
            .order_by(h.on, h.id)
            .limit(1)
            .scalar_subquery()
        )
        return case((changed, replaced), else_=now)

    return _Then(then("stage", c.stage), then("owner", c.owner))


def _eligible(c: Any, stage: Any, config_section: dict[str, Any]) -> Any:
    """Owed the duties of ``config_section`` (greetings, monthly calls) in ``stage``."""
    return and_(
        stage.notin_(TERMINAL_STAGES),
        or_(
            stage.in_(config_section["stages"]),
            c.channel.in_(config_section["acquisition"])
            if config_section["acquisition"]
            else false(),
        ),
    )


def is_eligible(customer: Any, config_section: dict[str, Any]) -> bool:
    """``_eligible`` for one customer (a model or a row)."""
    return customer.stage not in TERMINAL_STAGES and (
        customer.stage in config_section["stages"]
        or customer.channel in config_section["acquisition"]
    )


def _customer_cols(c: Any, then: _Then) -> list[Any]:
    return [c.id, c.code, c.name, then.owner.label("owner")]


def _by_name(c: Any) -> tuple[Any, Any]:
    """Customers in name order; most of the table is read, so scan it and sort once
    rather than walk the name index with a random row read per customer."""
    return unindexed(c.sort_key), c.id


class GreetingRow(NamedTuple):
    """A greeting owed, as ``greeting_rows`` gives it (a tuple: lists run to 100,000)."""

    customer_id: int
    code: str
    name: str
    owner: str | None
    occasion: str
    kind: str
    detail: str
    contact_id: int | None
    contact_name: str | None
    done: bool
    day: date


def greetings_on(
    bind: Any,
    config: Config,
    day: date,
    *,
    owner: str | None = None,
    pending_only: bool = False,
) -> list[Duty]:
    """Every greeting owed on ``day``; ``done`` when one was recorded as sent that day."""
    return _duties(greeting_rows(bind, config, day, owner=owner, pending_only=pending_only))


def _duties(rows: list[GreetingRow]) -> list[Duty]:
    return [
        Duty(
            "greeting",
            g.customer_id,
            g.code,
            g.name,
            g.owner,
            g.occasion,
            g.day,
            contact_id=g.contact_id,
            contact_name=g.contact_name,
            detail=g.detail,
            done=bool(g.done),
            extra={"occasion_kind": g.kind},
        )
        for g in rows
    ]


def greeting_rows(
    bind: Any,
    config: Config,
    day: date,
    *,
    owner: str | None = None,
    pending_only: bool = False,
) -> list[GreetingRow]:
    """The greetings of ``greetings_on`` as plain rows, for long lists (``crm remind``):
    by occasion, then customers in name order (a contact's birthday after the customer's)."""
    return greeting_rows_between(bind, config, day, day, owner=owner, pending_only=pending_only)


# Within a day: the holidays and solar terms in ``calendar.occasions_on``'s order, then
# the customers' own birthdays, then their contacts'.
_CUSTOMER_BIRTHDAY, _CONTACT_BIRTHDAY = 1000, 1001


def greeting_rows_between(
    bind: Any,
    config: Config,
    start: date,
    end: date,
    *,
    owner: str | None = None,
    pending_only: bool = False,
) -> list[GreetingRow]:
    """The greetings owed on each day from ``start`` to ``end``: by day, then as
    ``greeting_rows`` orders a day's."""
    parts = _greeting_parts(bind, config, start, end, owner=owner, pending_only=pending_only)
    if not parts:
        return []
    query: Any = parts[0] if len(parts) == 1 else union_all(*parts)
    u = query.subquery()
    rows = bind.execute(select(u).order_by(u.c.day, u.c.rank, u.c.sort_key, u.c.tiebreak)).all()
    labels: dict[tuple[str, str], str] = {}
    found: list[GreetingRow] = []
    for r in rows:
        if r.contact_id is not None:
            who = f"{r.contact_name} ({r.title})" if r.title else f"{r.contact_name}"
            detail = f"{who} 生日"
        elif r.kind == "birthday":
            detail = f"{r.name} 生日"
        else:
            key = (r.occasion, r.kind)
            if key not in labels:
                labels[key] = f"{r.occasion} ({_kind_label(r.kind)})"
            detail = labels[key]
        found.append(
            GreetingRow(
                r.customer_id,
                r.code,
                r.name,
                r.owner,
                r.occasion,
                r.kind,
                detail,
                r.contact_id,
                r.contact_name,
                bool(r.done),
                r.day,
            )
        )
    return found


def _day_table(name: str, rows: list[tuple[Any, ...]], **kinds: Any) -> Any:
    """Rows of (day, the moment it ends, *kinds' columns) as a small table of days."""
    columns = [column("day", Date), column("until", DateTime)]
    columns += [column(key, kind) for key, kind in kinds.items()]
    return values(*columns, name=name).data(rows).cte(name)


def _greeting_parts(
    bind: Any,
    config: Config,
    start: date,
    end: date,
    *,
    owner: str | None = None,
    pending_only: bool = False,
) -> list[Any]:
    """Every greeting owed from ``start`` to ``end``, as the queries of its kinds (none
    when the period has no occasion; holidays and terms, customers' birthdays, contacts'
    birthdays), each with the same columns: the period's occasions, computed in one pass
    over its days, are a small table of days joined to the customers (and contacts) owed
    them, with ``done`` when it was sent by the end of its day. The ONE definition of who
    is owed which greeting: ``crm greet list``, ``crm greet missed`` and the staff report
    all read it."""
    settings = config.get("greetings")
    occasions: list[tuple[date, datetime, str, str, int]] = []
    birthdays: list[tuple[date, datetime, bool, bool | None, str]] = []
    day = start
    while day <= end:
        until = datetime.combine(day + timedelta(days=1), datetime.min.time())
        found = calendar.occasions_on(
            day, holiday_names=settings["holidays"], kinds=settings["occasions"]
        )
        occasions += [(day, until, o.name, o.kind, rank) for rank, o in enumerate(found)]
        day += timedelta(days=1)
    if "birthday" in settings["occasions"]:
        for day, keys in calendar.birthday_keys_between(start, end):
            until = datetime.combine(day + timedelta(days=1), datetime.min.time())
            birthdays += [(day, until, False, None, md) for md in keys.solar]
            birthdays += [(day, until, True, False, md) for md in keys.lunar]
            birthdays += [(day, until, True, True, md) for md in keys.lunar_leap]
    t = schema
    c, p, g = t.customer.c, t.contact.c, t.greeting.c
    parts = []
    if occasions:
        occ = _day_table("occasion_day", occasions, occasion=String, kind=String, rank=Integer)
        o = occ.c
        # A holiday or solar-term greeting is owed to the customer: one sent to any of
        # its contacts (``greet done … --contact``) pays it.
        sent = exists().where(
            g.customer_id == c.id, g.on == o.day, g.occasion == o.occasion, g.sent_at < o.until
        )  # sent by the end of its day: a greeting recorded later is still a miss
        parts.append(
            _greeting_select(
                bind, t, settings, start, o.day, owner, pending_only, sent,
                occasion=o.occasion, kind=o.kind, rank=o.rank, tiebreak=c.id, source=occ,
            )
        )  # fmt: skip
    if birthdays:
        bd = _day_table("birthday_day", birthdays, lunar=Boolean, leap=Boolean, md=String)
        b = bd.c

        def born(person: Any) -> Any:
            return and_(
                person.birthday_lunar == b.lunar,
                person.birth_md == b.md,
                or_(b.leap.is_(None), person.birthday_leap == b.leap),
            )

        def wished(whom: Any) -> Any:
            """A birthday greeting sent to ``whom`` (the customer itself, or one contact)
            by the end of the day."""
            return exists().where(
                g.customer_id == c.id,
                whom,
                g.on == b.day,
                g.occasion == calendar.BIRTHDAY,
                g.sent_at < b.until,
            )

        # The customer's own birthday; a contact's is a duty of its own.
        own = wished(g.contact_id.is_(None))
        parts.append(
            _greeting_select(
                bind, t, settings, start, b.day, owner, pending_only, own,
                occasion=literal(calendar.BIRTHDAY), kind=literal("birthday"),
                rank=literal(_CUSTOMER_BIRTHDAY), tiebreak=c.id, source=bd, born=born(c),
            )
        )  # fmt: skip
        theirs = wished(g.contact_id == p.id)
        parts.append(
            _greeting_select(
                bind, t, settings, start, b.day, owner, pending_only, theirs,
                occasion=literal(calendar.BIRTHDAY), kind=literal("birthday"),
                rank=literal(_CONTACT_BIRTHDAY), tiebreak=p.id, source=bd, born=born(p),
                contact=True,
            )
        )  # fmt: skip
    return parts


def _greeting_select(
    bind: Any,
    t: Any,
    settings: dict[str, Any],
    start: date,
    day: Any,
    owner: str | None,
    pending_only: bool,
    done: Any,
    *,
    occasion: Any,
    kind: Any,
    rank: Any,
    tiebreak: Any,
    source: Any,
    born: Any = None,
    contact: bool = False,
) -> Any:
    """The customers (or, with ``contact``, the contacts) owed one kind of greeting on
    the days of ``source``, owed by the stage of that day and charged to its owner."""
    c, p = t.customer.c, t.contact.c
    then = _state_on(bind, t, day, since=start)
    query = select(
        c.id.label("customer_id"),
        c.code,
        c.name,
        then.owner.label("owner"),
        occasion.label("occasion"),
        kind.label("kind"),
        # Typed NULLs: PostgreSQL matches the columns of a UNION by type.
        (p.id if contact else cast(null(), Integer)).label("contact_id"),
        (p.name if contact else cast(null(), String)).label("contact_name"),
        (p.title if contact else cast(null(), String)).label("title"),
        _done(done, pending_only),
        day.label("day"),
        rank.label("rank"),
        c.sort_key.label("sort_key"),
        tiebreak.label("tiebreak"),
    )
    if contact:
        query = query.select_from(
            source.join(t.contact, born).join(t.customer, c.id == p.customer_id)
        )
    else:
        query = query.select_from(source.join(t.customer, born if born is not None else true()))
    query = query.where(_eligible(c, then.stage, settings), c.created_on <= day)
    if owner:
        query = query.where(then.owner == owner)
    if pending_only:
        query = query.where(~done)
    return query


def _done(done: Any, pending_only: bool) -> Any:
    """The ``done`` column: false in a list of pending duties alone, whose condition
    already excludes the done ones (asking again would cost a lookup per row)."""
    return (false() if pending_only else done).label("done")


def _kind_label(kind: str) -> str:
    return {"holiday": "法定节假日", "solar_term": "节气", "birthday": "生日"}[kind]


def missed_greetings(
    session: Any, config: Config, start: date, end: date, *, owner: str | None = None
) -> list[Duty]:
    """Greetings owed on the days from ``start`` to ``end`` that were not sent in time."""
    return _duties(
        greeting_rows_between(session, config, start, end, owner=owner, pending_only=True)
    )


def missed_greeting_counts(
    bind: Any, config: Config, start: date, end: date, *, owner: str | None = None
) -> dict[str | None, int]:
    """How many of ``missed_greetings`` each owner has: the same query, counted in SQL."""
    # Counted kind by kind and added up: a count through their UNION ALL carries every
    # column of its 2 million rows (1.8 s on the benchmark data, 0.55 s so).
    counts: dict[str | None, int] = {}
    for part in _greeting_parts(bind, config, start, end, owner=owner, pending_only=True):
        _add_counts(counts, bind, part)
    return counts


def mark_greeting(
    session: Session,
    actor: Actor,
    customer: Customer,
    occasion_text: str,
    *,
    day: date,
    contact: Contact | None = None,
    channel: str | None = None,
    at: datetime | None = None,
) -> Greeting:
    from crmcli.models import Greeting

    name, kind = calendar.parse_occasion(occasion_text)
    if kind == "birthday":
        person: Any = contact or customer
        keys = calendar.birthday_keys(day)
        if not person.birthday or not _born_on(person, keys):
            if person.birthday:
                # A 腊月 birthday of lunar year Y falls in January/February of Y + 1.
                candidates = [
                    calendar.birthday_in_year(
                        person.birthday, person.birthday_lunar, person.birthday_leap, year
                    )
                    for year in (day.year - 1, day.year)
                ]
                when = next((c for c in candidates if c.year == day.year), candidates[-1])
                problem = _("{day} is not {name}'s birthday (in {year}: {when})").format(
                    day=day, name=person.name, year=day.year, when=when
                )
            else:
                problem = _("{name} has no birthday on record").format(name=person.name)
            born = [] if contact is not None else _contacts_born_on(session, customer, keys)
            if born:
                problem += _("; {day} is the birthday of {names}: pass --contact").format(
                    day=day, names=", ".join(born)
                )
            raise InvalidInput(problem)
    else:
        occasions = {
            o.name
            for o in calendar.occasions_on(
                day, holiday_names=list(calendar.HOLIDAYS), kinds=["holiday", "solar_term"]
            )
        }
        if name not in occasions:
            real = (
                calendar.holiday_date(name, day.year)
                if kind == "holiday"
                else calendar.solar_terms(day.year)[name]
            )
            raise InvalidInput(
                _(
                    "no {name} on {day} ({name} {year} is on {real}); use --date for the day of the occasion"
                ).format(name=name, day=day, year=day.year, real=real)
            )
    sent_at = at or actor.now
    from crmcli.services.timeline import check_event_day

    check_event_day(customer, sent_at, actor.today, N_("greeting --at"))
    if sent_at.date() < day:
        raise InvalidInput(
            _(
                "the {name} greeting of {day} cannot be marked sent on {sent_at:%Y-%m-%d}, before its day"
            ).format(name=name, day=day, sent_at=sent_at)
        )
    g = schema.greeting.c
    contact_id = contact.id if contact else None
    already = session.execute(
        select(g.sent_at).where(
            g.customer_id == customer.id,
            g.occasion == name,
            g.on == day,
            g.contact_id.is_(None) if contact_id is None else g.contact_id == contact_id,
        )
    ).first()
    if already is not None:
        raise InvalidInput(
            _(
                "the {name} greeting of {day} to {name2} was already marked sent ({sent_at:%Y-%m-%d %H:%M})"
            ).format(name=name, day=day, name2=(contact or customer).name, sent_at=already.sent_at)
        )
    greeting = Greeting(
        customer_id=customer.id,
        contact_id=contact_id,
        occasion=name,
        kind=kind,
        on=day,
        sent_at=sent_at,
        channel=channel,
        sent_by=actor.user,
    )
    session.add(greeting)
    session.flush()
    return greeting


def _contacts_born_on(session: Any, customer: Any, keys: calendar.BirthdayKeys) -> list[str]:
    from crmcli.models import Contact

    contacts = session.execute(
        select(Contact).where(Contact.customer_id == customer.id).order_by(Contact.id)  # type: ignore[arg-type]
    ).scalars()
    return [k.name for k in contacts if k.birthday and _born_on(k, keys)]


def _born_on(person: Any, keys: calendar.BirthdayKeys) -> bool:
    """Whether a customer's or contact's stored birthday is one of ``keys``' days."""
    if not person.birthday_lunar:
        return person.birth_md in keys.solar
    return person.birth_md in (keys.lunar_leap if person.birthday_leap else keys.lunar)


# -- monthly phone call ---------------------------------------------------------------


def month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


def calls_missing(
    bind: Any,
    config: Config,
    month_of: date,
    *,
    owner: str | None = None,
    until: date | None = None,
) -> list[Duty]:
    """Customers owed a phone call in ``month_of``'s month with none (up to ``until``)."""
    return _call_duties(calls_missing_rows(bind, config, month_of, owner=owner, until=until))


def calls_missing_rows(
    bind: Any,
    config: Config,
    month_of: date,
    *,
    owner: str | None = None,
    until: date | None = None,
) -> list[Any]:
    """The customers of ``calls_missing`` as rows of id, code, name, owner and the
    month's first day, in name order."""
    first, following = month_bounds(month_of)
    stop = min(following, until) if until else following
    return _calls_missing_rows(bind, config, [(first, stop)], owner)


def _calls_missing_rows(
    bind: Any, config: Config, months: list[tuple[date, date]], owner: str | None
) -> list[Any]:
    """``_calls_missing_query``'s rows, month by month, each in name order."""
    u = _calls_missing_query(bind, config, months, owner=owner).subquery()
    return bind.execute(  # type: ignore[no-any-return]
        select(u.c.id, u.c.code, u.c.name, u.c.owner, u.c.month).order_by(u.c.month, *_by_name(u.c))
    ).all()


def _call_duties(rows: Any) -> list[Duty]:
    duties = []
    for id_, code, name, owner_, first in rows:
        month = f"{first:%Y-%m}"
        last = month_bounds(first)[1] - timedelta(days=1)
        detail = MONTHLY_DETAIL.format(month=month)
        duties.append(Duty("monthly_call", id_, code, name, owner_, month, last, detail=detail))
    return duties


def _calls_missing_query(
    bind: Any,
    config: Config,
    months: list[tuple[date, date]],
    *,
    owner: str | None = None,
) -> Any:
    """The customers owed a phone call in each of ``months`` (first day, and the day the
    count stops: the next month's first, or an earlier day for the month under way) that
    had none: one row per customer and month, with the month's first day. The ONE
    definition of the monthly-call duty: ``crm remind``, ``crm greet missed`` and the
    staff report read it, one month or a year of them in one query."""
    settings = config.get("monthly_call")
    t = schema
    c = t.customer.c
    f = t.followup.c
    midnight = datetime.min.time()
    month = _day_table(
        "call_month",
        [
            # The month is owed by the stage at its end (of the day the count stops, in
            # the one under way) and charged to the owner of then.
            (stop - timedelta(days=1), datetime.combine(stop, midnight), first,
             datetime.combine(first, midnight))
            for first, stop in months
        ],
        first=Date,
        since=DateTime,
    )  # fmt: skip
    m = month.c
    called = exists().where(
        f.customer_id == c.id,
        f.channel.in_(settings["channels"]),
        f.at >= m.since,
        f.at < m.until,
    )
    then = _state_on(bind, t, m.day, since=min(stop for _, stop in months) - timedelta(days=1))
    query = (
        select(*_customer_cols(c, then), m.first.label("month"), c.sort_key)
        .select_from(month.join(t.customer, c.created_on <= m.first))
        .where(_eligible(c, then.stage, settings), ~called)
    )
    if owner:
        query = query.where(then.owner == owner)
    return query


def _months_ended(start: date, end: date, as_of: date) -> list[tuple[date, date]]:
    """The months that ended between ``start`` and ``end``, before ``as_of``: each as its
    first day and the next month's."""
    months = []
    first, following = month_bounds(start)
    while following - timedelta(days=1) <= end:
        month_end = following - timedelta(days=1)
        if month_end >= start and month_end < as_of:
            months.append((first, following))
        first, following = following, month_bounds(following)[1]
    return months


def missed_calls(
    session: Any,
    config: Config,
    start: date,
    end: date,
    as_of: date,
    *,
    owner: str | None = None,
) -> list[Duty]:
    """Months that ended between ``start`` and ``end`` (and before ``as_of``) without a
    call: month by month, each in name order."""
    months = _months_ended(start, end, as_of)
    return _call_duties(_calls_missing_rows(session, config, months, owner)) if months else []


def missed_call_counts(
    bind: Any, config: Config, start: date, end: date, as_of: date, *, owner: str | None = None
) -> dict[str | None, int]:
    """How many of ``missed_calls`` each owner has, counted in SQL."""
    counts: dict[str | None, int] = {}
    months = _months_ended(start, end, as_of)
    if months:
        _add_counts(counts, bind, _calls_missing_query(bind, config, months, owner=owner))
    return counts


def _add_counts(counts: dict[str | None, int], bind: Any, query: Any) -> None:
    u = query.subquery()
    for o, n in bind.execute(select(u.c.owner, func.count()).group_by(u.c.owner)):
        counts[o] = counts.get(o, 0) + int(n)


# -- campaigns ------------------------------------------------------------------------


def add_campaign(
    session: Session, actor: Actor, name: str, on: date, stages: list[str]
) -> Campaign:
    from crmcli.models import Campaign

    clean = name.strip()
    if not clean:
        raise InvalidInput(_("campaign name must not be empty"))
    if not stages:
        raise InvalidInput(_("--stages must name at least one stage"))
    ended = [s for s in stages if s in TERMINAL_STAGES]
    if ended:
        raise InvalidInput(
            _(
                "--stages {ended}: customers in that stage are owed no duty; name the stages to tell (customer, loyal, …)"
            ).format(ended=",".join(ended))
        )
    if session.scalar(select(Campaign.id).where(Campaign.name == clean)) is not None:
        raise InvalidInput(_("a campaign named {clean!r} already exists").format(clean=clean))
    campaign = Campaign(
        name=clean, on=on, stages=",".join(stages), created_by=actor.user, created_on=actor.today
    )
    session.add(campaign)
    session.flush()
    return campaign


def get_campaign(bind: Any, name: str) -> Any:
    """A campaign (a row with its columns) by name, or by id."""
    campaign = schema.campaign
    k, wanted = campaign.c, name.strip()
    found = bind.execute(select(campaign).where(k.name == wanted)).first()
    number = record_id(wanted) if wanted.isdigit() else None
    if found is None and number is not None:
        found = bind.execute(select(campaign).where(k.id == number)).first()
    if found is None:
        raise NotFound(_("no campaign {name!r}; see `crm campaign list`").format(name=name))
    return found


def notify(
    session: Session,
    actor: Actor,
    campaign: Any,
    customer: Customer,
    *,
    channel: str | None = None,
    at: datetime | None = None,
) -> CampaignNotice:
    from crmcli.models import CampaignNotice
    from crmcli.services.timeline import check_event_day

    check_event_day(customer, at or actor.now, actor.today, N_("notice --at"))
    n = schema.campaignnotice.c
    already = session.execute(
        select(n.notified_at).where(n.campaign_id == campaign.id, n.customer_id == customer.id)
    ).first()
    if already is not None:
        raise InvalidInput(
            _("{code} {name} was already told about {name2} ({notified_at:%Y-%m-%d %H:%M})").format(
                code=customer.code,
                name=customer.name,
                name2=campaign.name,
                notified_at=already.notified_at,
            )
        )
    notice = CampaignNotice(
        campaign_id=campaign.id,
        customer_id=customer.id,
        notified_at=at or actor.now,
        channel=channel,
        notified_by=actor.user,
    )
    session.add(notice)
    session.flush()
    return notice


def campaign_audience(
    bind: Any, campaign: Any, *, owner: str | None = None, include_told: bool = False
) -> list[Duty]:
    """Customers who must be told about a campaign (a model or a row of
    ``campaigns_between``); ``done`` once told before its day."""
    detail = CAMPAIGN_DETAIL.format(campaign=campaign.name, on=campaign.on)
    return [
        Duty(
            "campaign",
            id_,
            code,
            name,
            owner_,
            campaign.name,
            campaign.on,
            detail=detail,
            done=bool(is_done),
            extra={"campaign_id": campaign.id},
        )
        for id_, code, name, owner_, is_done in campaign_audience_rows(
            bind, campaign, owner=owner, include_told=include_told
        )
    ]


def in_audience(campaign: Any, customer: Any) -> bool:
    """Whether a customer is one ``campaign_audience_rows`` lists (told or not)."""
    return (
        customer.stage in campaign.stages.split(",")
        and customer.stage not in TERMINAL_STAGES
        and customer.created_on < campaign.on
    )


def campaign_audience_rows(
    bind: Any, campaign: Any, *, owner: str | None = None, include_told: bool = False
) -> list[Any]:
    """The customers of ``campaign_audience`` as rows of id, code, name, owner and done,
    in name order."""
    c = schema.customer.c
    query = _audience_query(bind, campaign, owner=owner, include_told=include_told)
    return bind.execute(query.order_by(*_by_name(c))).all()


def _audience_query(
    bind: Any, campaign: Any, *, owner: str | None = None, include_told: bool = False
) -> Any:
    t = schema
    c = t.customer.c
    n = t.campaignnotice.c
    told = exists().where(
        n.campaign_id == campaign.id,
        n.customer_id == c.id,
        n.notified_at < datetime.combine(campaign.on, datetime.min.time()),
    )
    # Its audience: the customers of its stages on the last day a notice counts.
    then = _state_on(bind, t, campaign.on - timedelta(days=1))
    query = select(*_customer_cols(c, then), _done(told, not include_told)).where(
        then.stage.in_(campaign.stages.split(",")),
        then.stage.notin_(TERMINAL_STAGES),
        c.created_on < campaign.on,
    )
    if owner:
        query = query.where(then.owner == owner)
    if not include_told:
        query = query.where(~told)
    return query


def campaigns_between(
    bind: Any, start: date | None, end: date | None, *, known_on: date | None = None
) -> list[Any]:
    """Campaigns (rows with the campaign's columns) held from ``start`` to ``end``; with
    ``known_on``, only those added by that day (nothing is owed of one added later)."""
    campaign = schema.campaign
    k = campaign.c
    query = select(campaign)
    if known_on is not None:
        query = query.where(k.created_on <= known_on)
    if start is not None:
        query = query.where(k.on >= start)
    if end is not None:
        query = query.where(k.on <= end)
    return list(bind.execute(query.order_by(k.on, k.id)))


def missed_notices(
    session: Any, start: date, end: date, as_of: date, *, owner: str | None = None
) -> list[Duty]:
    """Campaigns held between the days (and before ``as_of``) with customers never told."""
    missed: list[Duty] = []
    last = min(end, as_of - timedelta(days=1))
    for campaign in campaigns_between(session, start, last, known_on=as_of):
        missed.extend(campaign_audience(session, campaign, owner=owner))
    return missed


def missed_notice_counts(
    bind: Any, start: date, end: date, as_of: date, *, owner: str | None = None
) -> dict[str | None, int]:
    """How many of ``missed_notices`` each owner has, counted in SQL."""
    counts: dict[str | None, int] = {}
    for campaign in campaigns_between(bind, start, min(end, as_of - timedelta(days=1))):
        _add_counts(counts, bind, _audience_query(bind, campaign, owner=owner))
    return counts


# -- fines ----------------------------------------------------------------------------


@dataclass
class FineLine:
    owner: str | None
    greetings: int = 0
    monthly_calls: int = 0
    campaigns: int = 0
    fine: int = 0


def fines_by_owner(config: Config, misses: list[Duty]) -> list[FineLine]:
    counts: dict[str, dict[str | None, int]] = {}
    for duty in misses:
        per_owner = counts.setdefault(duty.kind, {})
        per_owner[duty.owner] = per_owner.get(duty.owner, 0) + 1
    return fines_of_counts(config, counts)


def fines_of_counts(config: Config, counts: dict[str, dict[str | None, int]]) -> list[FineLine]:
    """Each owner's misses and fine, from the misses of each kind counted per owner."""
    rates = config.get("fines")
    lines: dict[str | None, FineLine] = {}
    attr = {"greeting": "greetings", "monthly_call": "monthly_calls", "campaign": "campaigns"}
    for kind, per_owner in counts.items():
        for owner, n in per_owner.items():
            line = lines.setdefault(owner, FineLine(owner))
            setattr(line, attr[kind], getattr(line, attr[kind]) + n)
            line.fine += rates[kind] * n
    return sorted(lines.values(), key=lambda x: (-x.fine, x.owner or ""))
