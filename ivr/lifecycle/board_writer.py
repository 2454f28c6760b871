"""The centre's side of the boards: the notices and callback requests, from the database to files.

Routing holds no database connection (:mod:`ivr.boards`): every ``interval`` seconds this writer
reads the notices whose window has not ended and each number's callback requests since the
centre's day began, in a worker thread, and rewrites each board file when it changed, or when
:data:`ivr.boards.HEARTBEAT_S` passed since it was last written (a board the centre stops
vouching for goes stale for routing's callback check). A database that is away writes nothing:
the files keep the last copy, and the callback board ages out on routing's side.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from ivr import boards, data_folder
from ivr.core.wallboard import day_start
from ivr.errors import StoreError
from ivr.logs import get_logger
from ivr.store.surges import SurgeStore

log = get_logger("ivr.boards")


class BoardWriter:
    """Writes ``boards/notices.json`` and ``boards/callbacks.json`` under ``data_dir``."""

    def __init__(self, surges: SurgeStore, data_dir: Path, clock: Callable[[], datetime], timezone,
                 interval: float = 1.0, wall: Callable[[], float] = time.time) -> None:
        self.surges, self.clock, self.timezone, self.interval, self.wall = surges, clock, timezone, interval, wall
        self.notices_path = data_folder.notices_board(data_dir)
        self.callbacks_path = data_folder.callbacks_board(data_dir)
        self._last: dict[Path, tuple[str, float]] = {}   # path -> (content written, when)
        self._failing = False

    def write_once(self) -> None:
        """Read the database and write what changed (blocking: a worker thread's job)."""
        now = self.clock()
        try:
            notices = tuple(r.notice() for r in self.surges.notices(since=now - timedelta(minutes=1)))
            start = day_start(now.astimezone(self.timezone()))
            histories = self.surges.number_histories(start)
        except StoreError as err:
            if not self._failing:
                log.error("boards.database_unreadable", error=str(err))
            self._failing = True
            return
        if self._failing:
            log.warning("boards.database_readable_again")
        self._failing = False
        wall = self.wall()
        self._put(self.notices_path, boards.encode_notices(notices, 0.0), lambda: boards.encode_notices(notices, wall))
        self._put(self.callbacks_path, boards.encode_histories(histories, start, 0.0),
                  lambda: boards.encode_histories(histories, start, wall))

    def _put(self, path: Path, content: str, text: Callable[[], str]) -> None:
        """Write ``text()`` when ``content`` (the board without its time) changed or the heartbeat is due."""
        last = self._last.get(path)
        if last is not None and last[0] == content and self.wall() - last[1] < boards.HEARTBEAT_S:
            return
        try:
            boards.write(path, text())
        except OSError as err:
            log.error("boards.not_written", path=str(path), error=str(err))
            return
        self._last[path] = (content, self.wall())

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await loop.run_in_executor(None, self.write_once)
            except Exception as err:  # noqa: BLE001 - the boards keep their last copy
                log.error("boards.write_failed", error=f"{type(err).__name__}: {err}")
            await asyncio.sleep(self.interval)
