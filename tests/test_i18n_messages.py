"""Every message a person reads goes through the catalogue: reasons of errors, notices on
stderr, summaries and confirmations. A text built in English straight into one of them
would stay English for a Chinese sales team, so the source is read for such texts."""

from __future__ import annotations

import ast
from pathlib import Path

from crmcli import i18n

PACKAGE = Path(i18n.__file__).resolve().parent  # src/crmcli: where the error classes are
SRC = PACKAGE  # what is read for messages

# Where a call takes its message: the position of the argument that is shown.
# Classes of crmcli.errors and their subclasses are found in the source (MESSAGE_AT
# says where their message is when it is not the first argument; None: not a text).
MESSAGE_AT: dict[str, int | None] = {
    "CellError": 1,  # (column, message)
    "ColumnRefused": None,  # (values, reasons already made)
    "Ambiguous": None,  # (what, ref, candidates): translated inside, see errors.py
}
# Functions that show their argument to people as it is.
SHOWN: dict[str, int] = {"message": 0}
# The CLI's own helpers that print a reason (cli/__init__.py).
CLI_SHOWN: dict[str, int] = {"_say": 0, "_fail": 1}
TRANSLATORS = {"_", "ngettext"}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _modules(root: Path) -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in root.rglob("*.py")]


def error_classes(modules: list[tuple[Path, ast.Module]]) -> set[str]:
    """CrmError and every class that derives from it, anywhere in the source."""
    found = {"CrmError"}
    bases: dict[str, set[str]] = {}
    for _path, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {_name(b) or "" for b in node.bases}
    grown = True
    while grown:
        more = {name for name, of in bases.items() if of & found} - found
        found |= more
        grown = bool(more)
    return found


def _built_in_english(node: ast.expr) -> bool:
    """A text made here, in English: a literal, an f-string, ``"…".format()``, ``+`` or
    ``%`` of such texts, either branch of ``a if c else b``, a side of ``a or b``."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(ch.isalpha() for ch in node.value)
    if isinstance(node, ast.JoinedStr):
        return any(
            isinstance(part, ast.Constant) and any(ch.isalpha() for ch in str(part.value))
            for part in node.values
        )
    if isinstance(node, ast.BinOp):
        return _built_in_english(node.left) or _built_in_english(node.right)
    if isinstance(node, ast.IfExp):
        return _built_in_english(node.body) or _built_in_english(node.orelse)
    if isinstance(node, ast.BoolOp):  # handler or "nobody"
        return any(_built_in_english(value) for value in node.values)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"format", "join"}
    ):
        return _built_in_english(node.func.value)
    return False


def _fills_a_translation(node: ast.Call) -> bool:
    """``_("…").format(...)`` or ``ngettext(…).format(...)``."""
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "format"
        and isinstance(func.value, ast.Call)
        and _name(func.value.func) in TRANSLATORS
    )


def offenders() -> list[str]:
    modules = _modules(SRC)
    errors = error_classes(_modules(PACKAGE))
    found = []
    for path, tree in modules:
        where = path.relative_to(SRC.parent).as_posix()
        shown = dict(SHOWN)
        if where == "crmcli/cli/__init__.py":
            shown |= CLI_SHOWN
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if _fills_a_translation(node):
                # The fields of a translated message: an English piece in one of them
                # ("… (late)") would stay English inside the Chinese sentence.
                found += [
                    f"{where}:{k.value.lineno}: {ast.unparse(k)[:90]}"
                    for k in node.keywords
                    if _built_in_english(k.value)
                ]
                continue
            name = _name(node.func)
            at: int | None
            if name in errors:
                at = MESSAGE_AT.get(name, 0)
            elif name in shown:
                at = shown[name]
            elif name == "echo" and any(
                k.arg == "err" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in node.keywords
            ):
                at = 0
            else:
                continue
            if at is None or len(node.args) <= at:
                continue
            if _built_in_english(node.args[at]):
                found.append(f"{where}:{node.lineno}: {ast.unparse(node)[:90]}")
    return sorted(found)


def test_no_message_is_built_in_english_outside_the_catalogue():
    """An error's reason, a notice, a summary: ``_("… {field} …").format(field=…)`` or
    ``ngettext(…)``, never a literal or an f-string."""
    assert offenders() == []


def test_the_check_sees_an_english_literal(tmp_path, monkeypatch):
    """The check itself finds what it is for, and lets the catalogue's calls pass."""
    package = tmp_path / "crmcli"
    package.mkdir()
    (package / "mod.py").write_text(
        "from crmcli.errors import InvalidInput\n"
        "from crmcli.i18n import _\n"
        "def f(x):\n"
        "    if x:\n"
        "        raise InvalidInput(_('bad {x}').format(x=x))\n"
        "    raise InvalidInput(f'bad {x}')\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(f"{__name__}.SRC", package)
    assert offenders() == ["crmcli/mod.py:6: InvalidInput(f'bad {x}')"]


def misfilled() -> list[str]:
    """``_("… {a} …").format(b=…)``: a field the call does not fill raises KeyError when
    the message is shown (an internal error in place of the reason), and one it fills
    that the text has not is lost."""
    import string

    found = []
    for path, tree in _modules(SRC):
        where = path.relative_to(SRC.parent).as_posix()
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _fills_a_translation(node)):
                continue
            assert isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call)
            if any(k.arg is None for k in node.keywords) or node.args:
                continue  # **fields or positional: not checked here
            texts = [
                a.value
                for a in node.func.value.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
            wanted = {
                name.split(".")[0].split("[")[0]
                for text in texts
                for _lit, name, _spec, _conv in string.Formatter().parse(text)
                if name
            }
            given = {k.arg for k in node.keywords}
            if texts and wanted != given:
                found.append(f"{where}:{node.lineno}: needs {sorted(wanted)}, gets {sorted(given)}")
    return sorted(found)


def test_every_translated_message_is_given_exactly_its_fields():
    assert misfilled() == []
