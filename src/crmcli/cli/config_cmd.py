"""crm config show|get|set|path."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from crmcli import config as config_mod
from crmcli.cli.common import fmt, state
from crmcli.i18n import _
from crmcli.output import message, print_json

app = typer.Typer(help="Policy settings (TOML).", no_args_is_help=True)
Key = Annotated[str, typer.Argument(help="Dotted key, e.g. cadence.core.days.")]


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@app.command("show")
def show(
    ctx: typer.Context,
    format: Annotated[str, typer.Option("--format", "-f", help="toml or json.")] = "toml",
) -> None:
    """The effective settings: defaults overlaid with your config file."""
    output = fmt(format, ("toml", "json"))
    tree = state(ctx).config.tree
    if output == "json":
        print_json(tree)
        return
    import tomli_w

    typer.echo(tomli_w.dumps(tree), nl=False)


@app.command("get")
def get(ctx: typer.Context, key: Key) -> None:
    """Print one setting (lists comma-separated)."""
    typer.echo(_plain(state(ctx).config.get(key)))


@app.command("set", context_settings={"ignore_unknown_options": True})
def set_(
    ctx: typer.Context,
    key: Key,
    value: Annotated[str, typer.Argument(help="New value; lists comma-separated.")],
) -> None:
    """Change one setting, checked against its type and meaning."""
    cfg = state(ctx).config
    parsed = config_mod.parse_value(key, value)
    old = cfg.get(key)
    cfg.set(key, parsed)
    cfg.save()
    message(
        _("{key}: {old} → {parsed} (in {path})").format(
            key=key, old=_plain(old), parsed=_plain(parsed), path=cfg.path
        )
    )


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Where the config file is (it may not exist yet) and which database is used."""
    st = state(ctx)
    typer.echo(str(st.config.path))
    message(_("database: {db_target}").format(db_target=st.db_target()))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="config")
