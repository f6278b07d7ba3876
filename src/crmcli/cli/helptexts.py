"""The ``--help`` texts of every command, in the interface language.

Typer takes a command's help from its docstring and each option's from ``help=``, when the
command is built; they are looked up in the catalogue only when the language is not
English, on the command being run. ``extract`` gives Babel the same texts for the
catalogue (babel.cfg), read from the commands themselves so that none is missed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from crmcli.i18n import N_, _, language


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
    if language() != "en" or "_crm_help" in command.__dict__:
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
        if not _original(sub, "short_help"):
            sub.short_help = first_sentence(sub.help or "")
    return command


_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|[。！？]")


def first_sentence(text: str) -> str:
    """What a listing of commands shows of one: its first sentence, whole (click would
    cut it at the terminal's width, and a Chinese one, without a full stop it knows, at
    a count of characters that is not even its width)."""
    flat = " ".join(text.split("\n\n", 1)[0].split())
    end = _SENTENCE_END.search(flat)
    return flat[: end.end()] if end else flat


def plain_help(command: Any) -> Any:
    """Every command's --help in the root's style: click's plain text, paragraphs
    wrapped to the terminal, no boxes and no type for a flag (``--exit-code <bool>``)."""
    command.rich_markup_mode = None
    command.context_class = HelpContext
    from crmcli.text.bounds import MAX_LIMIT

    for param in command.params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
        if getattr(param, "max", None) == MAX_LIMIT:
            # The storage bound of a count, not a choice a person makes: no
            # ``[1<=x<=9223372036854775807]`` after its help.
            param._get_number_range_help_str = lambda: None  # type: ignore[method-assign]
            param.metavar = param.metavar or "<int>"
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)
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


# Characters a line may break before or after without a space: CJK ideographs, kana,
# Hangul and full-width forms (each its own word); and the closing punctuation that a
# line never starts with (it stays at the end of the line before, as Chinese text does).
_NO_LINE_START = frozenset("，。、；：？！）》」』】〉,.;:?!)")


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` terminal columns, broken at spaces and
    between CJK characters (which take two columns each); a word wider than the line
    is left whole."""
    from crmcli.output import WIDE_BMP, cell_width

    words = re.compile(f"\\s+|[{WIDE_BMP}]|[^\\s{WIDE_BMP}]+")
    # A line break between two CJK characters was no space (Chinese has none).
    flat = re.sub(f"(?<=[{WIDE_BMP}])\\s+(?=[{WIDE_BMP}])", "", " ".join(text.split()))
    # A closing mark never starts a line: it goes with the word before it.
    units: list[str] = []
    for word in words.findall(flat):
        if units and word[0] in _NO_LINE_START and not units[-1].isspace():
            units[-1] += word
        else:
            units.append(word)
    lines: list[str] = []
    line, size = "", 0
    for word in units:
        if word == " ":
            if line:
                line, size = line + " ", size + 1
            continue
        wide = cell_width(word)
        if size + wide > width and line.strip():
            lines.append(line.rstrip())
            line, size = "", 0
        line, size = line + word, size + wide
    if line.strip():
        lines.append(line.rstrip())
    return lines


# click's headings of a help page, translated where they are written.
HEADINGS = (N_("Options"), N_("Commands"), N_("Arguments"))
# The texts Typer words through gettext (typer.core's ``_``) on a help page and in a usage
# error: Typer's ``_`` is pointed at the catalogue, which holds them.
TYPER_TEXTS = (
    N_("default: {default}"),
    N_("required"),
    N_("env var: {var}"),
    N_("(dynamic)"),
    N_("Missing command."),
    N_("No such command {name!r}."),
    N_("Aborted!"),
)


def speak_for_typer() -> None:
    """Typer's own texts (``[default: table]``, ``[required]``, "No such command") in the
    interface language: its module looks them up through gettext by the name ``_``."""
    import typer.core

    typer.core._ = _  # type: ignore[attr-defined]


def _formatter() -> Any:
    from typer._click.formatting import HelpFormatter

    class Formatter(HelpFormatter):
        """click's help layout, in the interface language, wrapping CJK text by its
        width (click counts characters and breaks only at spaces)."""

        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, args, _("Usage: ") if prefix is None else prefix)

        def write_heading(self, heading: str) -> None:
            colon = "：" if language() == "zh" else ":"
            self.write(f"{'':>{self.current_indent}}{_(heading)}{colon}\n")

        def write_text(self, text: str) -> None:
            if text.isascii():
                super().write_text(text)
                return
            indent = " " * self.current_indent
            paragraphs = [p for p in text.split("\n\n") if p.strip()]
            self.write(
                "\n\n".join(
                    "\n".join(indent + line for line in wrap(p, self.width - len(indent)))
                    for p in paragraphs
                )
                + "\n"
            )

        def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
            rows = list(rows)
            if all(first.isascii() and second.isascii() for first, second in rows):
                super().write_dl(rows, col_max, col_spacing)
                return
            from crmcli.output import cell_width

            first_col = min(max(cell_width(first) for first, _ in rows), col_max) + col_spacing
            lead = " " * self.current_indent
            for first, second in rows:
                self.write(lead + first)
                lines = wrap(second, max(self.width - first_col - self.current_indent, 10))
                if not lines:
                    self.write("\n")
                    continue
                if cell_width(first) <= first_col - col_spacing:
                    self.write(" " * (first_col - cell_width(first)))
                else:
                    self.write("\n" + " " * (first_col + self.current_indent))
                self.write(lines[0] + "\n")
                for line in lines[1:]:
                    self.write(" " * (first_col + self.current_indent) + line + "\n")

    return Formatter


def _context() -> Any:
    import typer

    class Context(typer.Context):
        formatter_class = _formatter()

    return Context


HelpContext = _context()
