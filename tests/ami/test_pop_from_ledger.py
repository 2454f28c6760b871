"""The screen pop learns the work order from the ledger, not by asking the database.

In ``ivr serve`` the ledger (its applier's thread) tells the wiring the moment an answered call's
order is written (:func:`ivr.engine.order_news`), and the console's presence reads the order once.
The ledger and its SQLite store are real; the AMI events are handed over as the client would.
A console apart from the intake (``ivr web``) still finds the order by asking the database.
"""
from __future__ import annotations

import asyncio

from ami.pages import Pages, until
from ivr.ami.client import AmiClient
from ivr.ami.presence import PresenceMonitor
from ivr.core import call_events as ce
from ivr.engine import order_news
from support import at

NOW = at("2026-09-09 11:00")
LINKEDID = "1788.7"


class CountingStore:
    """The real store, counting the pop's reads."""

    def __init__(self, store) -> None:
        self.store, self.reads = store, 0

    def order_with_history(self, linkedid: str, limit: int = 5):
        self.reads += 1
        return self.store.order_with_history(linkedid, limit)

    def __getattr__(self, name):
        return getattr(self.store, name)


def connect_event() -> dict:
    return {"Event": "AgentConnect", "Queue": "seat_water", "MemberName": "agent8", "Interface": "PJSIP/agent8",
            "Linkedid": LINKEDID, "Uniqueid": LINKEDID, "CallerIDNum": "13900000007", "HoldTime": "2"}


def answered() -> ce.Answered:
    call = ce.CallInfo(LINKEDID, LINKEDID, "13900000007", "051380000304", "", "", "")
    return ce.Answered(call, "seat_water", "agent8", "", 2, NOW)


def monitor(ledger, shipped_rules) -> tuple[PresenceMonitor, Pages, CountingStore]:
    pages, store = Pages(), CountingStore(ledger.store)
    made = PresenceMonitor(client=AmiClient("127.0.0.1", 1, "u", "s"), rules=lambda: shipped_rules,
                           publisher=pages, store=store, clock=lambda: NOW)
    return made, pages, store


def wired(ledger, shipped_rules) -> tuple[PresenceMonitor, Pages, CountingStore]:
    """As ``ivr serve`` wires them: the ledger's word on each order written reaches the presence."""
    presence, pages, store = monitor(ledger, shipped_rules)
    tell, listeners = order_news(asyncio.get_running_loop())
    presence.orders_from_ledger = True
    listeners.append(presence.order_written)
    ledger.on_order = tell
    return presence, pages, store


def test_the_pop_reads_the_order_once_the_ledger_says_it_is_written(ledger, shipped_rules):
    async def main():
        presence, pages, store = wired(ledger, shipped_rules)
        presence.on_event(connect_event())
        assert [p["call"]["linkedid"] for p in pages.of("screen_pop")] == [LINKEDID]
        await asyncio.sleep(0.5)                  # the intake is slow today: nobody asks the database
        assert store.reads == 0 and pages.of("screen_pop_order") == []
        await asyncio.to_thread(ledger.apply, answered())   # in the applier's thread, as the intake does
        assert await until(lambda: pages.of("screen_pop_order"))
        [order] = pages.of("screen_pop_order")
        assert order["ticket"].linkedid == LINKEDID and order["ticket"].number.startswith("12345-")
        assert store.reads == 1
    asyncio.run(main())


def test_an_order_written_before_the_pop_asks_is_read_at_once(ledger, shipped_rules):
    async def main():
        presence, pages, store = wired(ledger, shipped_rules)
        await asyncio.to_thread(ledger.apply, answered())   # the ledger was quicker than the event
        await asyncio.sleep(0.05)
        presence.on_event(connect_event())
        assert await until(lambda: pages.of("screen_pop_order"), 2.0)
        assert store.reads == 1
    asyncio.run(main())


def test_a_console_apart_from_the_intake_asks_the_database_until_the_order_is_there(ledger, shipped_rules):
    async def main():
        presence, pages, store = monitor(ledger, shipped_rules)   # no ledger news: ivr web alone
        presence.on_event(connect_event())
        await asyncio.sleep(0.3)
        await asyncio.to_thread(ledger.apply, answered())
        assert await until(lambda: pages.of("screen_pop_order"))
        assert store.reads > 1
    asyncio.run(main())
