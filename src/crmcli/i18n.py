"""The interface language: gettext catalogues compiled from ``locale/*/LC_MESSAGES/crmcli.po``.

English is the source language and costs nothing: no catalogue is opened and ``_()`` gives
its text back. The language is chosen once per process, the first time a text is shown:
``lang`` in the user's config file, else ``$CRM_LANG``, else the first of ``LC_ALL``,
``LC_MESSAGES``, ``LANG`` that is set (``zh_*`` → Chinese); English otherwise. The
machine formats (JSON, csv/tsv headers, enumeration values) never go through here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmcli.enums import Choice

LANGUAGES = ("en", "zh")
DOMAIN = "crmcli"
LOCALE_DIR = Path(__file__).parent / "locale"
# The catalogue of each language other than English, as gettext names it.
_CATALOGUES = {"zh": "zh_CN"}

_language: str | None = None
_translations: Any = None


def _from_name(name: str) -> str:
    return "zh" if name.strip().lower().replace("-", "_").startswith("zh") else "en"


def _configured() -> str | None:
    """``lang`` as the user set it in the config file (its default does not count)."""
    from crmcli import config as config_mod
    from crmcli.errors import CrmError

    path = config_mod.config_path()
    if not path.exists():
        return None
    try:
        value = config_mod.load(path).user_tree.get("lang")
    except CrmError:
        return None  # the command reading the config says what is wrong with it
    return value if value in LANGUAGES else None


def detect() -> str:
    """The language from config, ``$CRM_LANG`` and the locale, in that order."""
    configured = _configured()
    if configured:
        return configured
    chosen = os.environ.get("CRM_LANG", "").strip()
    if chosen:
        return _from_name(chosen)
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "").strip()
        if value:  # the first one set wins, as in POSIX
            return _from_name(value)
    return "en"


def language() -> str:
    global _language
    if _language is None:
        # Reading the config for ``lang`` may build its own error texts; they are never
        # shown (the command reading the config says what is wrong), so English, and no
        # second look at the config from inside the first.
        _language = "en"
        _language = detect()
    return _language


def reset(lang: str | None = None) -> None:
    """Choose again on next use (or use ``lang``): for a process that runs many commands."""
    global _language, _translations
    _language = lang
    _translations = None


def _catalogue() -> Any:
    global _translations
    if _translations is None:
        import gettext

        _translations = gettext.translation(
            DOMAIN, LOCALE_DIR, languages=[_CATALOGUES[language()]], fallback=True
        )
    return _translations


def _(message: str) -> str:
    """``message`` in the interface language."""
    if language() == "en":
        return message
    return str(_catalogue().gettext(message))


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for ``n`` of a message with a plural ("1 customer", "2 customers")."""
    if language() == "en":
        return singular if n == 1 else plural
    return str(_catalogue().ngettext(singular, plural, n))


def pgettext(context: str, message: str) -> str:
    """``message`` in the interface language, as the catalogue words it in ``context``
    (the same English said apart: a figure's "Value", a customer's value)."""
    if language() == "en":
        return message
    return str(_catalogue().pgettext(context, message))


def N_(message: str) -> str:
    """Marks a text for the catalogue where it is defined; ``_()`` translates it when shown."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a text with a plural where it is defined; ``ngettext(*pair, n)`` shows it."""
    return singular, plural


class Catalogue(dict[str, str]):
    """Messages by key, each marked with N_ where it is defined and read in the interface
    language: ``MESSAGES["no_code"]`` is ``_("no customer with code {ref!r}")``. For a
    table of messages read in many places (an import's), so none of them can forget
    ``_()``."""

    def __getitem__(self, key: str) -> str:
        return _(super().__getitem__(key))


def both(choice: Choice, value: str) -> str:
    """An enumeration value for a record or a table of few rows: in English the value
    and its Chinese label (``completed 完成``, what the policy calls it), in Chinese the
    label alone."""
    return f"{value} {choice.label(value)}" if language() == "en" else choice.label(value)


def label(choice: Choice, value: str | None) -> str:
    """An enumeration value as people read it: the value in English, its first Chinese
    label (the one imports accept first, enums.py) in Chinese."""
    if value is None:
        return ""
    return value if language() == "en" else choice.label(value)
