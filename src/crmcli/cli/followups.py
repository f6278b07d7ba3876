"""crm log: record a follow-up 跟进记录 and, optionally, the next step; list, correct and
delete follow-ups (crm log list|edit|delete).

``crm log CUSTOMER …`` records (it is ``crm log add CUSTOMER …``): a first word that is
not one of the other commands is a customer. A customer really named "list" is
``crm log add list …``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from crmcli.cli import views
from crmcli.cli.common import AsOfOpt, FormatOpt, actor, fmt, moment, open_db, today
from crmcli.dates import parse_datetime
from crmcli.enums import CHANNEL
from crmcli.i18n import N_, _
from crmcli.output import Col, message, print_json, render
from crmcli.text.bounds import MAX_LIMIT


class LogGroup(TyperGroup):
    """``crm log CUSTOMER …`` is ``crm log add CUSTOMER …``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["add", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=LogGroup,
    help="Record a call, visit or meeting (crm log CUSTOMER …); list, edit, delete.",
    no_args_is_help=True,
)
FollowUpId = Annotated[str, typer.Argument(help="Follow-up id (as crm log list shows).")]
Reason = Annotated[str | None, typer.Option("--reason", help="Why; kept in history.")]

COLUMNS = (
    Col("id", "Id", "right"),
    Col("at", "When"),
    Col("customer", "Customer"),
    Col("channel", "Channel", choice=CHANNEL),
    Col("contact", "Contact"),
    Col("summary", "Summary"),
    Col("result", "Result"),
    Col("owner", "Owner"),
)


@app.command("add")
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

        raise InvalidInput(_("--next-action needs --next (the date of the next step)"))
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
    message(
        _("logged {channel_value} with {code} {name} at {when:%Y-%m-%d %H:%M}").format(
            channel_value=channel_value, code=target.code, name=target.name, when=when
        )
    )
    if plan is not None:
        message(
            _("planned #{id} {due_on}: {content}").format(
                id=plan.id, due_on=plan.due_on, content=plan.content
            )
        )
    message(_("next due {next_due}").format(next_due=next_due))
    if output == "json":
        print_json(
            {
                "followup": views.followup_json(followup),
                "plan": views.plan_json(plan) if plan else None,
                "next_due_at": next_due,
            }
        )


@app.command("list")
def list_(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Argument(help="Only this customer's.")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="First day.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this salesperson's.")] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", "-c", help="Only this channel.")
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-s", help="Text in the summary or result.")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, max=MAX_LIMIT, help="List at most this many follow-ups."),
    ] = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """List follow-ups, newest first."""
    from crmcli.dates import parse_date
    from crmcli.errors import InvalidInput

    output = fmt(format)
    day = today(ctx, as_of)
    start = parse_date(from_, day, what="--from date") if from_ else None
    end = parse_date(to, day, what="--to date") if to else None
    if start and end and start > end:
        raise InvalidInput(_("--from {start} is after --to {end}").format(start=start, end=end))
    channel_value = CHANNEL.parse(channel) if channel else None
    from crmcli.cli.common import known_owner
    from crmcli.services.corrections import list_followups
    from crmcli.services.customers import find_customer

    database = open_db(ctx, write=False)
    with database.reading() as connection:
        known_owner(connection, owner)
        target = find_customer(connection, customer) if customer else None
        rows = list_followups(
            connection,
            customer_id=target.id if target else None,
            start=start,
            end=end,
            owner=owner,
            channel=channel_value,
            search=search,
            limit=limit,
        )
    table = [
        {
            "id": r.id,
            "at": f"{r.at:%Y-%m-%d %H:%M}",
            "customer": f"{r.customer_code} {r.customer_name}",
            "channel": r.channel,
            "contact": r.contact_name,
            "summary": r.summary,
            "result": r.result,
            "owner": r.owner,
        }
        for r in rows
    ]
    render(
        table,
        COLUMNS,
        output,
        json_rows=lambda: [
            {
                **views.followup_json(r),
                "customer_code": r.customer_code,
                "customer_name": r.customer_name,
                "contact_name": r.contact_name,
            }
            for r in rows
        ],
    )


@app.command("edit")
def edit(
    ctx: typer.Context,
    followup_id: FollowUpId,
    at: Annotated[str | None, typer.Option("--at", help="When it really happened.")] = None,
    channel: Annotated[str | None, typer.Option("--channel", "-c")] = None,
    summary: Annotated[str | None, typer.Option("--summary", "-m")] = None,
    result: Annotated[str | None, typer.Option("--result", "-r", help='"" clears it.')] = None,
    contact: Annotated[
        str | None, typer.Option("--contact", help='Contact id or name; "" clears it.')
    ] = None,
    reason: Reason = None,
    as_of: AsOfOpt = None,
) -> None:
    """Correct a follow-up; the old values are kept in the customer's history."""
    from crmcli.services.corrections import edit_followup, get_followup, record_id
    from crmcli.services.customers import resolve_customer

    record_id(followup_id, N_("follow-up"))
    channel_value = CHANNEL.parse(channel) if channel else None
    when = parse_datetime(at, today(ctx, as_of), what="--at date")[0] if at else None
    who = actor(ctx, as_of)
    database = open_db(ctx, write=True)
    with database.session() as session:
        followup = get_followup(session, followup_id)
        person: object = False
        if contact is not None:
            person = None
            if contact.strip():
                from crmcli.services.contacts import resolve_contact

                owner_customer = resolve_customer(session, str(followup.customer_id))
                person = resolve_contact(session, owner_customer, contact)
        changes = edit_followup(
            session,
            who,
            followup,
            at=when,
            channel=channel_value,
            summary=summary,
            result=result,
            contact=person,  # type: ignore[arg-type]
            reason=reason,
        )
    if not changes:
        message(_("follow-up #{id}: nothing changed").format(id=followup.id))
    for change in changes:
        field, old, new = views.change_shown(
            change.field.rsplit(".", 1)[-1], change.old, change.new
        )
        message(
            _("follow-up #{id} {field}: {old} → {new}").format(
                id=followup.id, field=field, old=_shown(old), new=_shown(new)
            )
        )


@app.command("delete")
def delete(
    ctx: typer.Context,
    followup_id: FollowUpId,
    reason: Reason = None,
    as_of: AsOfOpt = None,
) -> None:
    """Delete a follow-up logged by mistake; due days are recomputed, history keeps it."""
    from crmcli.services.corrections import delete_followup, get_followup, record_id

    record_id(followup_id, N_("follow-up"))
    who = actor(ctx, as_of)
    database = open_db(ctx, write=True)
    with database.session() as session:
        followup = get_followup(session, followup_id)
        change = delete_followup(session, who, followup, reason)
    message(_("deleted follow-up #{id} ({old})").format(id=followup.id, old=change.old))


def _shown(value: object) -> str:
    from crmcli.history import shown

    text = shown(value)
    return "—" if text is None else text


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="log")
