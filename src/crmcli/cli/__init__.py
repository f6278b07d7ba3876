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

# Every top-level command: the module that defines it, and its one-line help. Modules are
# imported only when their command runs, so `crm --help` and `crm overdue` do not pay for
# building every other command (Typer inspects each parameter when it builds one).
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("db_cmd", "Create the config file and the database (safe to repeat)."),
    "customer": ("customers", "Customer records 客户档案."),
    "contact": ("contacts", "Contact people 联系人 at customers."),
    "log": ("followups", "Record a call, visit or meeting; --next plans the next step."),
    "plan": ("plans", "Follow-up plans 跟进计划."),
    "overdue": ("overdue", "Who must be contacted, most days late first."),
    "tier": ("tiers", "Service tier 客户分类 (core/key/general/potential)."),
    "stage": ("tiers", "Lifecycle stage 客户状态."),
    "sale": ("sales", "Sales 购买记录 (orders and refunds)."),
    "project": ("projects", "Projects 合作项目: stages, approval, documents."),
    "complaint": ("complaints", "Complaints 客户投诉, with their SLA clocks."),
    "survey": ("surveys", "Satisfaction surveys 满意度调查: record them, and who is due."),
    "reclassify": ("classify", "Recompute grade, value and tier from sales."),
    "report": ("reports", "Reports for management."),
    "greet": ("greetings", "Greetings 问候: who to greet, marking them sent, misses, fines."),
    "campaign": ("campaigns", "Campaigns and thank-you events 营销活动/答谢会."),
    "remind": ("remind", "The day's duties for cron; quiet on a clear day."),
    "import": ("imports", "Import CSV files; list and undo import batches."),
    "export": ("exports", "Export records as csv, json, jsonl, xlsx, vCard or iCalendar."),
    "config": ("config_cmd", "Policy settings (TOML)."),
    "db": ("db_cmd", "The database: check, backup, restore, migrate, copy, grant (team mode)."),
    "demo": ("demo", "Load examples/ into a fresh database and show its overdue list."),
}


_LOADED: dict[str, Any] = {}


class CrmGroup(TyperGroup):
    """The root: loads commands on demand, and turns every CrmError (and storage
    failure) into one line on stderr and its exit code."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """For help listings: a light stand-in that only knows its help line."""
        if cmd_name not in COMMANDS:
            return None
        from typer.core import TyperCommand

        from crmcli.i18n import _

        return TyperCommand(cmd_name, help=_(COMMANDS[cmd_name][1]), callback=None)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0]
        command = load_command(name)
        if command is not None:
            from crmcli.cli.params import speed_up

            speed_up(command, ctx)
            from crmcli.cli.helptexts import translate

            translate(command, ctx)
        if command is None and not ctx.resilient_parsing:
            from difflib import get_close_matches

            close = get_close_matches(name, list(COMMANDS))
            hint = f" Did you mean {close[0]!r}?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return name, command, args[1:]

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from crmcli.cli.params import speed_up

        speed_up(self, ctx)  # the root's own options (--db) too
        from crmcli.cli.helptexts import translate
        from crmcli.i18n import reset

        reset()  # each run chooses its language afresh (tests run many in one process)
        translate(self, ctx)
        return super().parse_args(ctx, args)

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


def load_command(name: str) -> Any:
    """Import the module of a command and build its click command (once per process)."""
    if name not in COMMANDS:
        return None
    if name not in _LOADED:
        from importlib import import_module

        module = import_module(f"crmcli.cli.{COMMANDS[name][0]}")
        holder = typer.Typer()
        module.register(holder)
        group = typer.main.get_group(holder)
        for registered, command in group.commands.items():
            _LOADED[registered] = command
    return _LOADED[name]


def _storage_problem(exc: BaseException) -> str | None:
    import sqlite3

    module = type(exc).__module__
    if isinstance(exc, sqlite3.Error) or module.startswith(("sqlalchemy", "psycopg")):
        orig = getattr(exc, "orig", None) or exc
        text = str(orig).splitlines()[0] if str(orig) else type(orig).__name__
        if "locked" in text or "busy" in text:
            return f"database is busy (locked past the timeout): {text}"
        if "row-level security" in text:
            # Team mode: a sales role writing a customer it does not own (crm db grant).
            return (
                "permission denied: a sales role may write only the customers it owns "
                f"(row-level security): {text}"
            )
        if "permission denied" in text:
            return f"permission denied: {text}"
        return f"storage error: {text}"
    return None


def _fail(ctx: Any, message: str, code: int) -> None:
    sys.stderr.write(f"crm: {message}\n")
    ctx.exit(code)


app = typer.Typer(
    cls=CrmGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
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


def main() -> None:
    app()
