"""Currencies: amounts in different currencies are never added together as they are.

A total is kept per currency (``totals_text``); where customers must be compared on one
scale (classification, the ABC report), each sale is taken in the base currency at the
rate the config gives (``currency.base``, ``currency.rates.USD = 7.1``), and a sale in a
currency without a rate is refused by name rather than counted at par.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import BigInteger, case, literal, select

from crmcli import schema
from crmcli.config import Config
from crmcli.errors import InvalidInput
from crmcli.i18n import N_, Catalogue

MESSAGES = Catalogue(
    {
        "no_rate": N_(
            "sales in {missing} cannot be compared with sales in {base}: no exchange rate; "
            "set one with crm config set currency.rates.{first} RATE (1 {first} = RATE {base})"
        ),
    }
)


@dataclass(frozen=True)
class Rates:
    base: str
    rates: dict[str, Decimal]  # every currency but the base: 1 unit = rate units of base

    def described(self, currencies: Iterable[str]) -> str:
        """``USD at 7.1, GBP at 9.05`` for the currencies given other than the base."""
        return ", ".join(
            f"{c} at {self.rates[c]}" for c in sorted(set(currencies)) if c != self.base
        )


def rates(config: Config) -> Rates:
    base = str(config.get("currency.base"))
    table = config.get("currency.rates") or {}
    return Rates(base, {code: Decimal(repr(rate)) for code, rate in table.items() if code != base})


def require_rates(config: Config, currencies: Iterable[str]) -> Rates:
    """The rates, once every currency given has one (the base needs none)."""
    found = rates(config)
    missing = sorted({c for c in currencies if c != found.base and c not in found.rates})
    if missing:
        raise InvalidInput(
            MESSAGES["no_rate"].format(
                missing=", ".join(missing), base=found.base, first=missing[0]
            )
        )
    return found


def of_sales(bind: Any, config: Config, *where: Any) -> tuple[Rates, tuple[str, ...]]:
    """The currencies of the sales ``where`` selects, once each has a rate (else a
    refusal naming those without one), and the rates."""
    sale = schema.sale.c
    found = tuple(
        bind.scalars(select(sale.currency).distinct().where(*where).order_by(sale.currency)).all()
    )
    return require_rates(config, found), found


def in_base(amount: Any, currency: Any, found: Rates, currencies: Iterable[str]) -> Any:
    """An SQL expression: a stored amount (millionths) in the base currency's millionths.

    Whole-number arithmetic on both engines (amount × numerator ÷ denominator, the
    quotient truncated the same way by SQLite and PostgreSQL), so grades and totals come
    out equal to the millionth whichever database holds the sales.
    """
    others = sorted({c for c in currencies if c != found.base})
    if not others:
        return amount
    whens = []
    for code in others:
        ratio = Fraction(found.rates[code])
        num = literal(ratio.numerator, BigInteger)
        den = literal(ratio.denominator, BigInteger)
        # amount × num ÷ den, truncated, without forming amount × num (which passes 64
        # bits for a large sale at a rate given to several decimals): both engines
        # truncate integer division and give the remainder the dividend's sign, so
        # (amount ÷ den) × num + (amount mod den) × num ÷ den is the same number.
        whens.append((currency == code, (amount // den) * num + (amount % den) * num // den))
    return case(*whens, else_=amount)
