"""What the intake tells staff about itself: each side's health (failing since when, and why),
its counters, the status file ``ivr tickets intake`` reads (written every second), and
:func:`pipeline`: the whole pipeline's figures from the spool and that file, which ``ivr tickets
intake``, ``ivr health`` and ``/metrics`` show."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ivr.spool import Position, Spool, decode
from ivr.logs import get_logger
from ivr.files import replace_file

log = get_logger("ivr.intake")
STALE_AFTER_S = 10  # the engine writes its status every second: older means it is not running


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
            replace_file(self.status_path, json.dumps(self.status(state), indent=1))
        except OSError as err:
            log.warning("intake.status_write_failed", error=str(err))

    def _maybe_write_status(self) -> None:
        now = time.monotonic()
        if now - self._status_written >= 1.0:
            self._status_written = now
            self.write_status()


def pipeline(spool_folder: Path, status_path: Path) -> dict[str, Any]:
    """The pipeline's figures as one JSON-ready mapping: whether the engine's intake runs, facts
    pending and the oldest of them, the spool's size, the facts set aside and why. Reads files
    only, so it works whether the engine runs or not."""
    spool = Spool(spool_folder)
    pending = spool.pending()
    aside = spool.aside()
    status = _read_status(status_path)
    age = _age_s(status.get("updated_at")) if status else None
    running = bool(status and status.get("state") == "running" and age is not None and age < STALE_AFTER_S)
    return {
        "spool": str(spool.folder),
        "engine_running": running,
        "status_age_s": None if age is None else round(age, 1),
        "pending": len(pending),
        "spool_bytes": spool.size_bytes(),
        "oldest_pending_at": _oldest(pending),
        "set_aside": [{"at": a.at, "reason": a.reason,
                       "fact": (lambda f: f and {"kind": type(f).__name__, "linkedid": f.call.linkedid,
                                                 "at": f.at.isoformat()})(a.fact())} for a in aside],
        "engine": status,
    }


def _read_status(path: Path) -> dict | None:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _age_s(iso: str | None) -> float | None:
    try:
        return (datetime.now(timezone.utc) - datetime.fromisoformat(iso or "")).total_seconds()
    except ValueError:
        return None


def _oldest(records) -> str | None:
    for record in records:
        try:
            return decode(record.line).at.isoformat()
        except (ValueError, KeyError, TypeError):
            continue
    return None
