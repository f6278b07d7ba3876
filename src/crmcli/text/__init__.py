"""Values as users read them, made once for every layer (io, services, cli alike)."""

from __future__ import annotations


def money(cents: int) -> str:
    """An amount in yuan from its cents: ¥1,210, ¥1,210.50, -¥30."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}¥{whole:,}" + (f".{frac:02d}" if frac else "")
