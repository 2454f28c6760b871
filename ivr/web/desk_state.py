"""The agent's state on the desk: as Asterisk reports it, and the agent's own controls.

``GET /desk/state`` is the panel (the desk includes it; ``agent_state`` live events replace it);
``POST /desk/state/{login,logout,pause,resume}`` ask Asterisk (queue login, logout, pause with a
reason, resume) through the console's AMI feed (:class:`ivr.ami.presence.PresenceMonitor`). The
answer is the panel as Asterisk sees it *now*, with a note that the request was sent: the panel
changes when Asterisk reports the new state, never because a button was clicked.
"""
from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.core.presence import AgentView, PauseReason
from ivr.core.staff import Role
from ivr.errors import IvrError
from ivr.logs import get_logger
from ivr.store.users import User
from ivr.web import labels
from ivr.web.auth import page
from ivr.web.render import render

ACTION_TIMEOUT_S = 10.0
log = get_logger("ivr.web.state")


def view_of(console, user: User) -> AgentView | None:
    """The agent's state from the console's AMI feed; None when the console has no feed."""
    monitor = console.presence
    if monitor is None or not user.phone:
        return None
    return monitor.view(user.phone)


def panel(request: Request, user: User, note: str = "", error: str = "", status: int = 200) -> Response:
    console = request.app.state.console
    return render(request, "_agent_state.html", status=status, view=view_of(console, user),
                  connected=console.presence is not None and console.presence.logged_in.is_set(),
                  note=note, error=error, reasons=labels.PAUSE_REASON)


@page(Role.AGENT)
def state(request: Request, user: User) -> Response:
    return panel(request, user)


def _act(request: Request, user: User, make) -> Response:
    """Run one AMI request on the console's event loop and answer the panel as Asterisk sees it."""
    console = request.app.state.console
    if console.presence is None or console.loop is None:
        return panel(request, user, error=labels.TEXT["state_unknown"], status=503)
    if not user.phone:
        return panel(request, user, error=labels.ERROR["no_phone"], status=409)
    try:
        asyncio.run_coroutine_threadsafe(make(console.presence, user.phone), console.loop) \
            .result(ACTION_TIMEOUT_S)
    except IvrError as err:
        log.warning("web.state_refused", user=user.name, error=str(err))
        return panel(request, user, error=str(err), status=409)
    except TimeoutError:
        return panel(request, user, error=labels.TEXT["state_unknown"], status=504)
    return panel(request, user, note=labels.TEXT["sent_waiting"])


@page(Role.AGENT)
def log_in(request: Request, user: User) -> Response:
    return _act(request, user, lambda monitor, agent: monitor.log_in(agent))


@page(Role.AGENT)
def log_out(request: Request, user: User) -> Response:
    return _act(request, user, lambda monitor, agent: monitor.log_out(agent))


@page(Role.AGENT)
def pause(request: Request, user: User) -> Response:
    try:
        reason = PauseReason(request.state.form.get("reason", ""))
    except ValueError:
        return panel(request, user, error=labels.ERROR["bad_reason"], status=422)
    return _act(request, user, lambda monitor, agent: monitor.pause(agent, reason))


@page(Role.AGENT)
def resume(request: Request, user: User) -> Response:
    return _act(request, user, lambda monitor, agent: monitor.pause(agent, None))


routes = [
    Route("/desk/state", state, methods=["GET"]),
    Route("/desk/state/login", log_in, methods=["POST"]),
    Route("/desk/state/logout", log_out, methods=["POST"]),
    Route("/desk/state/pause", pause, methods=["POST"]),
    Route("/desk/state/resume", resume, methods=["POST"]),
]
