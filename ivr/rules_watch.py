"""routing_rules.yaml held in memory and reloaded when the file changes.

The server never reads the file on the call path: handlers read :attr:`RulesWatcher.rules`, a
plain attribute swapped in one assignment. A background task looks at the file's identity
(inode, size, mtime in nanoseconds) at most once per ``interval`` and, when it changed, loads
it in a worker thread so a slow parse never holds up a call. A file that fails the check is
refused: every problem is logged and the rules already in force stay in force.
"""
from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

from ivr.core.rules import Rules
from ivr.errors import RulesError
from ivr.logs import get_logger

Loader = Callable[[Path], Rules]
Identity = tuple[int, int, int] | None


def file_identity(path: Path) -> Identity:
    """(inode, size, mtime_ns) of ``path``, or None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class RulesWatcher:
    """The rules in force, and the file they came from."""

    def __init__(self, path: Path, loader: Loader, interval: float = 1.0,
                 on_change: Callable[[dict], None] | None = None) -> None:
        self.path = Path(path)
        self.interval = interval
        self.loader = loader
        self._on_change = on_change
        # called with the watcher after every load and every refusal: the parts that follow the
        # rules (the work orders' calendar, the version each part reports: ivr.engine)
        self.followers: list[Callable[["RulesWatcher"], None]] = []
        self._log = get_logger("ivr.agi.rules", path=str(self.path))
        self.reloads = 0
        self.failures = 0
        self.last_error: str | None = None
        self._identity = file_identity(self.path)
        self.rules: Rules = loader(self.path)  # the first load must succeed: raise RulesError
        self.loaded_at = time.time()
        for notice in self.rules.notices:
            self._log.warning("rules.notice", notice=notice)
        self._report()

    def _report(self) -> None:
        if self._on_change:
            self._on_change({"path": str(self.path), "lines": len(self.rules.lines),
                             "sha256": self.rules.sha256,
                             "loaded_at": self.loaded_at, "reloads": self.reloads,
                             "failures": self.failures, "last_error": self.last_error})
        for follower in self.followers:
            try:
                follower(self)
            except Exception:  # noqa: BLE001 - a follower's failure must not stop routing's reload
                self._log.exception("rules.follower_failed", follower=getattr(follower, "__name__", "?"))

    def changed(self) -> Identity | None:
        """The file's new identity when it differs from the one last seen, else None."""
        identity = file_identity(self.path)
        if identity is None or identity == self._identity:
            return None
        return identity

    def apply(self, identity: Identity, load: Callable[[], Rules]) -> bool:
        """Load the file (via ``load``) and swap the rules in; False if refused."""
        self._identity = identity  # a bad file is reported once, not every second
        try:
            rules = load()
        except RulesError as err:
            self.failures += 1
            first = str(err.problems[0]) if err.problems else ""
            self.last_error = f"{len(err.problems)} problem(s); first: {first}"[:500]
            self._log.error("rules.refused", problems=[str(p) for p in err.problems],
                            kept_lines=len(self.rules.lines))
            self._report()
            return False
        except Exception as err:  # noqa: BLE001 - a reload must never take the server down
            self.failures += 1
            self.last_error = f"{type(err).__name__}: {err}"
            self._log.exception("rules.reload_failed")
            self._report()
            return False
        self.rules = rules
        self.reloads += 1
        self.loaded_at = time.time()
        self.last_error = None
        self._log.info("rules.reloaded", lines=len(rules.lines), reloads=self.reloads, sha256=rules.sha256)
        for notice in rules.notices:
            self._log.warning("rules.notice", notice=notice)
        self._report()
        return True

    def check_now(self) -> bool:
        """Synchronous check-and-reload, for tests and one-off tools (the server polls in :meth:`run`)."""
        identity = self.changed()
        return identity is not None and self.apply(identity, lambda: self.loader(self.path))

    async def run(self) -> None:
        """Poll forever (cancel to stop). Parsing happens in a thread, off the event loop."""
        while True:
            await asyncio.sleep(self.interval)
            identity = self.changed()
            if identity is None:
                continue
            rules_or_error = await asyncio.to_thread(_capture, self.loader, self.path)
            self.apply(identity, rules_or_error)


def _capture(loader: Loader, path: Path) -> Callable[[], Rules]:
    """Run ``loader`` and return a thunk that returns its rules or re-raises its error."""
    try:
        rules = loader(path)
    except Exception as err:  # noqa: BLE001 - re-raised in the loop thread by the thunk
        def fail(err: Exception = err) -> Rules:
            raise err
        return fail
    return lambda: rules
