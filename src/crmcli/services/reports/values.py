"""A report cell as each format writes it: typed (json, xlsx) or as text (table,
markdown, csv, html). Phones and e-mails are masked here when ``--redact`` asks."""

from __future__ import annotations

from datetime import date
from typing import Any

from crmcli.services.reports.model import (
    AUTO,
    DATE,
    EMAIL,
    INT,
    MONEY,
    NUMBER,
    PCT,
    PHONE,
    Column,
)


def kind_of(col: Column, row: dict[str, Any]) -> str:
    return str(row.get("kind", "number")) if col.kind == AUTO else col.kind


def typed(col: Column, row: dict[str, Any], redact: bool) -> Any:
    """The value with its type: money as a Decimal (cents, and any further digits it has),
    a rate as a fraction, a date as a date."""
    value = row.get(col.key)
    if value is None:
        return None
    kind = kind_of(col, row)
    if kind == MONEY:
        from crmcli.io.values import format_micros

        return format_micros(int(value))
    if kind == INT:
        return int(value)
    if kind in (PCT, NUMBER):
        return float(value)
    if kind == DATE:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    if kind == PHONE:
        from crmcli.io.values import mask_phone
        from crmcli.text.normalize import phone_display

        return mask_phone(value) if redact else phone_display(value)
    if kind == EMAIL:
        from crmcli.io.values import mask_email

        return mask_email(value) if redact else value
    return value


def text(col: Column, row: dict[str, Any], redact: bool, *, plain: bool = False) -> str:
    """The value as a person reads it (``plain``: as a spreadsheet reads it, for csv)."""
    value = typed(col, row, redact)
    if value is None:
        return "" if plain else "—"
    kind = kind_of(col, row)
    if plain:
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind == MONEY:
        from crmcli.text import amount

        return amount(int(row[col.key]), str(row.get("currency") or "CNY"))
    if kind == PCT:
        return f"{value * 100:.1f}%"
    if kind == NUMBER:
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value)}"
    if kind == INT:
        return f"{value:,}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def number(col: Column, row: dict[str, Any]) -> float | None:
    """The length of a bar: units of the currency for money, percent for a rate."""
    value = row.get(col.key)
    if value is None:
        return None
    kind = kind_of(col, row)
    if kind == MONEY:
        return int(value) / 1_000_000
    if kind == PCT:
        return float(value) * 100
    return float(value)
