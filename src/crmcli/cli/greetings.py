"""crm greet list|done|missed: 问候 on holidays, solar terms and birthdays (seed 003 三)."""

from __future__ import annotations

import sys
from datetime import timedelta
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
    state,
    today,
)
from crmcli.dates import parse_date
from crmcli.i18n import _, ngettext
from crmcli.output import Col, message, print_json, render

app = typer.Typer(
    help="Greetings 问候: who to greet, marking them sent, misses and fines.", no_args_is_help=True
)

COLUMNS = (
    Col("day", "Day"),
    Col("customer", "Customer"),
    Col("greet", "Greet"),
    Col("occasion", "Occasion"),
    Col("owner", "Owner"),
    Col("sent", "Sent"),
)
MISSED_COLUMNS = (
    Col("day", "Due"),
    Col("kind", "Duty"),
    Col("customer", "Customer"),
    Col("detail", "What"),
    Col("owner", "Owner"),
    Col("fine", "Fine", "right"),
)
FINE_COLUMNS = (
    Col("owner", "Owner"),
    Col("greetings", "Greetings", "right"),
    Col("monthly_calls", "Monthly calls", "right"),
    Col("campaigns", "Campaigns", "right"),
    Col("fine", "Fine ¥", "right"),
)


def duty_json(d: Any, fine: int | None = None) -> dict[str, Any]:
    data = {
        "kind": d.kind,
        "customer_id": d.customer_id,
        "code": d.code,
        "name": d.name,
        "owner": d.owner,
        "occasion": d.occasion,
        "day": d.day,
        "contact_id": d.contact_id,
        "contact_name": d.contact_name,
        "detail": d.detail,
        "done": d.done,
        **d.extra,
    }
    if fine is not None:
        data["fine"] = fine
    return data


