"""crm customer add|list|show|edit|history|merge|purge."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crmcli.cli import views
from crmcli.cli.common import (
    AsOfOpt,
    DryRunOpt,
    FormatOpt,
    YesOpt,
    actor,
    confirm,
    fmt,
    open_db,
    state,
    today,
)
from crmcli.i18n import _
from crmcli.output import message, print_json, render, render_record, shown
from crmcli.text.bounds import MAX_LIMIT

app = typer.Typer(help="Customer records 客户档案.", no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Customer id, code, or part of its name or pinyin.")]
Code = Annotated[str | None, typer.Option("--code", help="Unique code (generated if omitted).")]
Kind = Annotated[str | None, typer.Option("--kind", help="company 公司 | person 个人.")]
ContactName = Annotated[str | None, typer.Option("--contact", help="Primary contact person.")]
Phone = Annotated[str | None, typer.Option("--phone", help="Phone; stored in E.164.")]
Email = Annotated[str | None, typer.Option("--email")]
Address = Annotated[str | None, typer.Option("--address")]
Region = Annotated[str | None, typer.Option("--region", help="City or region 地域.")]
Industry = Annotated[
    str | None,
    typer.Option(
        "--industry",
        help="manufacturing 制造业, services 服务业, finance 金融业, education 教育业, other…",
    ),
]
Scale = Annotated[
    str | None, typer.Option("--scale", help="large 大型 | medium 中型 | small 小型.")
]
Need = Annotated[str | None, typer.Option("--need", help="general 一般需求 | special 特殊需求.")]
NeedsNote = Annotated[str | None, typer.Option("--needs-note", help="需求分析.")]
Business = Annotated[str | None, typer.Option("--business", help="Main business 主营业务.")]
Budget = Annotated[str | None, typer.Option("--budget", help="Budget range 预算范围.")]
Source = Annotated[
    str | None, typer.Option("--source", help="inbound 主动咨询 | outbound 被动咨询.")
]
Channel = Annotated[
    str | None,
    typer.Option(
        "--channel",
        help="How first reached: market-research, online, trade-show, referral, "
        "inquiry, outreach 外拓, walk-in 来访.",
    ),
]
Stage = Annotated[
    str | None,
    typer.Option(
        "--stage",
        help="lead 潜在, target 目标, qualified 意向, customer 成交, loyal 忠诚, junk, lost.",
    ),
]
Tier = Annotated[
    str | None, typer.Option("--tier", help="core 核心 | key 重点 | general 一般 | potential 潜在.")
]
Potential = Annotated[str | None, typer.Option("--potential", help="high 高 | low 低.")]
Likelihood = Annotated[str | None, typer.Option("--likelihood", help="合作可能性, 0–100 %.")]
CoopPlan = Annotated[str | None, typer.Option("--plan", help="Cooperation plan 合作方案.")]
Owner = Annotated[str | None, typer.Option("--owner", help="Salesperson responsible 跟进责任人.")]
Intake = Annotated[str | None, typer.Option("--intake", help="初步沟通责任人.")]
Lead = Annotated[str | None, typer.Option("--lead", help="Project lead 项目负责人.")]
Birthday = Annotated[str | None, typer.Option("--birthday", help="1985-03-08 or 03-08.")]
Tags = Annotated[str | None, typer.Option("--tags", help="Comma-separated tags.")]
Notes = Annotated[str | None, typer.Option("--notes")]
Reason = Annotated[str | None, typer.Option("--reason", help="Why; kept in history.")]
# The same options as filters of customer list.
OnlyTier = Annotated[
    str | None,
    typer.Option(
        "--tier", help="Only this tier: core 核心, key 重点, general 一般, potential 潜在."
    ),
]
OnlyStage = Annotated[
    str | None,
    typer.Option(
        "--stage",
        help="Only this stage: lead 潜在, target 目标, qualified 意向, customer 成交, "
        "loyal 忠诚, junk, lost.",
    ),
]
OnlyOwner = Annotated[
    str | None, typer.Option("--owner", help="Only the customers this salesperson follows up.")
]


# Option names that differ from the customer field they set; the rest are the same.
OPTION_FIELDS = {
    "contact": "contact_name",
    "business": "main_business",
    "plan": "cooperation_plan",
    "intake": "intake_by",
    "lead": "project_lead",
}


def _raw(options: dict[str, Any]) -> dict[str, str | None]:
    """The customer fields a command's options set, as typed."""
    from crmcli.text.fields import CUSTOMER_FIELDS

    raw = {OPTION_FIELDS.get(k, k): v for k, v in options.items()}
    return {k: v for k, v in raw.items() if k in CUSTOMER_FIELDS and k != "tier_locked"}


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Company or person name.")],
    code: Code = None,
    kind: Kind = None,
    contact: ContactName = None,
    phone: Phone = None,
    email: Email = None,
    address: Address = None,
    region: Region = None,
    industry: Industry = None,
    scale: Scale = None,
    need: Need = None,
    needs_note: NeedsNote = None,
    business: Business = None,
    budget: Budget = None,
    source: Source = None,
    channel: Channel = None,
    stage: Stage = None,
    tier: Tier = None,
    lock: Annotated[bool, typer.Option("--lock", help="Lock the tier against reclassify.")] = False,
    potential: Potential = None,
    likelihood: Likelihood = None,
    plan: CoopPlan = None,
    owner: Owner = None,
    intake: Intake = None,
    lead: Lead = None,
    birthday: Birthday = None,
    lunar: Annotated[bool, typer.Option("--lunar", help="Birthday is lunar 农历.")] = False,
    leap: Annotated[bool, typer.Option("--leap", help="Lunar birthday in a leap month.")] = False,
    tags: Tags = None,
    notes: Notes = None,
    reason: Reason = None,
    allow_duplicate: Annotated[
        bool,
        typer.Option(
            "--allow-duplicate",
            help="Add it even when a customer with the same phone or name exists.",
        ),
    ] = False,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Add a customer. Its follow-up clock starts on the day it is added (--as-of: to
    back-fill, the day it really was); --contact becomes its first contact."""
    output = fmt(format)
    raw = _raw(locals())
    raw["tier_locked"] = "yes" if lock else None
    who = actor(ctx, as_of)
    from crmcli.services.customers import add_customer, check_input

    check_input(raw, birthday=birthday, lunar=lunar, leap=leap)
    database = open_db(ctx, write=True, create=True)
    with database.session() as session:
        customer = add_customer(
            session,
            who,
            raw,
            birthday=birthday,
            lunar=lunar,
            leap=leap,
            reason=reason,
            allow_duplicate=allow_duplicate,
        )
    from crmcli.enums import STAGE, TIER
    from crmcli.i18n import label

    message(
        _("added {code} {name} ({tier}, {stage}, owner {owner}); next due {next_due_at}").format(
            code=customer.code,
            name=customer.name,
            tier=label(TIER, customer.tier),
            stage=label(STAGE, customer.stage),
            owner=customer.owner,
            next_due_at=customer.next_due_at,
        )
    )
    if output == "json":
        print_json(views.customer_json(customer))


@app.command("edit")
def edit(
    ctx: typer.Context,
    ref: Ref,
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    code: Code = None,
    kind: Kind = None,
    contact: ContactName = None,
    phone: Phone = None,
    email: Email = None,
    address: Address = None,
    region: Region = None,
    industry: Industry = None,
    scale: Scale = None,
    need: Need = None,
    needs_note: NeedsNote = None,
    business: Business = None,
    budget: Budget = None,
    source: Source = None,
    channel: Channel = None,
    potential: Potential = None,
    likelihood: Likelihood = None,
    plan: CoopPlan = None,
    owner: Owner = None,
    intake: Intake = None,
    lead: Lead = None,
    birthday: Birthday = None,
    lunar: Annotated[
        bool | None, typer.Option("--lunar/--solar", help="Birthday is lunar / solar.")
    ] = None,
    leap: Annotated[bool | None, typer.Option("--leap/--no-leap")] = None,
    tags: Tags = None,
    notes: Notes = None,
    reason: Reason = None,
    as_of: AsOfOpt = None,
) -> None:
    """Change fields of a customer; each change is kept in its history.

    Pass an empty value (--email "") to clear a field. Tier and stage have their own
    commands (crm tier set, crm stage set) because they carry a reason.
    """
    raw = _raw(locals())
    who = actor(ctx, as_of)
    from crmcli.services.customers import check_input, edit_customer, resolve_customer

    check_input(
        raw, birthday=birthday if lunar is not None else None, lunar=bool(lunar), leap=bool(leap)
    )
    database = open_db(ctx, write=True)
    with database.session() as session:
        customer = resolve_customer(session, ref)
        changes = edit_customer(
            session, who, customer, raw, birthday=birthday, lunar=lunar, leap=leap, reason=reason
        )
    if not changes:
        message(_("{code} {name}: nothing changed").format(code=customer.code, name=customer.name))
        return
    for change in changes:
        field, old, new = views.change_shown(*change)
        message(
            _("{code} {field}: {old} → {new}").format(
                code=customer.code,
                field=field,
                old=old if old is not None else "—",
                new=new if new is not None else "—",
            )
        )


@app.command("list")
def list_(
    ctx: typer.Context,
    tier: OnlyTier = None,
    stage: OnlyStage = None,
    owner: OnlyOwner = None,
    search: Annotated[
        str | None, typer.Option("--search", "-s", help="Part of name, pinyin, code or phone.")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, max=MAX_LIMIT, help="List at most this many customers."),
    ] = None,
    format: FormatOpt = "table",
) -> None:
    """List customers in pinyin order of their names (按客户名称的字母次序)."""
    from crmcli.enums import STAGE, TIER

    output = fmt(format)
    tier_value = TIER.parse(tier) if tier else None
    stage_value = STAGE.parse(stage) if stage else None
    from crmcli.services.customer_list import list_customers

    database = open_db(ctx, write=False)
    with database.reading() as connection:
        from crmcli.cli.common import known_owner

        known_owner(connection, owner)
        customers = list_customers(
            connection, tier=tier_value, stage=stage_value, owner=owner, search=search, limit=limit
        )
    if output == "json":  # the table's rows (phones formatted for display) are not made
        print_json([views.customer_json(c) for c in customers])
        return
    render([views.customer_row(c) for c in customers], views.CUSTOMER_COLUMNS, output)


@app.command("show")
def show(
    ctx: typer.Context,
    ref: Ref,
    limit: Annotated[
        int,
        typer.Option("--limit", min=1, max=MAX_LIMIT, help="Follow-ups, plans and history shown."),
    ] = 20,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Profile, contacts and a timeline of follow-ups, plans and history."""
    output = fmt(format, ("table", "json"))
    day = today(ctx, as_of)
    from crmcli.services.customers import customer_detail, find_customer

    database = open_db(ctx, write=False)
    with database.reading() as connection:
        customer = find_customer(connection, ref)
        detail = customer_detail(connection, customer, limit=limit)
    c = detail["customer"]
    overdue_days = (day - c.next_due_at).days if c.next_due_at and c.next_due_at < day else 0
    if output == "json":
        print_json(
            {
                "customer": views.customer_json(c),
                "overdue_days": overdue_days,
                "classification": detail["classification"],
                "contacts": [views.contact_json(x) for x in detail["contacts"]],
                "followups": [views.followup_json(x) for x in detail["followups"]],
                "plans": [views.plan_json(x) for x in detail["plans"]],
                "history": [views.history_json(x) for x in detail["history"]],
            }
        )
        return
    _show_table(c, detail, overdue_days, state(ctx).config.timezone)


