"""Server-sent events: one stream per open page of a logged-in user (``GET /events``).

The stream listens to the hub under the user's agent id (their phone, e.g. ``agent3``), under
``user:<name>``, and for supervisors under ``wallboard`` (:mod:`ivr.ami.wallboard`); each :class:`~ivr.web.hub.LiveEvent` is rendered with ``events/<kind>.html``
and sent as an SSE event named ``kind``, which htmx's SSE extension swaps into the element
whose ``sse-swap`` names it.

Every :data:`RECHECK_S` seconds, busy or idle, the stream asks the server-held session whether it
is still open: logging out, a password change or ``ivr users disable`` (from any process) stops
the live page within seconds, not at the next quiet moment. A user has at most
:data:`MAX_STREAMS` streams at once; a new one ends their oldest (a reloaded page's stream may
not have been noticed gone yet), so one session cannot hold hundreds of streams.
"""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator

from jinja2 import TemplateNotFound
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.ami.wallboard import KEY as WALLBOARD
from ivr.core.staff import Role
from ivr.logs import get_logger
from ivr.store.users import User
from ivr.web.auth import current_user, to_login
from ivr.web.hub import LiveEvent

RECHECK_S = 2.0       # the session is asked again this often, events or not
PING_S = 15.0         # a comment as keep-alive on a quiet stream
MAX_STREAMS = 8       # per user: a few open pages; the oldest gives way
log = get_logger("ivr.web.events")


class StreamCap:
    """The live streams open per user, oldest first; opening one past the cap ends the oldest."""

    def __init__(self, cap: int = MAX_STREAMS) -> None:
        self.cap = cap
        self._open: dict[str, OrderedDict[int, asyncio.Event]] = {}
        self._next = 0

    def open(self, name: str) -> tuple[int, asyncio.Event]:
        self._next += 1
        streams = self._open.setdefault(name, OrderedDict())
        ended = asyncio.Event()
        streams[self._next] = ended
        while len(streams) > self.cap:
            _, oldest = streams.popitem(last=False)
            oldest.set()
        return self._next, ended

    def close(self, name: str, number: int) -> None:
        streams = self._open.get(name)
        if streams is not None:
            streams.pop(number, None)
            if not streams:
                del self._open[name]

    def count(self, name: str) -> int:
        return len(self._open.get(name, ()))


def keys_of(user: User) -> tuple[str, ...]:
    """The hub keys a user's pages listen to."""
    board = WALLBOARD if user.role is Role.SUPERVISOR else ""
    return tuple(k for k in (user.phone, f"user:{user.name}", board) if k)


def caps_of(app) -> StreamCap:
    cap = getattr(app.state, "stream_cap", None)
    if cap is None:
        cap = app.state.stream_cap = StreamCap()
    return cap


async def stream(request: Request) -> Response:
    user = await current_user(request)
    if user is None:
        return to_login(request)
    console = request.app.state.console
    token = request.session.get("sid", "")
    return EventSourceResponse(_events(request, console, user, token), ping=PING_S,
                               headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _events(request: Request, console, user: User, token: str) -> AsyncIterator[dict]:
    hub, cap = console.hub, caps_of(request.app)
    number, ended = cap.open(user.name)
    try:
        with hub.subscribe(*keys_of(user)) as sub:
            yield {"event": "hello", "data": ""}
            checked = time.monotonic()
            while not hub.closed and not ended.is_set():
                event = await sub.next(min(RECHECK_S, PING_S))
                if ended.is_set():
                    log.info("events.stream_capped", user=user.name, cap=cap.cap)
                    return
                if time.monotonic() - checked >= RECHECK_S:
                    checked = time.monotonic()
                    if await run_in_threadpool(console.users.session_user, token, console.now()) is None:
                        return  # logged out, disabled or password changed: the live page stops too
                if event is None:
                    if hub.closed or await request.is_disconnected():
                        return
                    continue
                html = _render(console, event, user)
                if html is not None:
                    yield {"event": event.kind, "data": html}
    finally:
        cap.close(user.name, number)


def _render(console, event: LiveEvent, user: User) -> str | None:
    try:
        template = console.templates.get_template(f"events/{event.kind}.html")
    except TemplateNotFound:
        log.warning("events.unknown_kind", kind=event.kind, user=user.name)
        return None
    return template.render(event=event, data=event.data, user=user)  # multi-line: one data: line each


routes = [Route("/events", stream, methods=["GET"])]
