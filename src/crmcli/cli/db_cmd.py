"""crm init and crm db check|backup|restore|migrate|copy|grant: parse, call, render."""

from __future__ import annotations

import copy
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from crmcli.cli.common import FormatOpt, fmt, open_db, state
from crmcli.errors import InvalidInput, StorageError
from crmcli.i18n import _
from crmcli.output import Col, message, render

app = typer.Typer(
    help="The database: check, backup, restore, migrate, copy, grant.", no_args_is_help=True
)


def init(ctx: typer.Context) -> None:
    """Create the config file and the database if they do not exist (safe to repeat)."""
    st = state(ctx)
    cfg = st.config
    if cfg.path.exists():
        message(_("config: {path} (exists)").format(path=cfg.path))
    else:
        # Every policy default, written out to be read and changed; but not ``lang``: set
        # in the file it would outrank $CRM_LANG and the locale, and pin English.
        cfg.user_tree = {k: v for k, v in copy.deepcopy(cfg.tree).items() if k != "lang"}
        cfg.save()
        message(_("config: {path} (created with the policy defaults)").format(path=cfg.path))
    database = open_db(ctx, write=True, create=True)
    from crmcli.db import HEAD, shown

    said = (
        _("database: {target} (created, schema {HEAD})")
        if database.created
        else _("database: {target} (exists, schema {HEAD})")
    )
    message(said.format(target=shown(database.target), HEAD=HEAD))


def _sqlite_path(ctx: typer.Context, what: str) -> Path:
    from crmcli.services.storage import sqlite_path

    return sqlite_path(state(ctx).db_target(), what)


@app.command("backup")
def backup(
    ctx: typer.Context,
    dest: Annotated[
        Path | None, typer.Argument(help="Backup file (default: beside the db).")
    ] = None,
) -> None:
    """A consistent copy while others keep writing (SQLite online backup), mode 0600."""
    from crmcli.services import storage

    path = _sqlite_path(ctx, "backup")
    open_db(ctx, write=False)
    if dest is None:
        dest = path.with_name(f"{path.name}.{datetime.now():%Y%m%d-%H%M%S}.bak")
    storage.backup(path, dest)
    typer.echo(str(dest))


CHECK_COLUMNS = (Col("table", "Table"), Col("rows", "Rows", "right"))


@app.command("check")
def check(ctx: typer.Context, format: FormatOpt = "table") -> None:
    """Integrity, foreign keys and schema version; exit 4 when anything is wrong.
    On a server: the schema version and the rows of every table."""
    from crmcli.db import is_sqlite
    from crmcli.services import storage

    output = fmt(format)
    target = state(ctx).db_target()
    if not is_sqlite(target):
        report = storage.check_server(target)
        if report.problems:
            raise StorageError(
                _("{path}: {problems}").format(
                    path=report.shown, problems="; ".join(report.problems)
                )
            )
        rows = [{"table": name, "rows": count} for name, count in report.counts]
        render(rows, CHECK_COLUMNS, output)
        message(
            _("{shown}: ok{value}").format(
                shown=report.shown, value=f" ({report.note})" if report.note else ""
            )
        )
        return
    path = _sqlite_path(ctx, "check")
    if not path.exists():
        raise StorageError(_("no database at {path}").format(path=path))
    problems = storage.check_file(path)
    if problems:
        raise StorageError(_("{path}: {problems}").format(path=path, problems="; ".join(problems)))
    message(_("{path}: ok").format(path=path))


@app.command("restore")
def restore(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="A backup made by crm db backup.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only.")] = False,
) -> None:
    """Replace the database with a backup, after checking the backup is sound."""
    from crmcli.services import storage

    path = _sqlite_path(ctx, "restore")
    problems = storage.restore_problems(source, path)
    if problems:
        raise InvalidInput(
            _("refusing to restore {source}: {problems}").format(
                source=source, problems="; ".join(problems)
            )
        )
    if dry_run:
        message(_("{source} is sound; it would replace {path}").format(source=source, path=path))
        return
    if not yes:
        if not sys.stdin.isatty():
            raise InvalidInput(_("restore replaces the database; pass --yes to confirm"))
        typer.confirm(f"Replace {path} with {source}?", abort=True)
    kept = storage.restore(path, source)
    message(_("restored {path} from {source}").format(path=path, source=source))
    if kept is not None:
        message(_("the database it replaced is kept in {kept}").format(kept=kept))


