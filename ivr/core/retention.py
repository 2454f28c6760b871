"""Which recordings the retention period lets go: pure, the time and the holds are arguments.

A recording is removed once it was listed in the manifest more than ``keep_days`` days before
``now`` — unless an auditor put it under a legal hold (a complaint, an inquiry, a court), or the
manifest already records its removal. Nothing is ever removed when no period is configured.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ivr.core.text import require_aware

MAX_KEEP_DAYS = 36_500


@dataclass(frozen=True)
class Listed:
    """A recording as the manifest lists it."""

    path: str
    at: datetime   # when it was listed (the call had just ended)


def due(listed: Iterable[Listed], removed: set[str], held: set[str], now: datetime,
        keep_days: int | None) -> list[str]:
    """The paths to remove at ``now``, oldest first."""
    require_aware(now, "retention: now")
    if not keep_days:
        return []
    if not 1 <= keep_days <= MAX_KEEP_DAYS:
        raise ValueError(f"a retention period is 1 to {MAX_KEEP_DAYS} days, not {keep_days}")
    cutoff = now - timedelta(days=keep_days)
    chosen = [item for item in listed
              if item.at < cutoff and item.path not in removed and item.path not in held]
    return [item.path for item in sorted(chosen, key=lambda item: (item.at, item.path))]
