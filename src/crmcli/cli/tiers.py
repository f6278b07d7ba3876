"""crm tier set / crm stage set: manual decisions, each with its reason in history."""

from __future__ import annotations

from typing import Annotated

import typer

from crmcli.cli.common import AsOfOpt, actor, open_db
from crmcli.enums import STAGE, TIER
from crmcli.i18n import N_, _, label
from crmcli.output import message

tier_app = typer.Typer(
    help="Service tier 客户分类 (core/key/general/potential).", no_args_is_help=True
)
stage_app = typer.Typer(help="Lifecycle stage 客户状态.", no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Customer id, code, or part of its name.")]
Reason = Annotated[str | None, typer.Option("--reason", help="Why; kept in history.")]


@tier_app.command("set")
def set_tier(
    ctx: typer.Context,
    customer: Ref,
    tier: Annotated[
        str, typer.Argument(help="core 核心 | key 重点 | general 一般 | potential 潜在.")
    ],
    reason: Reason = None,
    lock: Annotated[
        bool | None,
        typer.Option(
            "--lock/--unlock",
            help="Keep this tier when reclassify runs (or let it decide again).",
        ),
    ] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Set a customer's tier by hand; --lock keeps reclassification from overriding it."""
    value = TIER.parse(tier)
    who = actor(ctx, as_of)
    _not_ahead(ctx, as_of)
    from crmcli.services.customers import resolve_customer
    from crmcli.services.customers import set_tier as set_tier_service

    database = open_db(ctx, write=True)
    with database.session() as session:
        target = resolve_customer(session, customer)
        changes = set_tier_service(session, who, target, value, lock=lock, reason=reason)
    if not changes:
        message(
            _("{code} {name} is already {value}").format(
                code=target.code, name=target.name, value=label(TIER, value)
            )
        )
    from crmcli.cli.views import change_shown

    for change in changes:
        field, old, new = change_shown(*change)
        message(
            _("{code} {name} {field}: {old} → {new}").format(
                code=target.code, name=target.name, field=field, old=old, new=new
            )
        )


@stage_app.command("set")
def set_stage(
    ctx: typer.Context,
    customer: Ref,
    stage: Annotated[
        str,
        typer.Argument(
            help="lead, target, qualified, customer, loyal, "
            "junk, lost (or 潜在/目标/意向/成交/忠诚/垃圾/流失)."
        ),
    ],
    reason: Reason = None,
    as_of: AsOfOpt = None,
) -> None:
    """Move a customer along its lifecycle; junk and lost end its follow-up duties
    from that day on (--as-of: the day it happened)."""
    value = STAGE.parse(stage)
    who = actor(ctx, as_of)
    _not_ahead(ctx, as_of)
    from crmcli.services.customers import apply_changes, resolve_customer

    database = open_db(ctx, write=True)
    with database.session() as session:
        target = resolve_customer(session, customer)
        changes = apply_changes(session, who, target, {"stage": value}, reason)
    if not changes:
        message(
            _("{code} {name} is already {value}").format(
                code=target.code, name=target.name, value=label(STAGE, value)
            )
        )
    for _field, old, new in changes:
        message(
            _("{code} {name} stage: {old} → {new}").format(
                code=target.code, name=target.name, old=label(STAGE, old), new=label(STAGE, new)
            )
        )


def _not_ahead(ctx: typer.Context, as_of: str | None) -> None:
    """A decision dated after today has not been made (and would steer past duties)."""
    if as_of is not None:
        from crmcli.cli.common import today
        from crmcli.services.timeline import check_not_future

        check_not_future(today(ctx, as_of), today(ctx, None), N_("--as-of"))


def register(root: typer.Typer) -> None:
    root.add_typer(tier_app, name="tier")
    root.add_typer(stage_app, name="stage")
