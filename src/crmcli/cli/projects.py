"""crm project add|list|show|stage|reopen|approve|doc (合作项目 and their documents)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from crmcli.cli.common import (
    AsOfOpt,
    FormatOpt,
    OwnerOpt,
    actor,
    fmt,
    moment,
    open_db,
    state,
    today,
)
from crmcli.enums import PROJECT_DOC_KIND, PROJECT_STAGE
from crmcli.errors import EXIT_FOUND
from crmcli.i18n import _, both, label
from crmcli.output import Col, message, print_json, render, render_record

app = typer.Typer(help="Projects 合作项目: stages, approval, documents.", no_args_is_help=True)
doc_app = typer.Typer(
    help="Project documents 项目文档: archived by their sha256.", no_args_is_help=True
)
app.add_typer(doc_app, name="doc")

ProjectId = Annotated[str, typer.Argument(help="Project id (as crm project list shows).")]
AtOpt = Annotated[str | None, typer.Option("--at", help="When (default now): 2027-01-10 09:30.")]

COLUMNS = (
    Col("id", "Id", "right"),
    Col("customer", "Customer"),
    Col("name", "Project"),
    Col("stage", "Stage"),
    Col("amount", "Amount", "right"),
    Col("expected", "Expected"),
    Col("late", "Late", "right"),
    Col("owner", "Owner"),
    Col("lead", "Lead"),
    Col("approved", "Approved"),
)
STAGE_COLUMNS = (
    Col("at", "At"),
    Col("stage", "Stage", choice=PROJECT_STAGE),
    Col("from", "From", choice=PROJECT_STAGE),
    Col("by", "By"),
    Col("days", "Days", "right"),
    Col("note", "Note"),
)
DOC_COLUMNS = (
    Col("id", "Id", "right"),
    Col("project_id", "Project", "right"),
    Col("name", "Name"),
    Col("kind", "Kind", choice=PROJECT_DOC_KIND),
    Col("size", "Bytes", "right"),
    Col("sha256", "Sha256"),
    Col("added_at", "Added"),
    Col("added_by", "By"),
)


def _amount(cents: int | None) -> str:
    from crmcli.text import money

    return "" if cents is None else money(cents)


def _row(p: Any) -> dict[str, Any]:
    from crmcli.enums import PROJECT_STAGE

    return {
        "id": p.id,
        "customer": f"{p.code} {p.customer_name}",
        "name": p.name,
        "stage": both(PROJECT_STAGE, p.stage),
        "amount": _amount(p.amount_cents),
        "expected": p.expected_on,
        "late": p.days_late,
        "owner": p.owner,
        "lead": p.lead,
        "approved": p.approved_by or "",
    }


@app.command("add", context_settings={"ignore_unknown_options": True})
def add(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id, code, or part of its name.")],
    name: Annotated[str, typer.Argument(help="The project's name: 2027 服务器扩容.")],
    amount: Annotated[
        str | None, typer.Option("--amount", help="Amount in yuan: 860000, ¥860,000.50.")
    ] = None,
    expected: Annotated[
        str | None, typer.Option("--expected", help="Expected close day: 2027-03-31.")
    ] = None,
    lead: Annotated[
        str | None, typer.Option("--lead", help="项目负责人 (default the customer's).")
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="跟进责任人 (default the customer's owner).")
    ] = None,
    product: Annotated[str | None, typer.Option("--product", help="What is sold.")] = None,
    likelihood: Annotated[
        str | None, typer.Option("--likelihood", help="合作可能性, 0–100 %.")
    ] = None,
    at: Annotated[str | None, typer.Option("--at", help="When it was added (default now).")] = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Add a project of a customer; it starts in evaluation 项目评估."""
    output = fmt(format)
    from crmcli.dates import parse_date
    from crmcli.services.projects import parse_likelihood, parse_project_amount

    cents = parse_project_amount(amount) if amount is not None else None
    chance = parse_likelihood(likelihood) if likelihood is not None else None
    when = moment(ctx, at, as_of, "--at date")
    expected_on = parse_date(expected, when.date(), what="--expected date") if expected else None
    who = actor(ctx, as_of)
    from crmcli.services.customers import resolve_customer
    from crmcli.services.projects import add_project, list_projects

    database = open_db(ctx, write=True)
    with database.session() as session:
        target = resolve_customer(session, customer)
        project = add_project(
            session,
            who,
            target,
            name=name,
            at=when,
            amount_cents=cents,
            expected_on=expected_on,
            owner=owner,
            lead=lead,
            product=product,
            likelihood=chance,
        )
        (listed,) = list_projects(session.connection(), who.today, project_id=project.id)
    message(
        _("project #{id} {name} of {code} {customer} added ({amount}, expected {expected})").format(
            id=project.id,
            name=project.name,
            code=target.code,
            customer=target.name,
            amount=_amount(cents) or _("no amount"),
            expected=expected_on or _("not set"),
        )
    )
    if output == "json":
        print_json(listed.as_dict())


