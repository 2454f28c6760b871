"""The incident notices in force, held in memory for routing (which never waits on a database).

The board re-reads the notices from the database every ``interval`` seconds (in a worker
thread); routing takes the last copy and picks, with the pure :func:`ivr.core.notices.announce`,
the one a call hears at call time. A database that is away leaves the last copy in force (and
is logged once): a notice put up a moment ago plays within ``interval`` seconds.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from ivr.core.notices import Notice
from ivr.errors import StoreError
from ivr.logs import get_logger
from ivr.store.surges import SurgeStore

log = get_logger("ivr.notices")


class NoticeBoard:
    """``notices``: the notices whose window has not ended, as of the last read."""

    def __init__(self, surges: SurgeStore, clock: Callable[[], datetime], interval: float = 1.0) -> None:
        self.surges, self.clock, self.interval = surges, clock, interval
        self.notices: tuple[Notice, ...] = ()
        self._failing = False

    def refresh(self) -> None:
        """Read the notices again (blocking: a worker thread's job)."""
        since = self.clock() - timedelta(minutes=1)
        try:
            fresh = tuple(r.notice() for r in self.surges.notices(since=since))
        except StoreError as err:
            if not self._failing:
                log.error("notices.unreadable", error=str(err), kept=len(self.notices))
            self._failing = True
            return
        if self._failing:
            log.warning("notices.readable_again", notices=len(fresh))
        self._failing = False
        if fresh != self.notices:
            log.info("notices.changed", notices=[n.id for n in fresh])
        self.notices = fresh

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await loop.run_in_executor(None, self.refresh)
            except Exception as err:  # noqa: BLE001 - routing goes on with the last copy
                log.error("notices.refresh_failed", error=f"{type(err).__name__}: {err}")
            await asyncio.sleep(self.interval)