COPY_COLUMNS = (Col("table", "Table"), Col("rows", "Rows", "right"), Col("checksum", "sha256"))


def _copy_progress() -> tuple[Any, Any]:
    """A bar per table on stderr when it is a terminal; (callback, stop) else (None, None)."""
    if not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def update(table: str, done: int, total: int) -> None:
        if table not in tasks:
            tasks[table] = progress.add_task(f"copying {table}", total=total)
        progress.update(tasks[table], completed=done)

    progress.start()
    return update, progress.stop


@app.command("copy")
def copy_(
    ctx: typer.Context,
    to: Annotated[
        str | None,
        typer.Option(
            "--to", help="Copy this database into TARGET: a new file or an empty server db."
        ),
    ] = None,
    from_: Annotated[
        str | None,
        typer.Option("--from", help="Copy SOURCE into this database, which must be new or empty."),
    ] = None,
    format: FormatOpt = "table",
) -> None:
    """Copy every table and the schema version between SQLite and PostgreSQL, then
    compare row counts and checksums; exit 4 (nothing written) when they differ."""
    from crmcli.services import storage

    output = fmt(format)
    if (to is None) == (from_ is None):
        raise InvalidInput(_("db copy needs --to TARGET or --from SOURCE (one of them)"))
    other = (to if to is not None else from_) or ""
    if not other.strip():
        raise InvalidInput(_("db copy needs a database file or URL after --to/--from"))
    here = state(ctx).db_target()
    source, target = (here, other) if to is not None else (other, here)
    update, stop = _copy_progress()
    try:
        result = storage.copy_database(source, target, progress=update)
    finally:
        if stop is not None:
            stop()
    rows = [{"table": t.name, "rows": t.rows, "checksum": t.checksum} for t in result.tables]
    render(rows, COPY_COLUMNS, output)
    message(
        _(
            "copied {n} tables ({rows:,} rows, schema {revision}) from {source} to {target}; row counts and checksums match"
        ).format(
            n=len(result.tables),
            rows=result.rows,
            revision=result.revision,
            source=result.source,
            target=result.target,
        )
    )


@app.command("grant")
def grant(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="The salesperson's or manager's user name.")],
    role: Annotated[
        str | None, typer.Option("--role", help="sales (own customers) or manager (all).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the login password from stdin.")
    ] = False,
) -> None:
    """PostgreSQL: a login for USER that sees its own customers (sales) or all (manager)."""
    from crmcli.db import is_sqlite, shown
    from crmcli.services import access

    name = access.check_user_name(user)
    chosen = access.parse_role(role)
    target = state(ctx).db_target()
    if is_sqlite(target):
        raise InvalidInput(
            _(
                "db grant needs a PostgreSQL database (team mode); {target} is an SQLite file"
            ).format(target=target)
        )
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidInput(_("--password-stdin read no password"))
    database = open_db(ctx, write=True)
    done = access.grant(database, name, chosen, password=password)
    sees = _("the customers it owns") if chosen == "sales" else _("every customer")
    moved = _(", no longer {role}").format(role=done.before) if done.before else ""
    with_pw = _(", password set") if done.password else ""
    said = (
        _("{user}: login role created, member of {group}{moved}{with_pw}; sees {sees} in {target}")
        if done.created
        else _(
            "{user}: login role updated, member of {group}{moved}{with_pw}; sees {sees} in {target}"
        )
    )
    message(
        said.format(
            user=done.user,
            group=done.group,
            moved=moved,
            with_pw=with_pw,
            sees=sees,
            target=shown(database.target),
        )
    )


@app.command("migrate")
def migrate(ctx: typer.Context) -> None:
    """Bring the schema up to date (opening any command does this too)."""
    from crmcli.db import HEAD

    database = open_db(ctx, write=True, create=True)
    message(_("{target}: schema {HEAD}").format(target=database.target, HEAD=HEAD))


def register(root: typer.Typer) -> None:
    root.command("init")(init)
    root.add_typer(app, name="db")