@app.command("list")
def list_(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Argument(help="Only this customer's.")] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Only this stage.")] = None,
    owner: OwnerOpt = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open ones.")] = False,
    late: Annotated[
        bool, typer.Option("--late", help="Only open ones past their expected close.")
    ] = False,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Projects; the success rate 项目成功率 (with its definition) goes to stderr."""
    from crmcli.enums import PROJECT_STAGE

    output = fmt(format)
    stage_value = PROJECT_STAGE.parse(stage) if stage else None
    day = today(ctx, as_of)
    from crmcli.services.customers import resolve_customer
    from crmcli.services.projects import list_projects, success_rate, success_text

    database = open_db(ctx, write=False)
    with database.session() as session:
        target = resolve_customer(session, customer) if customer else None
        connection = session.connection()
        rows = list_projects(
            connection,
            day,
            stage=stage_value,
            owner=owner,
            open_only=open_only,
            late=late,
            customer_id=None if target is None else target.id,
        )
        rate = success_rate(
            connection, owner=owner, customer_id=None if target is None else target.id
        )
    if output == "json":
        print_json({"projects": [r.as_dict() for r in rows], "success_rate": rate})
        return
    render([_row(r) for r in rows], COLUMNS, output)
    message(success_text(rate))


@app.command("show")
def show(
    ctx: typer.Context, project_id: ProjectId, as_of: AsOfOpt = None, format: FormatOpt = "table"
) -> None:
    """One project: its stages with dates and who, approval, documents, follow-ups."""
    output = fmt(format)
    day = today(ctx, as_of)
    from crmcli.services import projects as svc

    database = open_db(ctx, write=False)
    with database.session() as session:
        project = svc.get_project(session, project_id)
        connection = session.connection()
        (item,) = svc.list_projects(connection, day, project_id=project.id)
        moves = svc.stages_of(connection, project.id, day)
        days = svc.stage_durations(connection, day, [project.id]).get(project.id, {})
        docs = svc.documents(connection, project.id)
        followups = svc.followups_of(connection, project.id)
    stages = [
        {
            "stage": move.stage,
            "from": move.from_stage,
            "at": move.at,
            "by": move.by,
            "note": move.note,
            "days": None if move.days is None else int(move.days),
        }
        for move in moves
    ]
    if output == "json":
        print_json(
            {
                **item.as_dict(),
                "stages": stages,
                "days_in_stage": days,
                "documents": [_doc_json(d) for d in docs],
                "followups": [
                    {
                        "id": f.id,
                        "at": f.at,
                        "channel": f.channel,
                        "summary": f.summary,
                        "result": f.result,
                        "owner": f.owner,
                    }
                    for f in followups
                ],
            }
        )
        return
    from crmcli.enums import CHANNEL, PROJECT_STAGE
    from crmcli.i18n import label, ngettext

    approval = (
        _("approved by {by} on {at:%Y-%m-%d %H:%M}").format(
            by=item.approved_by, at=item.approved_at
        )
        if item.approved_at
        else _("not approved")
    )
    late = (
        ngettext("{n} day", "{n} days", item.days_late or 0).format(n=item.days_late)
        if item.late
        else None
    )
    render_record(
        [
            (
                _("project #{id} {name}").format(id=item.id, name=item.name),
                [
                    (_("Customer"), f"{item.code} {item.customer_name}"),
                    (_("Stage"), both(PROJECT_STAGE, item.stage)),
                    (_("Amount"), _amount(item.amount_cents)),
                    (
                        _("Likelihood"),
                        None if item.likelihood is None else f"{item.likelihood}%",
                    ),
                    (_("Product"), item.product),
                    (_("Added"), item.added_on),
                    (_("Expected"), item.expected_on),
                    (_("Late"), late),
                    (_("Closed"), item.closed_on),
                    (_("Lost because"), item.lost_reason),
                    (_("Owner"), item.owner),
                    (_("Lead"), item.lead),
                    (_("Approval"), approval),
                ],
            ),
            (_("Stages"), []),
        ]
    )
    render([{**s, "from": s["from"] or ""} for s in stages], STAGE_COLUMNS, output)
    if docs:
        print()
        print(_("Documents"))
        render([_doc_row(d) for d in docs], DOC_COLUMNS, output)
    if followups:
        print()
        print(_("Follow-ups"))
        for f in followups:
            print(f"  {f.at:%Y-%m-%d %H:%M}  {label(CHANNEL, f.channel)}  {f.summary}")


def _step(
    ctx: typer.Context,
    project_id: str,
    stage: str,
    at: str | None,
    as_of: str | None,
    note: str | None,
) -> None:
    from crmcli.enums import PROJECT_STAGE

    value = PROJECT_STAGE.parse(stage)
    when = moment(ctx, at, as_of, "--at date")
    who = actor(ctx, as_of)
    from crmcli.services.projects import get_project, move

    database = open_db(ctx, write=True)
    with database.session() as session:
        project = get_project(session, project_id)
        before = project.stage
        done = move(session, who, project, value, at=when, note=note)
    message(
        _("project #{id} {name}: {before} → {value} at {when:%Y-%m-%d %H:%M}").format(
            id=project.id,
            name=project.name,
            before=label(PROJECT_STAGE, before),
            value=label(PROJECT_STAGE, value),
            when=when,
        )
    )
    for line in done:
        message(line)


@app.command("stage")
def stage(
    ctx: typer.Context,
    project_id: ProjectId,
    stage: Annotated[
        str,
        typer.Argument(
            help="evaluation 项目评估, negotiation 合作洽谈, contract 签订合同, "
            "implementation 项目实施, completed 完成, lost 失败."
        ),
    ],
    at: AtOpt = None,
    note: Annotated[str | None, typer.Option("--note", "-m", help="What happened.")] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why it failed (needed for lost).")
    ] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Move a project forward (stages may be skipped), or to lost with --reason."""
    _step(ctx, project_id, stage, at, as_of, reason if reason is not None else note)


