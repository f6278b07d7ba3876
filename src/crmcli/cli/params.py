"""Plain option values without pydantic: what Typer would give, at a fraction of the start-up.

Typer (0.29 and later) converts every parameter of a command through a pydantic
``TypeAdapter``, built as the command line is parsed, even for an option left out: it
imports pydantic's type machinery and builds one adapter per parameter, about a tenth
of a second before any command does its work. crmcli's options are text, whole
numbers, flags and lists of text (and a left-out option is None whatever its type), so a value of that kind is taken here as it is, the
way the adapter would give it back (``"12"`` → ``12``), and a number that is not one or
breaks a bound is refused here, in the interface language, with Typer's exit code;
anything else — a value of another shape, a type not listed here — goes to Typer's own
adapter, so its message and exit code stay Typer's. On a Typer without this machinery nothing
changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

try:
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer.core import _TyperParameter
except ImportError:  # an older or newer Typer: its own conversion stays as it is
    RuntimeParam = None  # type: ignore[assignment,misc]

_WHOLE = re.compile(r"-?[0-9]+")

if RuntimeParam is not None:

    @dataclass(frozen=True)
    class PlainParam(RuntimeParam):  # type: ignore[misc,valid-type]
        """Text, whole numbers (within their bounds) and lists of text as they are;
        anything else through the adapter Typer builds for the parameter, on demand."""

        descriptor: Any

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            kind = self.annotation
            if kind is str:
                if type(value) is str:
                    return value
            elif kind is bool:
                if type(value) is bool:
                    return value
            elif kind is int:
                number = _whole(value)
                if number is not None and _within(number, self.parameter_info):
                    return number
                if not self.parameter_info.clamp and type(value) is str:
                    _refuse_number(value, number, self.parameter_info, param, ctx)
            elif type(value) in (list, tuple) and all(type(v) is str for v in value):
                return list(value)  # list[str]: _plain() lets no other list through
            return self.typer_own()._coerce_value(value, param=param, ctx=ctx)

        def typer_own(self) -> Any:
            """Typer's own conversion of the parameter, built the first time it is needed."""
            full = self.__dict__.get("_full")
            if full is None:
                full = build_runtime_param(self.descriptor)
                object.__setattr__(self, "_full", full)
            return full


def _whole(value: Any) -> int | None:
    if type(value) is int:
        return value
    if type(value) is str and _WHOLE.fullmatch(value):
        return int(value)
    return None


def _refuse_number(text: str, number: int | None, info: Any, param: Any, ctx: Any) -> None:
    """A whole number refused in the interface language (pydantic words it in English
    only): not a whole number, or outside the option's bounds."""
    from typer import BadParameter

    from crmcli.i18n import _

    if number is None:
        reason = _("{value!r} is not a whole number").format(value=text)
    elif info.min is not None and number < info.min:
        reason = _("{value} is less than {low}, the least it can be").format(
            value=number, low=info.min
        )
    else:
        reason = _("{value} is more than {high}, the most it can be").format(
            value=number, high=info.max
        )
    raise BadParameter(reason, ctx=ctx, param=param)


def _within(number: int, info: Any) -> bool:
    if info.clamp:
        return False
    low, high = info.min, info.max
    return (low is None or number >= low) and (high is None or number <= high)


def _plain(param: Any) -> bool:
    """A parameter whose values this module can take: text, a whole number, a flag, a
    list of text, with no parser and no file to open (Typer's adapter for ``str`` and ``int``
    looks at nothing else but a number's bounds)."""
    descriptor = param.type_descriptor
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or info.parser is not None:
        return False
    kind = descriptor.annotation
    return kind is str or kind is int or kind is bool or kind == list[str]


def speed_up(command: Any, ctx: Any) -> Any:
    """Give every plain parameter of a click command and of its subcommands, their help
    options included (``ctx`` names those), the plain conversion; returns the command."""
    if RuntimeParam is None:
        return command
    for param in (*command.params, command.get_help_option(ctx)):
        if isinstance(param, _TyperParameter) and param._runtime_param is None and _plain(param):
            descriptor = param.type_descriptor
            param._runtime_param = PlainParam(
                parameter_info=descriptor.parameter_info,
                annotation=descriptor.annotation,
                descriptor=descriptor,
            )
    for sub in getattr(command, "commands", {}).values():
        speed_up(sub, ctx)
    return command
