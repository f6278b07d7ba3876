"""The stored due days always equal a recompute from scratch (README "Overdue: the rules").

Random sequences of real ``crm`` commands, every one with an explicit day (``--as-of``,
``--at``, ``--on``), are run against a fresh database per example. After every command
each customer's stored derived columns (last_contact_at, contact_due_on, visit_due_on,
callback_due_on, plan_due_on, next_due_at) are compared with

* what ``cadence.refresh_due`` writes for everybody from scratch (in a transaction that
  is rolled back), and
* what the README's rules give when applied in plain Python to the stored facts (the
  customer's tier, stage, acquisition channel and day added, its follow-ups and open
  plans), with the cadence numbers taken from the README's defaults table and the
  ``crm config set`` commands of the sequence — not from crmcli's config code.

A failure lists every differing value (customer, column, stored, recomputed, by the
rules) under the commands that led to it.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from crmcli import schema
from crmcli.cli import app

START = date(2026, 1, 5)
DERIVED = (
    "last_contact_at",
    "contact_due_on",
    "visit_due_on",
    "callback_due_on",
    "plan_due_on",
    "next_due_at",
)
TIERS = ("core", "key", "general", "potential")
STAGES = ("lead", "target", "qualified", "customer", "loyal", "junk", "lost")
FOLLOWUP_CHANNELS = ("phone", "visit", "meeting", "email", "wechat", "sms", "event")
ACQUISITIONS = (None, "outreach", "referral", "walk-in")

# The README's defaults (Configuration; Overdue: the rules), written out here so that
# the expected days do not come from crmcli.config.
EVERY_CONTACT = frozenset({"phone", "visit", "meeting", "email", "wechat"})


def readme_policy() -> dict[str, Any]:
    return {
        "cadence": {
            tier: {
                "days": days,
                "channels": channels,
                "visit_days": 30 if tier == "core" else 0,
                "visit_channels": frozenset({"visit"}),
            }
            for tier, days, channels in (
                ("core", 14, EVERY_CONTACT),
                ("key", 30, EVERY_CONTACT),
                ("general", 90, EVERY_CONTACT),
                ("potential", 30, frozenset({"phone"})),
            )
        },
        "outreach": {"callback_days": 7, "channels": frozenset({"phone"})},
    }


# --- the expected values, in plain Python -------------------------------------------------


def by_the_rules(
    policy: dict[str, Any],
    customer: Any,
    followups: list[tuple[datetime, str]],
    open_plan_days: list[date],
) -> dict[str, Any]:
    """The derived columns of one customer, from its facts and the README's rules."""
    rule = policy["cadence"][customer.tier]

    def since(channels: frozenset[str]) -> date:
        times = [at for at, channel in followups if channel in channels]
        return max(times).date() if times else customer.created_on

    contact = since(rule["channels"]) + timedelta(days=rule["days"])
    visit = None
    if rule["visit_days"] > 0:
        visit = since(rule["visit_channels"]) + timedelta(days=rule["visit_days"])
    callback = None
    outreach = policy["outreach"]
    if customer.channel == "outreach" and not any(
        channel in outreach["channels"] for _, channel in followups
    ):
        callback = customer.created_on + timedelta(days=outreach["callback_days"])
    plan = min(open_plan_days) if open_plan_days else None
    dues = [d for d in (contact, visit, callback, plan) if d is not None]
    return {
        "last_contact_at": max((at for at, _ in followups), default=None),
        "contact_due_on": contact,
        "visit_due_on": visit,
        "callback_due_on": callback,
        "plan_due_on": plan,
        "next_due_at": None if customer.stage in ("junk", "lost") else min(dues),
    }


# --- the commands ---------------------------------------------------------------------------

# Every step is a tuple (kind, days the clock moves first, …); customers, plans and import
# batches are picked by index (modulo how many exist when the step runs).
days_on = st.integers(0, 6)
back = st.integers(0, 40)
hour = st.integers(8, 18)
pick = st.integers(0, 50)