@app.command("reopen")
def reopen(
    ctx: typer.Context,
    project_id: ProjectId,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is open again.")] = None,
    at: AtOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """A lost or completed project back to the stage it had before."""
    when = moment(ctx, at, as_of, "--at date")
    who = actor(ctx, as_of)
    from crmcli.services.projects import get_project
    from crmcli.services.projects import reopen as reopen_project

    database = open_db(ctx, write=True)
    with database.session() as session:
        project = get_project(session, project_id)
        before = project.stage
        back = reopen_project(session, who, project, at=when, reason=reason)
    message(
        _("project #{id} {name}: {before} → {back} (reopened)").format(
            id=project.id,
            name=project.name,
            before=label(PROJECT_STAGE, before),
            back=label(PROJECT_STAGE, back),
        )
    )


@app.command("approve")
def approve(
    ctx: typer.Context,
    project_id: ProjectId,
    by: Annotated[
        str | None, typer.Option("--by", help="Who approved it (default the acting user).")
    ] = None,
    at: AtOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """立项审批: record that the project was approved, by whom and when."""
    when = moment(ctx, at, as_of, "--at date")
    who = actor(ctx, as_of)
    from crmcli.services.projects import approve as approve_project
    from crmcli.services.projects import get_project

    database = open_db(ctx, write=True)
    with database.session() as session:
        project = get_project(session, project_id)
        approve_project(session, who, project, by=by, at=when)
    message(
        _("project #{id} {name} approved by {approved_by} at {when:%Y-%m-%d %H:%M}").format(
            id=project.id, name=project.name, approved_by=project.approved_by, when=when
        )
    )


# --- documents ----------------------------------------------------------------------------------


def _archive(ctx: typer.Context, database: Any) -> Path:
    from crmcli.services.projects import archive_dir

    return archive_dir(state(ctx).config, database.target)


def _doc_json(d: Any) -> dict[str, Any]:
    return {
        "id": d.id,
        "project_id": d.project_id,
        "name": d.name,
        "kind": d.kind,
        "sha256": d.sha256,
        "size": d.size,
        "source": d.source,
        "added_at": d.added_at,
        "added_by": d.added_by,
    }


def _doc_row(d: Any) -> dict[str, Any]:
    return {**_doc_json(d), "sha256": d.sha256[:12]}


@doc_app.command("add")
def doc_add(
    ctx: typer.Context,
    project_id: ProjectId,
    path: Annotated[str, typer.Argument(help="The file to archive.")],
    kind: Annotated[
        str, typer.Option("--kind", help="contract 合同, agreement 协议, report 报告, other 资料.")
    ] = "other",
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Archive a copy of a document (named by its sha256) and record it."""
    from crmcli.enums import PROJECT_DOC_KIND

    output = fmt(format)
    kind_value = PROJECT_DOC_KIND.parse(kind)
    source = Path(path).expanduser()
    from crmcli.services.projects import add_document, check_document, get_project

    check_document(source)
    who = actor(ctx, as_of)
    database = open_db(ctx, write=True)
    archive = _archive(ctx, database)
    with database.session() as session:
        project = get_project(session, project_id)
        doc = add_document(session, who, project, source, kind=kind_value, archive=archive)
    message(
        _("archived {kind_value} {name} of project #{id} as {value}").format(
            kind_value=label(PROJECT_DOC_KIND, kind_value),
            name=doc.name,
            id=project.id,
            value=archive / doc.sha256,
        )
    )
    if output == "json":
        print_json(_doc_json(doc))


@doc_app.command("list")
def doc_list(
    ctx: typer.Context,
    project_id: Annotated[str | None, typer.Argument(help="Only this project's.")] = None,
    format: FormatOpt = "table",
) -> None:
    """Documents with their kind, size and sha256."""
    output = fmt(format)
    from crmcli.services.projects import documents, get_project

    database = open_db(ctx, write=False)
    with database.session() as session:
        project = get_project(session, project_id) if project_id else None
        docs = documents(session.connection(), None if project is None else project.id)
    render(
        [_doc_row(d) for d in docs],
        DOC_COLUMNS,
        output,
        json_rows=lambda: [_doc_json(d) for d in docs],
    )


@doc_app.command("verify")
def doc_verify(
    ctx: typer.Context,
    project_id: Annotated[str | None, typer.Argument(help="Only this project's.")] = None,
) -> None:
    """Re-hash the archived copies: one line per copy missing or changed (exit 1)."""
    from crmcli.services.projects import get_project, verify_documents

    database = open_db(ctx, write=False)
    archive = _archive(ctx, database)
    with database.session() as session:
        project = get_project(session, project_id) if project_id else None
        checked, problems = verify_documents(
            session.connection(), archive, None if project is None else project.id
        )
    for line in problems:
        typer.echo(line)
    message(_("{checked} documents checked, {n} problems").format(checked=checked, n=len(problems)))
    if problems:
        raise typer.Exit(EXIT_FOUND)


@doc_app.command("get")
def doc_get(
    ctx: typer.Context,
    project_id: ProjectId,
    name: Annotated[str, typer.Argument(help="The document's name (or id).")],
    output_path: Annotated[str, typer.Option("--output", "-o", help="Where to write the copy.")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --output file if it exists.")
    ] = False,
) -> None:
    """Write the archived copy of a document to a file, checked against its sha256."""
    from crmcli.services.projects import copy_document, find_document, get_project

    database = open_db(ctx, write=False)
    archive = _archive(ctx, database)
    dest = Path(output_path).expanduser()
    with database.session() as session:
        project = get_project(session, project_id)
        doc = find_document(session.connection(), project.id, name)
    copy_document(doc, archive, dest, force=force)
    message(
        _("wrote {name} of project #{id} to {dest} ({size} bytes)").format(
            name=doc.name, id=project.id, dest=dest, size=doc.size
        )
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="project")
