"""crm demo: a fresh database from examples/, then that day's overdue list."""

from __future__ import annotations

import shlex
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from crmcli.cli.common import actor, keep_current, state
from crmcli.errors import InvalidInput
from crmcli.i18n import _, ngettext
from crmcli.output import message


def demo(
    ctx: typer.Context,
    examples: Annotated[
        Path | None, typer.Option("--examples", help="Folder of example CSVs.")
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Keep the demo database in this new file, to try further commands on it "
            "(default: a temporary one, removed at the end).",
        ),
    ] = None,
    format: Annotated[str, typer.Option("--format", "-f")] = "table",
) -> None:
    """Load examples/ into a fresh database, show its overdue list and the commands to try next."""
    from crmcli.services.demo import find_examples

    folder = find_examples(examples)
    target = db or state(ctx).db_option
    if target is not None:
        _demo(ctx, folder, Path(target), format, kept=True)
        return
    with tempfile.TemporaryDirectory(prefix="crmcli-demo-") as scratch:
        _demo(ctx, folder, Path(scratch) / "demo.db", format, kept=False)


def _demo(ctx: typer.Context, folder: Path, target: Path, format: str, *, kept: bool) -> None:
    from crmcli.db import open_database
    from crmcli.services.cadence import ensure_policy_current, overdue_customers
    from crmcli.services.demo import demo_as_of, load_examples

    if target.exists():
        raise InvalidInput(
            _("{path} exists; the demo needs a fresh database path").format(path=target)
        )
    as_of = demo_as_of(folder)
    who = replace(actor(ctx), today=as_of, user="demo")
    database = open_database(str(target), write=True)
    keep_current(database, who.config)
    try:
        with database.session() as session:
            ensure_policy_current(session, who.config)
            counts = load_examples(session, who, folder)
        with database.reading() as connection:
            late = overdue_customers(connection, who.config, as_of, limit=1)
    except BaseException:
        database.engine.dispose()
        for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
        raise
    message(
        _("loaded {customers}, {contacts}, {followups}, {plans} from {folder}").format(
            customers=ngettext("{n} customer", "{n} customers", counts["customers"]).format(
                n=counts["customers"]
            ),
            contacts=ngettext("{n} contact", "{n} contacts", counts["contacts"]).format(
                n=counts["contacts"]
            ),
            followups=ngettext("{n} follow-up", "{n} follow-ups", counts["followups"]).format(
                n=counts["followups"]
            ),
            plans=ngettext("{n} plan", "{n} plans", counts["plans"]).format(n=counts["plans"]),
            folder=folder,
        )
    )
    message(_("overdue as of {day}:").format(day=as_of))
    from crmcli.cli.overdue import overdue

    state(ctx).db_option = str(target)
    try:
        ctx.invoke(
            overdue,
            ctx=ctx,
            as_of=as_of.isoformat(),
            owner=None,
            tier=None,
            limit=None,
            exit_code=False,
            format=format,
        )
    finally:
        database.engine.dispose()
    kept_at = shlex.quote(str(target)) if kept else "crm-demo.db"
    day = as_of.isoformat()
    commands = [f"crm --db {kept_at} remind --as-of {day}"]
    if late:  # the most overdue customer's timeline
        commands.append(f"crm --db {kept_at} customer show {late[0].code} --as-of {day}")
    commands += [
        f"crm --db {kept_at} customer list --tier core",
        f"crm --db {kept_at} report all --to {day}",
    ]
    if kept:
        message(_("demo database: {path}; try next:").format(path=target))
    else:
        commands.insert(0, "crm demo --db crm-demo.db")
        message(_("the demo database was temporary and is removed; to keep one and try more:"))
    for command in commands:
        message("  " + command)


def register(root: typer.Typer) -> None:
    root.command("demo")(demo)
