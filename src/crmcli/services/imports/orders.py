"""Order lines: the shape order systems export, one line per product sold.

``crm import sales orders.csv --amount "Quantity*UnitPrice" --group-by InvoiceNo
--where "Country!=Unspecified"``:

- ``--where`` keeps the lines whose cell equals (``=``) or differs from (``!=``) a value;
  several are all required. The other lines are not read at all.
- ``--amount`` is a column, or the product of two (quantity × unit price), computed
  exactly: 6 × 2.55 is 15.30, 3 × 5.184 is 15.552.
- ``--group-by`` makes one sale of the lines of each invoice: their amounts summed,
  the earliest of their dates, the first line's product (and how many others). An
  invoice with a bad line is refused whole, as is one whose lines name two customers or
  two currencies: a part of an invoice would be a wrong sale.
- Cancellations are refunds: a line with a negative quantity is a negative amount, and
  an invoice whose number starts with C and a digit (C536379, as order systems number
  cancellations) is a refund whatever the signs of its lines.

The lines are validated like any other rows (``staging``); the grouping then works on
the staged lines, before any decision about duplicates is taken.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)

from crmcli.errors import InvalidInput
from crmcli.i18n import N_, Catalogue
from crmcli.io import values
from crmcli.io.tables import fold_header, header_index
from crmcli.services.imports.common import STAGE, ImportOptions

MESSAGES = Catalogue(
    {
        "where_syntax": N_(
            "--where {text!r}: expected COLUMN=VALUE or COLUMN!=VALUE, e.g. Country!=Unspecified"
        ),
        "only_sales": N_("{option} is for crm import sales"),
        "amount_syntax": N_(
            "--amount {text!r}: expected a column, or two multiplied: Quantity*UnitPrice"
        ),
        "left_out": N_("{count} lines left out by --where {conditions}"),
        "left_out_one": N_("1 line left out by --where {conditions}"),
        "grouped": N_("{lines} lines make {sales} sales, one per {label}"),
        "grouped_one": N_("{lines} lines make 1 sale, one per {label}"),
        "no_group": N_("{label} is empty: --group-by {label} needs it on every line"),
        "bad_line": N_(
            "line {line}, of the same {label} {key}, is invalid: the {label} is refused whole"
        ),
        "customers": N_("the lines of {label} {key} name more than one customer"),
        "currencies": N_("the lines of {label} {key} are in more than one currency"),
        "zero": N_("the lines of {label} {key} add up to zero"),
    }
)
# What a sale made of several lines keeps as its product and note: stored, so English.
STORED = {
    "products": "{first} and {more} more",
    "note": "{label}: {key} ({lines} lines)",
    "note_one": "{label}: {key}",
}

_WHERE = re.compile(r"(.+?)(!=|=)(.*)", re.DOTALL)
_PRODUCT = re.compile(r"\s*([^*×]+?)\s*[*×]\s*([^*×]+?)\s*")


@dataclass(frozen=True)
class Condition:
    header: str
    negated: bool
    value: str

    @property
    def text(self) -> str:
        return f"{self.header}{'!=' if self.negated else '='}{self.value}"


def parse_where(items: Sequence[str]) -> list[Condition]:
    found = []
    for item in items:
        m = _WHERE.fullmatch(item)
        if m is None or not m[1].strip():
            raise InvalidInput(MESSAGES["where_syntax"].format(text=item))
        found.append(Condition(m[1].strip(), m[2] == "!=", values.nfkc(m[3]).strip()))
    return found


def check_options(opts: ImportOptions) -> None:
    """Refuse what cannot work before the file is read."""
    if opts.table != "sales":
        for option, given in (("--amount", opts.amount), ("--group-by", opts.group_by)):
            if given:
                raise InvalidInput(MESSAGES["only_sales"].format(option=option))
    if opts.amount is not None and not (opts.amount.strip() and _amount_names(opts.amount)):
        raise InvalidInput(MESSAGES["amount_syntax"].format(text=opts.amount))
    parse_where(opts.where)


def _amount_names(text: str) -> tuple[str, ...]:
    if "*" not in text and "×" not in text:
        return (text.strip(),)
    m = _PRODUCT.fullmatch(text)
    return (m[1], m[2]) if m else ()


def mapping(opts: ImportOptions) -> dict[str, str]:
    """``--map`` with ``--amount COLUMN`` added (a single column names the amount)."""
    names = _amount_names(opts.amount) if opts.amount else ()
    if len(names) == 1:
        return {**opts.mapping, fold_header(names[0]): "amount"}
    return opts.mapping


def read_columns(opts: ImportOptions) -> list[str]:
    """The columns the options read (--group-by, --where): none of them is unknown."""
    return ([opts.group_by] if opts.group_by else []) + [c.header for c in parse_where(opts.where)]


def computed(opts: ImportOptions) -> list[tuple[str, str, Sequence[str], Callable[[str], Any]]]:
    """The fields made of several cells, for ``tables.layout``."""
    names = _amount_names(opts.amount) if opts.amount else ()
    if len(names) != 2:
        return []
    # Within an invoice a line given away (price 0) is a line like the others.
    parse = partial(values.amount_product, zero=opts.group_by is not None)
    return [("amount", f"--amount {opts.amount}", names, parse)]


def row_filter(header: list[str], conditions: list[Condition]) -> Callable[[list[str]], bool]:
    """Whether a row's cells pass every condition (a missing cell is empty)."""
    tests = [
        (header_index(header, c.header, f"--where {c.text}"), c.negated, c.value)
        for c in conditions
    ]

    def keep(cells: list[str]) -> bool:
        for index, negated, value in tests:
            cell = values.nfkc(cells[index]).strip() if index < len(cells) else ""
            if (cell == value) == negated:
                return False
        return True

    return keep


