"""What every phase of an import shares: its options, its result, its messages, the
staging tables, and the ``Plan`` that phase 2 works with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update

from crmcli import schema
from crmcli.i18n import N_, Catalogue
from crmcli.io.tables import Layout
from crmcli.io.tables import Table as FileTable
from crmcli.services.context import Actor

# The staging file is attached under this name, to the database itself (SQLite) or to
# the local file that holds copies of the server's rows (PostgreSQL).
STAGE = "stage"
ON_DUPLICATE = ("skip", "update", "error")
REF_TARGETS = ("ref_code", "ref_name", "ref_any")
# Work is done this many rows at a time: statements to a server, pages read back.
CHUNK = 1000

MESSAGES = Catalogue(
    {
        "required": N_("{field} is required"),
        "extra_cells": N_("{count} more cells than the header has"),
        "no_customer": N_("no customer given (a code or a name)"),
        "no_code": N_("no customer with code {ref!r}"),
        "no_name": N_("no customer matches {ref!r}"),
        "ambiguous": N_("customer {ref!r} is ambiguous: {candidates}"),
        "no_contact": N_("{customer} has no contact {ref!r}"),
        "ambiguous_contact": N_("{customer} has {n} contacts named {ref!r}"),
        "dup_line": N_("duplicate of line {line} (same {key})"),
        "dup_db": N_("already in the database as {desc} (same {key})"),
        "dup_many": N_("matches {n} {table} by {key}: {descs}; give a code to choose one"),
        "dup_rejected": N_("duplicate of line {line}, which is rejected"),
        "skip_line": N_("line {line}: skipped, duplicate of line {other} (same {key})"),
        "skip_db": N_("line {line}: skipped, already in the database as {desc} (same {key})"),
        "skip_many": N_("line {line}: skipped, matches {n} {table} by {key}"),
        "merge": N_("line {line}: merged into line {other} (same {key})"),
        "update": N_("line {line}: updates {desc} (same {key})"),
        "unchanged": N_("line {line}: unchanged, {desc} already has its values (same {key})"),
        "wrong_header": N_(
            "{name}: the header row has no column crm knows ({detail}){encoding_hint}; name the columns with --map 'HEADER=field'"
        ),
        "encoding_hint": N_("; read as {encoding} — if that is wrong, pass --encoding"),
        "bad_utf8": N_(
            "{name}: line {line} is not valid UTF-8, though the text before it is; correct that line, or pass the file's encoding with --encoding"
        ),
        "neither": N_(
            "cannot tell the encoding of {name}: line {line} is neither UTF-8 nor GB18030; pass it with --encoding"
        ),
        "not_workbook": N_(
            "{name} is not a workbook: --sheet and --header-row apply to workbooks only"
        ),
        "not_vcard": N_("{name} is not a vCard file: --customer and --by-org apply to vCards only"),
        "vcard_table": N_(
            "{name} holds vCards, which are contacts: import it with crm import contacts"
        ),
        "invalid": N_(
            "{bad} of {total} rows of {name} are invalid; nothing imported (fix them, or import the rest with --skip-invalid; --rejects FILE collects them)"
        ),
    }
)


@dataclass
class ImportOptions:
    table: str
    path: str
    encoding: str | None = None
    delimiter: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    # --map-values: a column (header or field, folded) → its values (folded) → crm's.
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    # --create-customers: a customer a row names by an unknown name is added.
    create_customers: bool = False
    on_duplicate: str = "skip"
    dry_run: bool = False
    skip_invalid: bool = False
    rejects: str | None = None
    owner: str | None = None
    # Order lines (``orders``): the amount as a column or a product of two, the column
    # whose lines make one sale, the lines kept (COLUMN=VALUE, COLUMN!=VALUE).
    amount: str | None = None
    group_by: str | None = None
    where: list[str] = field(default_factory=list)
    # A workbook's sheet (name or 1-based index) and header row (None: found).
    sheet: str | None = None
    header_row: int | None = None
    # vCards: the customer every card belongs to, or each card's ORG as its customer.
    customer: str | None = None
    by_org: bool = False


@dataclass
class ImportResult:
    batch_id: int | None
    table: str
    source: str
    encoding: str
    delimiter: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    rejects_written: int = 0
    dry_run: bool = False
    # Every row not rejected is a record already in the database (a file imported again).
    nothing_new: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch_id,
            "table": self.table,
            "source": self.source,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "rows": self.rows,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "dry_run": self.dry_run,
        }


Say = Callable[[str], None]
Progress = Callable[[int, int | None], None]


class StageTables:
    """The staging file's tables, as Core tables in the ``stage`` schema: one row per
    valid input row (the table's stored columns, typed as in ``crmcli.schema``, and the
    control columns phase 2 decides with), one per problem found."""

    def __init__(self, tbl: FileTable) -> None:
        target = schema.metadata.tables[tbl.table]
        self.metadata = MetaData(schema=STAGE)
        own = [
            Column(name, target.c[name].type if name in target.c else String)
            for name in tbl.stored_columns
        ]
        self.staged = Table(
            "staged",
            self.metadata,
            Column("line", Integer, primary_key=True),
            Column("raw", String),
            *own,
            Column("customer_id", Integer),
            Column("contact_id", Integer),
            Column("ref_n", Integer),
            Column("contact_n", Integer),
            Column("problem", Integer),
            Column("dup_of", Integer),
            Column("dup_key", String),
            Column("target_id", Integer),
            Column("target_n", Integer),
            Column("target_key", String),
            Column("decided", Integer),
            # "label\tfield" lines of required cells left empty: needed to add, not to update.
            Column("missing", String),
            # The invoice an order line belongs to (``--group-by``): one sale per value.
            Column("grp", String),
            # Every row is added unless phase 2 finds a reason not to (``decisions.classify``).
            Column("action", String, server_default="add"),
        )
        self.problems = Table(
            "problems",
            self.metadata,
            Column("id", Integer, primary_key=True),  # the order problems were found in
            Column("line", Integer),
            Column("col", String),
            Column("message", String),
            Column("raw", String),
        )
        # Customers to number, in line order: n is 1, 2, 3… (``writing.generate_codes``).
        self.numbered = Table(
            "numbered",
            self.metadata,
            Column("n", Integer, primary_key=True),
            Column("line", Integer, unique=True),
        )


class Plan:
    """What phase 2 works with.

    ``local`` is the SQLite connection where the staged rows and the target's rows meet
    and every decision is taken: the database's own connection with the staging file
    attached, or, for a server, a local file holding the server's rows that the staged
    keys name (``mirror``). ``target`` is the connection the import writes through, in
    one transaction; for an SQLite database it is ``local`` itself.
    """

    def __init__(
        self,
        local: Any,
        target: Any,
        mirror: Any,
        tbl: FileTable,
        stage: StageTables,
        lay: Layout,
        opts: ImportOptions,
        actor: Actor,
        source: str,
    ) -> None:
        self.local = local
        self.target = target
        self.mirror = mirror
        self.tbl = tbl
        self.stage = stage
        self.staged = stage.staged
        self.opts = opts
        self.actor = actor
        self.source = source
        self.table = schema.metadata.tables[tbl.table]
        self.labels = lay.labels()
        self.present = set(lay.targets())
        self.adding = 0  # rows to add, once ``decisions.classify`` has decided
        self.given: set[str] = set()  # the key columns some staged row has
        # Customers --create-customers added for rows that named unknown ones: the batch's.
        self.created_customers: list[int] = []

    @property
    def same_database(self) -> bool:
        return self.local is self.target

    def label(self, stored: str) -> str:
        if stored == "name_key":
            stored = "name"
        if stored in ("customer_id", "ref"):
            for ref in ("ref_code", "ref_any", "ref_name"):
                if ref in self.labels:
                    return self.labels[ref]
        return self.labels.get(stored, stored)

    def problem(self, line: int, col: str, message: str) -> None:
        s, p = self.staged, self.stage.problems
        self.local.execute(
            insert(p).from_select(
                ["line", "col", "message", "raw"],
                select(s.c.line, _lit(col), _lit(message), s.c.raw).where(s.c.line == line),
            )
        )
        self.local.execute(update(s).where(s.c.line == line).values(problem=1, action="reject"))

    def stored_present(self) -> set[str]:
        """Stored columns this file gives: its own columns and what is derived from them."""
        return set(self.tbl.staged_columns(list(self.present)))


def _lit(value: str) -> Any:
    from sqlalchemy import literal

    return literal(value, String)


def chunks(items: list[Any], size: int = CHUNK) -> Any:
    for start in range(0, len(items), size):
        yield items[start : start + size]
