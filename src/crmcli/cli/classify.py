"""crm reclassify: recompute grade, value and tier from sales (SPEC §2 Classification)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crmcli import phrases
from crmcli.cli.common import AsOfOpt, FormatOpt, actor, fmt, open_db
from crmcli.enums import TIER, VALUE
from crmcli.i18n import _, label, ngettext
from crmcli.output import Col, message, print_json, render
from crmcli.text.bounds import MAX_LIMIT

MOVE_COLUMNS = (
    Col("field", "Field"),
    Col("from", "From"),
    Col("to", "To"),
    Col("customers", "Customers", "right"),
)
CHANGE_COLUMNS = (
    Col("code", "Code"),
    Col("name", "Name"),
    Col("grade", "Grade"),
    Col("value", "Value"),
    Col("tier", "Tier"),
    Col("why", "Why"),
)


def _arrow(old: Any, new: Any) -> str:
    return f"{old or '—'} → {new or '—'}" if old != new else (new or "—")


def _shown(field: str, value: str | None) -> str:
    """A grade, value class or tier as people read it (— for none)."""
    if value is None:
        return "—"
    choice = {"value": VALUE, "tier": TIER}.get(field)
    return value if choice is None else label(choice, value)


def _why(change: dict[str, Any]) -> str:
    """The reason of what moved first: the grade, else the tier, else the value class."""
    for field in ("grade", "tier"):
        if change[f"old_{field}"] != change[f"new_{field}"]:
            return str(change[f"{field}_reason"])
    return str(change["value_reason"])


def reclassify(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change, and why; write nothing.")
    ] = False,
    as_of: AsOfOpt = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, max=MAX_LIMIT, help="List at most this many changes."),
    ] = None,
    format: FormatOpt = "table",
) -> None:
    """Grade customers A/B/C by their share of sales, class their value, set tiers."""
    output = fmt(format)
    who = actor(ctx, as_of)
    from crmcli.services.classification import reclassify as run

    database = open_db(ctx, write=True)
    with database.session() as session:
        outcome = run(session, who, who.today, dry_run=dry_run, detail_limit=limit)
        if dry_run:
            session.rollback()
    moves = [
        {"field": m.field, "from": m.old, "to": m.new, "customers": m.count} for m in outcome.moves
    ]
    shown_moves = [
        {
            "field": _(m.field),
            "from": _shown(m.field, m.old),
            "to": _shown(m.field, m.new),
            "customers": m.count,
        }
        for m in outcome.moves
    ]
    w = outcome.window
    if output == "json":
        print_json(
            {
                "as_of": w.end,
                "window": {"after": w.start, "through": w.end, "months": w.months},
                "dry_run": dry_run,
                "changed_customers": outcome.changed_customers,
                "moves": moves,
                "changes": [
                    {
                        "code": ch["code"],
                        "name": ch["name"],
                        "grade": {
                            "old": ch["old_grade"],
                            "new": ch["new_grade"],
                            "reason": ch["grade_reason"],
                        },
                        "value": {
                            "old": ch["old_value"],
                            "new": ch["new_value"],
                            "reason": ch["value_reason"],
                        },
                        "tier": {
                            "old": ch["old_tier"],
                            "new": ch["new_tier"],
                            "reason": ch["tier_reason"],
                        },
                    }
                    for ch in outcome.changes
                ],
            }
        )
        return
    n = outcome.changed_customers
    said = (
        ngettext(
            "sales {start} (excl.) to {end}: {n} customer would change",
            "sales {start} (excl.) to {end}: {n} customers would change",
            n,
        )
        if dry_run
        else ngettext(
            "sales {start} (excl.) to {end}: {n} customer changed",
            "sales {start} (excl.) to {end}: {n} customers changed",
            n,
        )
    )
    message(said.format(start=w.start, end=w.end, n=n))
    if outcome.changes:
        render(
            [
                {
                    "code": ch["code"],
                    "name": ch["name"],
                    **{
                        f: _arrow(_shown(f, ch[f"old_{f}"]), _shown(f, ch[f"new_{f}"]))
                        for f in ("grade", "value", "tier")
                    },
                    "why": phrases.read(phrases.REASON, _why(ch)),
                }
                for ch in outcome.changes
            ],
            CHANGE_COLUMNS,
            output,
        )
    render(shown_moves, MOVE_COLUMNS, output if not outcome.changes else "table")


def register(root: typer.Typer) -> None:
    root.command("reclassify")(reclassify)
