"""The wallboard's feed inside the console's AMI monitor: queue events become boards on the hub key
"wallboard" (at most four a second, none while nobody watches), calls are counted per queue for
/metrics, a resync starts the board afresh, and a database that is away leaves the live part going.

The monitor is the real PresenceMonitor fed the events as panoramisk hands them over (no Asterisk:
the end-to-end test drives the real one); the store is the real SQLite store."""
from __future__ import annotations

import asyncio
import time

import pytest

from ivr.ami.client import AmiClient
from ivr.ami.presence import PresenceMonitor
from ivr.ami import wallboard as feed_module
from ivr.errors import StoreError
from ivr.store import open_store
from ivr.web.hub import EventHub, publisher
from ivr.web.wallboard import render_live
from support import at

NOW = at("2020-06-01 10:30")


def joined(n: int, queue: str = "q12345") -> dict:
    return {"Event": "QueueCallerJoin", "Queue": queue, "Linkedid": f"1591.{n}", "Uniqueid": f"1591.{n}",
            "CallerIDNum": "13900000001"}


def at_door(n: int, queue: str = "q12345") -> dict:
    """The dialplan's IvrDoor on the caller's channel: routed to ``queue``, before the greeting."""
    return {"Event": "UserEvent", "UserEvent": "IvrDoor", "Queue": queue, "Linkedid": f"1591.{n}",
            "Uniqueid": f"1591.{n}", "CallerIDNum": "13900000001"}


def connected(n: int, agent: str = "agent1") -> dict:
    return {"Event": "AgentConnect", "Queue": "q12345", "MemberName": agent, "Interface": f"PJSIP/{agent}",
            "Linkedid": f"1591.{n}", "Uniqueid": f"1591.{n}", "HoldTime": "4"}


@pytest.fixture
def store(tmp_path, policy):
    made = open_store(f"sqlite:///{tmp_path / 'ivr.sqlite3'}", policy)
    yield made
    made.close()


async def boards(hub: EventHub, seconds: float, until=None) -> list:
    got = []
    with hub.subscribe("wallboard") as sub:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            event = await sub.next(max(0.01, deadline - time.monotonic()))
            if event is not None:
                got.append((time.monotonic(), event.data["board"]))
                if until is not None and until(event.data["board"]):
                    break
    return got


def monitor_for(shipped_rules, store, hub) -> PresenceMonitor:
    client = AmiClient("127.0.0.1", 1, "u", "s")   # never started: the events are handed over below
    return PresenceMonitor(client=client, rules=lambda: shipped_rules, publisher=publisher(hub), store=store,
                           clock=lambda: NOW, render_board=render_live)


def test_a_caller_waiting_reaches_the_board_at_once_and_is_counted(shipped_rules, store):
    async def main():
        hub = EventHub()
        monitor = monitor_for(shipped_rules, store, hub)
        await monitor.wallboard.start()
        try:
            watching = asyncio.create_task(boards(hub, 3.0, until=lambda b: b.total.waiting == 1))
            await asyncio.sleep(0.05)
            sent = time.monotonic()
            monitor.on_event(at_door(1))          # waiting from the door, before joining
            got = await watching
            assert got and got[-1][1].total.waiting == 1 and got[-1][0] - sent < 0.5
            monitor.on_event(joined(1))
            assert monitor.presence.waiting("q12345", monitor.clock())[0] == 1   # the same caller, not two
            monitor.on_event(connected(1))
            monitor.on_event({"Event": "QueueCallerLeave", "Queue": "q12345", "Linkedid": "1591.1"})
            monitor.on_event(at_door(2))
            monitor.on_event(joined(2))
            monitor.on_event({"Event": "QueueCallerAbandon", "Queue": "q12345", "Linkedid": "1591.2"})
            assert dict(monitor.wallboard.counts) == {("offered", "q12345"): 2, ("answered", "q12345"): 1,
                                                      ("abandoned", "q12345"): 1}
            board = await monitor.wallboard.board()
            assert board.total.waiting == 0 and board.today_known
            assert [c.view.state.value for c in board.agents if c.view.agent == "agent1"] == ["logged_out"]
        finally:
            await monitor.wallboard.stop()
    asyncio.run(main())


def test_a_burst_of_events_is_throttled_and_nobody_watching_costs_nothing(shipped_rules, store, monkeypatch):
    reads = []
    real = store.calls_between
    monkeypatch.setattr(store, "calls_between", lambda *a: reads.append(a) or real(*a))

    async def main():
        hub = EventHub()
        monitor = monitor_for(shipped_rules, store, hub)
        await monitor.wallboard.start()
        try:
            for n in range(50):
                monitor.on_event(joined(n))
            await asyncio.sleep(1.3)
            assert reads == [] and monitor.wallboard.published == 0
            watching = asyncio.create_task(boards(hub, 2.0))
            await asyncio.sleep(0.05)
            for n in range(50, 250):
                monitor.on_event(joined(n))
                await asyncio.sleep(0.005)
            got = await watching
            assert 2 <= len(got) <= 2.0 / feed_module.THROTTLE_S + 2
            assert got[-1][1].total.waiting == 250
            assert len(reads) <= 2.0 / feed_module.TODAY_EVERY_S + 1
        finally:
            await monitor.wallboard.stop()
    asyncio.run(main())


def test_a_resync_starts_the_board_afresh(shipped_rules, store):
    async def main():
        monitor = monitor_for(shipped_rules, store, EventHub())
        for n in range(3):
            monitor.on_event(joined(n))
        snapshot = [{"Event": "QueueParams", "Queue": "q12345"},
                    {"Event": "QueueMember", "Queue": "q12345", "Name": "agent2", "Paused": "1",
                     "PausedReason": "break", "Status": "1"},
                    {"Event": "QueueEntry", "Queue": "q12345", "Linkedid": "1591.9", "Wait": "42"}]

        async def status(action, timeout=None, as_list=None):
            return snapshot
        monitor.client.action = status
        await monitor.resync()
        board = await monitor.wallboard.board()
        assert (board.total.waiting, board.total.longest_wait_s, board.total.paused) == (1, 42, 1)
        paused = [c.view for c in board.agents if c.view.agent == "agent2"][0]
        assert (paused.state.value, paused.reason) == ("paused", "break")
    asyncio.run(main())


def test_a_database_that_is_away_leaves_the_live_part_going(shipped_rules, store, monkeypatch):
    def away(*args):
        raise StoreError("the ticket database is unavailable: connection refused")
    monkeypatch.setattr(store, "calls_between", away)

    async def main():
        monitor = monitor_for(shipped_rules, store, EventHub())
        monitor.on_event(joined(1))
        board = await monitor.wallboard.board()
        assert board.today_known is False and board.total.waiting == 1
    asyncio.run(main())
