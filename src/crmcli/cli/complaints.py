"""crm complaint open|respond|wait|resume|resolve|close|reopen|escalate|list|show."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crmcli.cli.common import (
    AsOfOpt,
    FormatOpt,
    actor,
    fmt,
    moment,
    open_db,
    state,
)
from crmcli.enums import COMPLAINT_STATUS, SEVERITY
from crmcli.i18n import N_, _, label
from crmcli.output import Col, message, print_json, render

app = typer.Typer(help="Complaints 客户投诉, with their SLA clocks.", no_args_is_help=True)
ComplaintId = Annotated[str, typer.Argument(help="Complaint id (as crm complaint list shows).")]
AtOpt = Annotated[str | None, typer.Option("--at", help="When (default now): 2026-11-20 09:30.")]

COLUMNS = (
    Col("id", "Id", "right"),
    Col("received", "Received"),
    Col("customer", "Customer"),
    Col("severity", "Severity", choice=SEVERITY),
    Col("status", "Status", choice=COMPLAINT_STATUS),
    Col("response", "Response"),
    Col("resolution", "Resolution"),
    Col("handler", "Handler"),
    Col("summary", "Summary"),
)
STEP_COLUMNS = (
    Col("at", "At"),
    Col("step", "Step"),
    Col("by", "By"),
    Col("severity", "Severity", choice=SEVERITY),
    Col("response", "Response"),
    Col("resolution", "Resolution"),
    Col("note", "Note"),
)


def _late(minutes: int) -> str:
    """How late, short: 2d3h5m (2天3小时5分 in Chinese)."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    units = ((days, _("{n}d")), (hours, _("{n}h")), (mins, _("{n}m")))
    return "".join(unit.format(n=n) for n, unit in units if n) or _("{n}m").format(n=0)


