"""services.compliance: a period's missed greetings, found in one query over its days,
are exactly what asking day by day finds (seed 003 三: holidays, solar terms, birthdays)."""

from __future__ import annotations

import os
from datetime import date, timedelta

START, END = date(2026, 2, 1), date(2026, 4, 10)


def add(crm, name, code, stage, *extra, owner="li", on="2026-01-10"):
    crm.add_customer(name, code, stage, *extra, owner=owner, on=on)


def build(crm):
    """Holidays 春节 02-17 and 清明 04-05; terms 立春 02-04, 雨水 02-18, 惊蛰 03-05,
    春分 03-20; solar and lunar birthdays of customers and contacts; a stage and an
    owner that change within the period; greetings sent on time, late, and to a contact."""
    add(crm, "阿里", "AL", "customer", "--birthday", "02-20")
    add(crm, "大疆", "DJ", "qualified")
    crm.ok("contact", "add", "DJ", "赵强", "--birthday", "03-12")
    # 农历二月初二 2026 = 2026-03-20, the day of 春分: two greetings that day.
    crm.ok("contact", "add", "DJ", "钱芳", "--birthday", "02-02", "--lunar", "--title", "经理")
    add(crm, "华为", "HW", "lead", "--channel", "walk-in", owner="wang")
    add(crm, "方正", "FZ", "qualified", owner="wang", on="2026-03-10")
    # A lead (owed nothing) until it becomes a customer on 03-01, and wang's from 03-25.
    add(crm, "百度", "BD", "lead", "--birthday", "1990-04-02", owner="zhao")
    crm.ok("stage", "set", "BD", "customer", "--as-of", "2026-03-01")
    crm.ok("customer", "edit", "BD", "--owner", "wang", "--as-of", "2026-03-25")
    # A customer until 03-15, then lost: owed greetings before, none after.
    add(crm, "金蝶", "JD", "customer", owner="zhao")
    crm.ok("stage", "set", "JD", "lost", "--as-of", "2026-03-15")
    add(crm, "国美", "GM", "lead", owner="zhao")  # never owed anything

    def done(code, occasion, day, at, *extra):
        crm.ok("greet", "done", code, "--occasion", occasion, "--date", day, "--at", at, *extra)

    done("AL", "春节", "2026-02-17", "2026-02-17 09:00")
    done("AL", "生日", "2026-02-20", "2026-02-21 09:00")  # late: still missed
    done("DJ", "春分", "2026-03-20", "2026-03-20 10:00", "--contact", "赵强")  # pays DJ's 春分
    done("DJ", "生日", "2026-03-12", "2026-03-12 08:00", "--contact", "赵强")
    done("HW", "惊蛰", "2026-03-05", "2026-03-05 18:00")


def rows(duties):
    return [(d.day.isoformat(), d.code, d.occasion, d.contact_name, d.owner) for d in duties]


def test_a_periods_missed_greetings_are_the_union_of_each_days(crm):
    build(crm)
    from crmcli.config import load
    from crmcli.db import open_database
    from crmcli.services import compliance

    config = load()
    database = open_database(os.environ["CRM_DB"], write=False)
    with database.reading() as connection:
        period = compliance.missed_greetings(connection, config, START, END)
        days = []
        day = START
        while day <= END:
            days += compliance.greetings_on(connection, config, day, pending_only=True)
            day += timedelta(days=1)
        counts = compliance.missed_greeting_counts(connection, config, START, END)
        wang = compliance.missed_greetings(connection, config, START, END, owner="wang")
    assert rows(period) == rows(days)
    assert [(d.detail, d.done, d.contact_id is None) for d in period] == [
        (d.detail, d.done, d.contact_id is None) for d in days
    ]
    assert rows(period) == [
        ("2026-02-04", "AL", "立春", None, "li"),
        ("2026-02-04", "DJ", "立春", None, "li"),
        ("2026-02-04", "HW", "立春", None, "wang"),
        ("2026-02-04", "JD", "立春", None, "zhao"),
        ("2026-02-17", "DJ", "春节", None, "li"),
        ("2026-02-17", "HW", "春节", None, "wang"),
        ("2026-02-17", "JD", "春节", None, "zhao"),
        ("2026-02-18", "AL", "雨水", None, "li"),
        ("2026-02-18", "DJ", "雨水", None, "li"),
        ("2026-02-18", "HW", "雨水", None, "wang"),
        ("2026-02-18", "JD", "雨水", None, "zhao"),
        ("2026-02-20", "AL", "生日", None, "li"),
        ("2026-03-05", "AL", "惊蛰", None, "li"),
        ("2026-03-05", "BD", "惊蛰", None, "zhao"),
        ("2026-03-05", "DJ", "惊蛰", None, "li"),
        ("2026-03-05", "JD", "惊蛰", None, "zhao"),
        ("2026-03-20", "AL", "春分", None, "li"),
        ("2026-03-20", "BD", "春分", None, "zhao"),
        ("2026-03-20", "FZ", "春分", None, "wang"),
        ("2026-03-20", "HW", "春分", None, "wang"),
        ("2026-03-20", "DJ", "生日", "钱芳", "li"),
        ("2026-04-02", "BD", "生日", None, "wang"),
        ("2026-04-05", "AL", "清明", None, "li"),
        ("2026-04-05", "BD", "清明", None, "wang"),
        ("2026-04-05", "DJ", "清明", None, "li"),
        ("2026-04-05", "FZ", "清明", None, "wang"),
        ("2026-04-05", "HW", "清明", None, "wang"),
    ]
    assert [d.detail for d in period if d.contact_name] == ["钱芳 (经理) 生日"]
    assert counts == {"li": 12, "wang": 9, "zhao": 6}
    assert rows(wang) == [r for r in rows(period) if r[4] == "wang"]