@app.command("list")
def list_(
    ctx: typer.Context,
    date: Annotated[str | None, typer.Option("--date", help="The day (default today).")] = None,
    owner: OwnerOpt = None,
    all_: Annotated[bool, typer.Option("--all", help="Include greetings already sent.")] = False,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Who must be greeted on a day, and why (holiday, solar term, birthday)."""
    output = fmt(format)
    base = today(ctx, as_of)
    day = parse_date(date, base, what="--date") if date else base
    from crmcli.services.compliance import greetings_on

    database = open_db(ctx, write=False)
    with database.reading() as connection:
        known_owner(connection, owner)
        duties = greetings_on(
            connection, state(ctx).config, day, owner=owner, pending_only=not all_
        )
    rows = [
        {
            "day": d.day,
            "customer": f"{d.code} {d.name}",
            "greet": d.contact_name or d.name,
            "occasion": d.detail,
            "owner": d.owner,
            "sent": d.done,
        }
        for d in duties
    ]
    render(rows, COLUMNS, output, json_rows=lambda: [duty_json(d) for d in duties])


@app.command("done")
def done(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id, code, or part of its name.")],
    occasion: Annotated[str, typer.Option("--occasion", help="春节, 中秋, 立春, 生日/birthday …")],
    contact: Annotated[
        str | None,
        typer.Option("--contact", help="The contact greeted; for a birthday, the one whose it is."),
    ] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="wechat, sms, phone …")] = None,
    date: Annotated[
        str | None, typer.Option("--date", help="The occasion's day (default today).")
    ] = None,
    at: Annotated[str | None, typer.Option("--at", help="When it was sent (default now).")] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Mark a greeting sent (a greeting marked after its day still counts as missed)."""
    from crmcli.enums import CHANNEL

    channel_value = CHANNEL.parse(channel) if channel else None
    base = today(ctx, as_of)
    day = parse_date(date, base, what="--date") if date else base
    sent_at = moment(ctx, at, as_of, "--at date") if at else None
    who = actor(ctx, as_of)
    from crmcli.services.compliance import is_eligible, mark_greeting
    from crmcli.services.contacts import resolve_contact
    from crmcli.services.customers import resolve_customer

    database = open_db(ctx, write=True)
    with database.session() as session:
        target = resolve_customer(session, customer)
        person = resolve_contact(session, target, contact) if contact else None
        greeting = mark_greeting(
            session,
            who,
            target,
            occasion,
            day=day,
            contact=person,
            channel=channel_value,
            at=sent_at,
        )
    late = greeting.sent_at.date() > day
    owed = is_eligible(target, state(ctx).config.get("greetings"))
    message(
        _("greeting {occasion} {day} to {name} marked sent{late}{not_owed}").format(
            occasion=greeting.occasion,
            day=day,
            name=(person or target).name,
            late=_(" (late: it still counts as missed)") if late else "",
            not_owed=""
            if owed
            else _(" (no greeting is owed to a customer in stage {stage})").format(
                stage=target.stage
            ),
        )
    )


@app.command("missed")
def missed(
    ctx: typer.Context,
    from_: Annotated[
        str | None, typer.Option("--from", help="First day (default 30 days ago).")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day (default yesterday).")] = None,
    owner: OwnerOpt = None,
    fines: Annotated[
        bool,
        typer.Option(
            "--fines",
            help="A summary per owner of every miss — "
            "greetings, monthly calls, campaigns — with fines.",
        ),
    ] = False,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Greetings not sent on their day; with --fines, all misses and fines per owner."""
    output = fmt(format)
    base = today(ctx, as_of)
    start = parse_date(from_, base, what="--from date") if from_ else base - timedelta(days=30)
    end = parse_date(to, base, what="--to date") if to else base - timedelta(days=1)
    from crmcli.errors import InvalidInput

    if start > end:
        raise InvalidInput(_("--from {start} is after --to {end}").format(start=start, end=end))
    if end >= base:
        raise InvalidInput(
            _("--to {end} has not ended yet (as of {base}); misses are of past days").format(
                end=end, base=base
            )
        )
    from crmcli.services import compliance

    cfg = state(ctx).config
    database = open_db(ctx, write=False)
    with database.reading() as connection:
        known_owner(connection, owner)
        misses = compliance.missed_greetings(connection, cfg, start, end, owner=owner)
        if fines:
            misses += compliance.missed_calls(connection, cfg, start, end, base, owner=owner)
            misses += compliance.missed_notices(connection, start, end, base, owner=owner)
    rates = cfg.get("fines")
    if fines:
        lines = compliance.fines_by_owner(cfg, misses)
        data = [vars(line) for line in lines]
        if output == "json":
            print_json(
                {
                    "from": start,
                    "to": end,
                    "fines": rates,
                    "owners": data,
                    "misses": [duty_json(d, rates[d.kind]) for d in misses],
                }
            )
            return
        if output == "table" and lines:
            # People read every miss, then what each owner owes; csv/tsv give the totals.
            render(_missed_rows(misses, rates), MISSED_COLUMNS, output)
            sys.stdout.write("\n")
        render(data, FINE_COLUMNS, output)
        if output == "table" and lines:
            from crmcli.text import money

            owed = money(sum(x.fine for x in lines) * 100)
            message(
                ngettext(
                    "{start} to {end}: {n} miss, {owed} in fines",
                    "{start} to {end}: {n} misses, {owed} in fines",
                    len(misses),
                ).format(start=start, end=end, n=len(misses), owed=owed)
            )
        return
    render(
        _missed_rows(misses, rates),
        MISSED_COLUMNS,
        output,
        json_rows=lambda: [duty_json(d, rates[d.kind]) for d in misses],
    )


@app.command("undo")
def undo(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id, code, or part of its name.")],
    occasion: Annotated[str, typer.Option("--occasion", help="The occasion marked by mistake.")],
    date: Annotated[str, typer.Option("--date", help="The occasion's day.")],
    contact: Annotated[str | None, typer.Option("--contact", help="The contact greeted.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why; kept in history.")] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Take back a greeting marked sent by mistake: it is owed (or missed) again."""
    base = today(ctx, as_of)
    day = parse_date(date, base, what="--date")
    who = actor(ctx, as_of)
    from crmcli.services.contacts import resolve_contact
    from crmcli.services.corrections import undo_greeting
    from crmcli.services.customers import resolve_customer

    database = open_db(ctx, write=True)
    with database.session() as session:
        target = resolve_customer(session, customer)
        person = resolve_contact(session, target, contact) if contact else None
        greeting = undo_greeting(
            session, who, target, occasion, day=day, contact=person, reason=reason
        )
    message(
        _("greeting {occasion} {day} to {name}: no longer sent").format(
            occasion=greeting.occasion, day=day, name=(person or target).name
        )
    )


def _missed_rows(misses: list[Any], rates: dict[str, int]) -> list[dict[str, Any]]:
    rows = []
    for d in misses:
        kind, detail = d.worded()
        rows.append(
            {
                "day": d.day,
                "kind": kind,
                "customer": f"{d.code} {d.name}",
                "detail": detail,
                "owner": d.owner,
                "fine": rates[d.kind],
            }
        )
    return rows


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="greet")
