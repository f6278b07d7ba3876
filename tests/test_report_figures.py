"""crm report …: the figures of every section for a hand-built data set, computed here
independently from the same data (SPEC §5; seed 000 第十四条, 001 第十六条, 003 考核).

The period is the first half of 2026; everything is dated with --at/--on/--as-of, so
nothing depends on today's date.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from statistics import median

import pytest

START, END = "2026-01-01", "2026-06-30"
PERIOD = ("--from", START, "--to", END)

# code, name, stage added with, tier, owner, added on
CUSTOMERS = [
    ("A", "甲方电子", "customer", "core", "li", "2025-12-01"),
    ("B", "乙方物流", "qualified", "potential", "li", "2026-01-10"),
    ("C", "丙方贸易", "lead", "potential", "wang", "2026-02-01"),
    ("D", "丁方制造", "loyal", "key", "wang", "2026-01-05"),
    ("E", "戊方咨询", "target", "potential", "wang", "2026-03-01"),
    ("J", "己方垃圾", "junk", "potential", "li", "2026-01-20"),
    ("F", "庚方老客户", "customer", "general", "li", "2025-03-01"),
]
# Stage moves: code, to, day (B and C convert in the period).
MOVES = [("B", "customer", "2026-03-10"), ("C", "customer", "2026-05-01")]
# code, at, channel, owner
FOLLOWUPS = [
    ("A", "2025-12-15 10:00", "phone", "li"),
    ("A", "2026-02-03 10:00", "phone", "li"),
    ("B", "2026-03-02 11:00", "phone", "li"),
    ("A", "2026-04-08 15:00", "visit", "li"),
    ("C", "2026-02-20 09:30", "email", "wang"),
    ("D", "2026-05-12 14:00", "phone", "wang"),
]
# code, day, yuan (negative: a refund)
SALES = [
    ("A", "2025-12-20", 7000),
    ("A", "2026-02-01", 10000),
    ("A", "2026-03-01", 5000),
    ("A", "2026-03-05", -1000),
    ("D", "2026-04-01", 20000),
]
# customer, name, amount, moves: (stage, at) from the day it was added (evaluation).
PROJECTS = [
    ("A", "P1", 100000, [("evaluation", "2026-01-10 09:00"), ("contract", "2026-01-20 09:00"), ("completed", "2026-03-20 09:00")]),
    ("D", "P2", 50000, [("evaluation", "2026-02-01 09:00"), ("negotiation", "2026-03-01 09:00"), ("lost", "2026-04-15 09:00")]),
    ("A", "P3", 30000, [("evaluation", "2026-04-01 09:00"), ("lost", "2026-05-10 09:00")]),
    ("D", "P4", 80000, [("evaluation", "2026-05-01 09:00"), ("negotiation", "2026-06-01 09:00")]),
]  # fmt: skip
OWNERS = {c[0]: c[4] for c in CUSTOMERS}
# customer, severity, received, responded, resolved, waiting spans
COMPLAINTS = [
    ("A", "general", "2026-02-02 09:00", "2026-02-02 15:00", "2026-02-05 09:00", []),
    ("D", "important", "2026-03-10 10:00", "2026-03-11 16:00", "2026-03-12 10:00", []),
    ("B", "general", "2026-04-01 12:00", "2026-04-01 13:00", "2026-04-10 12:00",
     [("2026-04-02 09:00", "2026-04-05 09:00")]),
    ("A", "major", "2026-06-29 08:00", "2026-06-29 09:30", None, []),
]  # fmt: skip
RESPONSE_HOURS = 24
RESOLUTION_DAYS = {"general": 7, "important": 3, "major": 1}
# customer, day, quality, price, delivery, service, overall
SURVEYS = [
    ("A", "2025-12-28", 3, 3, 3, 3, None),
    ("A", "2026-02-10", 4, 3, 5, 4, None),
    ("A", "2026-05-10", 5, 5, 4, 4, 3),
    ("D", "2026-04-20", 2, 3, 3, 2, None),
]


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _d(text: str) -> date:
    return date.fromisoformat(text)


def in_period(day: str) -> bool:
    return START <= day[:10] <= END


@pytest.fixture
def shop(crm, monkeypatch):
    for code, name, stage, tier, owner, on in CUSTOMERS:
        crm.add_customer(name, code, stage, "--tier", tier, owner=owner, on=on)
    for code, to, on in MOVES:
        crm.ok("stage", "set", code, to, "--reason", "签约", "--as-of", on)
    crm.ok("tier", "set", "B", "key", "--reason", "签约后升级", "--as-of", "2026-03-12")
    for code, at, channel, owner in FOLLOWUPS:
        crm.ok("log", code, "--channel", channel, "--summary", "回访", "--at", at,
               "--owner", owner, "--as-of", at[:10])  # fmt: skip
    for code, on, yuan in SALES:
        refund = ("--refund",) if yuan < 0 else ()
        crm.ok("sale", "add", code, str(abs(yuan)), "--on", on, *refund, "--as-of", on)
    for pid, (code, name, amount, moves) in enumerate(PROJECTS, start=1):
        first = moves[0][1]
        crm.ok("project", "add", code, name, "--amount", str(amount), "--at", first,
               "--as-of", first[:10])  # fmt: skip
        for stage, at in moves[1:]:
            if stage == "contract":
                crm.ok("project", "approve", pid, "--at", at, "--as-of", at[:10])
            extra = ("--reason", "价格") if stage == "lost" else ()
            crm.ok("project", "stage", pid, stage, "--at", at, "--as-of", at[:10], *extra)
    for cid, (code, severity, received, responded, resolved, waits) in enumerate(
        COMPLAINTS, start=1
    ):
        crm.ok("complaint", "open", code, "--severity", severity, "--summary", "问题",
               "--at", received, "--as-of", received[:10])  # fmt: skip
        crm.ok("complaint", "respond", cid, "--at", responded, "--as-of", responded[:10])
        for begin, end in waits:
            crm.ok(
                "complaint", "wait", cid, "--reason", "等客户", "--at", begin, "--as-of", begin[:10]
            )
            crm.ok("complaint", "resume", cid, "--at", end, "--as-of", end[:10])
        if resolved:
            crm.ok("complaint", "resolve", cid, "--resolution", "已处理", "--at", resolved,
                   "--as-of", resolved[:10])  # fmt: skip
    for code, on, q, p, d, s, overall in SURVEYS:
        extra = ("--overall", str(overall)) if overall else ()
        crm.ok("survey", "add", code, "--method", "phone", "--quality", q, "--price", p,
               "--delivery", d, "--service", s, "--on", on, "--as-of", on, *extra)  # fmt: skip
    return crm


def report(crm, name, *extra):
    return crm.json("report", name, *PERIOD, *extra)["sections"]


def rows(section, table):
    return section["tables"][table]["rows"]


def by(rows_, key):
    return {r[key]: r for r in rows_}


# --- expected figures, from the data above ---------------------------------------------


def living():
    stage = {c[0]: c[2] for c in CUSTOMERS} | {code: to for code, to, _ in MOVES}
    return {code: s for code, s in stage.items() if s not in ("junk", "lost")}


def active():
    return [code for code, s in living().items() if s in ("customer", "loyal")]


def survey_overall(q, p, d, s, overall):
    return overall if overall is not None else (q + p + d + s) / 4


def complaint_states():
    """Per complaint: response met?, resolution state, on the real clock at the end."""
    judged = _t(END + " 23:59:59")
    found = []
    for code, severity, received, responded, resolved, waits in COMPLAINTS:
        paused = sum(((_t(b) - _t(a)).total_seconds() for a, b in waits), 0.0) / 3600
        response = (_t(responded) - _t(received)).total_seconds() / 3600 <= RESPONSE_HOURS
        limit = RESOLUTION_DAYS[severity] * 24
        if resolved:
            hours = (_t(resolved) - _t(received)).total_seconds() / 3600 - paused
            resolution = "met" if hours <= limit else "missed"
        else:
            hours = (judged - _t(received)).total_seconds() / 3600 - paused
            resolution = "breaching" if hours > limit else "pending"
        found.append((code, severity, response, resolution))
    return found


def nearest_rank_p90(values):
    ordered = sorted(values)
    rank = -(-9 * len(ordered) // 10)
    return ordered[rank - 1]


# --- the sections --------------------------------------------------------------------------


def test_summary_figures(shop):
    summary = report(shop, "summary")["summary"]
    figures = {r["figure"]: r["value"] for r in rows(summary, "figures")}
    net = sum(y for _, on, y in SALES if in_period(on))
    assert figures["customers (not junk or lost)"] == len(living())
    assert figures["active customers (customer, loyal)"] == len(active())
    assert figures["customers added in the period"] == sum(in_period(c[5]) for c in CUSTOMERS)
    assert figures["follow-ups"] == sum(in_period(f[1]) for f in FOLLOWUPS)
    assert Decimal(figures["net sales"]) == Decimal(net)
    assert figures["orders"] == sum(in_period(on) and y > 0 for _, on, y in SALES)
    assert figures["conversions to customer"] == len(MOVES)
    assert figures["projects completed"] == 1
    assert figures["projects lost"] == 2
    assert figures["complaints received"] == len(COMPLAINTS)
    counted = [s for s in SURVEYS if in_period(s[1])]
    assert figures["surveys"] == len(counted)
    mean = sum(survey_overall(*s[2:]) for s in counted) / len(counted)
    assert figures["mean overall satisfaction (1–5)"] == round(mean, 2)
    rates = by(rows(summary, "rates"), "measure")
    assert rates["project success rate"]["value"] == round(1 / 3, 4)
    assert "completed ÷ (completed + lost)" in rates["project success rate"]["definition"]
    per_100 = rates["complaints per 100 active customers"]
    assert (per_100["part"], per_100["whole"]) == (len(COMPLAINTS), len(active()))
    months = by(rows(summary, "monthly"), "month")
    assert list(months) == [f"2026-{m:02d}" for m in range(1, 7)]
    for month, row in months.items():
        assert row["followups"] == sum(f[1].startswith(month) for f in FOLLOWUPS)
        assert Decimal(row["sales"]) == sum(y for _, on, y in SALES if on.startswith(month))


def test_tiers_distribution_and_moves(shop):
    tiers = report(shop, "tiers")["tiers"]
    tier_now = {c[0]: c[3] for c in CUSTOMERS} | {"B": "key"}
    expected = {}
    for code in living():
        expected[tier_now[code]] = expected.get(tier_now[code], 0) + 1
    got = {r["tier"]: r["customers"] for r in rows(tiers, "tier")}
    assert got == expected
    shares = {r["tier"]: r["share"] for r in rows(tiers, "tier")}
    assert shares["potential"] == round(expected["potential"] / len(living()), 4)
    assert rows(tiers, "moves") == [
        {"field": "tier", "from": "potential", "to": "key", "customers": 1}
    ]


def test_pipeline_funnel_conversion_projects(shop):
    pipeline = report(shop, "pipeline")["pipeline"]
    funnel = {r["stage"]: r["customers"] for r in rows(pipeline, "funnel")}
    stages = {c[0]: c[2] for c in CUSTOMERS} | {code: to for code, to, _ in MOVES}
    for stage in ("lead", "target", "qualified", "customer", "loyal", "junk", "lost"):
        assert funnel[stage] == sum(s == stage for s in stages.values()), stage
    added = [c[0] for c in CUSTOMERS if in_period(c[5])]
    converted = [c for c in added if stages[c] in ("customer", "loyal")]
    conversion = rows(pipeline, "conversion")[0]
    assert (conversion["part"], conversion["whole"]) == (len(converted), len(added))
    days = [
        (_d(on) - _d(next(c[5] for c in CUSTOMERS if c[0] == code))).days for code, _, on in MOVES
    ]
    assert rows(pipeline, "conversion_days") == [
        {"conversions": 2, "median_days": median(days), "p90_days": nearest_rank_p90(days)}
    ]
    # Days in each stage, from the moves above: up to the next move, the open one to --to.
    spent: dict[str, list[int]] = {}
    for _, _, _, moves in PROJECTS:
        per: dict[str, int] = {}
        for (stage, at), following in zip(moves, [*moves[1:], None], strict=True):
            if stage in ("completed", "lost"):
                continue
            end = _d(following[1][:10]) if following else _d(END)
            per[stage] = per.get(stage, 0) + (end - _d(at[:10])).days
        for stage, n in per.items():
            spent.setdefault(stage, []).append(n)
    projects = by(rows(pipeline, "projects"), "stage")
    for stage in ("evaluation", "negotiation", "contract", "implementation"):
        want = median(spent[stage]) if stage in spent else None
        assert projects[stage]["median_days"] == want, stage
    final = {name: moves[-1][0] for _, name, _, moves in PROJECTS}
    for stage in ("negotiation", "completed", "lost"):
        assert projects[stage]["projects"] == sum(s == stage for s in final.values())
    assert Decimal(projects["lost"]["value"]) == 50000 + 30000
    owners = by(rows(pipeline, "success_by_owner"), "owner")
    assert (owners["li"]["completed"], owners["li"]["lost"], owners["li"]["success_rate"]) == (
        1,
        1,
        0.5,
    )
    assert (
        owners["wang"]["completed"],
        owners["wang"]["lost"],
        owners["wang"]["success_rate"],
    ) == (0, 1, 0.0)
    assert Decimal(owners["li"]["won_value"]) == 100000
    months = {r["month"]: (r["completed"], r["lost"]) for r in rows(pipeline, "success_by_month")}
    assert months == {"2026-03": (1, 0), "2026-04": (0, 1), "2026-05": (0, 1)}


def test_complaints_times_and_sla(shop):
    section = report(shop, "complaints")["complaints"]
    got = by(rows(section, "by_severity"), "severity")
    states = complaint_states()
    for severity in ("general", "important", "major"):
        mine = [c for c in COMPLAINTS if c[1] == severity]
        row = got[severity]
        assert row["complaints"] == len(mine)
        response = [(_t(c[3]) - _t(c[2])).total_seconds() / 3600 for c in mine]
        resolution = [(_t(c[4]) - _t(c[2])).total_seconds() / 3600 for c in mine if c[4]]
        assert row["median_response_h"] == round(median(response), 2)
        assert row["p90_response_h"] == round(nearest_rank_p90(response), 2)
        assert row["median_resolution_h"] == (round(median(resolution), 2) if resolution else None)
        judged = [s for s in states if s[1] == severity]
        assert row["response_sla"] == round(sum(s[2] for s in judged) / len(judged), 4)
        counted = [s for s in judged if s[3] != "pending"]
        met = sum(s[3] == "met" for s in counted)
        assert row["resolution_sla"] == (round(met / len(counted), 4) if counted else None)
    rate = by(rows(section, "rates"), "measure")["complaints per 100 active customers"]
    assert rate["value"] == round(len(COMPLAINTS) / len(active()), 4)


def test_satisfaction_means_trend_lowest_and_due(shop):
    section = report(shop, "satisfaction")["satisfaction"]
    counted = [s for s in SURVEYS if in_period(s[1])]
    means = {r["dimension"]: r["mean"] for r in rows(section, "dimensions")}
    for i, dim in enumerate(("quality", "price", "delivery", "service"), start=2):
        assert means[dim] == round(sum(s[i] for s in counted) / len(counted), 2)
    overall = [survey_overall(*s[2:]) for s in counted]
    assert means["overall"] == round(sum(overall) / len(overall), 2)
    trend = {r["quarter"]: (r["surveys"], r["overall"]) for r in rows(section, "trend")}
    q1 = [survey_overall(*s[2:]) for s in counted if s[1] < "2026-04-01"]
    q2 = [survey_overall(*s[2:]) for s in counted if s[1] >= "2026-04-01"]
    assert trend == {
        "2026-Q1": (len(q1), round(sum(q1) / len(q1), 2)),
        "2026-Q2": (len(q2), round(sum(q2) / len(q2), 2)),
    }
    per: dict[str, list[float]] = {}
    for s in counted:
        per.setdefault(s[0], []).append(survey_overall(*s[2:]))
    lowest = sorted(per, key=lambda code: (sum(per[code]) / len(per[code]), code))
    assert [(r["code"], r["mean"]) for r in rows(section, "lowest")] == [
        (code, round(sum(per[code]) / len(per[code]), 2)) for code in lowest
    ]
    # F (a customer since 2025-03-01, never surveyed) is due one year after it was added.
    due = rows(section, "due")
    assert [(r["code"], r["due_on"], r["days_overdue"]) for r in due] == [
        ("F", "2026-03-01", (_d(END) - _d("2026-03-01")).days)
    ]


def test_staff_per_owner(shop):
    section = report(shop, "staff")["staff"]
    customers = by(rows(section, "customers"), "owner")
    for owner in ("li", "wang"):
        mine = [c for c in CUSTOMERS if c[4] == owner and c[0] in living()]
        assert customers[owner]["customers"] == len(mine)
        follow = [f for f in FOLLOWUPS if f[3] == owner and in_period(f[1])]
        assert customers[owner]["followups"] == len(follow)
        for channel in ("phone", "visit", "email"):
            assert customers[owner][channel] == sum(f[2] == channel for f in follow)
    assert customers["li"]["potential"] == 0  # B moved to key, J is junk
    assert customers["li"]["key"] == 1
    results = by(rows(section, "results"), "owner")
    assert results["li"]["conversions"] == 1 and results["wang"]["conversions"] == 1
    assert (results["li"]["won"], results["li"]["lost"]) == (1, 1)
    assert Decimal(results["li"]["won_value"]) == 100000
    states = complaint_states()
    for owner in ("li", "wang"):
        mine = [s for s in states if OWNERS[s[0]] == owner]
        within = [s for s in mine if s[2] and s[3] in ("met", "pending")]
        assert results[owner]["complaints"] == len(mine)
        assert results[owner]["within_sla"] == round(len(within) / len(mine), 4)
    # The duties and fines are those `crm greet missed --fines` charges for the period.
    fines = shop.json("greet", "missed", "--from", START, "--to", END, "--fines",
                      "--as-of", "2026-07-01")  # fmt: skip
    duties = by(rows(section, "duties"), "owner")
    for line in fines["owners"]:
        row = duties[line["owner"]]
        assert (row["missed_greetings"], row["missed_calls"], row["missed_notices"], row["fines"]) == (
            line["greetings"], line["monthly_calls"], line["campaigns"], line["fine"],
        )  # fmt: skip
    # Overdue at the period's end: what `crm overdue` lists for that day.
    overdue = shop.json("overdue", "--as-of", END)
    for owner in ("li", "wang"):
        assert customers[owner]["overdue"] == sum(o["owner"] == owner for o in overdue)


def test_abc_section_and_owner_filter(shop):
    section = report(shop, "abc", "--owner", "wang")["abc"]
    customers = rows(section, "customers")
    assert [r["code"] for r in customers] == ["D"]
    window_sales = {"A": 10000 + 5000 - 1000 + 7000, "D": 20000}  # the 12 months to --to
    assert Decimal(customers[0]["sales"]) == window_sales["D"]
    assert customers[0]["share"] == round(window_sales["D"] / sum(window_sales.values()), 4)


def test_owner_filter_limits_every_section(shop):
    sections = shop.json("report", "all", *PERIOD, "--owner", "wang")["sections"]
    figures = {r["figure"]: r["value"] for r in rows(sections["summary"], "figures")}
    assert figures["follow-ups"] == sum(f[3] == "wang" and in_period(f[1]) for f in FOLLOWUPS)
    assert Decimal(figures["net sales"]) == 20000
    assert figures["complaints received"] == 1
    assert [r["owner"] for r in rows(sections["staff"], "customers")] == ["wang"]
