"""The intake: call facts from the AMI listener to the ticket store, never lost, never stuck.

Two threads, so the event loop never waits on a disk or a database::

    listener (event loop) --submit()--> inbox --writer thread--> spool (disk, fsync)
                                                                   |
                                 ticket store <--applier thread----+  (cursor moves on)

* The **writer** appends whatever is in the inbox to the :class:`~ivr.spool.Spool` and fsyncs
  once per batch. If the disk fails it keeps the facts and tries again (``writer`` in the status
  says why); the inbox is bounded (``max_inbox``): past it a fact is counted as overflowed and the
  listener is asked to resynchronise from Asterisk's queue log, which holds every call fact.
* The **applier** reads the spool from its cursor and applies each fact to the ledger, in order:
  - the database is away (:class:`~ivr.errors.StoreError`): the fact stays, the applier waits
    (0.5 s doubling to 5 s) and tries the same fact again; nothing behind it is lost, it waits on disk;
  - the recording is still being written (:class:`RecordingNotReady`): that fact waits a moment
    on the side while the others go on (the cursor does not pass it until it is done);
  - the fact itself is refused (a work-order error, an unreadable or altered recording, a damaged
    line) or fails the same way ``retry_limit`` times: it is **set aside** in the spool's aside file
    with the reason, logged as an error, counted, and the facts behind it go on. Never dropped.
* Both threads catch everything: an unexpected error is logged and the loop goes on.

``status()`` (and the file written every second, read by ``ivr tickets intake``) tells staff what
is pending, since when the database is away, and what was set aside.
"""
from __future__ import annotations

import heapq
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ivr.ami.intake_status import IntakeStatus, Counters, Health
from ivr.spool import Position, Record, Spool, decode
from ivr.core import call_events as ce
from ivr.errors import IvrError, StoreError
from ivr.logs import get_logger

log = get_logger("ivr.intake")

MAX_INBOX = 50_000
RETRY_LIMIT = 3
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 5.0)


class Ledger(Protocol):
    """Where facts are recorded (the ticket store). Idempotent; raises to say why it cannot."""

    def apply(self, fact: ce.Fact) -> None: ...


class RecordingNotReady(Exception):
    """The recording was written to too recently to hash: try again in ``retry_in`` seconds."""

    def __init__(self, path: Path, retry_in: float) -> None:
        super().__init__(f"{path} is still being written")
        self.retry_in = retry_in


