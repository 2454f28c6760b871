"""The legs' media figures the dialplan wrote to the queue log, found by call.

``dialplan/media.conf`` writes one ``IVRMEDIA`` queue-log line per leg of an answered call as the
leg hangs up (``side|figures``, the agent field naming the leg's endpoint): a file line, no AMI
event, so Asterisk's manager costs nothing more per call. The engine reads the lines here when it
finishes the call after the hangup (:mod:`ivr.ami.media_finish`): from where it last stopped, the
new bytes only, keeping the figures of the last :data:`KEEP` calls. The resync cursor of the
listener (:class:`ivr.ami.listener.QueueLogCursor`) is not moved.

File I/O: for the intake's applier thread, never the event loop.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from ivr import dialplan_variables as dv
from ivr.core import call_events as ce
from ivr.core.media_quality import SIDES, LegFigures, parse_quality

KEEP = 20_000                 # calls whose figures are kept in memory
START_BACK = 4 << 20          # on the first read, this much of the file's end is read (recent calls)
_READ = 4 << 20


class MediaLines:
    """The IVRMEDIA lines of the queue log, by call (linkedid -> side -> figures)."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = Path(log_path)
        self._inode: int | None = None
        self._offset = 0
        self._legs: OrderedDict[str, dict[str, LegFigures]] = OrderedDict()
        self._lock = threading.Lock()

    def legs(self, linkedid: str) -> dict[str, LegFigures]:
        """The legs of call ``linkedid`` whose line has been written so far."""
        with self._lock:
            self._read_new()
            return dict(self._legs.get(linkedid, {}))

    def _read_new(self) -> None:
        try:
            stat = self.log_path.stat()
        except OSError:
            return
        if self._inode != stat.st_ino or self._offset > stat.st_size:  # first read, rotated or truncated
            first = self._inode is None
            self._inode, self._offset = stat.st_ino, max(0, stat.st_size - START_BACK) if first else 0
        while self._offset < stat.st_size:
            with self.log_path.open("rb") as fh:
                fh.seek(self._offset)
                data = fh.read(_READ)
            complete = data[: data.rfind(b"\n") + 1]
            if not complete:
                return
            self._offset += len(complete)
            for text in complete.decode("utf-8", errors="replace").splitlines():
                if f"|{dv.MEDIA_QUEUE_LOG}|" in text:
                    self._note(ce.parse_queue_log_line(text))

    def _note(self, entry: ce.QueueLogEntry | None) -> None:
        if entry is None or len(entry.data) < 2 or entry.data[0] not in SIDES or not entry.callid:
            return
        side = entry.data[0]
        endpoint = entry.agent if entry.agent != "NONE" else ""
        self._legs.setdefault(entry.callid, {})[side] = parse_quality(side, endpoint, "|".join(entry.data[1:]))
        self._legs.move_to_end(entry.callid)
        while len(self._legs) > KEEP:
            self._legs.popitem(last=False)
