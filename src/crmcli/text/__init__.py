"""Values as users read them, made once for every layer (io, services, cli alike)."""

from __future__ import annotations

# Sale amounts are kept in millionths of their currency (``io.values.MICROS``).
_MICROS = 1_000_000


def money(cents: int) -> str:
    """An amount in yuan from its cents, always to the cent: ¥1,210.00, ¥1,210.50,
    -¥30.00 (one form everywhere on screen, so that columns and messages compare)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}¥{whole:,}.{frac:02d}"


def amount(micros: int, currency: str = "CNY") -> str:
    """A sale amount with its currency: ¥1,210.00, ¥1,210.50, ¥15.552, -¥30.00, USD 99.90.

    Always to the cent, as ``money``, and every further decimal the amount has."""
    sign = "-" if micros < 0 else ""
    whole, frac = divmod(abs(micros), _MICROS)
    decimals = f"{frac:06d}".rstrip("0").ljust(2, "0")
    unit = "¥" if currency == "CNY" else f"{currency} "
    return f"{sign}{unit}{whole:,}.{decimals}"


def amounts(totals: dict[str, int]) -> str:
    """Totals in several currencies, never added together: ¥1,210.00 + USD 99.90."""
    if not totals:
        return amount(0)
    return " + ".join(amount(totals[c], c) for c in sorted(totals, key=lambda c: (c != "CNY", c)))
