"""The incident notices in force, held in memory for routing (which never waits on a database).

The centre writes the notices whose window has not ended to a board file
(:mod:`ivr.boards`, written by :mod:`ivr.lifecycle.board_writer`); this board looks at the file
every ``interval`` seconds and parses it only when it changed. Routing takes the last copy and
picks, with the pure :func:`ivr.core.notices.announce`, the one a call hears at call time. A
centre that is away (or a database that is) leaves the last copy in force: a notice put up a
moment ago plays within about two ``interval`` seconds.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from ivr.boards import BoardFile, decode_notices
from ivr.core.notices import Notice
from ivr.logs import get_logger

log = get_logger("ivr.notices")


class NoticeBoard:
    """``notices``: the notices whose window had not ended when the centre last wrote them."""

    def __init__(self, path: Path, interval: float = 1.0) -> None:
        self.file, self.interval = BoardFile(path, decode_notices), interval
        self.notices: tuple[Notice, ...] = ()
        self._failing = False

    def refresh(self) -> None:
        """Read the board again if its file changed (blocking: a worker thread's job)."""
        try:
            fresh = self.file.poll()
        except (OSError, ValueError, KeyError, TypeError) as err:
            if not self._failing:
                log.error("notices.unreadable", path=str(self.file.path), error=str(err), kept=len(self.notices))
            self._failing = True
            return
        if self._failing:
            log.warning("notices.readable_again")
        self._failing = False
        if fresh is None:
            return
        _, notices = fresh
        if notices != self.notices:
            log.info("notices.changed", notices=[n.id for n in notices])
        self.notices = notices

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:  # read in a worker thread: a slow disk never holds up a call
            await loop.run_in_executor(None, self.refresh)
            await asyncio.sleep(self.interval)