def test_a_periods_missed_monthly_calls_are_each_months_in_one_query(crm):
    # Owed by the stage at each month's end, charged to the owner of then; a phone call
    # in the month pays it, an e-mail does not.
    add(crm, "Alpha", "QA", "qualified")
    add(crm, "Bravo", "WI", "lead", "--channel", "walk-in", owner="wang")
    crm.ok("customer", "edit", "WI", "--owner", "zhao", "--as-of", "2026-03-20")
    add(crm, "Charlie", "TG", "lead")
    crm.ok("stage", "set", "TG", "target", "--as-of", "2026-03-10")
    add(crm, "Delta", "LS", "target", owner="wang")
    crm.ok("stage", "set", "LS", "lost", "--as-of", "2026-04-15")
    add(crm, "Echo", "NW", "qualified", on="2026-03-10")  # owed from April, its first month
    add(crm, "Foxtrot", "GM", "lead")  # owed nothing

    def log(code, channel, at):
        crm.ok(
            "log", code, "--channel", channel, "--summary", "call", "--at", at, "--as-of", at[:10]
        )

    log("QA", "phone", "2026-02-15 10:00")
    log("LS", "phone", "2026-03-03 10:00")
    log("TG", "email", "2026-04-02 10:00")
    from crmcli.config import load
    from crmcli.db import open_database
    from crmcli.services import compliance

    config = load()
    start, end, as_of = date(2026, 2, 1), date(2026, 4, 30), date(2026, 5, 1)
    database = open_database(os.environ["CRM_DB"], write=False)
    with database.reading() as connection:
        period = compliance.missed_calls(connection, config, start, end, as_of)
        months = [
            duty
            for first in (date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1))
            for duty in compliance.calls_missing(connection, config, first)
        ]
        counts = compliance.missed_call_counts(connection, config, start, end, as_of)
        li = compliance.missed_calls(connection, config, start, end, as_of, owner="li")
        # The month under way counts up to the day asked: Alpha has until May's end.
        may = compliance.calls_missing_rows(connection, config, as_of, until=as_of)
    got = [(d.occasion, d.code, d.owner, d.day.isoformat()) for d in period]
    assert got == [(d.occasion, d.code, d.owner, d.day.isoformat()) for d in months]
    assert got == [
        ("2026-02", "WI", "wang", "2026-02-28"),
        ("2026-02", "LS", "wang", "2026-02-28"),
        ("2026-03", "QA", "li", "2026-03-31"),
        ("2026-03", "WI", "zhao", "2026-03-31"),
        ("2026-03", "TG", "li", "2026-03-31"),
        ("2026-04", "QA", "li", "2026-04-30"),
        ("2026-04", "WI", "zhao", "2026-04-30"),
        ("2026-04", "TG", "li", "2026-04-30"),
        ("2026-04", "NW", "li", "2026-04-30"),
    ]
    assert counts == {"li": 5, "wang": 2, "zhao": 2}
    assert [d.code for d in li] == ["QA", "TG", "QA", "TG", "NW"]
    assert [(r.code, r.owner) for r in may] == [
        ("QA", "li"),
        ("WI", "zhao"),
        ("TG", "li"),
        ("NW", "li"),
    ]
