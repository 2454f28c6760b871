"""The call log, from the engine's spool on disk into the database (the work-order part's job).

:func:`ingest_pending` reads the spool from its cursor, inserts the calls (a call already there
is skipped), then moves the cursor: a crash in between takes the same lines in again, harmlessly.
A damaged line is set aside with its reason, never dropped. One ingester at a time per spool
(an flock), so ``ivr serve`` and an ``ivr rules preview`` catching up never interleave.
:class:`Ingester` runs it every second in a thread of the engine; a database that is away is
waited for (the lines wait on disk), with the outage logged once.
"""
from __future__ import annotations

import fcntl
import json
import threading
from datetime import datetime

from ivr.ami.spool import Spool
from ivr.errors import StoreError
from ivr.logs import get_logger
from ivr.store.routed_calls import RoutedCalls

log = get_logger("ivr.lifecycle.ingest")
BATCH = 5_000


def _row(line: str) -> dict:
    data = json.loads(line)
    at = datetime.fromisoformat(data["at"])
    if at.tzinfo is None:
        raise ValueError("the call's time has no zone")
    return {"call_id": data["id"], "at": at, "line": data["line"], "caller": data.get("caller", ""),
            "rules_sha256": data.get("rules", ""), "route": data.get("route", ""),
            "mode": data.get("mode", ""), "department": data.get("department", "")}


def ingest_pending(spool: Spool, calls: RoutedCalls) -> int:
    """Take every complete line of ``spool`` into ``calls``; returns how many were read.
    StoreError when the database is away (nothing is lost: the cursor has not moved)."""
    spool.folder.mkdir(parents=True, exist_ok=True, mode=0o750)
    taken = 0
    with open(spool.folder / ".ingest.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        position = spool.cursor()
        while records := spool.read(position, BATCH):
            rows, damaged = [], []
            for record in records:
                try:
                    rows.append(_row(record.line))
                except (ValueError, KeyError, TypeError) as err:
                    damaged.append((record.line, f"unreadable call-log line: {err}"))
            calls.add_many(rows)
            for line, reason in damaged:
                spool.set_aside(line, reason)
                log.error("ingest.set_aside", reason=reason)
            position = records[-1].end
            spool.commit(position)
            taken += len(records)
    return taken


class Ingester:
    """:func:`ingest_pending` every ``interval`` seconds in a thread, until stopped."""

    def __init__(self, spool: Spool, calls: RoutedCalls, interval: float = 1.0) -> None:
        self.spool, self.calls, self.interval = spool, calls, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ivr-call-log-ingest", daemon=True)
        self.ingested = 0
        self.database_error = ""

    def start(self) -> "Ingester":
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            try:
                self.ingested += ingest_pending(self.spool, self.calls)
                if self.database_error:
                    log.warning("ingest.database_back", was=self.database_error)
                self.database_error = ""
            except StoreError as err:
                if not self.database_error:
                    log.error("ingest.database_down", error=str(err))
                self.database_error = str(err)
            except Exception:  # noqa: BLE001 - the thread must outlive one bad moment
                log.exception("ingest.failed")
            if self._stop.wait(self.interval):
                self.ingested += self._last_round()
                return

    def _last_round(self) -> int:
        try:
            return ingest_pending(self.spool, self.calls)
        except Exception:  # noqa: BLE001 - what is left waits on disk for the next start
            return 0
