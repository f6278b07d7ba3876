"""crm plan add|list|done|cancel: 跟进计划, the promised next steps."""

from __future__ import annotations

from typing import Annotated

import typer

from crmcli.cli import views
from crmcli.cli.common import AsOfOpt, FormatOpt, OwnerOpt, actor, fmt, moment, open_db, today
from crmcli.dates import parse_datetime
from crmcli.enums import CHANNEL, PLAN_STATUS
from crmcli.i18n import N_, _
from crmcli.output import Col, message, print_json, render

app = typer.Typer(help="Follow-up plans 跟进计划.", no_args_is_help=True)
PlanId = Annotated[str, typer.Argument(help="Plan id (as shown by crm plan list).")]

COLUMNS = (
    Col("id", "Id", "right"),
    Col("due", "Due"),
    Col("late", "Late", "right"),
    Col("customer", "Customer"),
    Col("channel", "Channel", choice=CHANNEL),
    Col("content", "Content"),
    Col("owner", "Owner"),
    Col("status", "Status", choice=PLAN_STATUS),
)


@app.command("add")
def add(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id, code, or part of its name.")],
    due: Annotated[str, typer.Option("--due", help="fri, +3d, 2026-12-01 10:00 …")],
    content: Annotated[str, typer.Option("--content", help="What is to be done.")],
    channel: Annotated[str, typer.Option("--channel", help="How: phone, visit, …")] = "phone",
    owner: Annotated[
        str | None,
        typer.Option("--owner", help="Who is to do it (default: the customer's owner, else you)."),
    ] = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Plan a follow-up for a customer."""
    output = fmt(format)
    channel_value = CHANNEL.parse(channel)
    day = today(ctx, as_of)
    due_at = parse_datetime(due, day, what="--due date")
    who = actor(ctx, as_of)
    from crmcli.services.customers import resolve_customer
    from crmcli.services.followups import add_plan

    database = open_db(ctx, write=True)
    with database.session() as session:
        target = resolve_customer(session, customer)
        plan = add_plan(
            session, who, target, due=due_at, channel=channel_value, content=content, owner=owner
        )
    message(
        _("planned #{id} for {code} {name} on {due_on}{value}: {content}").format(
            id=plan.id,
            code=target.code,
            name=target.name,
            due_on=plan.due_on,
            value=f" {plan.due_time}" if plan.due_time else "",
            content=plan.content,
        )
    )
    if output == "json":
        print_json(views.plan_json(plan, target))


@app.command("list")
def list_(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Argument(help="Only this customer's plans.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open plans past due.")] = False,
    status: Annotated[str, typer.Option("--status", help="open, done, cancelled or all.")] = "open",
    owner: OwnerOpt = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """List plans by due date (open ones by default)."""
    output = fmt(format)
    status_value = None if status == "all" else PLAN_STATUS.parse(status)
    day = today(ctx, as_of)
    from crmcli.services.customers import resolve_customer
    from crmcli.services.followups import list_plans

    database = open_db(ctx, write=False)
    with database.session() as session:
        from crmcli.cli.common import known_owner

        known_owner(session, owner)
        target = resolve_customer(session, customer) if customer else None
        rows = list_plans(
            session, as_of=day, status=status_value, overdue=overdue, owner=owner, customer=target
        )
    table = [
        {
            "id": p.id,
            "due": f"{p.due_on}" + (f" {p.due_time}" if p.due_time else ""),
            "late": (day - p.due_on).days if p.status == "open" and p.due_on < day else None,
            "customer": f"{c.code} {c.name}",
            "channel": p.channel,
            "content": p.content,
            "owner": p.owner,
            "status": p.status,
        }
        for p, c in rows
    ]
    render(
        table,
        COLUMNS,
        output,
        json_rows=lambda: [
            {**views.plan_json(p, c), "days_overdue": t["late"] or 0}
            for (p, c), t in zip(rows, table, strict=True)
        ],
    )


@app.command("done")
def done(
    ctx: typer.Context,
    plan_id: PlanId,
    summary: Annotated[
        str | None, typer.Option("--summary", "-m", help="What was said (default: the plan).")
    ] = None,
    result: Annotated[str | None, typer.Option("--result", "-r")] = None,
    at: Annotated[str | None, typer.Option("--at", help="When (default now).")] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Mark a plan done; records the follow-up that fulfilled it."""
    when = moment(ctx, at, as_of, "--at date")
    who = actor(ctx, as_of)
    from crmcli.services.followups import complete_plan, get_plan

    database = open_db(ctx, write=True)
    with database.session() as session:
        plan = get_plan(session, plan_id)
        followup = complete_plan(session, who, plan, at=when, summary=summary, result=result)
    message(
        _("plan #{id} done (follow-up #{id2}, {channel} {at:%Y-%m-%d %H:%M})").format(
            id=plan.id, id2=followup.id, channel=followup.channel, at=followup.at
        )
    )


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    plan_id: PlanId,
    reason: Annotated[str | None, typer.Option("--reason", help="Why; kept in history.")] = None,
) -> None:
    """Cancel an open plan."""
    who = actor(ctx)
    from crmcli.services.followups import cancel_plan, get_plan

    database = open_db(ctx, write=True)
    with database.session() as session:
        plan = get_plan(session, plan_id)
        cancel_plan(session, who, plan, reason)
    message(_("plan #{id} cancelled").format(id=plan.id))


@app.command("edit")
def edit(
    ctx: typer.Context,
    plan_id: PlanId,
    due: Annotated[str | None, typer.Option("--due", help="New due day: fri, +3d, …")] = None,
    content: Annotated[str | None, typer.Option("--content", help="What is to be done.")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="phone, visit, …")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Who is to do it.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why; kept in history.")] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Reschedule or correct an open plan; the old values are kept in history."""
    from crmcli.services.corrections import edit_plan, record_id
    from crmcli.services.followups import get_plan

    record_id(plan_id, N_("plan"))
    channel_value = CHANNEL.parse(channel) if channel else None
    due_at = parse_datetime(due, today(ctx, as_of), what="--due date") if due else None
    who = actor(ctx, as_of)
    database = open_db(ctx, write=True)
    with database.session() as session:
        plan = get_plan(session, plan_id)
        changes = edit_plan(
            session,
            who,
            plan,
            due=due_at,
            content=content,
            channel=channel_value,
            owner=owner,
            reason=reason,
        )
    if not changes:
        message(_("plan #{id}: nothing changed").format(id=plan.id))
    for change in changes:
        field, old, new = views.change_shown(
            change.field.rsplit(".", 1)[-1], change.old, change.new
        )
        old = "—" if old is None else old
        new = "—" if new is None else new
        message(
            _("plan #{id} {field}: {old} → {new}").format(id=plan.id, field=field, old=old, new=new)
        )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="plan")
