"""A rules file put in force by hand is recorded as a version, "edited on disk", off the call path.

The engine's rules watcher tells :meth:`DiskEditRecorder.notify` each version it loads, in order;
a thread records each one with the text the watcher loaded (kept by
:class:`~ivr.rules_file.TextKeepingLoader`), so two quick edits are two versions
(:meth:`RulesVersions.record_disk_edit`: nothing when the version in force already is that text,
as after ``ivr rules apply``). A database that is away is tried again every few seconds; the
routing engine never waits for it. The first file an engine loads on an empty database becomes
version 1 the same way.
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from ivr.errors import IvrError, RulesError
from ivr.logs import get_logger
from ivr.rules_file import digest, read_text
from ivr.store.rules_versions import RulesVersions

log = get_logger("ivr.lifecycle.recorder")
RETRY_S = 5.0


class DiskEditRecorder:
    """Records the version a watcher loaded, in a thread of its own."""

    def __init__(self, versions: RulesVersions, path: Path, clock: Callable[[], datetime],
                 texts: Mapping[str, str] | None = None) -> None:
        self.versions, self.path, self.clock = versions, Path(path), clock
        self.texts = texts if texts is not None else {}
        self._pending: deque[str] = deque(maxlen=64)
        self._last = ""
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ivr-rules-recorder", daemon=True)

    def notify(self, sha256: str) -> None:
        """The watcher holds ``sha256`` now (any thread; never blocks)."""
        if sha256 and sha256 != self._last:
            self._last = sha256
            self._pending.append(sha256)
        self._wake.set()

    def start(self) -> "DiskEditRecorder":
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _text(self, sha256: str) -> str | None:
        text = self.texts.get(sha256)
        if text is not None:
            return text
        try:
            text = read_text(self.path)
        except RulesError:
            return None
        return text if digest(text) == sha256 else None

    def record_pending(self) -> None:
        """Record every version notified so far, oldest first (StoreError: the rest waits)."""
        while self._pending:
            sha256 = self._pending[0]
            text = self._text(sha256)
            if text is not None:
                version = self.versions.record_disk_edit(text, self.clock())
                if version is not None:
                    log.warning("rules.recorded_disk_edit", version=version.number, sha256=sha256)
            else:
                log.error("rules.disk_edit_text_lost", sha256=sha256)
            self._pending.popleft()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(RETRY_S)
            self._wake.clear()
            try:
                self.record_pending()
            except IvrError as err:
                log.error("rules.disk_edit_not_recorded", error=str(err), retry_in=RETRY_S)
                self._wake.set()
                self._stop.wait(RETRY_S)
            except Exception:  # noqa: BLE001 - the thread must outlive one bad moment
                log.exception("rules.recorder_failed")
                self._stop.wait(RETRY_S)
