"""crm import customers|contacts|followups|sales|plans FILE; crm import list|undo BATCH."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from crmcli.cli.common import AsOfOpt, FormatOpt, actor, fmt, open_db, state
from crmcli.i18n import N_, _
from crmcli.output import Col, message, print_json, render

app = typer.Typer(
    help="Import CSV from Excel, WPS or another CRM, and undo an import.",
    no_args_is_help=True,
)

File = Annotated[
    str,
    typer.Argument(
        help="CSV file to read (- reads stdin); a workbook (.xlsx, .xls, .et, .ods); "
        "for contacts, a .vcf address book."
    ),
]
Encoding = Annotated[
    str,
    typer.Option("--encoding", help="auto (BOM, UTF-8, else GB18030), utf-8, gb18030, utf-16…"),
]
Delimiter = Annotated[
    str, typer.Option("--delimiter", help="auto (from the header line), ',', ';' or tab.")
]
Map = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help='Header to field: "客户名称=name,手机=phone"; "Fax=" leaves a column out.',
    ),
]
MapValues = Annotated[
    list[str] | None,
    typer.Option(
        "--map-values",
        help="A column's values onto crm's: \"deal_stage:Won=completed,Lost=lost\" (repeatable).",
    ),
]
CreateCustomers = Annotated[
    bool,
    typer.Option(
        "--create-customers",
        help="Add the customers rows name by a name crm does not know (else they are rejected).",
    ),
]
OnDuplicate = Annotated[
    str,
    typer.Option(
        "--on-duplicate",
        help="A row that matches a record (by code, else phone, else name): skip, update or error.",
    ),
]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Check and report what would happen; write nothing.")
]
SkipInvalid = Annotated[
    bool, typer.Option("--skip-invalid", help="Import the good rows even when some are bad.")
]
Rejects = Annotated[
    str | None,
    typer.Option("--rejects", help="Write the bad rows here, with a reason column, to fix."),
]
ResultFormat = Annotated[
    str,
    typer.Option(
        "--format", "-f", help="table (messages only) or json (the result on stdout, for scripts)."
    ),
]
Owner = Annotated[
    str | None, typer.Option("--owner", help="Owner of rows that name none (default: you).")
]
Amount = Annotated[
    str | None,
    typer.Option(
        "--amount",
        help='The amount: a column, or two multiplied: "Quantity*UnitPrice" (exact).',
    ),
]
GroupBy = Annotated[
    str | None,
    typer.Option(
        "--group-by",
        help="One sale per value of this column (an invoice): its lines summed, its first date.",
    ),
]
Where = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        help='Keep only the rows where COLUMN=VALUE or COLUMN!=VALUE ("Country!=Unspecified"); '
        "repeatable, all must hold.",
    ),
]

Sheet = Annotated[
    str | None,
    typer.Option(
        "--sheet", help="A workbook's sheet, by name or number from 1 (default: the first)."
    ),
]
HeaderRow = Annotated[
    str | None,
    typer.Option(
        "--header-row",
        help="A workbook's header row number; rows above it are skipped (default: found).",
    ),
]
CardCustomer = Annotated[
    str | None,
    typer.Option("--customer", help="vCards: the customer every card's contact belongs to."),
]
ByOrg = Annotated[
    bool, typer.Option("--by-org", help="vCards: each card's ORG names its customer.")
]

BATCH_COLUMNS = (
    Col("id", "Batch", "right"),
    Col("kind", "Table"),
    Col("source", "File"),
    Col("at", "When"),
    Col("user", "Who"),
    Col("added", "Added", "right"),
    Col("updated", "Updated", "right"),
    Col("skipped", "Skipped", "right"),
    Col("rejected", "Rejected", "right"),
    Col("undone", "Undone"),
)

SUMMARY = N_(
    "imported {source} as batch #{batch}: {added} added, {updated} updated, "
    "{skipped} skipped, {rejected} rejected"
)
DRY_SUMMARY = N_(
    "dry run of {source}: would add {added}, update {updated}, skip {skipped}, "
    "reject {rejected}; nothing written"
)
# Every row a duplicate (a file imported again): said in this one line, not row by row.
NOTHING_NEW = N_(
    "imported {source} as batch #{batch}: nothing new, all {skipped} rows are already there "
    "(skipped as duplicates), {rejected} rejected"
)
DRY_NOTHING_NEW = N_(
    "dry run of {source}: nothing new, all {skipped} rows are already there "
    "(would skip them as duplicates), reject {rejected}; nothing written"
)


def _progress_bar() -> tuple[Any, Any]:
    """A bytes-read bar on stderr when it is a terminal; (callback, stop) else (None, None)."""
    if not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("reading", total=None)
    progress.start()

    def update(done: int, total: int | None) -> None:
        progress.update(task, completed=done, total=total)

    return update, progress.stop


REJECTS_ERRORS = {
    "input": N_("--rejects {path} is the file being imported; name another file"),
    "database": N_("--rejects {path} is the database; name another file"),
    "directory": N_("--rejects {path} is a directory; name a file to write the rejected rows to"),
    "no_directory": N_("cannot write --rejects {path}: directory {parent} does not exist"),
    "denied": N_("cannot write --rejects {path}: permission denied"),
}


def _same_file(a: str, b: str) -> bool:
    """One file under two names: ``./f/x.csv`` and ``f/x.csv``, a symlink, a hard link."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _database_file(ctx: typer.Context) -> str | None:
    """The SQLite file the import would write to (None: a server, which has no file here)."""
    from crmcli.cli.common import state
    from crmcli.db import sqlite_file

    path = sqlite_file(state(ctx).db_target())
    return None if path is None else str(path)