# A step as the confirmation names it.
STEP_KINDS = {
    "responded": N_("responded"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
    "waiting": N_("waiting"),
    "resumed": N_("resumed"),
    "reopened": N_("reopened"),
    "escalated": N_("escalated"),
}

# A target's state as people read it (JSON keeps the English value).
TARGET_STATES = {
    "met": N_("met"),
    "missed": N_("missed"),
    "pending": N_("pending"),
    "waiting": N_("waiting"),
    "breaching": N_("breaching"),
}


def target_text(target: Any) -> str:
    """A target as a table shows it: its state and due time, and how late."""
    due = f"{target.due:%m-%d %H:%M}"
    state = _(TARGET_STATES.get(target.state, target.state))
    if target.state == "breaching" or target.state == "missed":
        late = _late(int(target.late.total_seconds() // 60))
        return _("{state} {late} (due {due})").format(state=state, late=late, due=due)
    if target.state == "met":
        return state
    return _("{state} (due {due})").format(state=state, due=due)


def _open_step(
    ctx: typer.Context,
    complaint_id: str,
    kind: str,
    at: str | None,
    as_of: str | None,
    *,
    note: str | None = None,
    severity: str | None = None,
    satisfied: bool | None = None,
) -> None:
    when = moment(ctx, at, as_of, "--at date")
    who = actor(ctx, as_of)
    from crmcli.services.complaints import get_complaint, step

    database = open_db(ctx, write=True)
    with database.session() as session:
        complaint = get_complaint(session, complaint_id)
        done = step(
            session,
            who,
            complaint,
            kind,
            at=when,
            note=note,
            severity=severity,
            satisfied=satisfied,
        )
    extra = "".join(f"; {d}" for d in done)
    message(
        _("complaint #{id} {kind} at {when:%Y-%m-%d %H:%M} ({status}){extra}").format(
            id=complaint.id,
            kind=_(STEP_KINDS.get(kind, kind)),
            when=when,
            status=label(COMPLAINT_STATUS, complaint.status),
            extra=extra,
        )
    )


@app.command("open")
def open_(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id, code, or part of its name.")],
    severity: Annotated[
        str, typer.Option("--severity", "-s", help="general 一般, important 重要 or major 重大.")
    ],
    summary: Annotated[
        str, typer.Option("--summary", "-m", help="What the customer complains of.")
    ],
    at: Annotated[
        str | None, typer.Option("--at", help="When it was received (default now).")
    ] = None,
    handler: Annotated[
        str | None, typer.Option("--handler", help="Who handles it (default the customer's owner).")
    ] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", help="How it came in: phone, email, visit, …")
    ] = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Record a complaint as it was received; its SLA clocks start then."""
    from crmcli.enums import CHANNEL, SEVERITY

    output = fmt(format)
    severity_value = SEVERITY.parse(severity)
    channel_value = CHANNEL.parse(channel) if channel else None
    when = moment(ctx, at, as_of, "--at date")
    who = actor(ctx, as_of)
    from crmcli.services.complaints import open_complaint
    from crmcli.services.customers import resolve_customer

    database = open_db(ctx, write=True)
    with database.session() as session:
        target = resolve_customer(session, customer)
        complaint = open_complaint(
            session,
            who,
            target,
            severity=severity_value,
            summary=summary,
            at=when,
            handler=handler,
            channel=channel_value,
        )
    message(
        _(
            "complaint #{id} from {code} {name} ({severity_value}), received {when:%Y-%m-%d %H:%M}, handled by {value}"
        ).format(
            id=complaint.id,
            code=target.code,
            name=target.name,
            severity_value=severity_value,
            when=when,
            value=complaint.handler or _("nobody"),
        )
    )
    if output == "json":
        print_json({"id": complaint.id, "customer_id": target.id, "severity": severity_value})


@app.command("respond")
def respond(
    ctx: typer.Context,
    complaint_id: ComplaintId,
    note: Annotated[
        str | None, typer.Option("--note", "-m", help="What the customer was told.")
    ] = None,
    at: AtOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """The first answer to the customer (seed 003 三.1: within 24 hours)."""
    _open_step(ctx, complaint_id, "responded", at, as_of, note=note)


@app.command("wait")
def wait(
    ctx: typer.Context,
    complaint_id: ComplaintId,
    reason: Annotated[str | None, typer.Option("--reason", help="What we wait for.")] = None,
    at: AtOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Waiting on the customer: the SLA clocks stand still until resume."""
    _open_step(ctx, complaint_id, "waiting", at, as_of, note=reason)


@app.command("resume")
def resume(
    ctx: typer.Context, complaint_id: ComplaintId, at: AtOpt = None, as_of: AsOfOpt = None
) -> None:
    """The customer answered: the SLA clocks run again."""
    _open_step(ctx, complaint_id, "resumed", at, as_of)


@app.command("resolve")
def resolve(
    ctx: typer.Context,
    complaint_id: ComplaintId,
    resolution: Annotated[
        str | None, typer.Option("--resolution", "-m", help="What was done.")
    ] = None,
    at: AtOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """The problem is solved (after the first response)."""
    _open_step(ctx, complaint_id, "resolved", at, as_of, note=resolution)


@app.command("close")
def close(
    ctx: typer.Context,
    complaint_id: ComplaintId,
    feedback: Annotated[
        str | None, typer.Option("--feedback", "-m", help="What the customer was told (反馈).")
    ] = None,
    satisfied: Annotated[
        str | None, typer.Option("--satisfied", help="Was the customer satisfied: yes or no.")
    ] = None,
    at: AtOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Close a resolved complaint once the result was fed back to the customer."""
    from crmcli.errors import InvalidInput

    answer = None
    if satisfied is not None:
        folded = satisfied.strip().lower()
        if folded not in ("yes", "no", "y", "n", "是", "否", "满意", "不满意"):
            raise InvalidInput(
                _("--satisfied must be yes or no, not {satisfied!r}").format(satisfied=satisfied)
            )
        answer = folded in ("yes", "y", "是", "满意")
    _open_step(ctx, complaint_id, "closed", at, as_of, note=feedback, satisfied=answer)


@app.command("reopen")
def reopen(
    ctx: typer.Context,
    complaint_id: ComplaintId,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is open again.")] = None,
    at: AtOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Open a resolved or closed complaint again; its resolution target counts anew."""
    _open_step(ctx, complaint_id, "reopened", at, as_of, note=reason)


@app.command("escalate")
def escalate(
    ctx: typer.Context,
    complaint_id: ComplaintId,
    severity: Annotated[str, typer.Option("--severity", "-s", help="The new severity.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is re-graded.")] = None,
    at: AtOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Re-grade a complaint: the new severity's targets count from its receipt."""
    from crmcli.enums import SEVERITY

    value = SEVERITY.parse(severity)
    _open_step(ctx, complaint_id, "escalated", at, as_of, note=reason, severity=value)


def _moments(item: Any) -> list[Any]:
    return [item.received_at, item.response.due, item.resolution.due]


def _unpublished(config: Any, moments: list[Any]) -> None:
    from crmcli.services.complaints import unpublished_years

    years = unpublished_years(config, moments)
    if years:
        shown = ", ".join(str(y) for y in years)
        message(
            _(
                "note: working time in {shown} counts weekends only: the statutory holidays of that year are not published yet"
            ).format(shown=shown)
        )


def _now(ctx: typer.Context, as_of: str | None) -> Any:
    """The moment targets are judged at: now, or the end of the --as-of day."""
    from datetime import datetime, time

    if as_of is None:
        return moment(ctx, None, None, "now")
    from crmcli.cli.common import today

    return datetime.combine(today(ctx, as_of), time(23, 59, 59))


@app.command("list")
def list_(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Argument(help="Only this customer's.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only those not resolved yet.")] = False,
    breaching: Annotated[
        bool, typer.Option("--breaching", help="Only those past a target, most late first.")
    ] = False,
    severity: Annotated[
        str | None, typer.Option("--severity", "-s", help="Only this severity.")
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this handler's.")] = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Complaints with the state of their response and resolution targets."""
    from crmcli.enums import SEVERITY

    output = fmt(format)
    severity_value = SEVERITY.parse(severity) if severity else None
    now = _now(ctx, as_of)
    from crmcli.services.complaints import list_complaints
    from crmcli.services.customers import resolve_customer

    database = open_db(ctx, write=False)
    with database.session() as session:
        target = resolve_customer(session, customer) if customer else None
        rows = list_complaints(
            session.connection(),
            state(ctx).config,
            now,
            open_only=open_only,
            breaching=breaching,
            severity=severity_value,
            owner=owner,
            customer_id=None if target is None else target.id,
        )
    _unpublished(state(ctx).config, [m for r in rows for m in _moments(r)])
    render(
        [
            {
                "id": r.id,
                "received": f"{r.received_at:%Y-%m-%d %H:%M}",
                "customer": f"{r.code} {r.name}",
                "severity": r.severity,
                "status": r.status + (" (waiting)" if r.waiting_since else ""),
                "response": target_text(r.response),
                "resolution": target_text(r.resolution),
                "handler": r.handler,
                "summary": r.summary,
            }
            for r in rows
        ],
        COLUMNS,
        output,
        json_rows=lambda: [r.as_dict() for r in rows],
    )


@app.command("show")
def show(
    ctx: typer.Context,
    complaint_id: ComplaintId,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """One complaint: its targets now, and its timeline with the SLA state at each step."""
    output = fmt(format)
    now = _now(ctx, as_of)
    from crmcli.services.complaints import get_complaint, list_complaints, timeline

    database = open_db(ctx, write=False)
    config = state(ctx).config
    with database.session() as session:
        complaint = get_complaint(session, complaint_id)
        (item,) = [
            r
            for r in list_complaints(
                session.connection(),
                config,
                max(now, complaint.received_at),
                customer_id=complaint.customer_id,
            )
            if r.id == complaint.id
        ]
        steps = timeline(session, complaint, config, now)
    _unpublished(config, _moments(item))
    if output == "json":
        print_json(
            {
                **item.as_dict(),
                "resolution_text": complaint.resolution,
                "feedback": complaint.feedback,
                "satisfied": complaint.satisfied,
                "steps": steps,
            }
        )
        return
    message(
        _(
            "complaint #{id} from {code} {name}: {severity}, {status}{value}; response {response}; resolution {resolution}"
        ).format(
            id=item.id,
            code=item.code,
            name=item.name,
            severity=label(SEVERITY, item.severity),
            status=label(COMPLAINT_STATUS, item.status),
            value=_(" (waiting on the customer)") if item.waiting_since else "",
            response=target_text(item.response),
            resolution=target_text(item.resolution),
        )
    )
    render(steps, STEP_COLUMNS, output)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="complaint")
