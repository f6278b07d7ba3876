"""The due days of the customers an import or an undo touched (SPEC §2 Visit cadence).

The one place the import package reaches ``services.cadence``: when the recompute of
due days moves elsewhere, this is the function to change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crmcli.config import Config


def settle(
    bind: Any,
    config: Config,
    *,
    created: Any = None,
    among: Any = None,
    moved: Iterable[int] = (),
) -> None:
    """Make current the due days of the customers just ``created`` (a query of their
    ids: they have no follow-ups or plans yet, so one statement with no subqueries), of
    those ``among`` selects (a query of ids: customers whose follow-ups or plans were
    added or removed) and of the ``moved`` ones (ids: tier, stage, channel… changed)."""
    from crmcli.services import cadence

    if created is not None:
        cadence.refresh_due(bind, config, among=created, fresh=True)
    if among is not None:
        cadence.refresh_due(bind, config, among=among)
    ids = sorted(set(moved))
    if ids:
        cadence.refresh_due(bind, config, ids)