def _check_rejects(rejects: str, file: str, database: str | None) -> None:
    """Refuse a --rejects file that cannot be written, or would overwrite the input or the
    database, before anything is read or written."""
    from crmcli.errors import InvalidInput

    if file != "-" and _same_file(rejects, file):
        raise InvalidInput(_(REJECTS_ERRORS["input"]).format(path=rejects))
    if database is not None:
        # The database's journal files are the database too.
        for name in (database, *(database + end for end in ("-wal", "-shm", "-journal"))):
            if _same_file(rejects, name):
                raise InvalidInput(_(REJECTS_ERRORS["database"]).format(path=rejects))
    if os.path.isdir(rejects):
        raise InvalidInput(_(REJECTS_ERRORS["directory"]).format(path=rejects))
    parent = os.path.dirname(os.path.abspath(rejects))
    if not os.path.isdir(parent):
        raise InvalidInput(_(REJECTS_ERRORS["no_directory"]).format(path=rejects, parent=parent))
    writable = (
        os.access(rejects, os.W_OK)
        if os.path.exists(rejects)
        else os.access(parent, os.W_OK | os.X_OK)
    )
    if not writable:
        raise InvalidInput(_(REJECTS_ERRORS["denied"]).format(path=rejects))


def _run(
    ctx: typer.Context,
    table: str,
    file: str,
    encoding: str,
    delimiter: str,
    mapping: list[str] | None,
    on_duplicate: str,
    dry_run: bool,
    skip_invalid: bool,
    rejects: str | None,
    owner: str | None,
    as_of: str | None,
    format: str,
    sheet: str | None = None,
    header_row: str | None = None,
    customer: str | None = None,
    by_org: bool = False,
    *,
    map_values: list[str] | None = None,
    create_customers: bool = False,
    amount: str | None = None,
    group_by: str | None = None,
    where: list[str] | None = None,
) -> None:
    from crmcli.errors import InvalidInput
    from crmcli.io.csvfile import check_readable, normalize_delimiter, normalize_encoding
    from crmcli.io.tables import parse_map, parse_value_maps
    from crmcli.io.workbook import parse_header_row

    output = fmt(format, ("table", "json"))
    mode = on_duplicate.strip().lower()
    if mode not in ("skip", "update", "error"):
        raise InvalidInput(
            _("unknown --on-duplicate {on_duplicate!r}; expected skip, update or error").format(
                on_duplicate=on_duplicate
            )
        )
    if rejects == "-" and output == "json":
        raise InvalidInput(_("--rejects - and --format json would both write to stdout"))
    if rejects is not None and rejects != "-":
        _check_rejects(rejects, file, _database_file(ctx))
    from crmcli.services.imports import ImportOptions, run_import

    opts = ImportOptions(
        table=table,
        path=file,
        encoding=normalize_encoding(encoding),
        delimiter=normalize_delimiter(delimiter),
        mapping=parse_map(mapping or []),
        value_maps=parse_value_maps(map_values or []),
        create_customers=create_customers,
        on_duplicate=mode,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        rejects=rejects,
        owner=owner,
        sheet=sheet,
        header_row=parse_header_row(header_row),
        customer=customer,
        by_org=by_org,
        amount=amount,
        group_by=group_by,
        where=list(where or []),
    )
    from crmcli.services.imports.orders import check_options

    check_options(opts)
    check_readable(file)
    who = actor(ctx, as_of)
    database = open_db(ctx, write=not dry_run, create=not dry_run)
    update, stop = _progress_bar()
    try:
        result = run_import(database, who, opts, say=message, progress=update)
    finally:
        if stop is not None:
            stop()
    values = {
        "source": result.source,
        "batch": result.batch_id,
        "added": result.added,
        "updated": result.updated,
        "skipped": result.skipped,
        "rejected": result.rejected,
    }
    if result.nothing_new:
        message(_(DRY_NOTHING_NEW if result.dry_run else NOTHING_NEW).format(**values))
    else:
        message(_(DRY_SUMMARY if result.dry_run else SUMMARY).format(**values))
    if rejects is not None:
        message(
            _("{rejects_written} rejected rows written to {rejects}").format(
                rejects_written=result.rejects_written, rejects=rejects
            )
        )
    if output == "json":
        print_json(result.as_dict())


