"""What the intake tells staff about itself: each side's health (failing since when, and why),
its counters, and the status file ``ivr tickets intake`` reads (written every second)."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ivr.ami.spool import Position
from ivr.logs import get_logger

log = get_logger("ivr.intake")


@dataclass
class Health:
    """One side's state for the status: ok, or failing since when and why."""

    ok: bool = True
    since: str | None = None
    error: str = ""

    def fail(self, error: str) -> bool:
        """Record a failure; True when this starts a new outage (for the log)."""
        started = self.ok
        if started:
            self.since = _utc()
        self.ok, self.error = False, error[:300]
        return started

    def recover(self) -> str | None:
        """Back to ok; returns since when it was failing (None if it was not)."""
        if self.ok:
            return None
        since, self.ok, self.since, self.error = self.since, True, None, ""
        return since


@dataclass
class Counters:
    submitted: int = 0
    written: int = 0
    applied: int = 0
    set_aside: int = 0
    overflowed: int = 0
    attempts: dict[Position, int] = field(default_factory=dict)


def _utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class IntakeStatus:
    """The status side of :class:`~ivr.ami.intake.Intake` (its counters, health and threads)."""

    counts: Counters
    database: Health
    writer: Health
    status_path: Path | None
    _status_written: float

    def status(self, state: str = "running") -> dict[str, Any]:
        c = self.counts
        return {
            "state": state, "pid": os.getpid(), "updated_at": _utc(),
            "threads_alive": self.alive, "in_memory": len(self._inbox), "delayed": len(self._delayed),
            "received": c.submitted, "written": c.written, "applied": c.applied,
            "set_aside": c.set_aside, "overflowed": c.overflowed,
            "database": {"ok": self.database.ok, "since": self.database.since, "error": self.database.error},
            "spool_writer": {"ok": self.writer.ok, "since": self.writer.since, "error": self.writer.error},
        }

    def write_status(self, state: str = "running") -> None:
        if self.status_path is None:
            return
        try:
            self.status_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.status_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.status(state), indent=1), encoding="utf-8")
            os.replace(tmp, self.status_path)
        except OSError as err:
            log.warning("intake.status_write_failed", error=str(err))

    def _maybe_write_status(self) -> None:
        now = time.monotonic()
        if now - self._status_written >= 1.0:
            self._status_written = now
            self.write_status()
