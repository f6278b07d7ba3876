"""What a report is made of, whatever format prints it: sections of tables.

A section (summary, tiers, pipeline …) holds tables of typed columns; every rate column
carries its definition, so each format prints it next to the figure (two dashboards
that disagree on a win rate usually differ only in that). A section names one chart:
a column of labels and a column of figures of one of its tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmcli.enums import Choice

# Column kinds: how a value is written in each format.
TEXT = "text"
INT = "int"
# millionths (int) in the rows, of the row's "currency" (else CNY); units in every output
MONEY = "money"
PCT = "pct"  # a fraction 0–1 (or None) in the rows; percent in every output
NUMBER = "number"  # a float (hours, days, scores), two places
DATE = "date"
PHONE = "phone"
AUTO = "auto"  # the row's own ``kind`` says (a table of figures of several kinds)
EMAIL = "email"

NUMERIC = frozenset({INT, MONEY, PCT, NUMBER})


class Wording:
    """How a report speaks. To people (table, markdown, html, xlsx) in the interface
    language: its texts from the catalogue, enumeration values as their labels. To
    scripts (json, csv) in English as written and values as they are: their contract.

    The sections take it as ``_``, so their texts are the catalogue's ``_("…")``."""

    __slots__ = ("people",)

    def __init__(self, people: bool) -> None:
        self.people = people

    def __call__(self, message: str) -> str:
        if not self.people:
            return message
        from crmcli.i18n import _

        return _(message)

    def pgettext(self, context: str, message: str) -> str:
        """A text that the catalogue words apart from the same English elsewhere
        (a figure's "Value" is not a customer's value 价值)."""
        if not self.people:
            return message
        from crmcli.i18n import pgettext

        return pgettext(context, message)

    @property
    def chinese(self) -> bool:
        from crmcli.i18n import language

        return self.people and language() == "zh"

    def label(self, choice: Choice, value: str) -> str:
        """A value of an enumeration in a cell: its label in Chinese, else as it is."""
        return choice.label(value) if self.chinese else value

    def heading(self, choice: Choice, value: str) -> str:
        """A value of an enumeration as a column's header: ``Core`` / 核心."""
        return choice.label(value) if self.chinese else value.capitalize()


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str
    kind: str = TEXT
    definition: str | None = None  # a rate's definition, printed next to it


@dataclass(slots=True)
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str | None = None

    @property
    def definitions(self) -> dict[str, str]:
        return {c.header: c.definition for c in self.columns if c.definition}


@dataclass(frozen=True, slots=True)
class Chart:
    """A bar chart of one table: ``label`` names the bars, ``value`` is their length."""

    table: str
    label: str
    value: str
    title: str


@dataclass(slots=True)
class Section:
    key: str
    title: str
    tables: list[Table]
    chart: Chart | None = None

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


@dataclass(frozen=True, slots=True)
class Period:
    """The days a report covers (both included), and whose figures it shows."""

    start: date
    end: date
    owner: str | None = None


@dataclass(slots=True)
class Report:
    period: Period
    sections: list[Section] = field(default_factory=list)


def rate(part: int, whole: int) -> float | None:
    """A fraction rounded to four places; None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


def rate_columns(_: Wording) -> list[Column]:
    return [
        Column("measure", _("Measure")),
        Column("value", _.pgettext("figure", "Value"), PCT),
        Column("part", _("Count"), INT),
        Column("whole", _("Of"), INT),
        Column("definition", _("Definition")),
    ]


def rate_row(measure: str, part: int, whole: int, definition: str) -> dict[str, Any]:
    """One row of a section's table of rates: the figure, what it counts, its definition."""
    return {
        "measure": measure,
        "value": rate(part, whole),
        "part": part,
        "whole": whole,
        "definition": definition,
    }
