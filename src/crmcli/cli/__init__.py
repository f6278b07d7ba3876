"""The ``crm`` command: a small root that registers one module per noun.

Nothing heavy is imported here: each command imports the database layer inside its
function, so ``crm --help`` and argument errors cost no SQLAlchemy start-up.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from crmcli import __version__
from crmcli.cli.helptexts import HelpContext, speak_for_typer
from crmcli.errors import EXIT_INTERNAL, EXIT_STORAGE, EXIT_USAGE, CrmError
from crmcli.i18n import _

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

    context_class = HelpContext

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """For help listings: a light stand-in that only knows its help line."""
        if cmd_name not in COMMANDS:
            return None
        from typer.core import TyperCommand

        from crmcli.i18n import _

        line = _(COMMANDS[cmd_name][1])
        return TyperCommand(cmd_name, help=line, short_help=line, callback=None)

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
            said = _("No such command {name!r}.").format(name=name)
            if close:
                said += _(" Did you mean {name!r}?").format(name=close[0])
            ctx.fail(said)
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
            _debug(exc)
            _fail(ctx, exc.message, exc.exit_code)
        except Exception as exc:
            storage = _storage_problem(exc)
            if storage is None:
                raise
            _debug(exc)
            _fail(ctx, *storage)

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Every way a command can end, as one line ``crm: …`` and an exit code of SPEC §3:
        Click's own usage errors too (which it would print as four lines), arguments that
        are not text, and any error nobody foresaw (exit 70; ``CRM_DEBUG=1`` adds the
        traceback)."""
        from typer import exceptions as typer_errors
        from typer._click import exceptions as click_errors

        argv = list(sys.argv[1:] if args is None else args)
        speak_for_typer()
        try:
            _check_arguments(argv)
            returned = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
            code = returned if type(returned) is int else 0
        except click_errors.NoArgsIsHelpError as exc:
            exc.show()
            code = exc.exit_code
        except click_errors.UsageError as exc:
            _debug(exc)
            code = _say(_usage_line(exc), EXIT_USAGE)
        except click_errors.ClickException as exc:
            _debug(exc)
            code = _say(" ".join(exc.format_message().split()), exc.exit_code)
        except typer_errors.Abort:
            code = _say(_("aborted"), 1)
        except CrmError as exc:
            _debug(exc)
            code = _say(exc.message, exc.exit_code)
        except Exception as exc:
            _debug(exc)
            storage = _storage_problem(exc)
            if storage is not None:
                code = _say(*storage)
            else:
                what = " ".join(str(exc).split())
                code = _say(
                    _("internal error: {name__}{value} (a bug; CRM_DEBUG=1 shows where)").format(
                        name__=type(exc).__name__, value=f": {what}" if what else ""
                    ),
                    EXIT_INTERNAL,
                )
        if not standalone_mode:
            return code
        sys.exit(code)


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
        from crmcli.cli.helptexts import plain_help

        for registered, command in group.commands.items():
            _LOADED[registered] = plain_help(command)
    return _LOADED[name]


def _storage_problem(exc: BaseException) -> tuple[str, int] | None:
    """A failure of the database driver as one line and its exit code; None for others.

    A number or text the engine cannot store (past 64 bits, a NUL in PostgreSQL text)
    is bad input the entry checks missed: exit 2, and the transaction rolled back."""
    import sqlite3

    module = type(exc).__module__
    orig = getattr(exc, "orig", None) or exc
    if isinstance(orig, OverflowError):
        return _("a number is too large to store: {reason}").format(reason=orig), EXIT_USAGE
    if isinstance(exc, sqlite3.Error) or module.startswith(("sqlalchemy", "psycopg")):
        text = str(orig).splitlines()[0] if str(orig) else type(orig).__name__
        if "locked" in text or "busy" in text:
            busy = _("database is busy (locked past the timeout): {reason}")
            return busy.format(reason=text), EXIT_STORAGE
        if "NUL (0x00)" in text or "out of range" in text:
            return _("cannot store that value: {reason}").format(reason=text), EXIT_USAGE
        if "row-level security" in text:
            # Team mode: a sales role writing a customer it does not own (crm db grant).
            return (
                _(
                    "permission denied: a sales role may write only the customers it owns "
                    "(row-level security): {reason}"
                ).format(reason=text),
                EXIT_STORAGE,
            )
        if "permission denied" in text:
            return _("permission denied: {reason}").format(reason=text), EXIT_STORAGE
        return _("storage error: {reason}").format(reason=text), EXIT_STORAGE
    return None


