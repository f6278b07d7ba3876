"""crm demo: a fresh database from examples/, then that day's overdue list."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from crmcli.cli.common import actor, keep_current, state
from crmcli.errors import InvalidInput
from crmcli.output import message


def demo(
    ctx: typer.Context,
    examples: Annotated[
        Path | None, typer.Option("--examples", help="Folder of example CSVs.")
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db", help="Where to create the demo database (default: a new temporary file)."
        ),
    ] = None,
    format: Annotated[str, typer.Option("--format", "-f")] = "table",
) -> None:
    """Load examples/ into a fresh database, print its path, and show the overdue list."""
    from crmcli.db import open_database
    from crmcli.services.demo import demo_as_of, find_examples, load_examples

    folder = find_examples(examples)
    target = db or state(ctx).db_option
    if target is None:
        target = Path(tempfile.mkdtemp(prefix="crmcli-demo-")) / "demo.db"
    target = Path(target)
    if target.exists():
        raise InvalidInput(f"{target} exists; the demo needs a fresh database path")
    as_of = demo_as_of(folder)
    who = replace(actor(ctx), today=as_of, user="demo")
    database = open_database(str(target), write=True)
    keep_current(database, who.config)
    from crmcli.services.cadence import ensure_policy_current

    try:
        with database.session() as session:
            ensure_policy_current(session, who.config)
            counts = load_examples(session, who, folder)
    except BaseException:
        database.engine.dispose()
        for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
        raise
    message(f"demo database: {target}")
    message(
        f"loaded {counts['customers']} customers, {counts['contacts']} contacts, "
        f"{counts['followups']} follow-ups, {counts['plans']} plans from {folder}"
    )
    message(f"overdue as of {as_of} (try: crm --db {target} customer list):")
    from crmcli.cli.overdue import overdue

    state(ctx).db_option = str(target)
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


def register(root: typer.Typer) -> None:
    root.command("demo")(demo)