def _command(table: str, noun: str) -> Any:
    def command(
        ctx: typer.Context,
        file: File,
        encoding: Encoding = "auto",
        delimiter: Delimiter = "auto",
        map_: Map = None,
        map_values: MapValues = None,
        create_customers: CreateCustomers = False,
        on_duplicate: OnDuplicate = "skip",
        dry_run: DryRun = False,
        skip_invalid: SkipInvalid = False,
        rejects: Rejects = None,
        owner: Owner = None,
        as_of: AsOfOpt = None,
        format: ResultFormat = "table",
        sheet: Sheet = None,
        header_row: HeaderRow = None,
    ) -> None:
        _run(
            ctx,
            table,
            file,
            encoding,
            delimiter,
            map_,
            on_duplicate,
            dry_run,
            skip_invalid,
            rejects,
            owner,
            as_of,
            format,
            sheet,
            header_row,
            map_values=map_values,
            create_customers=create_customers,
        )

    if table == "contacts":
        command = _contacts_command(command)
    command.__doc__ = (
        f"Import {noun} from CSV or a workbook"
        + (", or an address book (.vcf)" if table == "contacts" else "")
        + ".\n\n"
        "Every row is checked first: by default nothing is written when any row is bad, "
        "and each bad row is listed with its line and column (exit 2). Encoding (UTF-8, "
        "UTF-8 with BOM, UTF-16, GBK/GB18030) and delimiter are detected; headers may be "
        "English or Chinese."
    )
    return command


def _contacts_command(_plain: Any) -> Any:
    """The contacts command: the options of every import, and those of a .vcf file."""

    def command(
        ctx: typer.Context,
        file: File,
        encoding: Encoding = "auto",
        delimiter: Delimiter = "auto",
        map_: Map = None,
        map_values: MapValues = None,
        create_customers: CreateCustomers = False,
        on_duplicate: OnDuplicate = "skip",
        dry_run: DryRun = False,
        skip_invalid: SkipInvalid = False,
        rejects: Rejects = None,
        owner: Owner = None,
        as_of: AsOfOpt = None,
        format: ResultFormat = "table",
        sheet: Sheet = None,
        header_row: HeaderRow = None,
        customer: CardCustomer = None,
        by_org: ByOrg = False,
    ) -> None:
        _run(
            ctx,
            "contacts",
            file,
            encoding,
            delimiter,
            map_,
            on_duplicate,
            dry_run,
            skip_invalid,
            rejects,
            owner,
            as_of,
            format,
            sheet,
            header_row,
            customer,
            by_org,
            map_values=map_values,
            create_customers=create_customers,
        )

    return command


for _table, _noun in (
    ("customers", "customers 客户"),
    ("contacts", "contacts 联系人 (rows name their customer by code or name)"),
    ("followups", "follow-ups 跟进记录 (rows name their customer by code or name)"),
    ("plans", "plans 跟进计划 (rows name their customer by code or name)"),
    ("complaints", "complaints 客户投诉 (rows name their customer; status follows the times)"),
    ("surveys", "satisfaction surveys 满意度调查 (rows name their customer; scores 1–5)"),
    ("projects", "projects 合作项目, or another CRM's deals (rows name their customer)"),
):
    app.command(_table)(_command(_table, _noun))


@app.command("sales")
def sales(
    ctx: typer.Context,
    file: File,
    encoding: Encoding = "auto",
    delimiter: Delimiter = "auto",
    map_: Map = None,
    map_values: MapValues = None,
    create_customers: CreateCustomers = False,
    amount: Amount = None,
    group_by: GroupBy = None,
    where: Where = None,
    on_duplicate: OnDuplicate = "skip",
    dry_run: DryRun = False,
    skip_invalid: SkipInvalid = False,
    rejects: Rejects = None,
    owner: Owner = None,
    as_of: AsOfOpt = None,
    format: ResultFormat = "table",
    sheet: Sheet = None,
    header_row: HeaderRow = None,
) -> None:
    _run(
        ctx,
        "sales",
        file,
        encoding,
        delimiter,
        map_,
        on_duplicate,
        dry_run,
        skip_invalid,
        rejects,
        owner,
        as_of,
        format,
        sheet,
        header_row,
        map_values=map_values,
        create_customers=create_customers,
        amount=amount,
        group_by=group_by,
        where=where,
    )


