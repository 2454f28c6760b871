"""The in-process event hub: live events for one agent's (or one user's) pages, by key.

A producer in the same process (the AMI listener, later: "this agent's phone answered") calls
``hub.publish(agent_id, LiveEvent("screen_pop", {...}))``; every page that agent has open
receives it over server-sent events (:mod:`ivr.web.events`) and shows it without a reload.
Another key's pages never see it.

Each subscription has a bounded queue: a page that stops reading (a frozen tab) loses its oldest
events, never the producer's time or the process's memory. Publishing never blocks and never
fails; call :meth:`EventHub.publish` on the event loop's thread, or
:meth:`EventHub.publish_threadsafe` from any other thread.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ivr.logs import get_logger

KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")  # names an SSE event and the template events/<kind>.html
QUEUE_SIZE = 100

log = get_logger("ivr.web.hub")


@dataclass(frozen=True)
class LiveEvent:
    """What happened, for one page: ``kind`` picks the template, ``data`` fills it."""

    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not KIND.fullmatch(self.kind):
            raise ValueError(f"event kind {self.kind!r} must be lower-case letters, digits and '_'")


class Subscription:
    """One page's stream: the keys it listens to and its bounded queue."""

    def __init__(self, keys: tuple[str, ...], size: int) -> None:
        self.keys = keys
        self.queue: asyncio.Queue[LiveEvent | None] = asyncio.Queue(maxsize=size)
        self.dropped = 0

    def offer(self, event: LiveEvent | None) -> None:
        """Queue ``event``, dropping the oldest when full (a slow page loses old news first)."""
        while True:
            try:
                self.queue.put_nowait(event)
                return
            except asyncio.QueueFull:
                self.queue.get_nowait()
                self.dropped += 1

    async def next(self, timeout: float) -> LiveEvent | None:
        """The next event, or None after ``timeout`` seconds with none (or when the hub closes)."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except asyncio.TimeoutError:
            return None


class EventHub:
    """Publish/subscribe by key (an agent id such as ``agent3``, or ``user:<name>``)."""

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self._queue_size = queue_size
        self._subs: dict[str, set[Subscription]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closed = False

    @contextmanager
    def subscribe(self, *keys: str) -> Iterator[Subscription]:
        """A subscription to ``keys`` for the duration of the ``with`` block."""
        self._loop = asyncio.get_running_loop()
        sub = Subscription(tuple(k for k in keys if k), self._queue_size)
        for key in sub.keys:
            self._subs.setdefault(key, set()).add(sub)
        try:
            yield sub
        finally:
            for key in sub.keys:
                subs = self._subs.get(key)
                if subs is not None:
                    subs.discard(sub)
                    if not subs:
                        del self._subs[key]
            if sub.dropped:
                log.warning("hub.dropped", keys=list(sub.keys), dropped=sub.dropped)

    def publish(self, key: str, event: LiveEvent) -> int:
        """Deliver ``event`` to every page subscribed to ``key``; returns how many."""
        subs = list(self._subs.get(key, ()))
        for sub in subs:
            sub.offer(event)
        return len(subs)

    def publish_threadsafe(self, key: str, event: LiveEvent) -> None:
        """:meth:`publish` from another thread (it runs on the hub's event loop)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.publish, key, event)

    def subscribers(self, key: str) -> int:
        return len(self._subs.get(key, ()))

    def close(self) -> None:
        """End every subscription (the server is stopping)."""
        self.closed = True
        for subs in list(self._subs.values()):
            for sub in list(subs):
                sub.offer(None)


class _HubPublisher:
    """The event hub as the AMI side's :class:`ivr.core.live.Publisher`."""

    def __init__(self, hub: EventHub) -> None:
        self.hub = hub

    def publish(self, key: str, kind: str, data: Mapping[str, Any]) -> None:
        self.hub.publish(key, LiveEvent(kind, data))

    def watching(self, key: str) -> bool:
        return self.hub.subscribers(key) > 0


def publisher(hub: EventHub) -> _HubPublisher:
    """``hub`` behind the publisher the wiring hands to the AMI side (ivr.core.live.Publisher)."""
    return _HubPublisher(hub)
