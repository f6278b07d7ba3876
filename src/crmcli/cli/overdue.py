"""crm overdue: who must be contacted, most days late first (SPEC §2 Overdue)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crmcli.cli.common import AsOfOpt, FormatOpt, OwnerOpt, fmt, known_owner, open_db, today
from crmcli.errors import EXIT_FOUND
from crmcli.output import Col, jsonable, render
from crmcli.text.bounds import MAX_LIMIT

COLUMNS = (
    Col("days_overdue", "Late", "right"),
    Col("code", "Code"),
    Col("name", "Name"),
    Col("tier", "Tier"),
    Col("owner", "Owner"),
    Col("last_contact", "Last contact"),
    Col("due_on", "Due"),
    Col("reason", "Why"),
)


def overdue_json(item: Any, major: list[int]) -> dict[str, Any]:
    # Dates are written here rather than by the encoder's fallback, once per row.
    return {
        "id": item.id,
        "code": item.code,
        "name": item.name,
        "tier": item.tier,
        "stage": item.stage,
        "owner": item.owner,
        "phone": item.phone,
        "last_contact_at": jsonable(item.last_contact_at),
        "due_on": item.due_on.isoformat(),
        "days_overdue": item.days_overdue,
        "reasons": [r.as_dict() for r in item.reasons],
        "major_complaints": major,
    }


def overdue(
    ctx: typer.Context,
    as_of: AsOfOpt = None,
    owner: OwnerOpt = None,
    tier: Annotated[str | None, typer.Option("--tier", help="Only this tier.")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, max=MAX_LIMIT, help="At most this many.")
    ] = None,
    exit_code: Annotated[
        bool,
        typer.Option("--exit-code", help="Exit 1 when anyone is overdue (for cron and scripts)."),
    ] = False,
    format: FormatOpt = "table",
) -> None:
    """Customers past their visit/call cadence or with plans past due, most late first."""
    from crmcli.enums import TIER

    output = fmt(format)
    tier_value = TIER.parse(tier) if tier else None
    day = today(ctx, as_of)
    from crmcli.cli.common import state
    from crmcli.i18n import _, label
    from crmcli.services.cadence import overdue_customers
    from crmcli.services.complaints import open_major

    database = open_db(ctx, write=False)
    with database.reading() as connection:
        known_owner(connection, owner)
        items = overdue_customers(
            connection,
            state(ctx).config,
            day,
            owner=owner,
            tier=tier_value,
            limit=limit,
            text=None if output == "json" else _,
        )
        # A customer with an open major complaint (重大投诉) is flagged on its row.
        major = open_major(connection, [i.id for i in items])
    rows = [
        {
            "days_overdue": i.days_overdue,
            "code": i.code,
            "name": i.name,
            "tier": label(TIER, i.tier),
            "owner": i.owner,
            "last_contact": i.last_contact_at.date() if i.last_contact_at else _("never"),
            "due_on": i.due_on,
            "reason": _("; ").join(
                [
                    *(_("open major complaint #{id}").format(id=k) for k in major.get(i.id, ())),
                    *(r.text for r in i.reasons),
                ]
            ),
        }
        for i in items
    ]
    render(
        rows,
        COLUMNS,
        output,
        json_rows=lambda: [overdue_json(i, major.get(i.id, [])) for i in items],
    )
    if exit_code and items:
        raise typer.Exit(EXIT_FOUND)


def register(root: typer.Typer) -> None:
    root.command("overdue")(overdue)
