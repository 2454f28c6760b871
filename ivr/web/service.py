"""The console as a part of a running service: the web app and its AMI feed of agents' states.

``ivr serve`` runs :func:`run_console` beside routing and the work orders (same store, same clock,
the rules the engine holds); ``ivr web`` runs it alone. A console that cannot start (its port in
use, Asterisk's console account missing) is logged and leaves the rest of the engine running:
calls never depend on the staff's web pages.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from ivr.errors import AsteriskError
from ivr.logs import get_logger
from ivr.settings import Settings

log = get_logger("ivr.web")


def console_client(settings: Settings):
    """``ivr web`` alone: an AMI client of the console's own account, or None (logged) when there are
    no console secrets yet. In ``ivr serve`` the console reads the engine's one events connection."""
    from ivr.ami.client import AmiClient
    from ivr.asterisk.secrets import load, secrets_path

    try:
        secrets = load(secrets_path(settings.data_dir))
    except AsteriskError as err:
        log.warning("web.no_presence", reason=str(err))
        return None
    if not secrets.console_ami_secret:
        log.warning("web.no_presence", reason="no console AMI account yet: `ivr asterisk up` renders it")
        return None
    return AmiClient(settings.ami_host, settings.ami_port, secrets.console_ami_user, secrets.console_ami_secret,
                     name="console-ami")


def build_presence(client, rules: Callable, hub, store, clock):
    """Agents' states and the wallboard on ``client``'s events, published to ``hub``'s pages."""
    from ivr.ami.presence import PresenceMonitor
    from ivr.web.hub import publisher
    from ivr.web.wallboard import render_live

    return PresenceMonitor(client=client, rules=rules, publisher=publisher(hub), store=store, clock=clock,
                           render_board=render_live)


def build_health(settings: Settings):
    """``ivr health``'s figures and verdict for /metrics, read at most every few seconds."""
    from ivr.asterisk.service import trunks_dir
    from ivr.ops.health import CachedVerdict

    return CachedVerdict(settings, trunks_dir())


async def run_console(settings: Settings, store, rules_source, clock: Callable[[], datetime],
                      stop: asyncio.Event, host: str | None = None, port: int | None = None,
                      started: Callable[[str, int], None] | None = None, presence: bool = True,
                      alone: bool = False, ami=None, orders: list | None = None,
                      intake_report: Callable[[], dict] | None = None) -> None:
    """Serve the console (and follow agents' states) until ``stop`` is set. ``alone`` (``ivr web``):
    a port that cannot be listened on ends it with the error, instead of being logged. ``ami``: the
    engine's events connection to subscribe to (None: a connection of the console's own);
    ``orders``: where the wiring's ledger news go (the pop then learns each order from the ledger);
    ``intake_report``: the intake's figures for /metrics."""
    from ivr.core.rules import Rules
    from ivr.web.app import serve_web
    from ivr.web.hub import EventHub

    hub = EventHub()
    def rules():  # noqa: E306 - the rules in force, whatever holds them
        return rules_source if isinstance(rules_source, Rules) else rules_source.rules

    own = console_client(settings) if presence and ami is None else None
    client = ami or own
    monitor = build_presence(client, rules, hub, store, clock) if presence and client is not None else None
    if monitor is not None:
        if orders is not None:
            monitor.orders_from_ledger = True
            orders.append(monitor.order_written)
        await monitor.start()
    if own is not None:
        await own.start()
    try:
        await serve_web(settings, store, rules_source, hub, stop, clock=clock, host=host, port=port,
                        started=started, presence=monitor, health=build_health(settings),
                        intake_report=intake_report)
    except OSError as err:
        if alone:
            raise
        log.error("web.cannot_listen", host=host or settings.web_host,
                  port=settings.web_port if port is None else port, error=err.strerror or str(err))
        await stop.wait()
    finally:
        if monitor is not None:
            await monitor.stop()
        if own is not None:
            await own.stop()
