"""KPI arithmetic for the centre's reports: pure sums and ratios over call and order facts.

Definitions (the report's figures fix the denominators):

* **offered** (来电) — every caller the dialplan routed to a queue, counted the moment they reach
  the queue's door: before anything they hear there (the greeting, an incident notice, the
  callback offer), from Asterisk's own line (the dialplan's ``IvrDoor`` UserEvent and its
  ``IVRDOOR`` queue-log line, :mod:`ivr.core.call_events`). So offered equals the calls Asterisk
  delivered to a queue, whatever became of them. The centre's own callback calls are not offered
  calls: they answer a call already offered (its outcome says so). Calls a department's own line
  answered (parallel lines) were never offered to 12345.
* Each offered call has one **outcome**, the furthest it got (:data:`CALL_OUTCOMES`):
  ``answered`` an agent answered while the caller held on; ``called_back`` the caller asked to be
  called back and the centre's callback of that request was answered; ``callback`` the caller
  asked to be called back and hung up (the request waits, failed, or was joined to an earlier
  open request of the same number, which is called back instead); ``left_informed`` the caller
  heard an incident notice and left with its key (their matter is known); ``abandoned`` the
  caller hung up before any of that: in a queue, or before joining one (**abandoned before the
  queue**: during the greeting, the notice or the offer, ``stage``); ``offered`` still in progress
  (or its end not known yet).
* **connection rate** (接通率) = (answered + called back) / (offered − left informed): of the
  callers who wanted a person, those who got one, on the line or by the callback they asked for.
  A caller who left informed had their answer from the notice and wanted no agent, so is in
  neither count; a caller who asked for a callback counts against the rate until it is answered;
  one whose request was joined to an earlier one is not connected by that call.
* **received** (受理) — work orders taken in: one per call an agent answered (callbacks' calls
  included). **on the spot** (当场解答) — orders closed at intake. **dispatched** (转办) — orders
  sent to a unit. **on-the-spot rate** = on the spot / received: the seed's 32,340 / 41,084 =
  78.72 %, and 32,340 + 8,744 = 41,084, so "received" is the denominator, not "offered".
* **on-time rate** (按时办结率) = orders whose last reply came before the deadline / orders replied.
* **average satisfaction** = mean of the citizens' ratings (1..5) over rated orders.
* **overdue** (超期) — orders whose unit missed the sign-off or the reply deadline.
* **answered within 15 s** (GB/T 33358's service level) — answered calls that waited at most
  :data:`SERVICE_LEVEL_S` in queues; **service level** = that / (answered + abandoned in a queue).
  **answer waits** — the seconds the answered callers waited, summed: the average speed of answer
  is that / answered.

Facts carry a ``count`` so the store can hand over GROUP BY rows instead of one fact per call;
for orders it hands over :class:`OrderGroup` counts (one per line, department and unit), and the
rates are still computed here, from those counts.
A ratio with a zero denominator is ``None`` ("no data"), never 0 % and never a ZeroDivisionError.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any

from ivr.core.call_facts import STAGES, STAGES_BEFORE_QUEUE

# A call's outcomes, from the least to the furthest it got: an outcome only ever moves forward
# (the facts of one call may arrive in any order, or twice), so each is ranked by its place here.
CALL_OUTCOMES = ("offered", "abandoned", "left_informed", "callback", "called_back", "answered")
OUTCOME_RANK = {outcome: rank for rank, outcome in enumerate(CALL_OUTCOMES)}


def moves_forward(old: str, new: str) -> bool:
    """Whether a call whose outcome is ``old`` takes ``new`` (a later fact of the same call)."""
    return OUTCOME_RANK[new] > OUTCOME_RANK[old]


SERVICE_LEVEL_S = 15   # answered within this many seconds of joining a queue (GB/T 33358)


@dataclass(frozen=True)
class CallFact:
    """``count`` offered calls on ``line`` (of ``department``) that ended with ``outcome``;
    ``stage``: where an abandoned caller hung up (:data:`STAGES`; None: in a queue, or unknown).
    For answered calls, ``answered_within`` of them waited at most :data:`SERVICE_LEVEL_S` and
    ``answer_wait`` is their waits summed (already counted by the store, like ``count``)."""

    line: str
    department: str
    outcome: str
    count: int = 1
    stage: str | None = None
    answered_within: int = 0
    answer_wait: int = 0


@dataclass(frozen=True)
class OrderFact:
    """``count`` work orders taken in on ``line`` that share these facts."""

    line: str
    department: str            # the department of the line dialled
    unit: str | None           # the responsible unit, when dispatched
    closed_on_the_spot: bool
    dispatched: bool
    replied: bool               # replied at least once (replied or archived now)
    replied_on_time: bool | None
    rating: int | None
    count: int = 1
    overdue: bool = False       # a sign-off or reply deadline was missed


@dataclass(frozen=True)
class Figures:
    """The counted figures of one group; the rates are derived, never stored."""

    offered: int = 0
    answered: int = 0
    called_back: int = 0
    callbacks: int = 0            # callers who asked to be called back and hung up (called back or not)
    left_informed: int = 0
    abandoned: int = 0
    abandoned_before_queue: int = 0
    received: int = 0
    on_the_spot: int = 0
    dispatched: int = 0
    replied: int = 0
    on_time: int = 0
    rated: int = 0
    rating_sum: int = 0
    overdue: int = 0
    answered_within: int = 0      # answered within SERVICE_LEVEL_S of joining a queue
    answer_wait: int = 0          # seconds the answered callers waited, summed

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def __sub__(self, other: "Figures") -> "Figures":
        return Figures(**{f.name: getattr(self, f.name) - getattr(other, f.name) for f in fields(self)})

    def __bool__(self) -> bool:
        """False when every count is zero (a change that changes nothing)."""
        return any(getattr(self, f.name) for f in fields(self))

    @property
    def connected(self) -> int:
        """Callers who got a person: answered on the line, or by the callback they asked for."""
        return self.answered + self.called_back

    @property
    def wanted_an_agent(self) -> int:
        """The connection rate's denominator: offered, less those who left informed."""
        return self.offered - self.left_informed

    @property
    def connection_rate(self) -> float | None:
        return ratio(self.connected, self.wanted_an_agent)

    @property
    def on_the_spot_rate(self) -> float | None:
        return ratio(self.on_the_spot, self.received)

    @property
    def on_time_rate(self) -> float | None:
        return ratio(self.on_time, self.replied)

    @property
    def average_satisfaction(self) -> float | None:
        return ratio(self.rating_sum, self.rated)

    @property
    def service_level(self) -> float | None:
        """Answered within 15 s over the calls that had to be answered in a queue."""
        return ratio(self.answered_within, self.answered + self.abandoned - self.abandoned_before_queue)

    @property
    def average_answer_wait(self) -> float | None:
        """Seconds an answered caller waited, on average (ASA)."""
        return ratio(self.answer_wait, self.answered)

    def as_dict(self) -> dict[str, Any]:
        """Counts and rates, JSON-ready (rates as fractions, None where there is no data)."""
        data: dict[str, Any] = asdict(self)
        data.update(connected=self.connected, wanted_an_agent=self.wanted_an_agent,
                    connection_rate=self.connection_rate, on_the_spot_rate=self.on_the_spot_rate,
                    on_time_rate=self.on_time_rate, average_satisfaction=self.average_satisfaction,
                    service_level=self.service_level, average_answer_wait=self.average_answer_wait)
        return data


