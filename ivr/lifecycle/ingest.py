"""The call log, from the engine's spool on disk into the database (the work-order part's job).

:func:`ingest_pending` reads Asterisk's own record of the calls (the ``IVRCALL`` lines the
dialplan writes to the queue log before asking the engine, which the FastAGI port cannot forge)
and the call log's spool, each from its cursor, and hands both to
:meth:`ivr.store.routed_calls.RoutedCalls.take_in`: a line feeds the impact preview once its call
is in Asterisk's record, and is dropped and counted if it is not within the grace period (a
forged session, or a call Asterisk never had). Then the cursors move: a crash in between takes
the same lines in again, harmlessly. A damaged line is set aside with its reason, never dropped.
One ingester at a time per spool (an flock), so ``ivr serve`` and an ``ivr rules preview``
catching up never interleave. :class:`Ingester` runs it every second in a thread of the engine;
a database that is away is waited for (the lines wait on disk), with the outage logged once.
"""
from __future__ import annotations

import fcntl
import json
import threading
from collections.abc import Callable
from datetime import datetime, timezone

from ivr import dialplan_variables as dv
from ivr import data_folder
from ivr.ami.listener import QueueLogCursor
from ivr.spool import Spool
from ivr.asterisk.layout import Layout
from ivr.errors import StoreError
from ivr.logs import get_logger
from ivr.settings import Settings
from ivr.store.routed_calls import GRACE, RoutedCalls

log = get_logger("ivr.lifecycle.ingest")
BATCH = 5_000
RECORDS_BYTES = 4 << 20   # the queue log read in steps of this much


def asterisk_records(settings: Settings) -> QueueLogCursor:
    """Asterisk's queue log, read from where the call log's intake last stopped."""
    return QueueLogCursor(Layout.from_settings(settings).log / "queue_log",
                          data_folder.asterisk_records_offset(settings.data_dir))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _records(cursor: QueueLogCursor, now: datetime) -> list[dict]:
    """The next step of IVRCALL records, as the store takes them (older than the grace: skipped,
    their lines are long gone; a first read of a long queue log is a few steps of these)."""
    return [{"uniqueid": e.callid, "at": e.at, "line": e.data[0] if e.data else "",
             "caller": e.data[1] if len(e.data) > 1 else ""}
            for e in cursor.read_new(RECORDS_BYTES)
            if e.event == dv.CALL_QUEUE_LOG and e.callid and now - e.at <= 2 * GRACE]


def _row(line: str) -> dict:
    data = json.loads(line)
    at = datetime.fromisoformat(data["at"])
    if at.tzinfo is None:
        raise ValueError("the call's time has no zone")
    return {"call_id": data["id"], "at": at, "line": data["line"], "caller": data.get("caller", ""),
            "rules_sha256": data.get("rules", ""), "route": data.get("route", ""),
            "mode": data.get("mode", ""), "department": data.get("department", "")}


def ingest_pending(spool: Spool, calls: RoutedCalls, records: QueueLogCursor | None,
                   now: Callable[[], datetime] = utcnow) -> int:
    """Take Asterisk's new records and every complete line of ``spool`` into ``calls`` (joined,
    or waiting for each other); returns how many lines were read. ``records`` None: no record is
    read (the lines wait, and are dropped if none comes). StoreError when the database is away
    (nothing is lost: no cursor has moved)."""
    spool.folder.mkdir(parents=True, exist_ok=True, mode=0o750)
    taken = joined = dropped = 0
    with open(spool.folder / ".ingest.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        while records is not None and (found := _records(records, now())):
            step = calls.take_in([], found, now())
            records.commit()
            joined, dropped = joined + step.joined, dropped + step.dropped
        if records is not None:
            records.commit()   # past lines that were not records
        position = spool.cursor()
        while lines := spool.read(position, BATCH):
            rows, damaged = [], []
            for line in lines:
                try:
                    rows.append(_row(line.line))
                except (ValueError, KeyError, TypeError) as err:
                    damaged.append((line.line, f"unreadable call-log line: {err}"))
            step = calls.take_in(rows, [], now())
            joined, dropped = joined + step.joined, dropped + step.dropped
            for line, reason in damaged:
                spool.set_aside(line, reason)
                log.error("ingest.set_aside", reason=reason)
            position = lines[-1].end
            spool.commit(position)
            taken += len(lines)
        if not taken:
            step = calls.take_in([], [], now())   # the grace runs out without new lines too
            dropped += step.dropped
    if dropped:
        log.warning("ingest.dropped_unmatched", lines=dropped,
                    why="no call in Asterisk's records has this id and number: not a call Asterisk handled")
    if joined:
        log.info("ingest.joined", calls=joined)
    return taken


class Ingester:
    """:func:`ingest_pending` every ``interval`` seconds in a thread, until stopped."""

    def __init__(self, spool: Spool, calls: RoutedCalls, records: QueueLogCursor | None,
                 interval: float = 1.0) -> None:
        self.spool, self.calls, self.records, self.interval = spool, calls, records, interval
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
                self.ingested += ingest_pending(self.spool, self.calls, self.records)
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
            return ingest_pending(self.spool, self.calls, self.records)
        except Exception:  # noqa: BLE001 - what is left waits on disk for the next start
            return 0
