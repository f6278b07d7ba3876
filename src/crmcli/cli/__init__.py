"""The ``crm`` command: a small root that registers one module per noun.

Nothing heavy is imported here: each command imports the database layer inside its
function, so ``crm --help`` and argument errors cost no SQLAlchemy start-up.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from crmcli import __version__
from crmcli.errors import EXIT_STORAGE, CrmError


class CrmGroup(TyperGroup):
    """Turns every CrmError (and storage failure) into one line on stderr and its exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CrmError as exc:
            _fail(ctx, exc.message, exc.exit_code)
        except Exception as exc:
            storage = _storage_problem(exc)
            if storage is None:
                raise
            _fail(ctx, storage, EXIT_STORAGE)


def _storage_problem(exc: BaseException) -> str | None:
    import sqlite3

    module = type(exc).__module__
    if isinstance(exc, sqlite3.Error) or module.startswith("sqlalchemy"):
        orig = getattr(exc, "orig", None) or exc
        text = str(orig).splitlines()[0] if str(orig) else type(orig).__name__
        if "locked" in text or "busy" in text:
            return f"database is busy (locked past the timeout): {text}"
        return f"storage error: {text}"
    return None


def _fail(ctx: Any, message: str, code: int) -> None:
    sys.stderr.write(f"crm: {message}\n")
    ctx.exit(code)


app = typer.Typer(
    cls=CrmGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="crmcli — customers, follow-ups and the duties your sales policy sets.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crm {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database file (or URL); else $CRM_DB, config, XDG data dir.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    from crmcli.cli.common import State

    ctx.obj = State(db_option=db)


def _register() -> None:
    from crmcli.cli import (
        campaigns,
        classify,
        config_cmd,
        contacts,
        customers,
        db_cmd,
        demo,
        exports,
        followups,
        greetings,
        imports,
        overdue,
        plans,
        remind,
        reports,
        sales,
        tiers,
    )

    modules = (customers, contacts, followups, plans, overdue, tiers, sales, classify, reports)
    duties = (remind, greetings, campaigns)
    files = (imports, exports)
    for module in (*modules, *duties, *files, config_cmd, db_cmd, demo):
        module.register(app)


_register()


def main() -> None:
    app()
