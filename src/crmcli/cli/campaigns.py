"""crm campaign add|notify|list: 营销活动/答谢会 that customers must be told about."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crmcli.cli.common import (
    AsOfOpt,
    FormatOpt,
    OwnerOpt,
    actor,
    fmt,
    known_owner,
    moment,
    open_db,
    today,
)
from crmcli.dates import parse_date
from crmcli.i18n import _, label
from crmcli.output import Col, message, render

app = typer.Typer(help="Campaigns and thank-you events 营销活动/答谢会.", no_args_is_help=True)

CAMPAIGN_COLUMNS = (
    Col("name", "Campaign"),
    Col("on", "Day"),
    Col("stages", "Stages"),
    Col("audience", "To tell", "right"),
    Col("told", "Told", "right"),
    Col("remaining", "Not yet", "right"),
)
AUDIENCE_COLUMNS = (
    Col("code", "Code"),
    Col("name", "Name"),
    Col("owner", "Owner"),
    Col("told", "Told"),
)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The campaign's name, e.g. 年终答谢会.")],
    on: Annotated[str, typer.Option("--on", help="Its day.")],
    stages: Annotated[
        str,
        typer.Option(
            "--stages",
            help="Stages whose customers must be told, comma-separated (customer,loyal).",
        ),
    ] = "customer,loyal",
    as_of: AsOfOpt = None,
) -> None:
    """Add a campaign; every customer of its stages must be told before its day."""
    from crmcli.enums import STAGE

    stage_values = STAGE.parse_many(stages)
    day = parse_date(on, today(ctx, as_of), what="--on date")
    who = actor(ctx, as_of)
    from crmcli.services.compliance import add_campaign

    database = open_db(ctx, write=True, create=True)
    with database.session() as session:
        campaign = add_campaign(session, who, name, day, stage_values)
    message(
        _("campaign {name} on {on} for stages {stages}").format(
            name=campaign.name,
            on=campaign.on,
            stages=",".join(label(STAGE, s) for s in campaign.stages.split(",")),
        )
    )


@app.command("notify")
def notify(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help="Campaign name (or id).")],
    customer: Annotated[str, typer.Argument(help="Customer id, code, or part of its name.")],
    channel: Annotated[str | None, typer.Option("--channel", help="phone, wechat, …")] = None,
    at: Annotated[str | None, typer.Option("--at", help="When told (default now).")] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Record that a customer was told about (invited to) a campaign."""
    from crmcli.enums import CHANNEL

    channel_value = CHANNEL.parse(channel) if channel else None
    when = moment(ctx, at, as_of, "--at date") if at else None
    who = actor(ctx, as_of)
    from crmcli.services import compliance
    from crmcli.services.customers import resolve_customer

    database = open_db(ctx, write=True)
    with database.session() as session:
        target_campaign = compliance.get_campaign(session, campaign)
        target = resolve_customer(session, customer)
        notice = compliance.notify(
            session, who, target_campaign, target, channel=channel_value, at=when
        )
    late = notice.notified_at.date() >= target_campaign.on
    outside = not compliance.in_audience(target_campaign, target)
    message(
        _("{code} {name} told about {campaign}{late}{outside}").format(
            code=target.code,
            name=target.name,
            campaign=target_campaign.name,
            late=_(" (on or after its day: still a miss)") if late else "",
            outside=_(
                " (not in its audience: customers of stages {stages} added before {on})"
            ).format(stages=target_campaign.stages, on=target_campaign.on)
            if outside
            else "",
        )
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Argument(help="Show who is still to be told.")] = None,
    owner: OwnerOpt = None,
    all_: Annotated[
        bool, typer.Option("--all", help="With a campaign: include those told.")
    ] = False,
    format: FormatOpt = "table",
) -> None:
    """Campaigns with how many customers are still to be told; or one campaign's list."""
    output = fmt(format)
    from crmcli.services import compliance

    database = open_db(ctx, write=False)
    with database.reading() as connection:
        known_owner(connection, owner)
        if campaign:
            target = compliance.get_campaign(connection, campaign)
            duties = compliance.campaign_audience(
                connection, target, owner=owner, include_told=all_
            )
            audience_rows = [
                {
                    "code": d.code,
                    "name": d.name,
                    "owner": d.owner,
                    "told": d.done,
                    "customer_id": d.customer_id,
                }
                for d in duties
            ]
            render(audience_rows, AUDIENCE_COLUMNS, output)
            return
        rows: list[dict[str, Any]] = []
        for item in compliance.campaigns_between(connection, None, None):
            audience = compliance.campaign_audience(
                connection, item, owner=owner, include_told=True
            )
            told = sum(1 for d in audience if d.done)
            rows.append(
                {
                    "id": item.id,
                    "name": item.name,
                    "on": item.on,
                    "stages": item.stages.split(","),
                    "audience": len(audience),
                    "told": told,
                    "remaining": len(audience) - told,
                }
            )
    render(rows, CAMPAIGN_COLUMNS, output)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="campaign")
