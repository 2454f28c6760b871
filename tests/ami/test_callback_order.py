"""The callback worker's choice of whom to ring (no Asterisk: the free agents and the dialling are
stood in for): the callers who asked first, the missed calls after them, and the missed calls
only inside the centre's hours."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone

from ivr.ami.callbacks import CallbackWorker
from ivr.core.callbacks import CallbackPolicy
from ivr.core.missed import MissedPolicy


@dataclass
class Request:
    id: int
    via: str
    queue: str = "q12345"
    line: str = ""


class Surges:
    def __init__(self, due):
        self._due = due

    def due(self, now):
        return list(self._due)


def dialled(shipped_rules, due, now: datetime, free: int) -> list[int]:
    worker = CallbackWorker(host="127.0.0.1", port=1, username="u", secret="s", surges=Surges(due),
                            rules=lambda: shipped_rules, policy=CallbackPolicy(), clock=lambda: now,
                            missed_policy=MissedPolicy(hours=(8 * 60, 20 * 60)))
    rung: list[int] = []

    async def free_agents(queue):
        return free

    async def dial(request, queue):
        rung.append(request.id)

    async def db(fn, *args):
        return fn(*args)
    worker._free_agents, worker._dial, worker._db = free_agents, dial, db

    async def go():
        await worker._round()
        await asyncio.gather(*worker._tasks)
    asyncio.run(go())
    return rung


def test_the_callers_who_asked_come_first_and_missed_calls_only_by_day(shipped_rules):
    due = [Request(1, "missed"), Request(2, "queue_key"), Request(3, "missed"), Request(4, "wait_offer")]
    day = datetime(2026, 12, 5, 2, 0, tzinfo=timezone.utc)      # 10:00 at the centre
    night = datetime(2026, 12, 5, 14, 0, tzinfo=timezone.utc)   # 22:00 at the centre
    assert dialled(shipped_rules, due, day, free=3) == [2, 4, 1]
    assert dialled(shipped_rules, due, night, free=4) == [2, 4]
