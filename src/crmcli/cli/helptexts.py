"""The ``--help`` texts of every command, in the interface language.

Typer takes a command's help from its docstring and each option's from ``help=``, when the
command is built; they are looked up in the catalogue only when the language is not
English, on the command being run. ``extract`` gives Babel the same texts for the
catalogue (babel.cfg), read from the commands themselves so that none is missed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crmcli.i18n import _, language


def _original(obj: Any, attr: str) -> str | None:
    """The English text of a help attribute, kept the first time it is translated (a
    process that runs commands in both languages, as the tests do, starts from it)."""
    kept = obj.__dict__.setdefault("_crm_help", {})
    if attr not in kept:
        kept[attr] = getattr(obj, attr, None)
    return kept[attr]


def _english(obj: Any, attr: str) -> str | None:
    return obj.__dict__.get("_crm_help", {}).get(attr, getattr(obj, attr, None))


def translate(command: Any, ctx: Any) -> Any:
    """Put the command's help texts (and its subcommands') in the interface language."""
    if language() == "en" and "_crm_help" not in command.__dict__:
        return command  # never translated: already English
    for attr in ("help", "short_help", "epilog"):
        text = _original(command, attr)
        if text:
            setattr(command, attr, _(text))
    for param in (*command.params, command.get_help_option(ctx)):
        if param is not None:
            text = _original(param, "help")
            if text:
                param.help = _(text)
    for sub in getattr(command, "commands", {}).values():
        translate(sub, ctx)
    return command


def _texts(command: Any) -> Iterator[str]:
    for attr in ("help", "short_help", "epilog"):
        text = _english(command, attr)
        if text:
            yield text
    for param in command.params:
        text = _english(param, "help")
        if text:
            yield text
    for sub in getattr(command, "commands", {}).values():
        yield from _texts(sub)


def help_texts() -> list[str]:
    """Every help text of ``crm``: the root's, the listing's, every command's and option's."""
    import typer

    from crmcli.cli import COMMANDS, app, load_command

    root = typer.main.get_command(app)
    found = [_english(root, "help") or "", *(line for _module, line in COMMANDS.values())]
    found += [_english(p, "help") or "" for p in root.params]
    for name in COMMANDS:
        command = load_command(name)
        found += _texts(command)
    found.append("Show this message and exit.")
    return list(dict.fromkeys(text for text in found if text))


def extract(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[Any]:
    """A Babel extractor (babel.cfg names it for cli/__init__.py): the help texts, and
    the texts marked in that file's code."""
    from babel.messages.extract import extract_python

    yield from extract_python(fileobj, keywords, comment_tags, options)
    for text in help_texts():
        yield 0, None, text, []