add_customer = st.tuples(
    st.just("customer add"),
    days_on,
    st.sampled_from(TIERS),
    st.sampled_from(STAGES),
    st.sampled_from(ACQUISITIONS),
)
log = st.tuples(
    st.just("log"),
    days_on,
    pick,
    st.sampled_from(FOLLOWUP_CHANNELS),
    back,
    hour,
    st.none() | st.integers(0, 30),  # --next, days after the follow-up
    st.booleans(),  # --done the customer's first open plan
)
plan_add = st.tuples(
    st.just("plan add"), days_on, pick, st.integers(-10, 40), st.sampled_from(FOLLOWUP_CHANNELS)
)
plan_done = st.tuples(st.just("plan done"), days_on, pick, back, hour)
plan_cancel = st.tuples(st.just("plan cancel"), days_on, pick)
tier_set = st.tuples(
    st.just("tier set"),
    days_on,
    pick,
    st.sampled_from(TIERS),
    st.sampled_from((None, "--lock", "--unlock")),
)
stage_set = st.tuples(st.just("stage set"), days_on, pick, st.sampled_from(STAGES))
customer_edit = st.tuples(
    st.just("customer edit"),
    days_on,
    pick,
    st.sampled_from(("outreach", "referral", "walk-in", "")),
    st.sampled_from((None, "li", "wang")),
)
sale_add = st.tuples(
    st.just("sale add"), days_on, pick, st.integers(1, 200_000), st.booleans(), back
)
reclassify = st.tuples(st.just("reclassify"), days_on)
contact_add = st.tuples(st.just("contact add"), days_on, pick)
import_customers = st.tuples(
    st.just("import customers"),
    days_on,
    st.lists(
        st.tuples(
            st.none() | pick,  # None: a new customer, else an existing one (an update)
            st.none() | st.sampled_from(TIERS),
            st.none() | st.sampled_from(STAGES),
            st.none() | st.sampled_from(("outreach", "referral")),
            st.none() | back,  # created_on, days before the import; None: not given
            st.booleans(),  # an existing customer named by its name alone, not its code
        ),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from(("skip", "update")),
)
import_followups = st.tuples(
    st.just("import followups"),
    days_on,
    st.lists(
        st.tuples(pick, back, hour, st.sampled_from(FOLLOWUP_CHANNELS)), min_size=1, max_size=3
    ),
)
import_plans = st.tuples(
    st.just("import plans"),
    days_on,
    st.lists(
        st.tuples(pick, st.integers(-10, 40), st.sampled_from(("", "open", "done", "cancelled"))),
        min_size=1,
        max_size=3,
    ),
)
import_undo = st.tuples(st.just("import undo"), days_on, pick, st.booleans())
config_set = st.tuples(
    st.just("config set"),
    days_on,
    st.sampled_from(
        (
            ("cadence.core.days", 1, 40),
            ("cadence.key.days", 1, 60),
            ("cadence.general.days", 1, 120),
            ("cadence.potential.days", 1, 60),
            ("cadence.core.visit_days", 0, 60),
            ("cadence.key.visit_days", 0, 60),
            ("outreach.callback_days", 1, 14),
        )
    ),
    st.integers(0, 120),
)

config_channels = st.tuples(
    st.just("config set"),
    days_on,
    st.sampled_from(
        (
            *(f"cadence.{tier}.channels" for tier in TIERS),
            "cadence.core.visit_channels",
            "cadence.key.visit_channels",
            "outreach.channels",
        )
    ),
    st.sets(st.sampled_from(FOLLOWUP_CHANNELS), min_size=1),
)

step = st.one_of(
    add_customer,
    add_customer,
    log,
    log,
    plan_add,
    plan_done,
    plan_cancel,
    tier_set,
    stage_set,
    customer_edit,
    sale_add,
    reclassify,
    contact_add,
    import_customers,
    import_followups,
    import_plans,
    import_undo,
    config_set,
    config_channels,
)


@dataclass
class World:
    """One fresh database, the commands run on it, and the README's policy as changed."""

    directory: Path
    runner: CliRunner = field(default_factory=CliRunner)
    day: date = START
    commands: list[str] = field(default_factory=list)
    policy: dict[str, Any] = field(default_factory=readme_policy)
    made: int = 0
    policy_changed: bool = False

    def __post_init__(self) -> None:
        self.engine = create_engine(f"sqlite:///{self.directory / 'crm.db'}")

    def crm(self, *args: Any, allowed: tuple[int, ...] = (0,)) -> Any:
        words = [str(a) for a in args]
        self.commands.append("crm " + " ".join(_quoted(w) for w in words))
        result = self.runner.invoke(app, words)
        assert result.exit_code in allowed, self.story(
            f"exit {result.exit_code}: {result.stderr}{result.exception or ''}"
        )
        assert "Traceback" not in result.stderr, self.story(result.stderr)
        if args[0] != "config":
            self.policy_changed = False
        return result

    def story(self, problem: str) -> str:
        return "\n".join(["commands:", *("  " + c for c in self.commands), problem])

    # what is in the database now

    def rows(self, query: Any) -> list[Any]:
        with self.engine.connect() as connection:
            return list(connection.execute(query).all())

    def codes(self) -> list[str]:
        c = schema.customer.c
        return [r.code for r in self.rows(select(c.code).order_by(c.id))]

    def customer(self, index: int) -> str | None:
        codes = self.codes()
        return codes[index % len(codes)] if codes else None

    def added(self, code: str) -> date:
        """The day a customer was added: events before it are refused (exit 2)."""
        c = schema.customer.c
        return self.rows(select(c.created_on).where(c.code == code))[0].created_on

    def plan_added(self, plan: int) -> date:
        p, c = schema.plan.c, schema.customer.c
        query = select(c.created_on).join(schema.plan, p.customer_id == c.id)
        return self.rows(query.where(p.id == plan))[0].created_on

    def open_plans(self, code: str | None = None) -> list[int]:
        p, c = schema.plan.c, schema.customer.c
        query = select(p.id).where(p.status == "open").order_by(p.id)
        if code is not None:
            query = query.join(schema.customer, c.id == p.customer_id).where(c.code == code)
        return [r.id for r in self.rows(query)]

    def batches(self) -> list[int]:
        b = schema.importbatch.c
        return [r.id for r in self.rows(select(b.id).where(b.undone_at.is_(None)).order_by(b.id))]

    def new_code(self) -> str:
        self.made += 1
        return f"C{self.made}"

    def csv(self, name: str, rows: list[list[str]]) -> Path:
        path = self.directory / f"{name}-{len(self.commands)}.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows(rows)
        return path

    # the check

    def check(self) -> None:
        if self.policy_changed:
            return  # no command has opened the database since: nothing could have read it
        from crmcli.config import load
        from crmcli.services.cadence import refresh_due

        c, f, p = schema.customer.c, schema.followup.c, schema.plan.c
        shown = (c.id, c.code, c.tier, c.stage, c.channel, c.created_on, *(c[n] for n in DERIVED))
        with self.engine.connect() as connection:
            stored = list(connection.execute(select(*shown).order_by(c.id)).all())
            followups: dict[int, list[tuple[datetime, str]]] = {}
            for row in connection.execute(select(f.customer_id, f.at, f.channel)):
                followups.setdefault(row.customer_id, []).append((row.at, row.channel))
            plans: dict[int, list[date]] = {}
            for row in connection.execute(
                select(p.customer_id, p.due_on).where(p.status == "open")
            ):
                plans.setdefault(row.customer_id, []).append(row.due_on)
            # From scratch for everybody, in the same read of the database, then undone.
            refresh_due(connection, load(self.directory / "config.toml"))
            recomputed = {r.id: r for r in connection.execute(select(*shown))}
            connection.rollback()
        problems = []
        for row in stored:
            rules = by_the_rules(self.policy, row, followups.get(row.id, []), plans.get(row.id, []))
            again = recomputed[row.id]
            for name in DERIVED:
                if not (getattr(row, name) == getattr(again, name) == rules[name]):
                    problems.append(
                        f"  {row.code} ({row.tier}, {row.stage}, {row.channel}, added "
                        f"{row.created_on}) {name}: stored {getattr(row, name)}, "
                        f"recomputed {getattr(again, name)}, by the rules {rules[name]}"
                    )
        assert not problems, self.story("due days differ:\n" + "\n".join(problems))

    def check_overdue_list(self) -> None:
        """What a user sees: ``crm overdue`` lists who the rules say is late, and how late."""
        c = schema.customer.c
        as_of = self.day + timedelta(days=1)
        listed = json.loads(self.crm("overdue", "--as-of", as_of, "--format", "json").stdout)
        self.check()
        late = self.rows(select(c.code, c.next_due_at).where(c.next_due_at < as_of))
        assert sorted((r["code"], r["due_on"], r["days_overdue"]) for r in listed) == sorted(
            (r.code, r.next_due_at.isoformat(), (as_of - r.next_due_at).days) for r in late
        ), self.story(f"crm overdue --as-of {as_of} lists other customers than their due days")


def _quoted(word: str) -> str:
    return word if word and all(ch.isalnum() or ch in "-.:/_#" for ch in word) else repr(word)


def run(world: World, action: tuple[Any, ...]) -> None:
    kind, gap, *args = action
    world.day += timedelta(days=gap)
    day = world.day.isoformat()

    def moment(days_back: int, at_hour: int) -> str:
        return datetime.combine(world.day - timedelta(days=days_back), time(at_hour)).strftime(
            "%Y-%m-%d %H:%M"
        )

    if kind == "customer add":
        tier, stage, acquisition = args
        code = world.new_code()
        extra = ["--channel", acquisition] if acquisition else []
        world.crm(
            "customer", "add", f"Firm {code}", "--code", code, "--tier", tier,
            "--stage", stage, *extra, "--as-of", day,
        )  # fmt: skip
        return
    if kind == "reclassify":
        world.crm("reclassify", "--as-of", day)
        return
    if kind == "config set":
        setting, value = args
        if isinstance(setting, tuple):  # a number of days, within its bounds
            setting, low, high = setting
            value = low + value % (high - low + 1)
            world.crm("config", "set", setting, value)
        else:  # the channels that count
            value = frozenset(value)
            world.crm("config", "set", setting, ",".join(sorted(value)))
        *path, name = setting.split(".")
        rules = (
            world.policy["outreach"] if path == ["outreach"] else world.policy["cadence"][path[1]]
        )
        rules[name] = value
        # The file keeps the old days until the next command opens the database and
        # recomputes everybody for the new policy: whichever command that is.
        world.policy_changed = True
        return
    if kind == "import customers":
        rows, mode = args
        table = [["code", "name", "tier", "stage", "channel", "created_on"]]
        for existing, tier, stage, acquisition, created_back, by_name in rows:
            code = world.customer(existing) if existing is not None else None
            given = "" if code and by_name else None
            code = code or world.new_code()
            created = "" if created_back is None else str(world.day - timedelta(created_back))
            table.append(
                [
                    code if given is None else given,
                    f"Firm {code}",
                    tier or "",
                    stage or "",
                    acquisition or "",
                    created,
                ]
            )
        path = world.csv("customers", table)
        world.crm("import", "customers", path, "--on-duplicate", mode, "--as-of", day)
        return
    if kind == "import undo":
        index, force = args
        batches = world.batches()
        if batches:
            batch = batches[index % len(batches)]
            world.crm(
                "import", "undo", batch, "--yes", *(["--force"] if force else []), allowed=(0, 2)
            )
        return
    if kind == "import followups":
        (rows,) = args
        table = [["customer", "at", "channel", "summary"]]
        before = False  # a row dated before its customer was added refuses the file
        for index, days_back, at_hour, channel in rows:
            code = world.customer(index)
            if code is None:
                return
            at = moment(days_back, at_hour)
            before = before or date.fromisoformat(at[:10]) < world.added(code)
            table.append([code, at, channel, f"call {len(world.commands)}"])
        path = world.csv("followups", table)
        world.crm("import", "followups", path, "--as-of", day, allowed=(2,) if before else (0,))
        return
    if kind == "import plans":
        (rows,) = args
        table = [["customer", "due_on", "content", "status"]]
        before = False
        for index, due, status in rows:
            code = world.customer(index)
            if code is None:
                return
            due_on = world.day + timedelta(days=due)
            before = before or due_on < world.added(code)
            table.append(
                [code, due_on.isoformat(), f"step {len(world.commands)}.{len(table)}", status]
            )
        path = world.csv("plans", table)
        world.crm("import", "plans", path, "--as-of", day, allowed=(2,) if before else (0,))
        return
    if kind in ("plan done", "plan cancel"):
        plans = world.open_plans()
        if not plans:
            return
        plan = plans[args[0] % len(plans)]
        if kind == "plan cancel":
            world.crm("plan", "cancel", plan, "--reason", "not needed")
        else:
            at = moment(*args[1:])
            before = date.fromisoformat(at[:10]) < world.plan_added(plan)
            world.crm(
                "plan", "done", plan, "--at", at, "--as-of", day, allowed=(2,) if before else (0,)
            )
        return
    code = world.customer(args[0])
    if code is None:
        return
    if kind == "log":
        channel, days_back, at_hour, next_days, done = args[1:]
        when = moment(days_back, at_hour)
        extra = []
        if next_days is not None:
            follow = world.day - timedelta(days=days_back) + timedelta(days=next_days)
            extra += ["--next", follow.isoformat(), "--next-action", "next step"]
        open_plans = world.open_plans(code) if done else []
        if open_plans:
            extra += ["--done", open_plans[0]]
        before = date.fromisoformat(when[:10]) < world.added(code)
        if not before and next_days is not None:
            before = follow < world.added(code)
        world.crm(
            "log", code, "--channel", channel, "--summary", "talked", "--at", when,
            *extra, "--as-of", day, allowed=(2,) if before else (0,),
        )  # fmt: skip
    elif kind == "plan add":
        due, channel = args[1:]
        before = world.day + timedelta(days=due) < world.added(code)
        world.crm(
            "plan", "add", code, "--due", world.day + timedelta(days=due), "--content", "quote",
            "--channel", channel, "--as-of", day, allowed=(2,) if before else (0,),
        )  # fmt: skip
    elif kind == "tier set":
        tier, lock = args[1:]
        extra = [lock] if lock else []
        world.crm("tier", "set", code, tier, "--reason", "decided", *extra, "--as-of", day)
    elif kind == "stage set":
        world.crm("stage", "set", code, args[1], "--reason", "moved on", "--as-of", day)
    elif kind == "customer edit":
        acquisition, owner = args[1:]
        extra = ["--owner", owner] if owner else []
        world.crm("customer", "edit", code, "--channel", acquisition, *extra, "--as-of", day)
    elif kind == "sale add":
        amount, refund, days_back = args[1:]
        extra = ["--refund"] if refund else []
        on = world.day - timedelta(days=days_back)
        before = on < world.added(code)
        world.crm(
            "sale", "add", code, amount, *extra, "--on", on, "--as-of", day,
            allowed=(2,) if before else (0,),
        )  # fmt: skip
    elif kind == "contact add":
        world.crm("contact", "add", code, f"联系人{len(world.commands)}")
    else:  # pragma: no cover - every kind is handled above
        raise AssertionError(kind)


@contextmanager
def fresh_world() -> Iterator[World]:
    """A database and config of its own for one example (the autouse fixture gives one
    per test function, and Hypothesis runs many examples in one)."""
    # In memory where there is a tmpfs: hundreds of commits a run, none needs the disk.
    memory = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(dir=memory) as tmp, pytest.MonkeyPatch.context() as env:
        directory = Path(tmp)
        env.setenv("CRM_CONFIG", str(directory / "config.toml"))
        env.setenv("CRM_DB", str(directory / "crm.db"))
        env.setenv("CRM_USER", "tester")
        world = World(directory)
        try:
            world.crm("init")
            yield world
        finally:
            world.engine.dispose()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(add_customer, min_size=1, max_size=3), st.lists(step, min_size=4, max_size=22))
def test_stored_due_days_equal_a_recompute_and_the_rules(first, then):
    with fresh_world() as world:
        for action in first + then:
            run(world, action)
            world.check()
        world.check_overdue_list()
