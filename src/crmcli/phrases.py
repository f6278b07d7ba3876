"""The texts crmcli keeps in history, written in English and read in the interface language.

History keeps one text for one fact, in English, whoever wrote it and in whatever
language (its JSON is the scripts' contract). Each kind of text is a ``Phrase``: a
template with named slots (``added {name}``). Writers fill it, in Python for a row or in
SQL for a set (``Phrase.sql``, reclassify's reasons); readers match a stored text against
the phrases of its field and show it through the catalogue (``read``), with slots that
hold an enumeration value shown by their label and slots that hold a phrase read in turn.
A text no phrase matches (what a person typed) is shown as it is.
"""

from __future__ import annotations

import re
from string import Formatter
from typing import TYPE_CHECKING, Any

from crmcli.i18n import N_

if TYPE_CHECKING:
    from crmcli.enums import Choice

# Where a phrase is found: the field of the history rows whose values it words (a
# pattern), or REASON for the reasons column.
REASON = "reason"
PHRASES: list[Phrase] = []


class Phrase:
    def __init__(self, template: str, where: str, **slots: str) -> None:
        """``slots`` says how a slot's value is read: the name of an enumeration in
        ``crmcli.enums`` (``tier="TIER"``), or ``"phrase"`` for a text that is itself a
        phrase (a reason built on another)."""
        self.template = template
        self.where = re.compile(where)
        self.slots = slots
        self._pattern: re.Pattern[str] | None = None
        PHRASES.append(self)

    def __call__(self, **values: Any) -> str:
        return self.template.format(**values)

    def _parts(self) -> list[tuple[str, str | None]]:
        return [(text, name) for text, name, _spec, _conv in Formatter().parse(self.template)]

    def sql(self, **exprs: Any) -> Any:
        """The text as one SQL expression: the template's words around what is given for
        its slots, SQL expressions (converted to text) or Python values."""
        from sqlalchemy import String, cast, literal
        from sqlalchemy.sql.expression import ColumnElement

        pieces: list[Any] = []
        for text, name in self._parts():
            if text:
                pieces.append(literal(text, String))
            if name is not None:
                value = exprs[name]
                if not isinstance(value, ColumnElement):
                    pieces.append(literal(str(value), String))
                elif isinstance(value.type, String):
                    pieces.append(value)
                else:
                    pieces.append(cast(value, String))
        out = pieces[0]
        for piece in pieces[1:]:
            out = out + piece
        return out

    def pattern(self) -> re.Pattern[str]:
        """What this phrase writes, as a pattern: a slot holding an enumeration value
        matches only its values, any other slot any text (as little as it can)."""
        if self._pattern is None:
            regex = "".join(
                re.escape(text) + ("" if name is None else f"(?P<{name}>{self._slot(name)})")
                for text, name in self._parts()
            )
            self._pattern = re.compile(regex, re.DOTALL)
        return self._pattern

    def _slot(self, name: str) -> str:
        how = self.slots.get(name)
        if how is None or how == "phrase":
            return ".+?"
        from crmcli import enums

        choice: Choice = getattr(enums, how)
        return "|".join(re.escape(v) for v in choice.values)

    def read(self, text: str) -> str | None:
        """``text`` in the interface language if this phrase wrote it, else None."""
        from crmcli.i18n import _

        found = self.pattern().fullmatch(text)
        if found is None:
            return None
        values = {name: _shown(how, found[name]) for name, how in self.slots.items()}
        return _(self.template).format(**{**found.groupdict(), **values})


def _shown(how: str, value: str) -> str:
    from crmcli import enums
    from crmcli.i18n import label

    if how == "phrase":
        return str(read(REASON, value))
    choice: Choice = getattr(enums, how)
    return label(choice, value)


