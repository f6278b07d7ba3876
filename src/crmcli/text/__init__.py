"""Values as users read them, made once for every layer (io, services, cli alike)."""

from __future__ import annotations

# Sale amounts are kept in millionths of their currency (``io.values.MICROS``).
_MICROS = 1_000_000


def money(cents: int) -> str:
    """An amount in yuan from its cents: ¥1,210, ¥1,210.50, -¥30."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}¥{whole:,}" + (f".{frac:02d}" if frac else "")


def amount(micros: int, currency: str = "CNY") -> str:
    """A sale amount with its currency: ¥1,210, ¥1,210.50, ¥15.552, -¥30, USD 99.90.

    Cents are shown when there are any, and every further decimal the amount has."""
    sign = "-" if micros < 0 else ""
    whole, frac = divmod(abs(micros), _MICROS)
    decimals = f"{frac:06d}".rstrip("0").ljust(2, "0") if frac else ""
    unit = "¥" if currency == "CNY" else f"{currency} "
    return f"{sign}{unit}{whole:,}" + (f".{decimals}" if decimals else "")


def amounts(totals: dict[str, int]) -> str:
    """Totals in several currencies, never added together: ¥1,210 + USD 99.90."""
    if not totals:
        return amount(0)
    return " + ".join(amount(totals[c], c) for c in sorted(totals, key=lambda c: (c != "CNY", c)))
