"""Export, then import into an empty database, gives back the same data (SPEC §4).

Customers, contacts, follow-ups, sales and plans are generated with awkward text (commas,
quotes, line breaks, Chinese, formula-like starts, full-width forms), phones of several
kinds, lunar birthdays and refunds; they are written through the services as any command
writes them, exported to csv with ``crm export``, imported into a fresh database with
``crm import``, and every stored field is compared.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcli import config as config_mod
from crmcli.db import open_database

TABLES = ("customers", "contacts", "followups", "sales", "plans")
BASE_DAY = date(2026, 1, 1)

awkward = st.text(
    alphabet=st.sampled_from(
        [*"abcXYZ 019,;\"'=+-@\t华为技术有限公司重庆银行（）ＡＢ１", "\u00a0"]
    ),
    min_size=1,
    max_size=12,
)
line_text = st.lists(awkward, min_size=1, max_size=3).map("\n".join)
person = st.sampled_from(["王伟", "李娜", "Zhang San", "O'Brien", "=Eve", "陈 静", "Anna-Li"])
phones = st.sampled_from(
    [
        "13812345678",
        "+86 139 0000 1111",
        "(0571) 8502 2088",
        "010-12345678 转 321",
        "+1 650 253 0000",
        "+44 20 7946 0958",
        "15900001234-88",
    ]
)
emails = st.from_regex(
    r"[a-z][a-z0-9+_-]{0,8}@(example\.com|mail\.cn|Example\.ORG)", fullmatch=True
)
industries = st.sampled_from(["制造业", "finance", "Other", "Semiconductors", "医疗器械", None])
solar_birthdays = st.builds(
    lambda d, with_year: d.isoformat() if with_year else d.strftime("%m-%d"),
    st.dates(date(1940, 1, 1), date(2005, 12, 31)),
    st.booleans(),
)
lunar_birthdays = st.tuples(st.integers(1, 12), st.integers(1, 30), st.booleans()).map(
    lambda t: (f"{t[0]:02d}-{t[1]:02d}", t[2])
)


def optional(strategy):
    return st.one_of(st.none(), strategy)


@st.composite
def birthdays(draw):
    kind = draw(st.sampled_from(["none", "solar", "lunar"]))
    if kind == "none":
        return {}
    if kind == "solar":
        return {"birthday": draw(solar_birthdays)}
    text, leap = draw(lunar_birthdays)
    return {"birthday": text, "lunar": True, "leap": leap}


@st.composite
def customers(draw, index):
    raw = {
        "name": draw(awkward.filter(lambda s: s.strip())),
        "code": draw(
            st.sampled_from([None, f"K{index}", f"=C{index}", f"-{index:03d}", f"00{index}"])
        ),
        "kind": draw(optional(st.sampled_from(["company", "个人"]))),
        "contact_name": draw(optional(person)),
        "phone": draw(optional(phones)),
        "email": draw(optional(emails)),
        "address": draw(optional(awkward)),
        "region": draw(optional(st.sampled_from(["上海", "Beijing"]))),
        "industry": draw(industries),
        "scale": draw(optional(st.sampled_from(["large", "中型", "small"]))),
        "need": draw(optional(st.sampled_from(["general", "特殊需求"]))),
        "needs_note": draw(optional(awkward)),
        "main_business": draw(optional(awkward)),
        "budget": draw(optional(st.sampled_from(["10-50万", "¥1,000,000+"]))),
        "source": draw(optional(st.sampled_from(["inbound", "被动咨询"]))),
        "channel": draw(optional(st.sampled_from(["outreach", "referral", "来访"]))),
        "stage": draw(optional(st.sampled_from(["lead", "qualified", "customer", "junk"]))),
        "tier": draw(optional(st.sampled_from(["core", "key", "general", "potential"]))),
        "potential": draw(optional(st.sampled_from(["high", "低"]))),
        "likelihood": draw(optional(st.integers(0, 100).map(str))),
        "cooperation_plan": draw(optional(awkward)),
        "owner": draw(optional(st.sampled_from(["li", "wang", "张三"]))),
        "intake_by": draw(optional(person)),
        "project_lead": draw(optional(person)),
        "tags": draw(optional(st.sampled_from(["vip", "vip,展会", "a; b"]))),
        "notes": draw(optional(awkward)),
        "tier_locked": draw(st.sampled_from([None, "yes"])),
    }
    return {
        "raw": {k: v for k, v in raw.items() if v is not None},
        "birthday": draw(birthdays()),
        "created_on": BASE_DAY + timedelta(days=draw(st.integers(0, 300))),
    }


# Events happen after every customer was added (at most 300 days after BASE_DAY) and by
# the day they are recorded (EVENTS_RECORDED): days that cannot be true are refused.
EVENTS_RECORDED = date(2026, 12, 31)
RECORDED = ("--as-of", EVENTS_RECORDED.isoformat())
moments = st.datetimes(datetime(2026, 11, 1), datetime(2026, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)


@st.composite
def worlds(draw):
    count = draw(st.integers(1, 4))
    people = [draw(customers(i)) for i in range(count)]
    contacts, followups, sales, plans = [], [], [], []
    for i in range(count):
        # A customer may have two people of one name (told apart by a phone, a birthday,
        # or nothing at all; the primary contact, customer add --contact, is one of them
        # already) and people without a phone; no two share a phone.
        primary = people[i]["raw"].get("contact_name")
        names = draw(st.lists(person, max_size=4))
        numbers = draw(st.lists(phones, min_size=len(names), max_size=len(names), unique=True))
        # A follow-up names its contact by name: only a name one contact has says who.
        named = [n for n in names if names.count(n) == 1 and n != primary]
        for name, number in zip(names, numbers, strict=True):
            contacts.append(
                {
                    "customer": i,
                    "raw": {
                        "name": name,
                        "title": draw(optional(awkward)),
                        "phone": draw(st.sampled_from([number, None])),
                        "email": draw(optional(emails)),
                        "gender": draw(optional(st.sampled_from(["male", "女"]))),
                        "notes": draw(optional(awkward)),
                    },
                    "birthday": draw(birthdays()),
                }
            )
        for _ in range(draw(st.integers(0, 3))):
            followups.append(
                {
                    "customer": i,
                    "contact": draw(optional(st.sampled_from(named))) if named else None,
                    "at": draw(moments),
                    "channel": draw(st.sampled_from(["phone", "visit", "wechat"])),
                    "summary": draw(line_text.filter(lambda s: s.strip())),
                    "result": draw(optional(line_text)),
                    "owner": draw(optional(st.sampled_from(["li", "wang"]))),
                }
            )
        if followups and draw(st.booleans()):
            followups.append(dict(followups[-1]))  # the same call logged twice
        for _ in range(draw(st.integers(0, 3))):
            sales.append(
                {
                    "customer": i,
                    # Millionths, sub-cent amounts included (an order line at 15.552).
                    "micros": draw(st.integers(1, 10**14)) * draw(st.sampled_from([1, -1])),
                    "sold_on": draw(st.dates(date(2026, 11, 1), date(2026, 12, 31))),
                    "product": draw(optional(awkward)),
                    "note": draw(optional(line_text)),
                    "currency": draw(st.sampled_from(["CNY", "USD"])),
                }
            )
        for _ in range(draw(st.integers(0, 2))):
            plans.append(
                {
                    "customer": i,
                    "due": draw(moments),
                    "has_time": draw(st.booleans()),
                    "channel": draw(st.sampled_from(["phone", "visit"])),
                    "content": draw(line_text.filter(lambda s: s.strip())),
                    "cancel": draw(st.booleans()),
                }
            )
    return people, contacts, followups, sales, plans


def populate(path: Path, world) -> None:
    from crmcli.services.contacts import add_contact
    from crmcli.services.context import Actor
    from crmcli.services.customers import add_customer
    from crmcli.services.followups import add_plan, cancel_plan, log_followup
    from crmcli.services.sales import add_sale

    people, contacts, followups, sales, plans = world
    database = open_database(str(path), write=True)
    actor = Actor(
        user="tester",
        command="test",
        config=config_mod.load(),
        today=EVENTS_RECORDED,
        now=datetime(2026, 12, 31, 9, 0),
    )
    with database.session() as session:
        made = []
        for spec in people:
            who = dataclasses.replace(actor, today=spec["created_on"])
            made.append(
                add_customer(session, who, spec["raw"], allow_duplicate=True, **spec["birthday"])
            )
        by_name = {}
        for spec in contacts:
            customer = made[spec["customer"]]
            contact = add_contact(session, actor, customer, spec["raw"], **spec["birthday"])
            by_name[(customer.id, contact.name)] = contact
        for spec in followups:
            customer = made[spec["customer"]]
            contact = by_name.get((customer.id, spec["contact"]))
            log_followup(
                session,
                actor,
                customer,
                channel=spec["channel"],
                summary=spec["summary"],
                at=spec["at"],
                result=spec["result"],
                contact=contact,
                owner=spec["owner"],
            )
        for spec in sales:
            add_sale(
                session,
                actor,
                made[spec["customer"]],
                amount_micros=spec["micros"],
                sold_on=spec["sold_on"],
                product=spec["product"],
                note=spec["note"],
                currency=spec["currency"],
            )
        for spec in plans:
            plan = add_plan(
                session,
                actor,
                made[spec["customer"]],
                due=(spec["due"], spec["has_time"]),
                channel=spec["channel"],
                content=spec["content"],
            )
            if spec["cancel"]:
                cancel_plan(session, actor, plan, None)
    database.engine.dispose()


def snapshot(target: str | Path) -> dict[str, list[tuple]]:
    """Every stored field of every table, with ids replaced by what they point at, as
    Python values: the same whichever engine holds them."""
    from sqlalchemy import select

    from crmcli import schema
    from crmcli.db import make_engine

    skip = {"id", "created_at", "updated_at", "customer_id", "contact_id", "followup_id"}
    customer, contact = schema.customer, schema.contact.alias("k")

    def rows(name: str, *extra) -> list[tuple]:
        t = schema.metadata.tables[name]
        joined = t
        if extra:
            joined = t.outerjoin(customer, customer.c.id == t.c.customer_id)
        if name == "followup":
            joined = joined.outerjoin(contact, contact.c.id == t.c.contact_id)
        query = select(*(c for c in t.c if c.name not in skip), *extra).select_from(joined)
        return sorted((tuple(r) for r in conn.execute(query)), key=repr)

    engine = make_engine(str(target), write=False)
    with engine.connect() as conn:
        found = {
            "customer": rows("customer"),
            "contact": rows("contact", customer.c.code),
            "followup": rows("followup", customer.c.code, contact.c.name),
            "sale": rows("sale", customer.c.code),
            "plan": rows("plan", customer.c.code),
        }
    engine.dispose()
    return found


def server() -> str | None:
    """The PostgreSQL server the import tests run against, if any (CRM_DB a URL)."""
    import os

    target = os.environ.get("CRM_DB", "")
    return target if "://" in target and not target.startswith("sqlite") else None


def fresh_target(empty: Path, here: Path) -> str:
    """An empty database to import into: a copy of the empty file, or, when the tests
    run against a server, a new database there (dropped by ``drop_target``)."""
    import uuid

    from sqlalchemy import create_engine

    url = server()
    if url is None:
        shutil.copy(empty, here / "target.db")
        return str(here / "target.db")
    name = "roundtrip_" + uuid.uuid4().hex[:12]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def drop_target(target: str) -> None:
    url = server()
    if url is None:
        return
    from sqlalchemy import create_engine

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{target.rsplit("/", 1)[1]}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="module")
def empty_db():
    directory = Path(tempfile.mkdtemp(prefix="crm-roundtrip-"))
    path = directory / "empty.db"
    open_database(str(path), write=True).engine.dispose()
    yield path
    shutil.rmtree(directory)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_export_then_import_into_an_empty_database_gives_back_every_field(crm, empty_db, world):
    with tempfile.TemporaryDirectory() as tmp:
        here = Path(tmp)
        source = here / "source.db"
        shutil.copy(empty_db, source)
        target = fresh_target(empty_db, here)
        try:
            _round_trip(crm, here, source, target, world)
        finally:
            drop_target(target)


def _round_trip(crm, here: Path, source: Path, target: str, world) -> None:
    populate(source, world)
    for table in TABLES:
        crm.ok("--db", source, "export", table, "-o", here / f"{table}.csv")
    for table in TABLES:
        result = crm.ok("--db", target, "import", table, here / f"{table}.csv", *RECORDED)
        assert ", 0 skipped, 0 rejected" in result.stderr, result.stderr
    assert snapshot(target) == snapshot(source)
    # the same export imported again adds nothing and changes nothing: every row is the
    # one record it was (two people of one name included)
    for table in TABLES:
        again = crm.ok(
            "--db", target, "import", table, here / f"{table}.csv", "--format", "json", *RECORDED
        )
        found = json.loads(again.stdout)
        assert (found["added"], found["updated"], found["rejected"]) == (0, 0, 0), again.stderr
    assert snapshot(target) == snapshot(source)
    # the re-imported data exports to the very same files
    for table in TABLES:
        again = crm.ok("--db", target, "export", table).stdout
        first = (here / f"{table}.csv").read_text(encoding="utf-8")
        assert _without_timestamps(again) == _without_timestamps(first)


def _without_timestamps(text: str) -> list[list[str]]:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    keep = [i for i, h in enumerate(header) if h not in ("id", "created_at", "updated_at")]
    return sorted(([row[i] for i in keep] for row in rows[1:]), key=repr)
