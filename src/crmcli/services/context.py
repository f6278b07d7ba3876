"""Who acts and through which command: recorded with every change (seed 000 第七条)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from crmcli.config import Config


@dataclass(frozen=True)
class Actor:
    user: str
    command: str
    config: Config
    today: date
    now: datetime
