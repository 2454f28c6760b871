"""The one AMI client: a login to Asterisk's manager, its events fanned out to the parts that read them.

Asterisk pays for every AMI session on every event: up to 22.10 the manager thread locks and wakes
each logged-in session for each event, whatever its filters, and past 3,000 events queued its
router raises the alert that makes PJSIP ignore new calls. So the engine opens **one** connection
per Asterisk for events, with the engine's account, and hands each event to the parts subscribed
to its name (:class:`Subscriber`: the work-order intake, the console's presence and wallboard, the
callbacks worker); their actions go out on the same connection.

A long-lived client (:meth:`AmiClient.start`) stays honest where panoramisk alone does not:

* panoramisk reconnects, but what Asterisk said meanwhile is gone: after every login each
  subscriber resynchronises from a snapshot (calls in progress and the queue log for work orders;
  ``QueueStatus`` for agents' states), each on its own, one failing not stopping the others;
* panoramisk's ping never checks the reply, so a half-open connection goes unnoticed: the
  watchdog pings, waits for the answer and on silence drops the connection so panoramisk reconnects;
* panoramisk sends an unanswered action again after a reconnect; an ``Originate`` is never sent
  twice (a citizen would be rung twice).

The same class serves a command that wants one attempt and a clear error (``async with
AmiClient(...)``: connect, log in, act, close) and an action-only login (``events="off"``: Asterisk
then sends it no event at all, though up to 22.10 it still wakes it for each).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Protocol

from panoramisk import Manager

from ivr.errors import AsteriskError
from ivr.logs import get_logger

log = get_logger("ivr.ami")

_quiet = logging.getLogger("ivr.ami.panoramisk")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False

NEVER_AGAIN = ("ping", "login", "originate")  # actions not sent again after a reconnect


class Subscriber(Protocol):
    """A part that reads some of Asterisk's events and catches up after each login."""

    name: str                  # for the log
    events: tuple[str, ...]    # the event names it reads

    def on_event(self, event) -> None:
        """One event of its list, on the event loop: must not block."""

    async def resync(self) -> None:
        """Catch up after a login (a snapshot of what may have been missed)."""


