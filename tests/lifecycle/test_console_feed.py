"""The console's feed of Asterisk as the wiring connects it: on the engine's events connection with
the ledger's news in ``ivr serve``; on a login of its own, or none without an account, alone."""
from __future__ import annotations

import asyncio

from ivr.ami.client import AmiClient
from ivr.lifecycle.console_feed import ConsoleFeed
from ivr.settings import Settings
from ivr.web.hub import EventHub
from support import at

NOW = at("2026-12-05 10:00")


def test_in_the_engine_the_console_reads_the_engine_s_connection_and_the_ledger_s_news(tmp_path, shipped_rules):
    async def main():
        client, orders = AmiClient("127.0.0.1", 1, "ivr-engine", "s"), []
        feed = ConsoleFeed(Settings.from_env({"IVR_DATA_DIR": str(tmp_path)}), client, orders)
        monitor = await feed.start(EventHub(), lambda: shipped_rules, None, lambda: NOW)
        assert client.subscribers == [monitor] and orders == [monitor.order_written]
        assert monitor.orders_from_ledger and feed.own is None
        await feed.stop()
    asyncio.run(main())


def test_alone_without_a_console_account_the_pages_still_serve(tmp_path, shipped_rules):
    async def main():
        feed = ConsoleFeed(Settings.from_env({"IVR_DATA_DIR": str(tmp_path)}))
        assert await feed.start(EventHub(), lambda: shipped_rules, None, lambda: NOW) is None
        await feed.stop()
    asyncio.run(main())
