"""The routing engine's call log: every decision, written to disk off the call path.

The ``route`` handler calls :meth:`CallLog.record` once per call: a ``put_nowait`` into a bounded
queue, a microsecond, never a wait. A thread of its own takes the queue in batches and appends
them to a spool on disk (``<data_dir>/calls/``: :class:`~ivr.spool.Spool`'s segments, one JSON
line per call, fsync per batch). The work-order part takes the spool into the database
(:mod:`ivr.lifecycle.ingest`), where the impact preview replays it.

So a database outage never reaches the call path (the spool waits on disk), a failing disk
never blocks it either (the thread retries; the queue is bounded at ``max_pending`` and past it a
call is routed but not logged, counted in ``dropped`` and logged), and memory stays bounded.

One line: ``{"id", "at", "line", "caller", "rules", "route", "mode", "department"}``: Asterisk's
unique id of the channel, the engine's time of the decision (ISO, with its offset), the number
as dialled, the caller, the SHA-256 of the rules that decided, and where the call went.
"""
from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

from ivr.spool import Spool
from ivr.core.decision import Decision
from ivr.core.replay import route_of
from ivr.logs import get_logger

MAX_PENDING = 100_000
BATCH = 2_000
# Group commit: the writer waits this long after a call's line before writing, so one append and
# one fsync carry every call of the moment (a spool append costs a lock, a listing, an fsync:
# per call, at hundreds of calls a second, it took a fifth of the engine's time). A crash loses at
# most this much of the routing log, never a call (the call is routed before its line is written).
GROUP_S = 0.05
BACKOFF_S = (0.5, 1.0, 2.0, 5.0)

log = get_logger("ivr.agi.call_log")


def line_of(at: datetime, line: str, caller: str, call_id: str, rules_sha256: str, decision: Decision) -> str:
    """The log line of one decision."""
    return json.dumps({"id": call_id or f"noid-{uuid.uuid4().hex}", "at": at.isoformat(), "line": line,
                       "caller": caller, "rules": rules_sha256, "route": route_of(decision),
                       "mode": decision.mode.value, "department": decision.department},
                      ensure_ascii=False)


class CallLog:
    """A bounded queue in front of a writer thread; ``record`` never blocks."""

    def __init__(self, folder: Path, max_pending: int = MAX_PENDING) -> None:
        self.spool = Spool(folder)
        self._queue: queue.Queue = queue.Queue(max_pending)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.recorded = 0
        self.written = 0
        self.dropped = 0
        self.error = ""

    def record(self, at: datetime, line: str, caller: str, call_id: str, rules_sha256: str,
               decision: Decision) -> None:
        """Log one decision (from the event loop; formatting and disk happen in the thread)."""
        try:
            self._queue.put_nowait((at, line, caller, call_id, rules_sha256, decision))
            self.recorded += 1
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.error("call_log.full", dropped=self.dropped, pending=self._queue.qsize(), error=self.error)

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def start(self) -> "CallLog":
        self._thread = threading.Thread(target=self._run, name="ivr-call-log", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Write what is queued (for at most ``timeout`` seconds), then stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.pending:
            log.error("call_log.stopped_with_calls_unwritten", calls=self.pending, error=self.error)

    def _take(self, first) -> list[str]:
        items = [first]
        while len(items) < BATCH:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return [line_of(*item) + "\n" for item in items]

    def _run(self) -> None:
        attempt = 0
        batch: list[str] = []
        while True:
            if not batch:
                try:
                    first = self._queue.get(timeout=0.5)
                except queue.Empty:
                    if self._stop.is_set():
                        return
                    continue
                if not self._stop.is_set():
                    time.sleep(GROUP_S)
                batch = self._take(first)
            try:
                self.spool.append_lines(batch)
            except OSError as err:
                if not self.error:
                    log.error("call_log.write_failed", error=str(err), calls=len(batch))
                self.error = f"{err.strerror or err} ({self.spool.folder})"
                if self._stop.is_set():
                    return
                time.sleep(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
                attempt += 1
                continue
            except Exception:  # noqa: BLE001 - a dead writer would lose every later call's line
                log.exception("call_log.writer_error")
                batch = []
                continue
            if self.error:
                log.warning("call_log.write_recovered")
            self.written += len(batch)
            batch, attempt, self.error = [], 0, ""