@dataclass(frozen=True)
class OrderGroup:
    """The orders taken in on ``line`` (of ``department``) and dispatched to ``unit`` (None: not
    dispatched), already counted into ``figures`` (received .. overdue; no call figures): what the
    store's GROUP BY over a year of orders hands over, so that only a few thousand groups, not
    millions of orders, reach Python. The counts follow :func:`order_figures`' definitions."""

    line: str
    department: str
    unit: str | None
    figures: Figures


@dataclass(frozen=True)
class Report:
    """Totals, and the same figures per line, per department (of the line) and per unit."""

    total: Figures
    by_line: dict[str, Figures]
    by_department: dict[str, Figures]
    by_unit: dict[str, Figures]   # dispatched orders only: the units' league table

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total.as_dict(),
                "by_line": {k: v.as_dict() for k, v in self.by_line.items()},
                "by_department": {k: v.as_dict() for k, v in self.by_department.items()},
                "by_unit": {k: v.as_dict() for k, v in self.by_unit.items()}}


def ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    return numerator / denominator if denominator else None


def percent(value: float | None, places: int = 2) -> str:
    """A ratio as the report writes it ("78.72 %"); "n/a" when there is no data."""
    return "n/a" if value is None else f"{value * 100:.{places}f} %"


def call_figures(fact: CallFact) -> Figures:
    """The figures one call fact adds (ValueError on an outcome or stage it does not know)."""
    if fact.outcome not in CALL_OUTCOMES:
        raise ValueError(f"unknown call outcome {fact.outcome!r}; expected one of {CALL_OUTCOMES}")
    if fact.stage is not None and fact.stage not in STAGES:
        raise ValueError(f"unknown stage {fact.stage!r}; expected one of {STAGES}")
    n = _count(fact.count)
    outcome = fact.outcome
    abandoned = outcome == "abandoned"
    answered = outcome == "answered"
    if not answered and (fact.answered_within or fact.answer_wait):
        raise ValueError(f"only answered calls have an answer wait, not {outcome!r} ones")
    if not 0 <= _count(fact.answered_within) <= n or _count(fact.answer_wait) < 0:
        raise ValueError(f"answered within {fact.answered_within} of {n} call(s)")
    return Figures(offered=n,
                   answered=n if answered else 0,
                   called_back=n if outcome == "called_back" else 0,
                   callbacks=n if outcome in ("callback", "called_back") else 0,
                   left_informed=n if outcome == "left_informed" else 0,
                   abandoned=n if abandoned else 0,
                   abandoned_before_queue=n if abandoned and fact.stage in STAGES_BEFORE_QUEUE else 0,
                   answered_within=fact.answered_within, answer_wait=fact.answer_wait)


