"""Callback requests per number, held in memory for the callback check (routing never waits on a
database).

A caller asking for a callback is told at once whether it is taken, joined to their number's
earlier request, or refused (:func:`ivr.core.callbacks.admit`). The FastAGI ``callback_check``
answers from this board: every number with an open request or one dialled today, as the centre
last wrote them to a board file (:mod:`ivr.boards`), looked at every ``interval`` seconds. The
store applies the same rule again, under a lock, when the request itself arrives over AMI: the
board only decides what the caller hears. A board the centre has not vouched for in
:data:`STALE_S` seconds (the centre or its database away) is not trusted: the check then answers
nothing and the dialplan keeps the caller in the queue.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from ivr.boards import BoardFile, decode_histories
from ivr.core import callbacks as cb
from ivr.logs import get_logger

log = get_logger("ivr.callbacks.board")
STALE_S = 30.0


class CallbackBoard:
    """``histories``: each number's open request and requests dialled today, as last written."""

    def __init__(self, path: Path, per_day: int = cb.PER_DAY, interval: float = 1.0,
                 wall: Callable[[], float] = time.time) -> None:
        self.file, self.per_day, self.interval, self.wall = BoardFile(path, decode_histories), per_day, interval, wall
        self.histories: dict[str, cb.NumberHistory] = {}
        self.written_at: float | None = None
        self._failing = False

    def refresh(self) -> None:
        """Read the board again if its file changed (blocking: a worker thread's job)."""
        try:
            fresh = self.file.poll()
        except (OSError, ValueError, KeyError, TypeError, IndexError) as err:
            if not self._failing:
                log.error("callbacks.board_unreadable", path=str(self.file.path), error=str(err))
            self._failing = True
            return
        if self._failing:
            log.warning("callbacks.board_readable_again")
        self._failing = False
        if fresh is not None:
            self.histories, self.written_at = dict(fresh.numbers), fresh.written_at

    def current(self) -> bool:
        """True when the centre wrote the board lately enough to answer a caller from it."""
        return self.written_at is not None and self.wall() - self.written_at <= STALE_S

    def verdict(self, number: str | None) -> cb.Verdict:
        """What a caller from ``number`` (None: the plan does not permit it) is told now."""
        history = self.histories.get(number, cb.NumberHistory()) if number else cb.NumberHistory()
        return cb.admit(number, history, self.per_day).verdict

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:  # read in a worker thread: a slow disk never holds up a call
            await loop.run_in_executor(None, self.refresh)
            await asyncio.sleep(self.interval)
