"""The console as one ASGI application, and how to serve it beside the engine's other parts.

    build_app(settings, store, rules, hub=None, clock=None, secret=None) -> Starlette
    await serve_web(settings, store, rules, hub, stop_event, clock=None, host=None, port=None)

``ivr web`` serves it alone; ``ivr serve`` can run :func:`serve_web` as one more task in its
event loop (same store, same clock, same hub that the AMI listener publishes to).
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

import uvicorn
from jinja2 import Environment
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from ivr.clock import make_clock
from ivr.core.rules import Rules
from ivr.errors import StoreError
from ivr.logs import get_logger
from ivr.settings import Settings
from ivr.store import TicketStore
from ivr.store.drafts import DraftStore
from ivr.store.kb import KnowledgeBase
from ivr.store.users import UserStore
from ivr.web import admin_rules, desk, desk_kb, desk_state, events, login, orders, phone
from ivr.web.following import follow_rules
from ivr.web import audit, callbacks, metrics, notices, replay, replay_actions, supervision, wallboard
from ivr.web.hub import EventHub
from ivr.web.render import STATIC, environment, error_page
from ivr.web.security import MAX_BODY_WORDS, BodyTooLarge, Guard
from ivr.web.session import SessionCookies, load_or_create_secret

log = get_logger("ivr.web")


@dataclass
class Console:
    """What every page needs, built once per application (``request.app.state.console``)."""

    settings: Settings
    rules_source: object          # a Rules, or what holds the rules in force (the engine's reloader)
    store: TicketStore
    users: UserStore
    drafts: DraftStore
    kb: KnowledgeBase
    hub: EventHub
    clock: Callable[[], datetime]
    templates: Environment
    presence: object | None = None          # ivr.ami.presence.PresenceMonitor: agents' states from Asterisk
    loop: asyncio.AbstractEventLoop | None = None  # where the presence feed runs (actions are sent there)
    health: Callable[[], tuple] | None = None      # (figures, verdict) of ivr health, for /metrics (ivr.ops.health)
    intake_report: Callable[[], dict] | None = None  # the intake's figures (ivr tickets intake), for /metrics

    @property
    def rules(self) -> Rules:
        """The rules in force now: an apply or an edit of the file shows on the next page."""
        source = self.rules_source
        return source if isinstance(source, Rules) else source.rules  # type: ignore[attr-defined]

    @property
    def tz(self) -> tzinfo:
        return self.store.tz

    def now(self) -> datetime:
        return self.clock().astimezone(self.tz)


def build_app(settings: Settings, store: TicketStore, rules, hub: EventHub | None = None,
              clock: Callable[[], datetime] | None = None, secret: str | None = None,
              users: UserStore | None = None, presence=None, health=None,
              intake_report: Callable[[], dict] | None = None) -> Starlette:
    """The console on ``store``; ``clock`` defaults to IVR_CLOCK or the system clock; ``presence``
    is the console's AMI feed (agents' states, queue login and pause), None without Asterisk;
    ``health`` gives ``ivr health``'s figures and verdict to /metrics (None: not shown), and
    ``intake_report`` the intake's figures (handed in by the wiring; None: not shown)."""
    console = Console(settings=settings, rules_source=rules, store=store, users=users or UserStore(store.engine),
                      drafts=DraftStore(store.engine), kb=KnowledgeBase(store.engine, store.tz),
                      hub=hub or EventHub(), clock=clock or make_clock(settings.clock, store.tz),
                      templates=environment(store.tz), presence=presence, health=health,
                      intake_report=intake_report)
    routes = [*login.routes, *desk_state.routes, *desk.routes, *desk_kb.routes, *orders.routes, *events.routes,
              *phone.routes, *admin_rules.routes,
              *wallboard.routes, *supervision.routes, *notices.routes, *callbacks.routes, *replay.routes,
              *replay_actions.routes, *audit.routes,
              *metrics.routes,
              Mount("/static", StaticFiles(directory=str(STATIC)), name="static")]
    app = Starlette(routes=routes, exception_handlers={
        HTTPException: _http_error, BodyTooLarge: _too_large, StoreError: _store_error, Exception: _crash})
    app.state.console = console
    metrics.expected_token(console)  # Prometheus can be given its token before the first scrape
    app.add_middleware(SessionCookies, secret=secret or load_or_create_secret(settings.data_dir))
    app.add_middleware(Guard, too_large=_too_large_app)
    return app


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    return error_page(request, status if status in (403, 404) else 404)


async def _too_large(request: Request, exc: Exception) -> Response:
    return error_page(request, 413, limit=MAX_BODY_WORDS)


async def _too_large_app(scope, receive, send) -> None:
    request = Request(scope, receive)
    request.scope.setdefault("session", {})
    await (await _too_large(request, BodyTooLarge()))(scope, receive, send)


async def _store_error(request: Request, exc: Exception) -> Response:
    log.error("web.store_unavailable", path=request.url.path, error=str(exc))
    return error_page(request, 503)


async def _crash(request: Request, exc: Exception) -> Response:
    log.exception("web.error", path=request.url.path, error=f"{type(exc).__name__}: {exc}")
    return error_page(request, 500)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the process that runs it owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


async def serve_web(settings: Settings, store: TicketStore, rules, hub: EventHub,
                    stop_event: asyncio.Event, clock: Callable[[], datetime] | None = None,
                    host: str | None = None, port: int | None = None,
                    started: Callable[[str, int], None] | None = None, presence=None, health=None,
                    intake_report: Callable[[], dict] | None = None) -> None:
    """Serve the console until ``stop_event`` is set, in the running event loop.

    ``started(host, port)`` is called once the socket listens (port 0 picks a free one).
    """
    app = build_app(settings, store, rules, hub=hub, clock=clock, presence=presence, health=health,
                    intake_report=intake_report)
    app.state.console.loop = asyncio.get_running_loop()
    following = asyncio.create_task(follow_rules(app.state.console, settings))
    config = uvicorn.Config(app, host=host or settings.web_host,
                            port=settings.web_port if port is None else port, log_config=None,
                            access_log=False, lifespan="off", timeout_graceful_shutdown=3,
                            server_header=False)
    server = _Server(config)

    async def serving() -> None:
        try:
            await server.serve()
        except SystemExit:  # uvicorn exits on a port it cannot bind: that must not end the engine
            raise OSError(f"the console could not listen on {config.host}:{config.port}") from None

    task = asyncio.create_task(serving())
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    if task.done():
        await task  # re-raises why it could not start (a port in use: OSError)
        raise OSError(f"the console could not listen on {config.host}:{config.port}")
    bound = server.servers[0].sockets[0].getsockname()
    log.info("web.listening", host=bound[0], port=bound[1])
    if started is not None:
        started(bound[0], bound[1])
    try:
        await stop_event.wait()
    finally:
        hub.close()
        server.should_exit = True
        following.cancel()
        await task
