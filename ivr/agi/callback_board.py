"""Callback requests per number, held in memory for the callback check (routing never waits on a
database).

A caller asking for a callback is told at once whether it is taken, joined to their number's
earlier request, or refused (:func:`ivr.core.callbacks.admit`). The FastAGI ``callback_check``
answers from this board: every number with an open request or one dialled today, re-read from
the database every ``interval`` seconds in a worker thread. The store applies the same rule
again, under a lock, when the request itself arrives over AMI: the board only decides what the
caller hears. A board that has not been read for :data:`STALE_S` seconds (the database away) is
not trusted: the check then answers nothing and the dialplan keeps the caller in the queue.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime

from ivr.core import callbacks as cb
from ivr.core.wallboard import day_start
from ivr.errors import StoreError
from ivr.logs import get_logger
from ivr.store.callback_requests import CallbackRequests

log = get_logger("ivr.callbacks.board")
STALE_S = 30.0


class CallbackBoard:
    """``histories``: each number's open request and requests dialled today, as of the last read."""

    def __init__(self, requests: CallbackRequests, clock: Callable[[], datetime], timezone,
                 per_day: int = cb.PER_DAY, interval: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.requests, self.clock, self.timezone = requests, clock, timezone
        self.per_day, self.interval, self.monotonic = per_day, interval, monotonic
        self.histories: dict[str, cb.NumberHistory] = {}
        self.read_at: float | None = None
        self._failing = False

    def refresh(self) -> None:
        """Read the numbers again (blocking: a worker thread's job)."""
        try:
            fresh = self.requests.number_histories(day_start(self.clock().astimezone(self.timezone())))
        except StoreError as err:
            if not self._failing:
                log.error("callbacks.board_unreadable", error=str(err))
            self._failing = True
            return
        if self._failing:
            log.warning("callbacks.board_readable_again", numbers=len(fresh))
        self._failing = False
        self.histories, self.read_at = fresh, self.monotonic()

    def current(self) -> bool:
        """True when the board was read lately enough to answer a caller from it."""
        return self.read_at is not None and self.monotonic() - self.read_at <= STALE_S

    def verdict(self, number: str | None) -> cb.Verdict:
        """What a caller from ``number`` (None: the plan does not permit it) is told now."""
        history = self.histories.get(number, cb.NumberHistory()) if number else cb.NumberHistory()
        return cb.admit(number, history, self.per_day).verdict

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await loop.run_in_executor(None, self.refresh)
            except Exception as err:  # noqa: BLE001 - the check goes on with the last copy, then none
                log.error("callbacks.board_refresh_failed", error=f"{type(err).__name__}: {err}")
            await asyncio.sleep(self.interval)
