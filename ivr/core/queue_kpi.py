"""Per-queue KPIs of a surge: what became of the callers of each queue. Pure sums and ratios.

* **offered** — callers routed to the queue, counted at its door (:mod:`ivr.core.kpi`);
* **answered** — calls an agent answered; **answered by callback** — of those, the centre's
  callbacks (the citizen had asked for one and hung up, ivr.core.callbacks);
* **left informed** — callers who heard the incident notice and left with its key: their matter
  is known, they are neither answered nor abandoned;
* **callbacks asked** — callers who asked to be called back; how many were called back, failed
  (not answered after every try) or still wait, were joined to their number's open request
  (never dialled: the open one calls back) or refused (the number's callbacks for the day used
  up, or a number that cannot be called back: the caller stayed in the queue);
* **abandoned** — callers who hung up while waiting in the queue, counted by how long they had
  waited (under 15 s, 15-60 s, 1-3 min, over 3 min); **abandoned before the queue** — callers who
  hung up at its door, by what they were hearing (greeting, notice, offer);
* **service level** (GB/T 33358: answered within 15 s) — answered within 15 s of joining the queue,
  over answered + abandoned (the calls that had to be answered; a callback's own call counts by its
  own wait, at the front of the queue).

A ratio with nothing to divide is None ("no data").
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ivr.core.call_facts import STAGES_BEFORE_QUEUE
from ivr.core.kpi import SERVICE_LEVEL_S, ratio


# (upper bound in seconds, exclusive; None: no bound) -> the band's name
ABANDON_BANDS: tuple[tuple[int | None, str], ...] = ((15, "under_15s"), (60, "15s_to_1min"),
                                                     (180, "1_to_3min"), (None, "over_3min"))


@dataclass(frozen=True)
class QueueCall:
    """``count`` calls of ``queue`` that ended with ``outcome`` (ivr.core.kpi.CALL_OUTCOMES) after
    waiting ``wait_seconds``; ``by_callback``: the call was one of the centre's callbacks;
    ``door``: an offered call (it reached the queue's door); ``stage``: where an abandoned caller was."""

    queue: str
    outcome: str
    wait_seconds: int | None
    by_callback: bool = False
    count: int = 1
    door: bool = True
    stage: str | None = None


@dataclass
class QueueFigures:
    offered: int = 0
    answered: int = 0
    answered_by_callback: int = 0
    answered_within: int = 0          # within SERVICE_LEVEL_S
    left_informed: int = 0
    callbacks_asked: int = 0
    callbacks_done: int = 0
    callbacks_failed: int = 0
    callbacks_joined: int = 0
    callbacks_refused: int = 0
    # callbacks asked, by how: queue_key (2 while queued), notice_key (after a notice),
    # wait_offer (took the offer made on joining a long wait)
    callbacks_by_via: dict[str, int] = field(default_factory=dict)
    abandoned: dict[str, int] = field(default_factory=lambda: {name: 0 for _, name in ABANDON_BANDS})
    abandoned_before_queue: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES_BEFORE_QUEUE, 0))

    @property
    def abandoned_total(self) -> int:
        return sum(self.abandoned.values())

    @property
    def service_level(self) -> float | None:
        return ratio(self.answered_within, self.answered + self.abandoned_total)

    def as_dict(self) -> dict[str, Any]:
        return {"offered": self.offered, "answered": self.answered, "answered_by_callback": self.answered_by_callback,
                "answered_within_15s": self.answered_within, "left_informed": self.left_informed,
                "callbacks_asked": self.callbacks_asked, "callbacks_done": self.callbacks_done,
                "callbacks_failed": self.callbacks_failed, "callbacks_joined": self.callbacks_joined,
                "callbacks_refused": self.callbacks_refused, "callbacks_by_via": dict(self.callbacks_by_via),
                "abandoned": self.abandoned_total,
                "abandoned_by_wait": dict(self.abandoned),
                "abandoned_before_queue": dict(self.abandoned_before_queue), "service_level": self.service_level}


def band(wait_seconds: int | None) -> str:
    """The abandon band of a wait (an unknown wait counts as the shortest)."""
    wait = wait_seconds or 0
    for bound, name in ABANDON_BANDS:
        if bound is None or wait < bound:
            return name
    raise AssertionError("the last band has no bound")


def queue_report(calls: Iterable[QueueCall], left_informed: dict[str, int],
                 callbacks: Iterable[tuple[str, str, str, int]]) -> dict[str, QueueFigures]:
    """Figures per queue from the calls, the left-informed counts per queue and the callback
    requests as (queue, status, via, count)."""
    out: dict[str, QueueFigures] = {}

    def of(queue: str) -> QueueFigures:
        return out.setdefault(queue, QueueFigures())

    for call in calls:
        if call.count < 0:
            raise ValueError(f"a count must be >= 0, not {call.count}")
        figures = of(call.queue)
        figures.offered += call.count if call.door else 0
        if call.outcome == "answered":
            figures.answered += call.count
            figures.answered_by_callback += call.count if call.by_callback else 0
            if call.wait_seconds is not None and call.wait_seconds <= SERVICE_LEVEL_S:
                figures.answered_within += call.count
        elif call.outcome == "abandoned" and call.stage in STAGES_BEFORE_QUEUE:
            figures.abandoned_before_queue[call.stage] += call.count
        elif call.outcome == "abandoned":
            figures.abandoned[band(call.wait_seconds)] += call.count
    for queue, n in left_informed.items():
        of(queue).left_informed += n
    for queue, status, via, n in callbacks:
        figures = of(queue)
        figures.callbacks_asked += n
        figures.callbacks_by_via[via] = figures.callbacks_by_via.get(via, 0) + n
        figures.callbacks_done += n if status == "answered" else 0
        figures.callbacks_failed += n if status == "failed" else 0
        figures.callbacks_joined += n if status == "joined" else 0
        figures.callbacks_refused += n if status == "refused" else 0
    return dict(sorted(out.items()))