def _show_table(cu: Any, detail: dict[str, Any], overdue_days: int, tz_name: str) -> None:
    from crmcli import enums
    from crmcli.dates import local_time
    from crmcli.enums import STAGE, TIER
    from crmcli.i18n import _, both, label, ngettext
    from crmcli.text.normalize import phone_display

    def because(field: str) -> str:
        last = detail["classification"].get(field)
        if not last or not last["reason"]:
            return ""
        return f" — {last['reason']} ({last['at']:%Y-%m-%d}, {last['command']})"

    profile = [
        (_("Code"), cu.code),
        (_("Name"), cu.name),
        (_("Kind"), cu.kind and label(enums.KIND, cu.kind)),
        (
            _("Tier"),
            (
                _("{tier} (locked)").format(tier=both(TIER, cu.tier))
                if cu.tier_locked
                else both(TIER, cu.tier)
            )
            + because("tier"),
        ),
        (_("Stage"), both(STAGE, cu.stage)),
        (_("Grade"), cu.grade and cu.grade + because("grade")),
        (_("Value"), cu.value and cu.value + because("value")),
        (_("Owner"), cu.owner),
        (_("Contact"), cu.contact_name),
        (_("Phone"), phone_display(cu.phone)),
        (_("Email"), cu.email),
        (_("Address"), cu.address),
        (_("Region"), cu.region),
        (_("Industry"), cu.industry and label(enums.INDUSTRY, cu.industry)),
        (_("Scale"), cu.scale and label(enums.SCALE, cu.scale)),
        (_("Need"), cu.need and label(enums.NEED, cu.need)),
        (_("Needs"), cu.needs_note),
        (_("Business"), cu.main_business),
        (_("Budget"), cu.budget),
        (_("Source"), cu.source and label(enums.SOURCE, cu.source)),
        (_("Channel"), cu.channel and label(enums.ACQUISITION, cu.channel)),
        (_("Potential"), cu.potential and label(enums.POTENTIAL, cu.potential)),
        (_("Likelihood"), f"{cu.likelihood}%" if cu.likelihood is not None else None),
        (_("Plan"), cu.cooperation_plan),
        (_("Intake"), cu.intake_by),
        (_("Project lead"), cu.project_lead),
        (_("Birthday"), views.birthday_text(cu)),
        (_("Tags"), cu.tags),
        (_("Notes"), cu.notes),
        (_("Added"), cu.created_on),
        (_("Last contact"), cu.last_contact_at and f"{cu.last_contact_at:%Y-%m-%d %H:%M}"),
        (
            _("Next due"),
            f"{cu.next_due_at}"
            + (
                " ("
                + ngettext("{n} day overdue", "{n} days overdue", overdue_days).format(
                    n=overdue_days
                )
                + ")"
                if overdue_days
                else ""
            )
            if cu.next_due_at
            else None,
        ),
    ]
    contacts = [
        (
            x.name,
            " · ".join(
                filter(
                    None,
                    [
                        x.title,
                        phone_display(x.phone),
                        x.email,
                        views.birthday_text(x)
                        and _("birthday {day}").format(day=views.birthday_text(x)),
                    ],
                )
            ),
        )
        for x in detail["contacts"]
    ]
    followups = [
        (
            f"{x.at:%Y-%m-%d %H:%M}",
            f"{label(enums.CHANNEL, x.channel)}: {x.summary}"
            + (f" → {x.result}" if x.result else "")
            + (f" ({x.owner})" if x.owner else ""),
        )
        for x in detail["followups"]
    ]
    plans = [
        (
            f"#{x.id} {x.due_on}" + (f" {x.due_time}" if x.due_time else ""),
            f"[{label(enums.PLAN_STATUS, x.status)}] {label(enums.CHANNEL, x.channel)}: {x.content}",
        )
        for x in detail["plans"]
    ]
    from crmcli import phrases
    from crmcli.cli.views import change_shown

    history = []
    for x in detail["history"]:
        field, old, new = change_shown(x.field, x.old, x.new)
        change = _("{field}: {old} → {new} by {user}").format(
            field=field, old=shown(old), new=shown(new), user=x.user
        )
        if x.reason:
            why = phrases.read(phrases.REASON, x.reason)
            change = _("{change} ({reason})").format(change=change, reason=why)
        history.append((f"{local_time(x.at, tz_name):%Y-%m-%d %H:%M}", change))
    render_record(
        [
            (f"{cu.name} ({cu.code})", profile),
            (_("Contacts"), contacts),
            (_("Follow-ups"), followups),
            (_("Plans"), plans),
            (_("History"), history),
        ]
    )


