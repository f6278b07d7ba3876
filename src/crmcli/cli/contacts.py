"""crm contact add|list|edit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from crmcli.cli import views
from crmcli.cli.common import FormatOpt, actor, fmt, open_db
from crmcli.i18n import _
from crmcli.output import Col, message, print_json, render, shown

if TYPE_CHECKING:
    from crmcli.models import Contact

app = typer.Typer(help="Contact people 联系人 at customers.", no_args_is_help=True)

Customer = Annotated[str, typer.Argument(help="Customer id, code, or part of its name.")]
Title = Annotated[str | None, typer.Option("--title", help="Title or role, e.g. 采购经理.")]
Phone = Annotated[str | None, typer.Option("--phone")]
Email = Annotated[str | None, typer.Option("--email")]
Gender = Annotated[str | None, typer.Option("--gender", help="male 男 | female 女.")]
Birthday = Annotated[str | None, typer.Option("--birthday", help="1985-03-08 or 03-08.")]
Notes = Annotated[str | None, typer.Option("--notes", help="Family, interests… (seed 003).")]

COLUMNS = (
    Col("id", "Id", "right"),
    Col("customer", "Customer"),
    Col("name", "Name"),
    Col("title", "Title"),
    Col("phone", "Phone"),
    Col("email", "Email"),
    Col("birthday", "Birthday"),
)


@app.command("add")
def add(
    ctx: typer.Context,
    customer: Customer,
    name: Annotated[str, typer.Argument(help="The contact's name.")],
    title: Title = None,
    phone: Phone = None,
    email: Email = None,
    gender: Gender = None,
    birthday: Birthday = None,
    lunar: Annotated[bool, typer.Option("--lunar", help="Birthday is lunar 农历.")] = False,
    leap: Annotated[bool, typer.Option("--leap", help="Lunar birthday in a leap month.")] = False,
    notes: Notes = None,
    format: FormatOpt = "table",
) -> None:
    """Add a contact person to a customer."""
    output = fmt(format)
    who = actor(ctx)
    from crmcli.services.contacts import add_contact
    from crmcli.services.customers import resolve_customer

    raw = {
        "name": name,
        "title": title,
        "phone": phone,
        "email": email,
        "gender": gender,
        "notes": notes,
    }
    database = open_db(ctx, write=True)
    with database.session() as session:
        target = resolve_customer(session, customer)
        completed: list[Contact] = []
        contact = add_contact(
            session,
            who,
            target,
            raw,
            birthday=birthday,
            lunar=lunar,
            leap=leap,
            completed=completed,
        )
    done = (
        _("completed contact #{id} {name} of {code} {customer}")
        if completed
        else _("added contact #{id} {name} to {code} {customer}")
    )
    message(done.format(id=contact.id, name=contact.name, code=target.code, customer=target.name))
    if output == "json":
        print_json(views.contact_json(contact, target))


@app.command("edit")
def edit(
    ctx: typer.Context,
    customer: Customer,
    contact: Annotated[str, typer.Argument(help="Contact id or name.")],
    name: Annotated[str | None, typer.Option("--name")] = None,
    title: Title = None,
    phone: Phone = None,
    email: Email = None,
    gender: Gender = None,
    birthday: Birthday = None,
    lunar: Annotated[bool | None, typer.Option("--lunar/--solar")] = None,
    leap: Annotated[bool | None, typer.Option("--leap/--no-leap")] = None,
    notes: Notes = None,
) -> None:
    """Change a contact's details (an empty value clears a field)."""
    who = actor(ctx)
    from crmcli.services.contacts import edit_contact, resolve_contact
    from crmcli.services.customers import resolve_customer

    raw = {
        "name": name,
        "title": title,
        "phone": phone,
        "email": email,
        "gender": gender,
        "notes": notes,
    }
    database = open_db(ctx, write=True)
    with database.session() as session:
        target = resolve_customer(session, customer)
        person = resolve_contact(session, target, contact)
        changes = edit_contact(session, who, person, raw, birthday=birthday, lunar=lunar, leap=leap)
    if not changes:
        message(_("contact #{id} {name}: nothing changed").format(id=person.id, name=person.name))
    for change in changes:
        field, old, new = views.change_shown(*change)
        message(
            _("contact #{id} {field}: {old} → {new}").format(
                id=person.id, field=field, old=shown(old), new=shown(new)
            )
        )


@app.command("list")
def list_(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Argument(help="Only this customer's contacts.")] = None,
    format: FormatOpt = "table",
) -> None:
    """List contacts, by customer in pinyin order."""
    output = fmt(format)
    from crmcli.services.contacts import list_contacts
    from crmcli.services.customers import resolve_customer
    from crmcli.text.normalize import phone_display

    database = open_db(ctx, write=False)
    with database.session() as session:
        target = resolve_customer(session, customer) if customer else None
        rows = list_contacts(session, target)
    table = [
        {
            "id": p.id,
            "customer": f"{c.code} {c.name}",
            "name": p.name,
            "title": p.title,
            "phone": phone_display(p.phone),
            "email": p.email,
            "birthday": views.birthday_text(p),
        }
        for p, c in rows
    ]
    render(table, COLUMNS, output, json_rows=lambda: [views.contact_json(p, c) for p, c in rows])


@app.command("delete")
def delete(
    ctx: typer.Context,
    customer: Customer,
    contact: Annotated[str, typer.Argument(help="Contact id or name.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why; kept in history.")] = None,
) -> None:
    """Remove a contact: follow-ups with them stay (without the contact), history keeps it."""
    who = actor(ctx)
    from crmcli.services.contacts import resolve_contact
    from crmcli.services.corrections import delete_contact
    from crmcli.services.customers import resolve_customer

    database = open_db(ctx, write=True)
    with database.session() as session:
        target = resolve_customer(session, customer)
        person = resolve_contact(session, target, contact)
        delete_contact(session, who, target, person, reason)
    message(
        _("deleted contact #{id} {name} of {code} {name2}").format(
            id=person.id, name=person.name, code=target.code, name2=target.name
        )
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="contact")