def _fail(ctx: Any, message: str, code: int) -> None:
    sys.stderr.write(f"crm: {_one_line(message)}\n")
    ctx.exit(code)


def _say(message: str, code: int) -> int:
    sys.stderr.write(f"crm: {_one_line(message)}\n")
    return code


def _one_line(message: str) -> str:
    """The reason as one printable line: a control character, line separator, direction
    mark or undecodable byte that came with what the user typed (a name, a path) is shown
    escaped (``\\x1e``, ``\\u202e``), so that it cannot break the line, reorder it on
    the terminal, or fail to encode."""
    if message.isprintable():
        return message
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in message
    )


def _debug(exc: BaseException) -> None:
    """With ``CRM_DEBUG=1`` (and only then) the traceback goes to stderr before the line."""
    if os.environ.get("CRM_DEBUG", "") not in ("", "0"):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)


def _usage_text(exc: Any) -> str:
    """The usage errors people meet most, worded through the catalogue (click writes
    its own in English): a missing option or argument, an unknown option, a bad value,
    an argument too many."""
    from typer._click import exceptions as click_errors

    hint = None
    if isinstance(exc, click_errors.BadParameter):
        hint = exc.param_hint or (exc.param.get_error_hint() if exc.param else None)
        if hint is not None and not isinstance(hint, str):
            hint = " / ".join(repr(x) for x in hint)
    if isinstance(exc, click_errors.MissingParameter) and hint and not exc.message:
        kind = exc.param_type or (exc.param.param_type_name if exc.param else "")
        if kind == "option":
            return _("Missing option {name}.").format(name=hint)
        if kind == "argument":
            return _("Missing argument {name}.").format(name=hint)
    elif isinstance(exc, click_errors.BadParameter) and hint:
        return _("Invalid value for {name}: {reason}").format(name=hint, reason=exc.message)
    elif isinstance(exc, click_errors.NoSuchOption) and exc.message.startswith("No such option"):
        text = _("No such option: {name}").format(name=exc.option_name)
        if exc.possibilities:
            text += _(" (Possible options: {names})").format(
                names=", ".join(sorted(exc.possibilities))
            )
        return text
    extra = "Got unexpected extra argument(s) ("
    if type(exc) is click_errors.UsageError and exc.message.startswith(extra):
        return _("Got unexpected extra argument(s) ({args})").format(
            args=exc.message[len(extra) :].removesuffix(")")
        )
    # Typer adds its suggestions to click's (translated) "No such command" in English.
    suggested = ". Did you mean "
    if type(exc) is click_errors.UsageError and suggested in exc.message:
        said, _sep, names = exc.message.rpartition(suggested)
        if not said.endswith("。"):
            said += "."
        return said + _(" Did you mean {names}?").format(names=names.removesuffix("?"))
    return exc.format_message()


def _usage_line(exc: Any) -> str:
    """Click's usage error as one line, naming the help to read."""
    text = " ".join(_usage_text(exc).split())
    ctx = exc.ctx
    if ctx is not None and ctx.command.get_help_option(ctx) is not None:
        path = ctx.command_path.split()[1:]  # the program is `crm`, however it was run
        text += _(" (see {command} --help)").format(command=" ".join(["crm", *path]))
    return text


def _check_arguments(argv: list[str]) -> None:
    """Refuse (exit 2) an argument that is not text: bytes that are not UTF-8 (which
    Python keeps as lone surrogates, unstorable and unprintable) or a NUL."""
    for position, arg in enumerate(argv, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raw = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise CrmError(
                _(
                    "argument {position} ('{raw}') is not valid UTF-8 text; type it in UTF-8 (check the terminal's encoding)"
                ).format(position=position, raw=raw)
            ) from None
        if "\x00" in arg:
            raise CrmError(
                _("argument {position} contains a NUL character").format(position=position)
            )
    user = os.environ.get("CRM_USER", "")
    try:
        user.encode("utf-8")
    except UnicodeEncodeError:
        raise CrmError(_("CRM_USER is not valid UTF-8 text")) from None


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