class AmiClient:
    """One AMI login: events fanned out to subscribers, actions, a ping watchdog, resync after login."""

    def __init__(self, host: str, port: int, username: str, secret: str, *, timeout: float = 5.0,
                 events: str = "on", name: str = "ami", ping_interval: float = 5.0, ping_timeout: float = 3.0,
                 reconnect_after: float = 1.0) -> None:
        self.host, self.port, self.timeout, self.name = host, port, timeout, name
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.manager = Manager(host=host, port=port, username=username, secret=secret, events=events,
                               ping_delay=3600, ping_interval=3600, reconnect_timeout=reconnect_after,
                               forgetable_actions=NEVER_AGAIN, log=_quiet,
                               on_login=self._on_login, on_disconnect=self._on_disconnect,
                               on_connect=lambda manager: None)
        self.subscribers: list[Subscriber] = []
        self._by_event: dict[str, list[Subscriber]] = {}
        self._resyncing: set[str] = set()
        self._again: set[str] = set()
        self._watchdog_task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()
        self.logins = 0
        self.logged_in = asyncio.Event()

    # --- subscribers ----------------------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> None:
        """Hand ``subscriber`` every event named in its list, and a resync after each login."""
        self.subscribers.append(subscriber)
        for name in subscriber.events:
            if name not in self._by_event:
                self._by_event[name] = []
                self.manager.register_event(name, self._dispatch)
            self._by_event[name].append(subscriber)
        if self.logged_in.is_set():
            self.request_resync(subscriber)

    def events(self) -> frozenset[str]:
        """Every event name some subscriber reads."""
        return frozenset(self._by_event)

    def _dispatch(self, manager: Manager, event) -> None:
        for subscriber in self._by_event.get(str(event.get("Event")), ()):
            try:
                subscriber.on_event(event)
            except Exception as err:  # noqa: BLE001 - one odd event must not stop the feed
                log.warning(f"{subscriber.name}.event_unreadable", error=f"{type(err).__name__}: {err}",
                            event_name=str(event.get("Event")))

    # --- long-lived ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (and keep reconnecting) with the watchdog running."""
        self._loop = self.manager.loop = asyncio.get_running_loop()
        self.manager.connect()
        self._watchdog_task = asyncio.create_task(self._watchdog(), name=f"{self.name}-watchdog")

    async def stop(self) -> None:
        for task in [self._watchdog_task, *self._tasks]:
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in [self._watchdog_task, *self._tasks] if t), return_exceptions=True)
        self._close()

    def _close(self) -> None:
        self.manager.connection_lost = lambda _exc: None  # no reconnection after our own close
        self.manager.close()

    def _on_login(self, manager: Manager) -> None:
        self.logins += 1
        if self._watchdog_task is not None:  # a command's one login is not news
            log.info(f"{self.name}.logged_in", logins=self.logins, subscribers=[s.name for s in self.subscribers])
        self.logged_in.set()
        for subscriber in self.subscribers:
            self._spawn(self._resync(subscriber))

    def _on_disconnect(self, manager: Manager, exc: Exception | None) -> None:
        self.logged_in.clear()
        log.warning(f"{self.name}.disconnected", error=str(exc) if exc else None)

    def request_resync(self, subscriber: Subscriber) -> None:
        """Resynchronise ``subscriber`` soon (from any thread)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(lambda: self._spawn(self._resync(subscriber)))

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resync(self, subscriber: Subscriber) -> None:
        """One resync at a time per subscriber; one asked for meanwhile (a new login while the last
        resync still waits on the lost connection) runs once that one ends, never skipped."""
        name = subscriber.name
        if name in self._resyncing:
            self._again.add(name)
            return
        self._resyncing.add(name)
        try:
            while True:
                self._again.discard(name)
                try:
                    await subscriber.resync()
                except Exception as err:  # noqa: BLE001 - a failed resync is retried at the next login
                    log.error(f"{name}.resync_failed", error=str(err) or type(err).__name__)
                if name not in self._again:
                    break
        finally:
            self._resyncing.discard(name)

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

    # --- one attempt ----------------------------------------------------------------------------

    async def __aenter__(self) -> "AmiClient":
        """Connect and log in once, or say plainly why not (AsteriskError)."""
        manager = self.manager
        manager.loop = asyncio.get_running_loop()
        manager.reconnect_timeout = 3600
        try:
            await asyncio.wait_for(manager.connect(), self.timeout)
        except (OSError, asyncio.TimeoutError) as err:
            self._close()
            raise AsteriskError(f"cannot reach AMI at {self.host}:{self.port} ({err or 'timeout'}): "
                                "is Asterisk up? (`ivr asterisk status`)") from None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while manager.authenticated_future is not None or not hasattr(manager, "responses"):
            if loop.time() > deadline:
                self._close()
                raise AsteriskError(f"AMI at {self.host}:{self.port} did not answer the login")
            await asyncio.sleep(0.01)
        if not manager.authenticated:
            self._close()
            raise AsteriskError(f"AMI at {self.host}:{self.port} refused the engine's login "
                                "(secrets out of date? `ivr asterisk down` then `up` renders them again)")
        return self

    async def __aexit__(self, *exc) -> None:
        self._close()

    # --- actions ----------------------------------------------------------------------------------

    async def action(self, action: dict, timeout: float | None = None, *, as_list: bool | None = None):
        """Send one action and return its reply; AsteriskError when not logged in or unanswered.

        panoramisk 1.4 takes some single replies ("Added interface to queue") for the start of a
        list and waits for its end forever: single-reply actions are sent with ``as_list=False``."""
        if self.manager.protocol is None or not self.manager.authenticated:
            raise AsteriskError(f"AMI at {self.host}:{self.port} is not logged in now "
                                f"(action {action.get('Action')} not sent)")
        wait = self.timeout if timeout is None else timeout
        try:
            return await asyncio.wait_for(self.manager.send_action(dict(action), as_list=as_list), wait)
        except asyncio.TimeoutError:
            raise AsteriskError(f"AMI action {action.get('Action')} got no answer within {wait:g} s") from None


def replies(reply) -> list:
    """An action's reply as a list of messages (panoramisk gives one message or a list)."""
    return list(reply) if isinstance(reply, list) else [reply]


def names(subscribers: Iterable[Subscriber]) -> frozenset[str]:
    """Every event name the subscribers read (an account's filter must let these through)."""
    return frozenset(e for s in subscribers for e in s.events)