def order_figures(fact: OrderFact) -> Figures:
    """The figures one order fact adds."""
    n = _count(fact.count)
    rated = fact.rating is not None
    if rated and not 1 <= fact.rating <= 5:  # type: ignore[operator]
        raise ValueError(f"rating {fact.rating} is outside 1..5")
    return Figures(received=n,
                   on_the_spot=n if fact.closed_on_the_spot else 0,
                   dispatched=n if fact.dispatched else 0,
                   replied=n if fact.replied else 0,
                   on_time=n if fact.replied and fact.replied_on_time else 0,
                   rated=n if rated else 0,
                   rating_sum=n * fact.rating if rated else 0,  # type: ignore[operator]
                   overdue=n if fact.overdue else 0)


def order_group(fact: OrderFact) -> OrderGroup:
    """The group one order fact falls in, with the figures it adds."""
    return OrderGroup(fact.line, fact.department, fact.unit if fact.dispatched else None, order_figures(fact))


def build_report(calls: Iterable[CallFact], orders: Iterable[OrderFact | OrderGroup]) -> Report:
    """Sum every fact (or group already counted by the store) into the totals and its groups."""
    total = Figures()
    by_line: dict[str, Figures] = {}
    by_department: dict[str, Figures] = {}
    by_unit: dict[str, Figures] = {}
    for call in calls:
        figures = call_figures(call)
        total += figures
        _add(by_line, call.line, figures)
        _add(by_department, call.department, figures)
    for order in orders:
        group = order if isinstance(order, OrderGroup) else order_group(order)
        total += group.figures
        _add(by_line, group.line, group.figures)
        _add(by_department, group.department, group.figures)
        if group.unit:
            _add(by_unit, group.unit, group.figures)
    return Report(total, _sorted(by_line), _sorted(by_department), _sorted(by_unit))


def league(report: Report, key: Callable[[Figures], float | None] = lambda f: f.on_time_rate) -> list[str]:
    """Units ranked best first by ``key`` (default: on-time rate); units with no data last."""
    return sorted(report.by_unit, key=lambda unit: (key(report.by_unit[unit]) is None,
                                                    -(key(report.by_unit[unit]) or 0.0), unit))


def _add(groups: dict[str, Figures], key: str, figures: Figures) -> None:
    groups[key] = groups.get(key, Figures()) + figures


def _sorted(groups: dict[str, Figures]) -> dict[str, Figures]:
    return dict(sorted(groups.items()))


def _count(count: int) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"a fact's count must be a whole number >= 0, not {count!r}")
    return count
