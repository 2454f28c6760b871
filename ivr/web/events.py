"""Server-sent events: one stream per open page of a logged-in user (``GET /events``).

The stream listens to the hub under the user's agent id (their phone, e.g. ``agent3``), under
``user:<name>``, and for supervisors under ``wallboard`` (:mod:`ivr.ami.wallboard`, published
through :mod:`ivr.core.live`); each :class:`~ivr.web.hub.LiveEvent` is rendered with ``events/<kind>.html``
and sent as an SSE event named ``kind``, which htmx's SSE extension swaps into the element
whose ``sse-swap`` names it. Every :data:`RECHECK_S` seconds without events the stream checks
the user is still allowed in (a disabled user's stream ends) and sends a comment as keep-alive.
"""
from __future__ import annotations

from collections.abc import AsyncIterator

from jinja2 import TemplateNotFound
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.core.live import WALLBOARD
from ivr.core.staff import Role
from ivr.logs import get_logger
from ivr.store.users import User
from ivr.web.auth import current_user, to_login
from ivr.web.hub import LiveEvent

RECHECK_S = 15.0
log = get_logger("ivr.web.events")


def keys_of(user: User) -> tuple[str, ...]:
    """The hub keys a user's pages listen to."""
    board = WALLBOARD if user.role is Role.SUPERVISOR else ""
    return tuple(k for k in (user.phone, f"user:{user.name}", board) if k)


async def stream(request: Request) -> Response:
    user = await current_user(request)
    if user is None:
        return to_login(request)
    console = request.app.state.console
    return EventSourceResponse(_events(request, console, user), ping=RECHECK_S,
                               headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _events(request: Request, console, user: User) -> AsyncIterator[dict]:
    hub = console.hub
    with hub.subscribe(*keys_of(user)) as sub:
        yield {"event": "hello", "data": ""}
        while not hub.closed:
            event = await sub.next(RECHECK_S)
            if event is None:
                if hub.closed or await request.is_disconnected():
                    return
                if await run_in_threadpool(console.users.active, user.name, user.session_epoch) is None:
                    return  # disabled or password changed: the live page stops too
                continue
            html = _render(console, event, user)
            if html is not None:
                yield {"event": event.kind, "data": html}


def _render(console, event: LiveEvent, user: User) -> str | None:
    try:
        template = console.templates.get_template(f"events/{event.kind}.html")
    except TemplateNotFound:
        log.warning("events.unknown_kind", kind=event.kind, user=user.name)
        return None
    return template.render(event=event, data=event.data, user=user)  # multi-line: one data: line each


routes = [Route("/events", stream, methods=["GET"])]
