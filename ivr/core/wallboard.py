"""The supervisors' wallboard (大屏) as figures: per queue, the agents' grid, today's quarter hours.

Pure: it takes what Asterisk says now (:class:`~ivr.core.presence.Presence`'s agents and waiting
callers), today's calls as the store has them (:class:`DayCall`), and ``now``.

* **callers waiting** and the **longest wait** per queue come from Asterisk (live): the callers in
  the queue, and those who reached its door and are still hearing the greeting, an incident
  notice or the callback offer (:class:`~ivr.core.presence.Presence`), their wait from the door;
* **offered**, **answered** and **abandoned today** and the **service level** come from the calls
  the engine recorded (the ``calls`` table): the same offered calls and outcomes as ``ivr report``
  (:mod:`ivr.core.kpi`: counted from the queue's door), per calendar day of the centre, unchanged
  by an Asterisk restart or reload (Asterisk's own queue counters are since the queue was loaded,
  not per day, count only callers who joined, and its service level needs ``servicelevel`` set
  per queue); **abandoned** counts every caller who hung up unanswered, those before the queue
  (greeting, notice, offer) too, also shown apart;
* **service level** (GB/T 33358's 15-second figure) = calls answered within :data:`SERVICE_LEVEL_S`
  seconds of joining the queue / calls answered or abandoned in a queue. A caller still waiting
  counts once answered or gone; "within" is the whole wait, from the first queue, overflow
  included. Callers who hung up before joining count against the connection rate, not here.

:class:`WaitingHistory` keeps the number of callers waiting over the last hour for the chart.
"""
from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ivr.core.call_facts import STAGES_BEFORE_QUEUE
from ivr.core.kpi import ratio
from ivr.core.presence import AgentState, AgentView
from ivr.core.text import require_aware

SERVICE_LEVEL_S = 15
BUCKET = timedelta(minutes=15)
HISTORY = timedelta(hours=1)
BUSY = frozenset({AgentState.TALKING, AgentState.RINGING, AgentState.WRAPUP})


@dataclass(frozen=True)
class DayCall:
    """One call offered today (it reached a queue's door), as the store recorded it."""

    started_at: datetime
    queue: str
    outcome: str                 # ivr.core.kpi.CALL_OUTCOMES ("offered": still going, or not known yet)
    wait_seconds: int | None = None
    stage: str | None = None     # where an abandoned caller hung up (ivr.core.kpi.STAGES)

    @property
    def abandoned_before_queue(self) -> bool:
        return self.outcome == "abandoned" and self.stage in STAGES_BEFORE_QUEUE


@dataclass(frozen=True)
class QueueRow:
    """One queue's line on the wallboard (``queue`` empty: the whole centre)."""

    queue: str
    waiting: int = 0
    longest_wait_s: int = 0
    logged_in: int = 0
    ready: int = 0
    busy: int = 0                # ringing, talking or in wrap-up
    paused: int = 0
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    abandoned_before_queue: int = 0
    left_informed: int = 0
    callbacks: int = 0           # asked to be called back and hung up (called back or not yet)
    called_back: int = 0
    answered_in_time: int = 0

    @property
    def service_level(self) -> float | None:
        return ratio(self.answered_in_time, self.answered + self.abandoned - self.abandoned_before_queue)


@dataclass(frozen=True)
class Bucket:
    """Calls offered, answered and abandoned that joined a queue in [start, start + 15 min)."""

    start: datetime
    offered: int = 0
    answered: int = 0
    abandoned: int = 0


@dataclass(frozen=True)
class AgentCell:
    """One agent on the grid: the view Asterisk gives, and for how long it has held."""

    view: AgentView
    seconds: int


@dataclass(frozen=True)
class Board:
    at: datetime
    queues: tuple[QueueRow, ...]
    total: QueueRow
    agents: tuple[AgentCell, ...]
    buckets: tuple[Bucket, ...]
    waiting: tuple[tuple[datetime, int], ...]   # (when, callers waiting) over the last hour
    today_known: bool = True                    # False: the database did not answer


def day_start(now: datetime) -> datetime:
    """Midnight of ``now``'s day, in ``now``'s zone (pass the centre's time)."""
    require_aware(now, "wallboard: now")
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of ``now``'s week."""
    return day_start(now) - timedelta(days=now.weekday())


