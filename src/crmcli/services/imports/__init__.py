"""crm import: a whole file validated first, then written in one transaction, as a batch
that ``crm import undo`` can take back (SPEC §4), into an SQLite file or a PostgreSQL
server alike.

- ``staging``: phase 1, the file read, validated and staged in a private SQLite file;
- ``decisions``: which customer a row names, duplicates, what becomes of each row;
- ``writing``: the batch, the rows added and updated, their history, index deferral;
- ``dues``: the due days of the customers touched (the one call into cadence);
- ``batches``: crm import list and undo;
- ``run``: one whole import.
"""

from __future__ import annotations

from crmcli.services.imports.batches import (
    UndoResult,
    describe_counts,
    get_batch,
    list_batches,
    undo_batch,
)
from crmcli.services.imports.common import MESSAGES, ON_DUPLICATE, ImportOptions, ImportResult
from crmcli.services.imports.run import run_import

__all__ = [
    "MESSAGES",
    "ON_DUPLICATE",
    "ImportOptions",
    "ImportResult",
    "UndoResult",
    "describe_counts",
    "get_batch",
    "list_batches",
    "run_import",
    "undo_batch",
]
