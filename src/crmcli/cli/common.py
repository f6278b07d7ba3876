"""What every command shares: global state, option types, opening the database."""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crmcli import config as config_mod
from crmcli.dates import now_in, parse_date, parse_datetime
from crmcli.output import check_format

if TYPE_CHECKING:
    from crmcli.db import Database
    from crmcli.services.context import Actor

FormatOpt = Annotated[
    str,
    typer.Option("--format", "-f", help="table, json, csv or tsv (json is the stable contract)."),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Reckon as if today were this day (2026-12-01, yesterday, -1w)."),
]
OwnerOpt = Annotated[str | None, typer.Option("--owner", help="Only this salesperson's.")]


@dataclass
class State:
    db_option: str | None = None
    _config: config_mod.Config | None = field(default=None, repr=False)

    @property
    def config(self) -> config_mod.Config:
        if self._config is None:
            self._config = config_mod.load()
        return self._config

    def db_target(self) -> str:
        target = self.db_option or os.environ.get("CRM_DB") or self.config.get("database")
        return str(target) if target else str(config_mod.default_db_path())


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj


def today(ctx: typer.Context, as_of: str | None) -> date:
    """The day a command reckons from: --as-of, else today in the configured time zone."""
    real_today = now_in(state(ctx).config.timezone).date()
    if as_of is None:
        return real_today
    return parse_date(as_of, real_today, what="--as-of date")


def moment(ctx: typer.Context, text: str | None, as_of: str | None, what: str) -> datetime:
    """A date-time option (like --at): defaults to now, or to the --as-of day."""
    cfg = state(ctx).config
    now = now_in(cfg.timezone)
    day = today(ctx, as_of)
    if text is None:
        return datetime.combine(day, now.time()) if as_of else now
    value, _ = parse_datetime(text, day, what=what)
    return value


def fmt(value: str, allowed: tuple[str, ...] | None = None) -> str:
    return check_format(value, allowed) if allowed else check_format(value)


def keep_current(database: Database, config: config_mod.Config) -> None:
    """Every session of this database keeps the derived due days current."""
    from functools import partial

    from crmcli.services.cadence import keep_due_current

    database.on_session.append(partial(keep_due_current, config=config))


def open_db(ctx: typer.Context, *, write: bool, create: bool = False) -> Database:
    """Open the database, up to date. Only commands that add top-level records (init,
    customer add, campaign add, import) create a missing one; the rest say to run init."""
    from crmcli.db import Database, make_engine, open_database
    from crmcli.services.cadence import ensure_policy_current, policy_is_current

    st = state(ctx)
    target = st.db_target()
    if (
        not st.db_option
        and not os.environ.get("CRM_DB")
        and not st.config.get("database")
        and create
    ):
        config_mod.make_private_dir(config_mod.default_db_path().parent)
    database = open_database(target, write=write, create=create)
    keep_current(database, st.config)
    if not write and gc.isenabled():
        # A reading command builds its answer from rows, tuples and strings: nothing the
        # cycle collector can free, yet it would walk the growing lists again and again
        # (a third of a 100,000-line digest). Reference counting frees the rest; the
        # collector is back when the command ends.
        gc.disable()
        ctx.call_on_close(gc.enable)
    with database.reading() as connection:
        current = policy_is_current(connection, st.config)
    if not current:
        # Recompute in a write transaction of its own (BEGIN IMMEDIATE), which re-checks:
        # a read transaction cannot safely turn into a write while others write.
        writer = database if write else Database(database.target, make_engine(target, write=True))
        with writer.session() as session:
            ensure_policy_current(session, st.config)
    return database


def known_owner(connection: Any, owner: str | None) -> None:
    """Refuse an ``--owner`` who owns nothing (a typo in a crontab): exit 3."""
    if owner:
        from crmcli.services.customer_list import check_owner

        check_owner(connection, owner)


def actor(ctx: typer.Context, as_of: str | None = None) -> Actor:
    from crmcli.services.context import Actor

    st = state(ctx)
    cfg = st.config
    day = today(ctx, as_of)
    now = now_in(cfg.timezone)
    return Actor(
        user=cfg.acting_user(),
        command=ctx.command_path.removeprefix(ctx.find_root().info_name or "crm").strip() or "crm",
        config=cfg,
        today=day,
        now=datetime.combine(day, now.time()) if as_of else now,
    )


YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Say what would happen; write nothing.")]


def confirm(action: str, yes: bool) -> None:
    """A destructive command goes on only when confirmed: asked on a terminal, ``--yes``
    in scripts (SPEC §3). Refused otherwise, before anything is written."""
    import sys

    from crmcli.errors import EXIT_USAGE, InvalidInput
    from crmcli.i18n import _

    if yes:
        return
    if not sys.stdin.isatty():
        raise InvalidInput(
            _("{action}: pass --yes to confirm (no terminal to ask on)").format(action=action)
        )
    if not typer.confirm(f"{action}?", err=True):
        raise typer.Exit(EXIT_USAGE)