@app.command("history")
def history(
    ctx: typer.Context,
    ref: Ref,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, max=MAX_LIMIT, help="The newest this many changes."),
    ] = None,
    format: FormatOpt = "table",
) -> None:
    """Every recorded change of a customer, newest first: when, who, old, new, why."""
    output = fmt(format)
    from crmcli.services.customers import customer_history, find_customer

    database = open_db(ctx, write=False)
    with database.reading() as connection:
        customer = find_customer(connection, ref)
        rows = customer_history(connection, customer, limit)
    render(
        [views.history_row(h, state(ctx).config.timezone) for h in rows],
        views.HISTORY_COLUMNS,
        output,
        json_rows=lambda: [views.history_json(h) for h in rows],
    )


@app.command("merge")
def merge(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(help="The customer to keep.")],
    duplicate: Annotated[str, typer.Argument(help="The duplicate, merged into it and removed.")],
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    as_of: AsOfOpt = None,
) -> None:
    """Merge a duplicate into the customer kept: its contacts, follow-ups, plans, sales,
    greetings, complaints, surveys, projects and history move; empty fields are filled."""
    who = actor(ctx, as_of)
    from crmcli.services.customers import find_customer
    from crmcli.services.merge import merge_customers, plan_merge

    database = open_db(ctx, write=not dry_run)
    with database.session() as session:
        kept = find_customer(session, keep)
        dup = find_customer(session, duplicate)
        plan = plan_merge(session, kept, dup)
        moved = ", ".join(f"{n} {name}" for name, n in plan.moved.items()) or "nothing"
        filled = ", ".join(plan.filled) or "no field"
        what = (
            f"merge {dup.code} {dup.name} into {kept.code} {kept.name}: move {moved}; fill {filled}"
        )
        if plan.dropped:
            what += "; drop " + ", ".join(
                f"{n} {name} both had" for name, n in plan.dropped.items()
            )
        if dry_run:
            message(_("dry run: {what}; nothing written").format(what=what))
            return
        confirm(what[0].upper() + what[1:], yes)
        merge_customers(session, who, plan)
    message(
        _("merged {code} into {code2} ({moved})").format(
            code=dup.code, code2=kept.code, moved=moved
        )
    )


@app.command("purge")
def purge(
    ctx: typer.Context,
    ref: Ref,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
) -> None:
    """Destroy a customer and everything about it (信息销毁), leaving no trace in the
    database; history keeps only that a customer was purged, by whom and when."""
    who = actor(ctx)
    from crmcli.services.customers import find_customer
    from crmcli.services.purge import forget, plan_purge, purge_customer

    database = open_db(ctx, write=not dry_run)
    with database.session() as session:
        target = find_customer(session, ref)
        plan = plan_purge(session, target)
        counts = ", ".join(f"{n} {name}" for name, n in plan.counts.items())
        what = f"purge {target.code} {target.name} (#{target.id})" + (
            f" and its {counts}" if counts else ""
        )
        if dry_run:
            message(_("dry run: {what}; nothing written").format(what=what))
            return
        confirm(what[0].upper() + what[1:] + ", for good", yes)
        purge_customer(session, who, target)
    warning = forget(database.engine)
    message(_("purged customer #{id}").format(id=target.id))
    if warning:
        message(_("warning: {warning}").format(warning=warning))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="customer")