def answered_in_time(call: DayCall, limit: int = SERVICE_LEVEL_S) -> bool:
    return call.outcome == "answered" and call.wait_seconds is not None and call.wait_seconds <= limit


def queue_row(queue: str, agents: list[AgentView], waiting: tuple[int, float],
              calls: list[DayCall]) -> QueueRow:
    """The row of ``queue``: the agents who are members of it, its callers, its calls today."""
    members = [a for a in agents if a.state is not AgentState.LOGGED_OUT]
    outcomes = Counter(c.outcome for c in calls)
    return QueueRow(
        queue=queue, waiting=waiting[0], longest_wait_s=int(waiting[1]), logged_in=len(members),
        ready=sum(a.state is AgentState.READY for a in members),
        busy=sum(a.state in BUSY for a in members),
        paused=sum(a.state is AgentState.PAUSED for a in members),
        offered=len(calls), answered=outcomes["answered"], abandoned=outcomes["abandoned"],
        abandoned_before_queue=sum(1 for c in calls if c.abandoned_before_queue),
        left_informed=outcomes["left_informed"], callbacks=outcomes["callback"] + outcomes["called_back"],
        called_back=outcomes["called_back"], answered_in_time=sum(1 for c in calls if answered_in_time(c)))


def buckets(calls: list[DayCall], now: datetime) -> tuple[Bucket, ...]:
    """Today's quarter hours from midnight up to the one ``now`` is in, with their calls."""
    start = day_start(now)
    count = int((now - start) / BUCKET) + 1
    offered, answered, abandoned = [0] * count, [0] * count, [0] * count
    for call in calls:
        index = int((call.started_at - start) / BUCKET)  # aware times: the zones need not match
        if 0 <= index < count:
            offered[index] += 1
            answered[index] += call.outcome == "answered"
            abandoned[index] += call.outcome == "abandoned"
    return tuple(Bucket(start + i * BUCKET, offered[i], answered[i], abandoned[i]) for i in range(count))


def build(queues: list[str], agents: list[AgentView], waiting: dict[str, tuple[int, float]],
          calls: list[DayCall] | None, history: "WaitingHistory", now: datetime) -> Board:
    """The whole board at ``now``. ``calls`` None: today's figures are unknown (database away)."""
    require_aware(now, "wallboard: now")
    day = calls or []
    by_queue: dict[str, list[DayCall]] = {}
    for call in day:
        by_queue.setdefault(call.queue, []).append(call)
    names = [q for q in dict.fromkeys([*queues, *waiting, *by_queue]) if q]
    rows = tuple(queue_row(q, [a for a in agents if q in a.queues], waiting.get(q, (0, 0.0)), by_queue.get(q, []))
                 for q in names)
    total = queue_row("", agents, (sum(r.waiting for r in rows), max((r.longest_wait_s for r in rows), default=0)),
                      day)
    cells = tuple(AgentCell(a, int((now - a.since).total_seconds()) if a.since else 0)
                  for a in sorted(agents, key=lambda a: natural_key(a.agent)))
    return Board(now, rows, total, cells, buckets(day, now), history.series(now), calls is not None)


def natural_key(text: str) -> tuple:
    """agent2 before agent10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


@dataclass
class WaitingHistory:
    """Callers waiting in the centre over the last hour: a point at each change, bounded."""

    span: timedelta = HISTORY
    points: deque = field(default_factory=lambda: deque(maxlen=10_000))

    def add(self, now: datetime, count: int) -> None:
        require_aware(now, "wallboard: now")
        if not self.points or self.points[-1][1] != count:
            self.points.append((now, count))
        self._trim(now)

    def series(self, now: datetime) -> tuple[tuple[datetime, int], ...]:
        """The points of the last hour up to ``now``; it starts at the hour's beginning when the
        count then is known, else at the first point seen (after a restart: nothing is made up)."""
        self._trim(now)
        start = now - self.span
        before = [n for t, n in self.points if t <= start]
        inside = tuple((t, n) for t, n in self.points if start < t <= now)
        head = ((start, before[-1]),) if before else ()
        current = self.points[-1][1] if self.points else None
        tail = ((now, current),) if current is not None else ()
        return head + inside + tail

    def _trim(self, now: datetime) -> None:
        start = now - self.span
        while len(self.points) > 1 and self.points[1][0] <= start:
            self.points.popleft()