class Intake(IntakeStatus):
    """The two threads and what they share. ``start()``, ``submit()`` from anywhere, ``stop()``."""

    def __init__(self, spool: Spool, ledger: Ledger, *, status_path: Path | None = None,
                 max_inbox: int = MAX_INBOX, retry_limit: int = RETRY_LIMIT,
                 backoff: tuple[float, ...] = BACKOFF_S, on_overflow: Callable[[], None] | None = None,
                 wall_clock: Callable[[], float] = time.monotonic) -> None:
        self.spool, self.ledger, self.status_path = spool, ledger, status_path
        self.max_inbox, self.retry_limit, self.backoff = max_inbox, retry_limit, backoff
        self.on_overflow, self.wall_clock = on_overflow, wall_clock
        self._inbox: deque[ce.Fact] = deque()
        self._cond = threading.Condition()
        self._spooled = threading.Condition()
        self._stopping = threading.Event()
        self._deadline: float | None = None
        self._writer_done = threading.Event()
        self._threads: list[threading.Thread] = []
        self.counts = Counters()
        self.database = Health()
        self.writer = Health()
        self._delayed: list[tuple[float, Position, Record]] = []
        self._status_written = 0.0

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> "Intake":
        self._threads = [threading.Thread(target=self._guard, args=(self._write_loop,), name="ivr-spool-writer"),
                         threading.Thread(target=self._guard, args=(self._apply_loop,), name="ivr-ledger")]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, grace: float = 5.0) -> None:
        """Write every fact received to disk, apply what can be applied within ``grace`` seconds,
        then stop. What is not applied stays in the spool for the next start."""
        self._deadline = self.wall_clock() + grace
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        with self._spooled:
            self._spooled.notify_all()
        for thread in self._threads:
            thread.join(grace + 10)
        self.write_status(state="stopped")
        if self._inbox:
            log.critical("intake.stopped_with_facts_in_memory", facts=len(self._inbox),
                         reason=self.writer.error)

    @property
    def alive(self) -> bool:
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    def _guard(self, loop: Callable[[], None]) -> None:
        """Run one thread's loop; an error that escapes it is logged and the loop restarted."""
        while True:
            try:
                loop()
                return
            except Exception as err:  # noqa: BLE001 - a thread that dies silently loses facts
                log.exception("intake.thread_error", thread=threading.current_thread().name, error=str(err))
                time.sleep(0.5)

    # --- the inbox and the writer ---------------------------------------------------------------

    def submit(self, fact: ce.Fact) -> None:
        """Hand over one fact (any thread; never blocks, never touches the disk)."""
        with self._cond:
            if len(self._inbox) >= self.max_inbox:
                self.counts.overflowed += 1
                overflow = True
            else:
                self._inbox.append(fact)
                self.counts.submitted += 1
                overflow = False
            self._cond.notify()
        if overflow:
            log.critical("intake.overflow", inbox=len(self._inbox), writer_error=self.writer.error)
            if self.on_overflow is not None:
                self.on_overflow()

    def flush(self, timeout: float = 10.0) -> bool:
        """Block until every fact submitted so far is on disk (True), or ``timeout`` passes."""
        with self._cond:
            target = self.counts.submitted
        deadline = time.monotonic() + timeout
        with self._spooled:
            while self.counts.written < target:
                left = deadline - time.monotonic()
                if left <= 0 or self._writer_done.is_set():
                    return self.counts.written >= target
                self._spooled.wait(min(left, 0.2))
        return True

    def _write_loop(self) -> None:
        attempt = 0
        while True:
            with self._cond:
                while not self._inbox and not self._stopping.is_set():
                    self._cond.wait(0.5)
                batch = list(self._inbox)
            if not batch:
                self._writer_done.set()
                return
            try:
                self.spool.append(batch)
            except OSError as err:
                if self.writer.fail(f"{err.strerror or err} ({getattr(err, 'filename', '') or self.spool.folder})"):
                    log.error("intake.spool_write_failed", error=self.writer.error, facts=len(batch))
                if self._stopping.is_set() and self.wall_clock() > (self._deadline or 0):
                    self._writer_done.set()
                    return
                time.sleep(self.backoff[min(attempt, len(self.backoff) - 1)])
                attempt += 1
                continue
            attempt = 0
            since = self.writer.recover()
            if since:
                log.warning("intake.spool_write_recovered", failing_since=since)
            with self._cond:
                for _ in batch:
                    self._inbox.popleft()
            with self._spooled:
                self.counts.written += len(batch)
                self._spooled.notify_all()

    # --- the applier ----------------------------------------------------------------------------

    def _apply_loop(self) -> None:
        position = self.spool.cursor()
        failures = 0
        while True:
            if self._stopping.is_set() and (self.wall_clock() > (self._deadline or 0) or
                                             (self._writer_done.is_set() and not self._delayed and
                                              not self.spool.read(position, 1))):
                break
            self._retry_delayed()
            records = self.spool.read(position, 256)
            for record in records:
                outcome = self._apply(record)
                if outcome == "retry":
                    failures += 1
                    self._wait(self.backoff[min(failures - 1, len(self.backoff) - 1)])
                    break
                failures = 0
                position = record.end
            self._commit(position)
            self._maybe_write_status()
            if not records:
                with self._spooled:
                    self._spooled.wait(0.2)
        self._commit(position)

    def _apply(self, record: Record) -> str:
        """'done', 'later' (put on the side) or 'retry' (the database is away)."""
        try:
            fact = decode(record.line)
        except (ValueError, KeyError, TypeError) as err:
            self._aside(record, f"unreadable spool line: {err}")
            return "done"
        try:
            self.ledger.apply(fact)
        except RecordingNotReady as wait:
            heapq.heappush(self._delayed, (self.wall_clock() + wait.retry_in + 0.05, record.start, record))
            return "later"
        except StoreError as err:
            if self.database.fail(str(err)):
                log.error("intake.database_down", error=str(err), kind=type(fact).__name__,
                          linkedid=fact.call.linkedid)
            return "retry"
        except Exception as err:  # noqa: BLE001 - refused, or unknown: set aside after retries
            tries = self.counts.attempts.get(record.start, 0) + 1
            if not isinstance(err, (IvrError, OSError)) and tries < self.retry_limit:
                self.counts.attempts[record.start] = tries
                log.warning("intake.apply_failed", error=f"{type(err).__name__}: {err}", attempt=tries,
                            kind=type(fact).__name__, linkedid=fact.call.linkedid)
                return "retry"
            self.counts.attempts.pop(record.start, None)
            self._aside(record, f"{type(err).__name__}: {err}", fact)
            return "done"
        self.counts.attempts.pop(record.start, None)
        self.counts.applied += 1
        since = self.database.recover()
        if since:
            log.warning("intake.database_back", down_since=since)
        log.info("intake.applied", kind=type(fact).__name__, linkedid=fact.call.linkedid)
        return "done"

    def _aside(self, record: Record, reason: str, fact: ce.Fact | None = None) -> None:
        try:
            self.spool.set_aside(record.line, reason)
        except OSError as err:  # the aside file too: keep it in the log at least, whole
            log.critical("intake.set_aside_failed", error=str(err), line=record.line, reason=reason)
        self.counts.set_aside += 1
        log.error("intake.set_aside", reason=reason, kind=type(fact).__name__ if fact else None,
                  linkedid=fact.call.linkedid if fact else None)

    def _retry_delayed(self) -> None:
        now = self.wall_clock()
        while self._delayed and self._delayed[0][0] <= now:
            _, _, record = heapq.heappop(self._delayed)
            if self._apply(record) == "retry":
                heapq.heappush(self._delayed, (now + self.backoff[-1], record.start, record))
                return

    def _commit(self, position: Position) -> None:
        """Move the cursor to ``position``, but never past a fact still waiting on the side."""
        held = min((start for _, start, _ in self._delayed), default=position)
        try:
            self.spool.commit(min(position, held))
        except OSError as err:
            log.error("intake.cursor_write_failed", error=str(err))

    def _wait(self, seconds: float) -> None:
        """Sleep ``seconds``; once stopping, never past the grace deadline."""
        if not self._stopping.is_set():
            self._stopping.wait(seconds)
        else:
            time.sleep(min(seconds, max(0.0, (self._deadline or 0) - self.wall_clock())))
