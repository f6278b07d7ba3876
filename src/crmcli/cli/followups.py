"""crm log: record a follow-up 跟进记录 and, optionally, the next step."""

from __future__ import annotations

from typing import Annotated

import typer

from crmcli.cli import views
from crmcli.cli.common import AsOfOpt, FormatOpt, actor, fmt, moment, open_db
from crmcli.dates import parse_datetime
from crmcli.enums import CHANNEL
from crmcli.output import message, print_json


def log(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id, code, or part of its name.")],
    channel: Annotated[
        str,
        typer.Option(
            "--channel",
            "-c",
            help="phone 电话, visit 上门拜访, meeting 面谈, email, wechat 微信, sms, event.",
        ),
    ],
    summary: Annotated[str, typer.Option("--summary", "-m", help="What was discussed 沟通内容.")],
    result: Annotated[str | None, typer.Option("--result", "-r", help="Outcome 结果.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="When it happened (default now).")] = None,
    contact: Annotated[str | None, typer.Option("--contact", help="Contact id or name.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Who made the contact.")] = None,
    next_: Annotated[
        str | None,
        typer.Option(
            "--next", help="Next step's date: +14d, fri, 2026-12-01 10:00. Creates a plan."
        ),
    ] = None,
    next_action: Annotated[
        str | None, typer.Option("--next-action", help="What the next step is.")
    ] = None,
    next_channel: Annotated[
        str | None, typer.Option("--next-channel", help="Channel of the next step.")
    ] = None,
    done: Annotated[
        list[str] | None, typer.Option("--done", help="Plan id this follow-up fulfils.")
    ] = None,
    project: Annotated[
        str | None, typer.Option("--project", help="The customer's project (id) it was about.")
    ] = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Record a call, visit or meeting; --next schedules the follow-up after it."""
    output = fmt(format)
    channel_value = CHANNEL.parse(channel)
    next_channel_value = CHANNEL.parse(next_channel) if next_channel else None
    when = moment(ctx, at, as_of, "--at date")
    next_at = parse_datetime(next_, when.date(), what="--next date") if next_ else None
    if next_action and not next_:
        from crmcli.errors import InvalidInput

        raise InvalidInput("--next-action needs --next (the date of the next step)")
    who = actor(ctx, as_of)
    from crmcli.services.customers import customer_row, find_customer
    from crmcli.services.followups import get_plan, log_followup

    database = open_db(ctx, write=True)
    with database.session() as session:
        # The customer and the follow-up are rows; only --contact and --done load records.
        target = find_customer(session, customer)
        person = None
        if contact:
            from crmcli.services.contacts import resolve_contact

            person = resolve_contact(session, target, contact)  # type: ignore[arg-type]
        plans = [get_plan(session, p) for p in done or []]
        if project is not None:
            from crmcli.services.projects import project_of_customer

            project_id = project_of_customer(session, target, project).id
        else:
            project_id = None
        followup, plan = log_followup(
            session,
            who,
            target,
            channel=channel_value,
            summary=summary,
            result=result,
            at=when,
            contact=person,
            owner=owner,
            next_at=next_at,
            next_action=next_action,
            next_channel=next_channel_value,
            done_plans=plans,
            project_id=project_id,
        )
        next_due = customer_row(session, target.id).next_due_at  # type: ignore[union-attr]
    message(f"logged {channel_value} with {target.code} {target.name} at {when:%Y-%m-%d %H:%M}")
    if plan is not None:
        message(f"planned #{plan.id} {plan.due_on}: {plan.content}")
    message(f"next due {next_due}")
    if output == "json":
        print_json(
            {
                "followup": views.followup_json(followup),
                "plan": views.plan_json(plan) if plan else None,
                "next_due_at": next_due,
            }
        )


def register(root: typer.Typer) -> None:
    root.command("log")(log)
