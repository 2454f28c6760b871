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

from ivr.logs import get_logger
from ivr.settings import Settings

log = get_logger("ivr.web")


def build_health(settings: Settings):
    """``ivr health``'s figures and verdict for /metrics, read at most every few seconds."""
    from ivr.asterisk.service import trunks_dir
    from ivr.ops.health import CachedVerdict

    return CachedVerdict(settings, trunks_dir())


async def run_console(settings: Settings, store, rules_source, clock: Callable[[], datetime],
                      stop: asyncio.Event, host: str | None = None, port: int | None = None,
                      started: Callable[[str, int], None] | None = None, alone: bool = False,
                      feed=None, intake_report: Callable[[], dict] | None = None) -> None:
    """Serve the console (and follow agents' states) until ``stop`` is set. ``alone`` (``ivr web``):
    a port that cannot be listened on ends it with the error, instead of being logged. ``feed``:
    agents' states from Asterisk, as the wiring connects them (:class:`ivr.lifecycle.console_feed.ConsoleFeed`;
    None: no Asterisk); ``intake_report``: the intake's figures for /metrics."""
    from ivr.core.rules import Rules
    from ivr.web.app import serve_web
    from ivr.web.hub import EventHub

    hub = EventHub()
    def rules():  # noqa: E306 - the rules in force, whatever holds them
        return rules_source if isinstance(rules_source, Rules) else rules_source.rules

    monitor = await feed.start(hub, rules, store, clock) if feed is not None else None
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
        if feed is not None:
            await feed.stop()
