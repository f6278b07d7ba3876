"""crm init, crm db backup|restore|check|migrate."""

from __future__ import annotations

import copy
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from crmcli.cli.common import open_db, state
from crmcli.errors import InvalidInput, StorageError
from crmcli.output import message

app = typer.Typer(help="The database file: backup, restore, check, migrate.", no_args_is_help=True)


def init(ctx: typer.Context) -> None:
    """Create the config file and the database if they do not exist (safe to repeat)."""
    st = state(ctx)
    cfg = st.config
    if cfg.path.exists():
        message(f"config: {cfg.path} (exists)")
    else:
        cfg.user_tree = copy.deepcopy(cfg.tree)
        cfg.save()
        message(f"config: {cfg.path} (created with the policy defaults)")
    target = st.db_target()
    existed = Path(target).exists()
    database = open_db(ctx, write=True, create=True)
    from crmcli.db import HEAD

    message(f"database: {database.target} ({'exists' if existed else 'created'}, schema {HEAD})")


def _sqlite_path(ctx: typer.Context) -> Path:
    from crmcli.db import is_url

    target = state(ctx).db_target()
    if is_url(target):
        raise InvalidInput("backup and restore work on SQLite files; use your server's tools")
    return Path(target).expanduser()


@app.command("backup")
def backup(
    ctx: typer.Context,
    dest: Annotated[
        Path | None, typer.Argument(help="Backup file (default: beside the db).")
    ] = None,
) -> None:
    """A consistent copy while others keep writing (SQLite online backup), mode 0600."""
    from crmcli.db import backup_file

    path = _sqlite_path(ctx)
    open_db(ctx, write=False)
    if dest is None:
        dest = path.with_name(f"{path.name}.{datetime.now():%Y%m%d-%H%M%S}.bak")
    if dest.exists():
        raise InvalidInput(f"{dest} already exists; choose another name")
    if not dest.parent.is_dir():
        raise StorageError(f"directory {dest.parent} does not exist")
    backup_file(path, dest)
    typer.echo(str(dest))


def _check_file(path: Path) -> list[str]:
    import sqlite3

    from crmcli.db import REVISIONS, SQLITE_MAGIC

    with path.open("rb") as fh:
        if fh.read(16) != SQLITE_MAGIC:
            return [f"{path} is not an SQLite file"]
    problems: list[str] = []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if rows != ["ok"]:
            problems.extend(rows[:10])
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            problems.append(f"{len(fk)} rows point at missing rows (first: table {fk[0][0]})")
        try:
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            revision = None
        if revision is None:
            problems.append("no crmcli schema version")
        elif revision[0] not in REVISIONS:
            problems.append(f"schema {revision[0]} is newer than this crmcli knows")
    except sqlite3.DatabaseError as exc:
        problems.append(str(exc))
    finally:
        conn.close()
    return problems


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Integrity, foreign keys and schema version; exit 4 when anything is wrong."""
    path = _sqlite_path(ctx)
    if not path.exists():
        raise StorageError(f"no database at {path}")
    problems = _check_file(path)
    if problems:
        raise StorageError(f"{path}: " + "; ".join(problems))
    message(f"{path}: ok")


@app.command("restore")
def restore(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="A backup made by crm db backup.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only.")] = False,
) -> None:
    """Replace the database with a backup, after checking the backup is sound."""
    from crmcli.db import backup_file

    path = _sqlite_path(ctx)
    if not source.is_file():
        raise InvalidInput(f"no backup file {source}")
    problems = _check_file(source)
    if problems:
        raise InvalidInput(f"refusing to restore {source}: " + "; ".join(problems))
    if dry_run:
        message(f"{source} is sound; it would replace {path}")
        return
    if not yes:
        if not sys.stdin.isatty():
            raise InvalidInput("restore replaces the database; pass --yes to confirm")
        typer.confirm(f"Replace {path} with {source}?", abort=True)
    if not path.parent.is_dir():
        raise StorageError(f"directory {path.parent} does not exist")
    backup_file(source, path, standalone=False)
    message(f"restored {path} from {source}")


@app.command("migrate")
def migrate(ctx: typer.Context) -> None:
    """Bring the schema up to date (opening any command does this too)."""
    from crmcli.db import HEAD

    database = open_db(ctx, write=True, create=True)
    message(f"{database.target}: schema {HEAD}")


def register(root: typer.Typer) -> None:
    root.command("init")(init)
    root.add_typer(app, name="db")
