"""Load the example data set (examples/*.csv) through the same services a user drives.

The files are plain CSV with English headers, dated around the ``as_of`` day named
in examples/demo.toml, so the demo's overdue list is the same on every machine.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from crmcli.dates import parse_datetime
from crmcli.enums import CHANNEL
from crmcli.errors import CrmError, InvalidInput
from crmcli.i18n import _
from crmcli.services.contacts import add_contact, resolve_contact
from crmcli.services.context import Actor
from crmcli.services.customers import add_customer, edit_customer, resolve_customer
from crmcli.services.followups import add_plan, cancel_plan, complete_plan, log_followup
from crmcli.text.fields import CUSTOMER_FIELDS


def find_examples(explicit: Path | None = None) -> Path:
    candidates = (
        [explicit]
        if explicit
        else [
            Path.cwd() / "examples",
            Path(__file__).resolve().parents[3] / "examples",
        ]
    )
    for folder in candidates:
        if folder is not None and (folder / "customers.csv").is_file():
            return folder
    raise InvalidInput(_("cannot find the examples folder (customers.csv); pass --examples DIR"))


def demo_as_of(folder: Path) -> date:
    settings = folder / "demo.toml"
    data = tomllib.loads(settings.read_text(encoding="utf-8")) if settings.exists() else {}
    value = data.get("as_of", "2026-11-20")
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _rows(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """(where, row) for each row; ``where`` names the file and line for error messages."""
    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            yield (
                f"{path.name} line {reader.line_num}",
                {k: (v or "").strip() for k, v in row.items()},
            )


@contextmanager
def _at(where: str) -> Iterator[None]:
    try:
        yield
    except CrmError as exc:
        raise InvalidInput(f"{where}: {exc.message}") from None
    except (KeyError, ValueError) as exc:
        raise InvalidInput(
            _("{where}: bad or missing value ({exc})").format(where=where, exc=exc)
        ) from None


def load_examples(session: Session, actor: Actor, folder: Path) -> dict[str, int]:
    counts = {
        "customers": 0,
        "contacts": 0,
        "followups": 0,
        "plans": 0,
        "changes": 0,
        "sales": 0,
        "projects": 0,
        "complaints": 0,
        "surveys": 0,
    }
    # Sales, projects, complaints and surveys give every section of `crm report` figures.
    loaders = (
        ("customers", _customer),
        ("contacts", _contact),
        ("followups", _followup),
        ("plans", _plan),
        ("changes", _change),
        ("sales", _sale),
        ("projects", _project),
        ("complaints", _complaint),
        ("surveys", _survey),
    )
    for name, load in loaders:
        for where, row in _rows(folder / f"{name}.csv"):
            with _at(where):
                load(session, actor, row)
            counts[name] += 1
    return counts


def _customer(session: Session, actor: Actor, row: dict[str, str]) -> None:
    who = replace(actor, today=date.fromisoformat(row["added_on"]))
    raw: dict[str, str | None] = {k: row[k] for k in CUSTOMER_FIELDS if row.get(k)}
    add_customer(
        session,
        who,
        raw,
        birthday=row.get("birthday") or None,
        lunar=row.get("birthday_lunar") == "yes",
    )


def _contact(session: Session, actor: Actor, row: dict[str, str]) -> None:
    customer = resolve_customer(session, row["customer_code"])
    raw: dict[str, str | None] = {
        k: row[k] for k in ("name", "title", "phone", "email", "gender", "notes") if row.get(k)
    }
    add_contact(
        session,
        actor,
        customer,
        raw,
        birthday=row.get("birthday") or None,
        lunar=row.get("lunar") == "yes",
        leap=row.get("leap") == "yes",
    )


def _followup(session: Session, actor: Actor, row: dict[str, str]) -> None:
    customer = resolve_customer(session, row["customer_code"])
    at, _ = parse_datetime(row["at"], actor.today)
    person = resolve_contact(session, customer, row["contact"]) if row.get("contact") else None
    log_followup(
        session,
        actor,
        customer,
        channel=CHANNEL.parse(row["channel"]),
        summary=row["summary"],
        result=row.get("result") or None,
        at=at,
        contact=person,
        owner=row.get("owner") or None,
    )


def _plan(session: Session, actor: Actor, row: dict[str, str]) -> None:
    customer = resolve_customer(session, row["customer_code"])
    due = parse_datetime(row["due"], actor.today)
    plan = add_plan(
        session,
        actor,
        customer,
        due=due,
        channel=CHANNEL.parse(row["channel"]),
        content=row["content"],
        owner=row.get("owner") or None,
    )
    if row.get("status") == "done":
        complete_plan(session, actor, plan, at=due[0])
    elif row.get("status") == "cancelled":
        cancel_plan(session, actor, plan, "example data")


def _change(session: Session, actor: Actor, row: dict[str, str]) -> None:
    customer = resolve_customer(session, row["customer_code"])
    field = row["field"]
    if field not in CUSTOMER_FIELDS:
        raise InvalidInput(_("unknown customer field {field!r}").format(field=field))
    edit_customer(session, actor, customer, {field: row["value"]}, reason=row.get("reason") or None)


def _sale(session: Session, actor: Actor, row: dict[str, str]) -> None:
    from crmcli.services.sales import add_sale, parse_amount

    customer = resolve_customer(session, row["customer_code"])
    add_sale(
        session,
        actor,
        customer,
        amount_micros=parse_amount(row["amount"].lstrip("-"), refund=row["amount"].startswith("-")),
        sold_on=date.fromisoformat(row["on"]),
        product=row.get("product") or None,
        note=row.get("note") or None,
    )


def _steps(text: str) -> Iterator[tuple[str, datetime, str | None]]:
    """``kind@YYYY-MM-DD HH:MM[:note]`` steps separated by ``;``."""
    for part in filter(None, (p.strip() for p in text.split(";"))):
        kind, _, rest = part.partition("@")
        when, note = rest[:16], rest[17:] or None
        yield kind, datetime.fromisoformat(when), note


def _project(session: Session, actor: Actor, row: dict[str, str]) -> None:
    from crmcli.services.projects import add_project, approve, move, parse_project_amount

    customer = resolve_customer(session, row["customer_code"])
    project = add_project(
        session,
        actor,
        customer,
        name=row["name"],
        at=datetime.fromisoformat(row["added_at"]),
        amount_cents=parse_project_amount(row["amount"]) if row.get("amount") else None,
        expected_on=date.fromisoformat(row["expected_on"]) if row.get("expected_on") else None,
    )
    for kind, at, note in _steps(row.get("moves", "")):
        if kind == "approve":
            approve(session, actor, project, by="zhao", at=at)
        else:
            move(session, actor, project, kind, at=at, note=note)


def _complaint(session: Session, actor: Actor, row: dict[str, str]) -> None:
    from crmcli.services.complaints import open_complaint, step

    customer = resolve_customer(session, row["customer_code"])
    complaint = open_complaint(
        session,
        actor,
        customer,
        severity=row["severity"],
        summary=row["summary"],
        at=datetime.fromisoformat(row["received_at"]),
        handler=None,
        channel=row.get("channel") or None,
    )
    for kind, at, note in _steps(row.get("steps", "")):
        step(session, actor, complaint, kind, at=at, note=note)


def _survey(session: Session, actor: Actor, row: dict[str, str]) -> None:
    from crmcli.services.surveys import DIMENSIONS, add_survey, score

    customer = resolve_customer(session, row["customer_code"])
    add_survey(
        session,
        actor,
        customer,
        on=date.fromisoformat(row["on"]),
        method=row["method"],
        scores={d: score(row[d], d) for d in DIMENSIONS},
        overall_score=score(row["overall"], "overall") if row.get("overall") else None,
        comment=row.get("comment") or None,
    )
