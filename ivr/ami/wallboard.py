"""The supervisors' wallboard, live: published to the key "wallboard" (:data:`ivr.core.live.WALLBOARD`).

:class:`~ivr.ami.presence.PresenceMonitor` hands every queue event here (:meth:`WallboardFeed.on_event`)
and its QueueStatus resync (:meth:`WallboardFeed.changed`). The feed then

* counts calls offered (at the queue's door, as the report counts them), answered and abandoned
  per queue since the engine started (the /metrics counters: Prometheus takes a restart's reset
  in its stride);
* notes the callers waiting in the centre, for the last hour's chart;
* builds the board (:func:`ivr.core.wallboard.build`) and renders it once, both in a worker
  thread (each open page then gets the same HTML), and publishes it, at most once every
  :data:`THROTTLE_S` seconds after a change, and once a second while a supervisor's page is open
  (waits and talk times grow by themselves). Nobody watching: nothing is built, nothing is read.
  The publisher and the page's renderer are handed in by the wiring: the AMI side knows no web.

Today's answered and abandoned calls and the service level come from the database (the intake
writes each call there), read in a worker thread at most every :data:`TODAY_EVERY_S` seconds;
a database that does not answer leaves the live part of the board going, with today's figures
marked unknown.
"""
from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import datetime, timedelta

from ivr.core import presence as p
from ivr.core import wallboard
from ivr.core.call_events import text_of
from ivr.core.live import WALLBOARD, Publisher
from ivr.errors import IvrError
from ivr.logs import get_logger

KEY = WALLBOARD          # the key of supervisors' pages
THROTTLE_S = 0.25       # at most four boards a second
TICK_S = 1.0
TODAY_EVERY_S = 2.0

log = get_logger("ivr.wallboard")


class WallboardFeed:
    """Builds and publishes the board from the monitor's presence and the store's day."""

    def __init__(self, monitor, store, publisher: Publisher, rules: Callable, clock: Callable[[], datetime],
                 render: Callable | None = None) -> None:
        """``render(board, connected, rules)``: the board's HTML for the pages, or None (no HTML)."""
        self.monitor, self.store, self.publisher, self.rules, self.clock = monitor, store, publisher, rules, clock
        self.render = render
        self.history = wallboard.WaitingHistory()
        self.counts: Counter[tuple[str, str]] = Counter()   # (offered|answered|abandoned, queue)
        self.published = 0
        self._wake = asyncio.Event()
        self._today: list[wallboard.DayCall] | None = None
        self._today_read = (float("-inf"), None)            # (monotonic time, day) of the last read
        self._task: asyncio.Task | None = None
        self._stopping = False

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="wallboard")

    async def stop(self) -> None:
        # the flag as well as the cancel: asyncio.wait_for (3.11) swallows a cancel that arrives as
        # the event it waits for is set, and the loop would go on
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    # --- from the monitor (on the event loop) ------------------------------------------------

    def on_event(self, event, change) -> None:
        queue = text_of(event.get("Queue"))
        if isinstance(change, p.CallerAtDoor):
            self.counts["offered", queue] += 1
        elif isinstance(change, p.Connected):
            self.counts["answered", queue] += 1
        elif text_of(event.get("Event")) == "QueueCallerAbandon":
            self.counts["abandoned", queue] += 1
        self.changed()

    def changed(self) -> None:
        self.history.add(self._now(), self.waiting_total())
        self._wake.set()

    # --- reading ------------------------------------------------------------------------------

    def queues(self) -> list[str]:
        return list(self.rules().queues)

    def waiting(self, now: datetime) -> dict[str, tuple[int, float]]:
        return {q: self.monitor.presence.waiting(q, now) for q in self.queues()}

    def waiting_total(self) -> int:
        return self.monitor.presence.waiting_total()

    async def board(self) -> wallboard.Board:
        """The board now. Only the snapshot of Asterisk's state is taken on the event loop (which
        also answers FastAGI in ``ivr serve``); the day's calls are read and the board is built in
        a worker thread."""
        now = self._now()
        agents, waiting = self.monitor.presence.agents(now), self.waiting(now)
        history = wallboard.WaitingHistory(points=deque(self.history.points))
        await self._refresh_today(now)
        return await asyncio.to_thread(wallboard.build, self.queues(), agents, waiting, self._today, history, now)

    # --- internals ----------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock().astimezone(self.rules().centre.timezone)

    async def _refresh_today(self, now: datetime) -> None:
        day = wallboard.day_start(now)
        read_at, read_day = self._today_read
        if time.monotonic() - read_at < TODAY_EVERY_S and read_day == day:
            return
        self._today_read = (time.monotonic(), day)
        if self.store is None:
            return
        try:
            self._today = await asyncio.to_thread(self.store.calls_between, day, day + timedelta(days=1))
        except IvrError as err:
            if self._today is not None:
                log.warning("wallboard.today_unavailable", error=str(err))
            self._today = None

    async def _run(self) -> None:
        last = 0.0
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), TICK_S)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            if not self.publisher.watching(KEY):
                continue
            pause = THROTTLE_S - (time.monotonic() - last)
            if pause > 0:
                await asyncio.sleep(pause)
                self._wake.clear()
            try:
                await self._publish()
            except Exception as err:  # noqa: BLE001 - one bad board must not stop the feed
                log.warning("wallboard.publish_failed", error=f"{type(err).__name__}: {err}")
            last = time.monotonic()

    async def _publish(self) -> None:
        """Build the board and render its HTML once, in a worker thread, for every open page."""
        board = await self.board()
        html = (await asyncio.to_thread(self.render, board, self.monitor.logged_in.is_set(), self.rules())
                if self.render is not None else "")
        self.publisher.publish(KEY, "wallboard", {"board": board, "html": html})
        self.published += 1
