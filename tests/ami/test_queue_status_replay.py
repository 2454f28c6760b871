"""QueueStatus, as a real Asterisk 22 answered it (agent2 logged in to q12345 and paused for a
meeting), read once by :mod:`ivr.core.queue_status` for the three parts that ask: ``ivr agents
list``, the console's presence and the callbacks' count of free agents agree."""
from __future__ import annotations

import asyncio
import time

from ami.replay import log_in, replaying
from ivr.ami import queues
from ivr.ami.callbacks import CallbackWorker
from ivr.core import presence_events as pe
from ivr.core import queue_status
from ivr.core.callbacks import CallbackPolicy
from support import at


def test_the_three_readers_of_queuestatus_agree(shipped_rules):
    async def main():
        client = replaying({"QueueStatus": "queue_status.ami"})
        log_in(client)
        deadline = time.monotonic() + 5
        while not client.logged_in.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        answer = await client.action({"Action": "QueueStatus"}, as_list=True)
        listed = await queues.queue_states(client)
        worker = CallbackWorker(client=client, dialler=lambda: None, surges=None, rules=lambda: shipped_rules,
                                policy=CallbackPolicy(), clock=lambda: at("2026-12-05 10:00"))
        free = await worker._free_agents("q12345")
        await client.stop()
        return answer, listed, free

    answer, listed, free = asyncio.run(main())
    parsed = {q.queue: q for q in queue_status.parse(answer)}
    assert set(parsed) == {"q12345", "seat_approval", "seat_environment", "seat_hrss", "seat_water"}
    assert all(q.listed and q.waiting == 0 for q in parsed.values())
    [member] = parsed["q12345"].members
    assert (member.agent, member.interface, member.status, member.paused, member.reason) == \
        ("agent2", "PJSIP/agent2", "not in use", True, "meeting")
    # ivr agents list
    q12345 = next(q for q in listed if q.queue == "q12345")
    assert [(m.agent, m.paused, m.pause_reason, m.status) for m in q12345.members] == \
        [("agent2", True, "meeting", "not in use")]
    # the console's presence
    members, waiting = pe.snapshot(answer)
    assert [(m.agent, m.queue, m.paused, m.reason) for m in members] == [("agent2", "q12345", True, "meeting")]
    assert waiting["q12345"] == []
    # the callbacks: a paused agent is not free
    assert free == 0
