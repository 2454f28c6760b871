"""One long-lived AMI connection kept honest: the base of every feed of Asterisk's events.

panoramisk's Manager reconnects by itself, but what Asterisk said while it was away is gone,
and its own ping never checks the reply (a half-open connection goes unnoticed). A feed pings
and waits for the answer; on silence it drops the connection so panoramisk reconnects; after
every login it calls :meth:`AmiFeed.resync`, where a subclass catches up from a snapshot
(calls in progress and the queue log for work orders; QueueStatus for agents' states).
"""
from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timezone

from panoramisk import Manager

from ivr.logs import get_logger

log = get_logger("ivr.ami")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class AmiFeed:
    """A Manager for ``events``, a ping watchdog, and a resync after each login."""

    name = "ami"  # for the log: which feed

    def __init__(self, *, host: str, port: int, username: str, secret: str, events: Iterable[str],
                 ping_interval: float = 5.0, ping_timeout: float = 3.0, reconnect_after: float = 1.0) -> None:
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.manager = Manager(host=host, port=port, username=username, secret=secret,
                               events="on", ping_delay=3600, ping_interval=3600,
                               reconnect_timeout=reconnect_after,
                               on_login=self._on_login, on_disconnect=self._on_disconnect,
                               on_connect=lambda manager: None)
        for event in events:
            self.manager.register_event(event, self._event)
        self._watchdog_task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._resync_lock = asyncio.Lock()
        self.logins = 0
        self.logged_in = asyncio.Event()

    async def start(self) -> None:
        self._loop = self.manager.loop = asyncio.get_running_loop()
        self.manager.connect()
        self._watchdog_task = asyncio.create_task(self._watchdog(), name=f"{self.name}-watchdog")

    async def stop(self) -> None:
        if self._watchdog_task is not None:
            self._watchdog_task.cancel()
            await asyncio.gather(self._watchdog_task, return_exceptions=True)
        self.manager.connection_lost = lambda _exc: None  # no reconnection after our own close
        self.manager.close()

    # --- what a subclass provides -------------------------------------------------------------

    def on_event(self, event) -> None:
        """One event of the feed's list (on the event loop; must not block)."""

    async def resync(self) -> None:
        """Catch up after a login (a snapshot of what may have been missed)."""

    # --- the machinery ------------------------------------------------------------------------

    def _event(self, manager: Manager, event) -> None:
        try:
            self.on_event(event)
        except Exception as err:  # noqa: BLE001 - one odd event must not stop the feed
            log.warning(f"{self.name}.event_unreadable", error=f"{type(err).__name__}: {err}",
                        event_name=str(event.get("Event")))

    def _on_login(self, manager: Manager) -> None:
        self.logins += 1
        log.info(f"{self.name}.logged_in", logins=self.logins)
        self.logged_in.set()
        asyncio.ensure_future(self._resync())

    def _on_disconnect(self, manager: Manager, exc: Exception | None) -> None:
        self.logged_in.clear()
        log.warning(f"{self.name}.disconnected", error=str(exc) if exc else None)

    def request_resync(self) -> None:
        """Resynchronise soon (from any thread)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._resync()))

    async def _resync(self) -> None:
        if self._resync_lock.locked():
            return
        async with self._resync_lock:
            try:
                await self.resync()
            except Exception as err:  # noqa: BLE001 - a failed resync is retried at the next login
                log.error(f"{self.name}.resync_failed", error=str(err) or type(err).__name__)

    async def action(self, action: dict, timeout: float = 10.0, as_list: bool | None = None):
        """Send one action on this connection and return its reply (TimeoutError after ``timeout``)."""
        return await asyncio.wait_for(self.manager.send_action(dict(action), as_list=as_list), timeout)

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(self.ping_interval)
            if not self.manager.authenticated or self.manager.protocol is None:
                continue
            try:
                reply = await asyncio.wait_for(self.manager.send_action({"Action": "Ping"}), self.ping_timeout)
                if not getattr(reply, "success", False):
                    raise ConnectionError(f"bad ping reply: {reply!r}")
            except (asyncio.TimeoutError, ConnectionError, OSError, AttributeError) as err:
                log.error(f"{self.name}.ping_failed", error=str(err) or type(err).__name__)
                transport = getattr(self.manager.protocol, "transport", None)
                if transport is not None:
                    transport.abort()  # connection_lost -> panoramisk reconnects -> resync
