"""The event hub: delivery by key only, bounded queues that drop the oldest, closing."""
from __future__ import annotations

import asyncio

import pytest

from ivr.web.hub import EventHub, LiveEvent


def run(coro):
    return asyncio.run(coro)


def test_an_event_reaches_only_the_pages_of_its_key():
    async def scenario():
        hub = EventHub()
        with hub.subscribe("agent1", "user:li") as mine, hub.subscribe("agent2") as other:
            assert hub.publish("agent1", LiveEvent("notice", {"title": "来电"})) == 1
            assert hub.publish("user:li", LiveEvent("notice", {"title": "消息"})) == 1
            got = [await mine.next(1), await mine.next(1)]
            assert [e.data["title"] for e in got] == ["来电", "消息"]
            assert await other.next(0.05) is None
        assert hub.subscribers("agent1") == 0 and hub.publish("agent1", LiveEvent("notice")) == 0
    run(scenario())


def test_a_page_that_stops_reading_loses_its_oldest_events_only():
    async def scenario():
        hub = EventHub(queue_size=3)
        with hub.subscribe("agent1") as sub:
            for n in range(10):
                hub.publish("agent1", LiveEvent("notice", {"n": n}))
            assert sub.dropped == 7
            assert [(await sub.next(1)).data["n"] for _ in range(3)] == [7, 8, 9]
    run(scenario())


def test_publish_from_another_thread_and_close_ends_subscriptions():
    async def scenario():
        hub = EventHub()
        with hub.subscribe("agent1") as sub:
            await asyncio.to_thread(hub.publish_threadsafe, "agent1", LiveEvent("notice", {"n": 1}))
            assert (await sub.next(1)).data == {"n": 1}
            hub.close()
            assert await sub.next(1) is None and hub.closed
    run(scenario())


def test_event_kinds_name_templates_safely():
    with pytest.raises(ValueError):
        LiveEvent("../secret")
