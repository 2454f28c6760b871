"""The console's view of Asterisk, wired: which AMI login it reads and where the news go.

In ``ivr serve`` the console's presence subscribes to the engine's one events connection and hears
from the ledger each order written; run alone (``ivr web``) it logs in with the console's own
account and finds orders in the database. The web side receives the presence built here and hands
the AMI side its pages only as a publisher (:func:`ivr.web.hub.publisher`): neither imports the other.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ivr.errors import AsteriskError
from ivr.logs import get_logger
from ivr.settings import Settings

log = get_logger("ivr.web")


def console_client(settings: Settings):
    """``ivr web`` alone: an AMI client of the console's own account, or None (logged) when there are
    no console secrets yet."""
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


class ConsoleFeed:
    """Agents' states and the wallboard for one console, on ``client`` (the engine's events
    connection) or, when None, on a login of the console's own; ``orders``: where the wiring's
    ledger news go (the pop then learns each order from the ledger)."""

    def __init__(self, settings: Settings, client=None, orders: list | None = None) -> None:
        self.settings, self.client, self.orders = settings, client, orders
        self.own = None
        self.monitor = None

    async def start(self, hub, rules: Callable, store, clock: Callable[[], datetime]):
        """The presence publishing to ``hub``'s pages, started (None without an AMI account)."""
        from ivr.ami.presence import PresenceMonitor
        from ivr.web.hub import publisher
        from ivr.web.wallboard import render_live

        if self.client is None:
            self.own = console_client(self.settings)
        client = self.client or self.own
        if client is None:
            return None
        self.monitor = PresenceMonitor(client=client, rules=rules, publisher=publisher(hub), store=store,
                                       clock=clock, render_board=render_live)
        if self.orders is not None:
            self.monitor.orders_from_ledger = True
            self.orders.append(self.monitor.order_written)
        await self.monitor.start()
        if self.own is not None:
            await self.own.start()
        return self.monitor

    async def stop(self) -> None:
        if self.monitor is not None:
            await self.monitor.stop()
        if self.own is not None:
            await self.own.stop()