sales.__doc__ = (
    _command("sales", "sales 购买记录 (rows name their customer by code or name)").__doc__
    + '\n\nOrder lines (one line per product sold): --amount "Quantity*UnitPrice" '
    "computes each line's amount exactly, --group-by InvoiceNo makes one sale of each "
    "invoice's lines (summed, its earliest date), --where keeps the rows wanted. A line "
    "with a negative quantity, and an invoice numbered C123…, are refunds."
)


@app.command("list")
def list_(ctx: typer.Context, format: FormatOpt = "table") -> None:
    """Import batches: file, when, who, and what each did."""
    output = fmt(format)
    from crmcli.services.imports import list_batches

    database = open_db(ctx, write=False)
    with database.session() as session:
        batches = list_batches(session)
    from crmcli.dates import local_time

    zone = state(ctx).config.timezone
    rows = [
        {
            "id": b.id,
            "kind": b.kind,
            "source": b.source,
            "at": f"{local_time(b.at, zone):%Y-%m-%d %H:%M}",
            "user": b.user,
            "added": b.added,
            "updated": b.updated,
            "skipped": b.skipped,
            "rejected": b.rejected,
            "undone": (
                _("{at} by {user}").format(
                    at=f"{local_time(b.undone_at, zone):%Y-%m-%d %H:%M}", user=b.undone_by
                )
                if b.undone_at
                else ""
            ),
        }
        for b in batches
    ]
    json_rows = [
        {
            "id": b.id,
            "kind": b.kind,
            "source": b.source,
            "encoding": b.encoding,
            "delimiter": b.delimiter,
            "at": b.at,
            "user": b.user,
            "added": b.added,
            "updated": b.updated,
            "skipped": b.skipped,
            "rejected": b.rejected,
            "undone_at": b.undone_at,
            "undone_by": b.undone_by,
        }
        for b in batches
    ]
    render(rows, BATCH_COLUMNS, output, json_rows=json_rows)


@app.command("undo")
def undo(
    ctx: typer.Context,
    batch: Annotated[str, typer.Argument(help="Batch number (crm import list).")],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Also delete what was recorded by hand under rows the batch added, and "
            "restore values changed by hand since.",
        ),
    ] = False,
    dry_run: DryRun = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove what an import added and restore what it updated.

    Refused (exit 2) while a later import changed the same rows or added rows under
    them; undo those first. Each batch can be undone once.
    """
    from crmcli.errors import CrmError, InvalidInput
    from crmcli.services.imports import describe_counts, get_batch, undo_batch
    from crmcli.text.bounds import looks_like_id

    if not looks_like_id(batch):
        raise InvalidInput(
            _("batch must be a number (see crm import list), not {batch!r}").format(batch=batch)
        )
    who = actor(ctx)
    database = open_db(ctx, write=not dry_run)
    with database.session() as session:
        target = get_batch(session, batch)
        result = undo_batch(session, who, target, force=force, dry_run=True)
        if result.blocked_by:
            later = ", ".join(f"#{b}" for b in result.blocked_by)
            raise CrmError(
                _(
                    "cannot undo import #{id}: later imports {later} changed or added rows under what it imported; undo them first"
                ).format(id=target.id, later=later)
            )
        if result.dependents and not force:
            raise InvalidInput(
                _(
                    "cannot undo import #{id}: what it added has {dependents} recorded since; --force deletes them too"
                ).format(id=target.id, dependents=describe_counts(result.dependents))
            )
        if result.edited and not force:
            shown = ", ".join(result.edited[:5]) + (" …" if len(result.edited) > 5 else "")
            raise InvalidInput(
                _(
                    "cannot undo import #{id}: values it updated were changed since ({shown}); --force puts back the values from before the import anyway"
                ).format(id=target.id, shown=shown)
            )
        since = (
            f" (and {describe_counts(result.dependents)} recorded since)"
            if result.dependents
            else ""
        )
        plan = (
            f"import #{target.id} ({target.kind} from {target.source}): remove "
            f"{describe_counts(result.removed) or 'nothing'}{since}, restore "
            f"{describe_counts(result.restored) or 'nothing'}"
        )
        if dry_run:
            message(_("dry run: undo {plan}; nothing written").format(plan=plan))
            return
        from crmcli.cli.common import confirm

        confirm(f"Undo {plan}", yes)
        undo_batch(session, who, target, force=force)
    message(_("undid {plan}").format(plan=plan))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="import")