def is_cancellation(key: str) -> bool:
    """C536379: how order systems number the invoice that cancels an order."""
    return key[:1] in ("C", "c") and key[1:2].isdigit()


# --- the lines of an invoice made one sale ---------------------------------------------------


def collapse(
    conn: Any,
    staged: Table,
    problems: Table,
    bad_groups: dict[str, int],
    label: str,
) -> tuple[int, int]:
    """Make the staged lines of each invoice (``staged.grp``) one sale; returns (lines
    refused here, sales made). Runs in the caller's transaction on the staging file."""
    s = staged
    refused = 0
    # Whole invoices refused, with each line's reason: an invalid line of theirs, two
    # customers, two currencies, or lines that cancel out.
    reasons: dict[str, str] = {}
    for key, line in bad_groups.items():
        reasons[key] = MESSAGES["bad_line"].format(line=line, label=label, key=key)
    customer = func.coalesce(s.c.ref_code, "") + "|" + func.coalesce(s.c.ref_any, "")
    customer = customer + "|" + func.coalesce(s.c.ref_name_key, "")
    for which, expr in (("customers", customer), ("currencies", func.coalesce(s.c.currency, ""))):
        for (key,) in conn.execute(
            select(s.c.grp).group_by(s.c.grp).having(func.count(expr.distinct()) > 1)
        ):
            reasons.setdefault(key, MESSAGES[which].format(label=label, key=key))
    for (key,) in conn.execute(
        select(s.c.grp).group_by(s.c.grp).having(func.sum(s.c.amount_micros) == 0)
    ):
        reasons.setdefault(key, MESSAGES["zero"].format(label=label, key=key))
    if reasons:
        refused = _refuse(conn, s, problems, reasons, label)
    groups = conn.execute(
        select(
            s.c.grp,
            func.min(s.c.line).label("first"),
            func.count().label("lines"),
            func.sum(s.c.amount_micros).label("total"),
            func.min(s.c.sold_on).label("day"),
            func.count(s.c.product.distinct()).label("products"),
        ).group_by(s.c.grp)
    ).all()
    firsts = {
        row.line: row.product
        for row in conn.execute(
            select(s.c.line, s.c.product).where(
                s.c.line.in_(select(func.min(s.c.line)).group_by(s.c.grp))
            )
        )
    }
    changes = []
    for g in groups:
        total = -abs(g.total) if is_cancellation(g.grp) else g.total
        product = firsts.get(g.first)
        if product is not None and g.products > 1:
            product = STORED["products"].format(first=product, more=g.products - 1)
        note = STORED["note" if g.lines > 1 else "note_one"].format(
            label=label, key=g.grp, lines=g.lines
        )
        changes.append(
            {
                "b_at": g.first,
                "b_amount": total,
                "b_day": g.day,
                "b_product": product,
                "b_note": note,
            }
        )
    if changes:
        conn.execute(
            update(s)
            .where(s.c.line == bindparam("b_at"))
            .values(
                amount_micros=bindparam("b_amount"),
                sold_on=bindparam("b_day"),
                product=bindparam("b_product"),
                note=bindparam("b_note"),
            ),
            changes,
        )
    firsts_table = _lines_table(conn, "group_first")
    if changes:
        conn.execute(insert(firsts_table), [{"line": c["b_at"]} for c in changes])
    conn.execute(delete(s).where(s.c.line.notin_(select(firsts_table.c.line))))
    firsts_table.drop(conn)
    return refused, len(changes)


def _lines_table(conn: Any, name: str) -> Table:
    table = Table(name, MetaData(schema=STAGE), Column("line", Integer, primary_key=True))
    table.create(conn)
    return table


def _refuse(conn: Any, s: Table, problems: Table, reasons: dict[str, str], label: str) -> int:
    """Every staged line of these invoices becomes a problem with its invoice's reason."""
    keys = Table(
        "group_refused",
        MetaData(schema=STAGE),
        Column("grp", String, primary_key=True),
        Column("message", String),
    )
    keys.create(conn)
    conn.execute(insert(keys), [{"grp": k, "message": m} for k, m in reasons.items()])
    moved = conn.execute(
        insert(problems).from_select(
            ["line", "col", "message", "raw"],
            select(s.c.line, literal(label, String), keys.c.message, s.c.raw).join_from(
                s, keys, keys.c.grp == s.c.grp
            ),
        )
    ).rowcount
    conn.execute(delete(s).where(s.c.grp.in_(select(keys.c.grp))))
    keys.drop(conn)
    return int(moved or 0)
