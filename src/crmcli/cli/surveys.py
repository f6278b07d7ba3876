"""crm survey add|list|due: 满意度调查, at least once a year per customer."""

from __future__ import annotations

from typing import Annotated

import typer

from crmcli.cli.common import (
    AsOfOpt,
    FormatOpt,
    OwnerOpt,
    actor,
    fmt,
    known_owner,
    open_db,
    state,
    today,
)
from crmcli.enums import STAGE, SURVEY_METHOD
from crmcli.i18n import _
from crmcli.output import Col, message, render

app = typer.Typer(help="Satisfaction surveys 满意度调查.", no_args_is_help=True)


COLUMNS = (
    Col("id", "Id", "right"),
    Col("on", "On"),
    Col("customer", "Customer"),
    Col("method", "Method", choice=SURVEY_METHOD),
    Col("quality", "Quality", "right"),
    Col("price", "Price", "right"),
    Col("delivery", "Delivery", "right"),
    Col("service", "Service", "right"),
    Col("overall", "Overall", "right"),
    Col("contact", "Contact"),
    Col("comment", "Comment"),
)
DUE_COLUMNS = (
    Col("days_overdue", "Late", "right"),
    Col("code", "Code"),
    Col("name", "Name"),
    Col("stage", "Stage", choice=STAGE),
    Col("owner", "Owner"),
    Col("last", "Last survey"),
)


@app.command("add")
def add(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id, code, or part of its name.")],
    method: Annotated[
        str,
        typer.Option("--method", help="questionnaire 问卷, phone 电话回访, online 在线 or visit."),
    ],
    quality: Annotated[str, typer.Option("--quality", help="产品质量, 1–5.")],
    price: Annotated[str, typer.Option("--price", help="价格, 1–5.")],
    delivery: Annotated[str, typer.Option("--delivery", help="交货按时, 1–5.")],
    service: Annotated[str, typer.Option("--service", help="售后服务, 1–5.")],
    overall: Annotated[
        str | None,
        typer.Option("--overall", help="The customer's overall score (default: the mean)."),
    ] = None,
    contact: Annotated[str | None, typer.Option("--contact", help="Who answered.")] = None,
    comment: Annotated[
        str | None, typer.Option("--comment", help="What the customer said.")
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="The day of the survey (default today).")
    ] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Record a satisfaction survey of a customer."""
    from crmcli.dates import parse_date
    from crmcli.enums import SURVEY_METHOD
    from crmcli.services.surveys import score

    method_value = SURVEY_METHOD.parse(method)
    scores = {
        "quality": score(quality, "quality"),
        "price": score(price, "price"),
        "delivery": score(delivery, "delivery"),
        "service": score(service, "service"),
    }
    overall_value = None if overall is None else score(overall, "overall")
    day = today(ctx, as_of)
    when = day if on is None else parse_date(on, day, what="--on date")
    who = actor(ctx, as_of)
    from crmcli.services.contacts import resolve_contact
    from crmcli.services.customers import resolve_customer
    from crmcli.services.surveys import add_survey
    from crmcli.services.surveys import overall as overall_of

    database = open_db(ctx, write=True)
    with database.session() as session:
        target = resolve_customer(session, customer)
        person = resolve_contact(session, target, contact) if contact else None
        survey = add_survey(
            session,
            who,
            target,
            on=when,
            method=method_value,
            scores=scores,
            overall_score=overall_value,
            contact=person,
            comment=comment,
        )
    message(
        _("survey #{id} of {code} {name} on {when} ({method_value}): overall {survey}").format(
            id=survey.id,
            code=target.code,
            name=target.name,
            when=when,
            method_value=method_value,
            survey=overall_of(survey),
        )
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Argument(help="Only this customer's.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day.")] = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Surveys, newest first."""
    from crmcli.dates import parse_date

    output = fmt(format)
    day = today(ctx, as_of)
    first = parse_date(start, day, what="--from date") if start else None
    last = parse_date(end, day, what="--to date") if end else None
    from crmcli.services.customers import resolve_customer
    from crmcli.services.surveys import DIMENSIONS, list_surveys, overall

    database = open_db(ctx, write=False)
    with database.session() as session:
        target = resolve_customer(session, customer) if customer else None
        rows = list_surveys(
            session.connection(),
            customer_id=None if target is None else target.id,
            start=first,
            end=last,
        )
    data = [
        {
            "id": r.id,
            "customer_id": r.customer_id,
            "code": r.code,
            "name": r.name,
            "on": r.on,
            "method": r.method,
            **{d: getattr(r, d) for d in DIMENSIONS},
            "overall": float(overall(r)),
            "overall_given": r.overall is not None,
            "contact": r.contact,
            "comment": r.comment,
            "by": r.by,
        }
        for r in rows
    ]
    render(
        [
            {**d, "customer": f"{d['code']} {d['name']}", "overall": f"{d['overall']:.2f}"}
            for d in data
        ],
        COLUMNS,
        output,
        json_rows=lambda: data,
    )


@app.command("due")
def due(
    ctx: typer.Context,
    owner: OwnerOpt = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Customers who must be surveyed (never, or not within the interval), most overdue first."""
    output = fmt(format)
    day = today(ctx, as_of)
    from crmcli.services.surveys import surveys_due

    database = open_db(ctx, write=False)
    with database.reading() as connection:
        known_owner(connection, owner)
        rows = surveys_due(connection, state(ctx).config, day, owner=owner)
    render(
        [
            {
                "days_overdue": r.days_overdue,
                "code": r.code,
                "name": r.name,
                "stage": r.stage,
                "owner": r.owner,
                "last": r.last_on or "never",
            }
            for r in rows
        ],
        DUE_COLUMNS,
        output,
        json_rows=lambda: [r.as_dict() for r in rows],
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="survey")
