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

from sqlalchemy import and_, case, exists, false, or_, select

from crmcli import schema
from crmcli.config import Config
from crmcli.enums import TERMINAL_STAGES
from crmcli.errors import InvalidInput, NotFound
from crmcli.services import calendar
from crmcli.sqlfuncs import unindexed

if TYPE_CHECKING:
    from sqlmodel import Session

    from crmcli.models import Campaign, CampaignNotice, Contact, Customer, Greeting
    from crmcli.services.context import Actor

# Reading functions take a Core connection or an ORM session (``bind``) and query the
# tables of crmcli.schema; the ones that record something use the models.


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


class _Then(NamedTuple):
    """A customer's stage and owner at the end of a day, as SQL expressions."""

    stage: Any
    owner: Any


def _state_on(bind: Any, t: Any, day: date) -> _Then:
    """Stage and owner at the end of ``day``: a duty of a past day is owed by the
    customer's stage then, and charged to whoever owned it then.

    Where no stage or owner changed after ``day`` (today's duties, and any day before
    the last such change) they are the columns themselves; otherwise a customer changed
    since has, from its first change after the day, the value that change replaced."""
    c, h = t.customer.c, t.history.c
    fields = ("stage", "owner")
    later = select(h.id).where(h.field.in_(fields), h.on > day)
    if not bind.execute(select(later.exists())).scalar():
        return _Then(c.stage, c.owner)

    def then(field: str, now: Any) -> Any:
        changed = select(h.customer_id).where(h.field == field, h.on > day)
        replaced = (
            select(h.old)
            .where(h.customer_id == c.id, h.field == field, h.on > day)
            .order_by(h.on, h.id)
            .limit(1)
            .scalar_subquery()
        )
        return case((c.id.in_(changed), replaced), else_=now)

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


