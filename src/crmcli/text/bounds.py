"""The largest values the columns hold, checked where values enter (typed, imported or
configured), so that nothing a user types reaches the database as a number it cannot
store or a sum it cannot add up.

An id is an INTEGER column: 64 bits in SQLite, 32 on PostgreSQL, where a larger number
in a query is an error, not a miss; so a record number past 2^31 - 1, which neither
engine hands out (ids count up from 1), is read as no record. A sale amount is a BIGINT
of millionths, a project's one of cents: each is bounded in whole yuan, and the sum of
every sale's amount, which the reports and the ABC grading add up in SQL, must still fit
in 64 bits: ``SALES_TOTAL_CENTS`` bounds it, ``SALES_TOTAL_MICROS`` is the same bound in
the unit the sales are stored in.
"""

from __future__ import annotations

import re

MAX_ID = 2**31 - 1
# ¥1,000,000,000,000.00: one sale, refund or project amount.
MAX_AMOUNT_CENTS = 10**14
# ¥9,000,000,000,000.00: every sale and refund together (their absolute amounts), so that
# their sum in millionths stays within 2^63 - 1.
SALES_TOTAL_CENTS = 9 * 10**14
SALES_TOTAL_MICROS = SALES_TOTAL_CENTS * 10**4
# --limit: any count a listing could have (LIMIT takes 64 bits on both engines).
MAX_LIMIT = 2**63 - 1

_ID = re.compile(r"#?[0-9]+")


def looks_like_id(text: str) -> bool:
    """Whether a reference is spelt as a record number (``42``, ``#42``): ASCII digits
    only (``'²'.isdigit()`` is true, and ``int('²')`` fails)."""
    return _ID.fullmatch(text.strip()) is not None


def record_id(text: str) -> int | None:
    """The record number a reference spells, or None when it spells none or one past
    ``MAX_ID``, which no record has (so a lookup by it finds nothing)."""
    cleaned = text.strip()
    if _ID.fullmatch(cleaned) is None:
        return None
    digits = cleaned.lstrip("#")
    if len(digits) > len(str(MAX_ID)):
        return None
    number = int(digits)
    return number if number <= MAX_ID else None