def read(where: str, text: Any) -> Any:
    """A stored text as people read it: worded by the first phrase of ``where`` (a history
    field, or REASON) that matches it; anything else as it is."""
    from crmcli.i18n import language

    if not isinstance(text, str) or language() == "en":
        return text
    for phrase in PHRASES:
        if phrase.where.fullmatch(where):
            shown = phrase.read(text)
            if shown is not None:
                return shown
    return text


# --- what a change records (the new value of a history row) ---------------------------

CONTACT_ADDED = Phrase(N_("added {name}"), r"contact")
PLAN_ADDED = Phrase(N_("#{id} due {due}"), r"plan")
SALE_ADDED = Phrase(N_("#{id} {amount} on {on}"), r"sale|refund")
SALE_OF_PRODUCT = Phrase(N_("{amount} on {on} ({product})"), r"sale\.\d+")
SALE = Phrase(N_("{amount} on {on}"), r"sale\.\d+")
SURVEY_ADDED = Phrase(N_("#{id} {method} on {on}"), r"survey", method="SURVEY_METHOD")
COMPLAINT_OPENED = Phrase(N_("{severity}: {summary}"), r"complaint\.\d+", severity="SEVERITY")
PROJECT_WITH_AMOUNT = Phrase(N_("added {name} ({amount})"), r"project\.\d+")
PROJECT_ADDED = Phrase(N_("added {name}"), r"project\.\d+")
PROJECT_APPROVED = Phrase(N_("approved by {by}"), r"project\.\d+\.approval")
PROJECT_DOC = Phrase(
    N_("{kind} {name} (sha256 {sha256})"), r"project\.\d+\.doc", kind="PROJECT_DOC_KIND"
)
FOLLOWUP_WITH_RESULT = Phrase(
    N_("{at} {channel}: {summary} → {result}"), r"followup\.\d+", channel="CHANNEL"
)
FOLLOWUP = Phrase(N_("{at} {channel}: {summary}"), r"followup\.\d+", channel="CHANNEL")
CREATED = Phrase(N_("created"), r"customer")
PURGED = Phrase(N_("purged"), r"customer")
DELETED = Phrase(N_("deleted"), r"contact\.\d+|followup\.\d+|plan\.\d+|.*\.deleted")
VOIDED = Phrase(N_("voided"), r"sale\.\d+")
UNDONE = Phrase(N_("undone"), r"import")

# --- why (the reason of a history row) --------------------------------------------------

IMPORTED = Phrase(N_("import #{id} from {file}"), REASON)
IMPORT_UNDONE = Phrase(N_("undo of import #{id} from {file}"), REASON)
PROMOTED = Phrase(
    N_("project #{id} {name} reached {stage} (签订合同)"), REASON, stage="PROJECT_STAGE"
)
MERGED = Phrase(N_("merged from {code}"), REASON)
NAMED_BY_IMPORT = Phrase(N_("named by {file} (import --create-customers)"), REASON)
# reclassify (SPEC §2 Classification), written by SQL for every customer it moves
NO_GRADE = Phrase(N_("no grade: no net sales in the {months} months to {end}"), REASON)
GRADE_ONE_ORDER = Phrase(
    N_("grade {grade}: {amount} in {months} months, {orders} order, top {share} of sales"),
    REASON,
)
GRADE = Phrase(
    N_("grade {grade}: {amount} in {months} months, {orders} orders, top {share} of sales"),
    REASON,
)
NO_VALUE = Phrase(N_("no value class: no net sales in the {months} months to {end}"), REASON)
VALUE = Phrase(
    N_(
        "value {value}: RFM score {score} = amount {amount} + orders {orders}"
        " + months {months} (quintiles 1–5)"
    ),
    REASON,
    value="VALUE",
)
NO_SALES_TIER = Phrase(
    N_("tier {tier}: no sales in the {months} months to {end}, stage {stage}"),
    REASON,
    tier="TIER",
    stage="STAGE",
)
TIER = Phrase(N_("tier {tier} from {reason}"), REASON, tier="TIER", reason="phrase")