def greetings_on(
    bind: Any,
    config: Config,
    day: date,
    *,
    owner: str | None = None,
    pending_only: bool = False,
) -> list[Duty]:
    """Every greeting owed on ``day``; ``done`` when one was recorded as sent that day."""
    return [
        Duty(
            "greeting",
            g.customer_id,
            g.code,
            g.name,
            g.owner,
            g.occasion,
            day,
            contact_id=g.contact_id,
            contact_name=g.contact_name,
            detail=g.detail,
            done=bool(g.done),
            extra={"occasion_kind": g.kind},
        )
        for g in greeting_rows(bind, config, day, owner=owner, pending_only=pending_only)
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
    settings = config.get("greetings")
    t = schema
    c = t.customer.c
    then = _state_on(bind, t, day)
    base = [_eligible(c, then.stage, settings), c.created_on <= day]
    if owner:
        base.append(then.owner == owner)
    rows: list[GreetingRow] = []
    for occ in calendar.occasions_on(
        day, holiday_names=settings["holidays"], kinds=settings["occasions"]
    ):
        rows += _customer_greetings(
            bind,
            t,
            then,
            day,
            occ.name,
            occ.kind,
            base,
            pending_only,
            detail=f"{occ.name} ({_kind_label(occ.kind)})",
        )
    if "birthday" in settings["occasions"]:
        rows += _birthdays(bind, t, then, day, base, pending_only)
    return rows


def _customer_greetings(
    bind: Any,
    t: Any,
    then: _Then,
    day: date,
    occasion: str,
    kind: str,
    conditions: list[Any],
    pending_only: bool,
    *,
    detail: str,
) -> list[GreetingRow]:
    """Customer-level greetings (not to a contact) of one occasion on a day; ``detail``
    may name the customer as {name}."""
    c = t.customer.c
    g = t.greeting.c
    sent = [g.customer_id == c.id, g.on == day, g.occasion == occasion, _timely(g, day)]
    if kind == "birthday":
        # The customer's own birthday; a contact's is a duty of its own (``_birthdays``).
        sent.append(g.contact_id.is_(None))
    # A holiday or solar-term greeting is owed to the customer: one sent to any of its
    # contacts (``greet done … --contact``) pays it.
    done = exists().where(*sent)
    query = select(*_customer_cols(c, then), _done(done, pending_only)).where(*conditions)
    if pending_only:
        query = query.where(~done)
    # all(): one fetch of every row, where iterating the result fetches them one by one
    rows = bind.execute(query.order_by(*_by_name(c))).all()
    if "{name}" in detail:
        return [
            GreetingRow(
                id_,
                code,
                name,
                owner,
                occasion,
                kind,
                detail.replace("{name}", name),
                None,
                None,
                d,
            )
            for id_, code, name, owner, d in rows
        ]
    return [
        GreetingRow(id_, code, name, owner, occasion, kind, detail, None, None, d)
        for id_, code, name, owner, d in rows
    ]


def _done(done: Any, pending_only: bool) -> Any:
    """The ``done`` column: false in a list of pending duties alone, whose condition
    already excludes the done ones (asking again would cost a lookup per row)."""
    return (false() if pending_only else done).label("done")


def _timely(g: Any, day: date) -> Any:
    """Sent by the end of its day (a greeting recorded later is still a miss)."""
    return g.sent_at < datetime.combine(day + timedelta(days=1), datetime.min.time())


def _kind_label(kind: str) -> str:
    return {"holiday": "法定节假日", "solar_term": "节气", "birthday": "生日"}[kind]


def _birthday_match(table: Any, keys: calendar.BirthdayKeys) -> Any:
    t = table.c
    conditions = [and_(t.birthday_lunar.is_(False), t.birth_md.in_(keys.solar))]
    if keys.lunar:
        conditions.append(
            and_(t.birthday_lunar.is_(True), t.birthday_leap.is_(False), t.birth_md.in_(keys.lunar))
        )
    if keys.lunar_leap:
        conditions.append(
            and_(
                t.birthday_lunar.is_(True),
                t.birthday_leap.is_(True),
                t.birth_md.in_(keys.lunar_leap),
            )
        )
    return or_(*conditions)


def _birthdays(
    bind: Any, t: Any, then: _Then, day: date, base: list[Any], pending_only: bool
) -> list[GreetingRow]:
    keys = calendar.birthday_keys(day)
    c = t.customer.c
    p = t.contact.c
    g = t.greeting.c
    rows = _customer_greetings(
        bind,
        t,
        then,
        day,
        calendar.BIRTHDAY,
        "birthday",
        [*base, _birthday_match(t.customer, keys)],
        pending_only,
        detail="{name} 生日",
    )
    theirs = exists().where(
        g.customer_id == c.id,
        g.contact_id == p.id,
        g.on == day,
        g.occasion == calendar.BIRTHDAY,
        _timely(g, day),
    )
    query = (
        select(
            *_customer_cols(c, then),
            p.id.label("contact_id"),
            p.name.label("contact_name"),
            p.title,
            _done(theirs, pending_only),
        )
        .join(t.customer, c.id == p.customer_id)
        .where(*base, _birthday_match(t.contact, keys))
    )
    if pending_only:
        query = query.where(~theirs)
    for id_, code, name, owner, contact_id, contact_name, title, done in bind.execute(
        query.order_by(c.sort_key, p.id)
    ).all():
        who = f"{contact_name} ({title})" if title else f"{contact_name}"
        detail = f"{who} 生日"
        rows.append(
            GreetingRow(
                id_,
                code,
                name,
                owner,
                calendar.BIRTHDAY,
                "birthday",
                detail,
                contact_id,
                contact_name,
                done,
            )
        )
    return rows


def missed_greetings(
    session: Any, config: Config, start: date, end: date, *, owner: str | None = None
) -> list[Duty]:
    """Greetings owed on the days from ``start`` to ``end`` that were not sent in time."""
    missed: list[Duty] = []
    day = start
    while day <= end:
        missed.extend(greetings_on(session, config, day, owner=owner, pending_only=True))
        day += timedelta(days=1)
    return missed


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
                problem = f"{day} is not {person.name}'s birthday (in {day.year}: {when})"
            else:
                problem = f"{person.name} has no birthday on record"
            born = [] if contact is not None else _contacts_born_on(session, customer, keys)
            if born:
                problem += f"; {day} is the birthday of {', '.join(born)}: pass --contact"
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
                f"no {name} on {day} ({name} {day.year} is on {real}); "
                "use --date for the day of the occasion"
            )
    sent_at = at or actor.now
    from crmcli.services.timeline import check_event_day

    check_event_day(customer, sent_at, actor.today, "greeting --at")
    if sent_at.date() < day:
        raise InvalidInput(
            f"the {name} greeting of {day} cannot be marked sent on {sent_at:%Y-%m-%d}, "
            "before its day"
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
            f"the {name} greeting of {day} to {(contact or customer).name} "
            f"was already marked sent ({already.sent_at:%Y-%m-%d %H:%M})"
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
    first, following = month_bounds(month_of)
    last = following - timedelta(days=1)
    month = f"{first:%Y-%m}"
    detail = f"no phone call in {month}"
    return [
        Duty("monthly_call", id_, code, name, owner_, month, last, detail=detail)
        for id_, code, name, owner_ in calls_missing_rows(
            bind, config, month_of, owner=owner, until=until
        )
    ]


def calls_missing_rows(
    bind: Any,
    config: Config,
    month_of: date,
    *,
    owner: str | None = None,
    until: date | None = None,
) -> list[Any]:
    """The customers of ``calls_missing`` as rows of id, code, name and owner, in name order."""
    settings = config.get("monthly_call")
    first, following = month_bounds(month_of)
    stop = min(following, until) if until else following
    t = schema
    c = t.customer.c
    f = t.followup.c
    called = exists().where(
        f.customer_id == c.id,
        f.channel.in_(settings["channels"]),
        f.at >= datetime.combine(first, datetime.min.time()),
        f.at < datetime.combine(stop, datetime.min.time()),
    )
    # Owed by the stage at the end of the month (of the day asked, in the current one),
    # and charged to the owner of then.
    then = _state_on(bind, t, stop - timedelta(days=1))
    query = select(*_customer_cols(c, then)).where(
        _eligible(c, then.stage, settings), c.created_on <= first, ~called
    )
    if owner:
        query = query.where(then.owner == owner)
    return bind.execute(query.order_by(*_by_name(c))).all()


def missed_calls(
    session: Any,
    config: Config,
    start: date,
    end: date,
    as_of: date,
    *,
    owner: str | None = None,
) -> list[Duty]:
    """Months that ended between ``start`` and ``end`` (and before ``as_of``) without a call."""
    missed: list[Duty] = []
    first, following = month_bounds(start)
    while following - timedelta(days=1) <= end:
        month_end = following - timedelta(days=1)
        if month_end >= start and month_end < as_of:
            missed.extend(calls_missing(session, config, first, owner=owner))
        first, following = following, month_bounds(following)[1]
    return missed


# -- campaigns ------------------------------------------------------------------------


def add_campaign(
    session: Session, actor: Actor, name: str, on: date, stages: list[str]
) -> Campaign:
    from crmcli.models import Campaign

    clean = name.strip()
    if not clean:
        raise InvalidInput("campaign name must not be empty")
    if not stages:
        raise InvalidInput("--stages must name at least one stage")
    ended = [s for s in stages if s in TERMINAL_STAGES]
    if ended:
        raise InvalidInput(
            f"--stages {','.join(ended)}: customers in that stage are owed no duty; "
            "name the stages to tell (customer, loyal, …)"
        )
    if session.scalar(select(Campaign.id).where(Campaign.name == clean)) is not None:
        raise InvalidInput(f"a campaign named {clean!r} already exists")
    campaign = Campaign(name=clean, on=on, stages=",".join(stages), created_by=actor.user)
    session.add(campaign)
    session.flush()
    return campaign


def get_campaign(bind: Any, name: str) -> Any:
    """A campaign (a row with its columns) by name, or by id."""
    campaign = schema.campaign
    k, wanted = campaign.c, name.strip()
    found = bind.execute(select(campaign).where(k.name == wanted)).first()
    if found is None and wanted.isdigit():
        found = bind.execute(select(campaign).where(k.id == int(wanted))).first()
    if found is None:
        raise NotFound(f"no campaign {name!r}; see `crm campaign list`")
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

    check_event_day(customer, at or actor.now, actor.today, "notice --at")
    n = schema.campaignnotice.c
    already = session.execute(
        select(n.notified_at).where(n.campaign_id == campaign.id, n.customer_id == customer.id)
    ).first()
    if already is not None:
        raise InvalidInput(
            f"{customer.code} {customer.name} was already told about "
            f"{campaign.name} ({already.notified_at:%Y-%m-%d %H:%M})"
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
    detail = f"tell about {campaign.name} on {campaign.on}"
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
    return bind.execute(query.order_by(*_by_name(c))).all()


def campaigns_between(bind: Any, start: date | None, end: date | None) -> list[Any]:
    """Campaigns (rows with the campaign's columns) held from ``start`` to ``end``."""
    campaign = schema.campaign
    k = campaign.c
    query = select(campaign)
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
    for campaign in campaigns_between(session, start, min(end, as_of - timedelta(days=1))):
        missed.extend(campaign_audience(session, campaign, owner=owner))
    return missed


# -- fines ----------------------------------------------------------------------------


@dataclass
class FineLine:
    owner: str | None
    greetings: int = 0
    monthly_calls: int = 0
    campaigns: int = 0
    fine: int = 0


def fines_by_owner(config: Config, misses: list[Duty]) -> list[FineLine]:
    rates = config.get("fines")
    lines: dict[str | None, FineLine] = {}
    attr = {"greeting": "greetings", "monthly_call": "monthly_calls", "campaign": "campaigns"}
    for duty in misses:
        line = lines.setdefault(duty.owner, FineLine(duty.owner))
        setattr(line, attr[duty.kind], getattr(line, attr[duty.kind]) + 1)
        line.fine += rates[duty.kind]
    return sorted(lines.values(), key=lambda x: (-x.fine, x.owner or ""))
