"""The impact preview: real calls replayed through two sets of rules, and what is scheduled.

Every call the engine routed is logged (its time, the number dialled, the caller). A preview
replays each of them through :func:`~ivr.core.routing.decide` under the rules in force and under
a new file, at the call's own time, and counts per line how many calls would have gone
elsewhere, and where. Exact, not sampled: every call is replayed. Fast: a decision depends on the
number dialled and on a part of the time only (:func:`~ivr.core.routing.time_key`), so each rule
set decides once per distinct (number, key) and the calls share the answer.

``route_of(decision)`` says where a call goes in the dialplan's own words ("queue:q12345",
"dial:051380002401", with the next party after ">"): two decisions with equal routes reach the
same parties; timings and prompts are reported apart ("same place, other details").

Pure: calls and rules in, a :class:`Replay` out; :func:`upcoming` lists the dated events of the
next days under a set of rules (sunset dates reached, holidays, make-up working days).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import NamedTuple

from ivr.core.decision import Action, Decision
from ivr.core.numbers import normalize_number
from ivr.core.routing import Call, decide, time_key
from ivr.core.rules import Line, Rules
from ivr.core.holiday_calendar import runs

NAMED_CALLS = 1000  # calls named one by one in a preview; the counts are always over every call


class LoggedCall(NamedTuple):
    """One call as the engine routed it (from the call log). A named tuple: a month of a busy
    centre is a million of them, made as fast as a tuple."""

    id: str          # Asterisk's unique id of the caller's channel
    at: datetime     # aware: when the engine routed it
    line: str        # the number as dialled
    caller: str = ""
    route: str = ""  # where the engine sent it then (route_of), for the record


def route_of(decision: Decision) -> str:
    """Where ``decision`` sends the call: the parties in order, as IVR_REACHED names them."""
    if decision.action is Action.QUEUE:
        first = f"queue:{decision.queue}"
        return f"{first}>{decision.overflow_queue}" if decision.overflow_queue else first
    if decision.action is Action.DIAL:
        return f"dial:{decision.destination}>{decision.fallback_queue}"
    return "prompt_only"


def details_of(decision: Decision) -> tuple:
    """What else the caller meets on the way: prompts and timings."""
    return (decision.prompts, decision.overflow_after, decision.dial_timeout)


@dataclass(frozen=True)
class ChangedCall:
    call: LoggedCall
    old: str
    new: str


@dataclass
class LineImpact:
    """One line's calls in the period and where the new rules would send them."""

    line: str                     # canonical number (under the rules in force)
    mode: str                     # its mode under the rules in force
    department: str
    calls: int = 0
    elsewhere: int = 0
    other_details: int = 0        # same parties, other prompts or timings
    moves: Counter = field(default_factory=Counter)  # (old route, new route) -> calls

    def to_dict(self) -> dict:
        return {"line": self.line, "mode": self.mode, "department": self.department, "calls": self.calls,
                "elsewhere": self.elsewhere, "other_details": self.other_details,
                "moves": [{"from": a, "to": b, "calls": n} for (a, b), n in self.moves.most_common()]}


@dataclass
class Replay:
    calls: int = 0
    elsewhere: int = 0
    other_details: int = 0
    first: datetime | None = None
    last: datetime | None = None
    lines: dict[str, LineImpact] = field(default_factory=dict)
    changed: list[ChangedCall] = field(default_factory=list)   # the first NAMED_CALLS, in call order
    decisions: dict[str, int] = field(default_factory=dict)    # decide() calls per rule set

    def to_dict(self) -> dict:
        return {
            "calls": self.calls, "elsewhere": self.elsewhere, "other_details": self.other_details,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "lines": [impact.to_dict() for impact in self.lines.values()],
            "changed": [{"id": c.call.id, "at": c.call.at.isoformat(), "line": c.call.line,
                         "caller": c.call.caller, "from": c.old, "to": c.new} for c in self.changed],
            "named": len(self.changed), "decisions": self.decisions,
        }


class _Decider:
    """decide() under one set of rules, once per (number dialled, time key)."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.tz = rules.centre.timezone
        self._lines: dict[str, Line | None] = {}
        self._memo: dict[tuple, Decision] = {}
        self.decided = 0

    def key(self, call: LoggedCall, local: datetime) -> tuple:
        try:
            line = self._lines[call.line]
        except KeyError:
            line = self._lines[call.line] = self.rules.line(normalize_number(call.line, self.rules.centre.area_code))
        return (call.line, time_key(line, local, self.rules))

    def decision(self, key: tuple, call: LoggedCall, local: datetime) -> Decision:
        decision = self._memo.get(key)
        if decision is None:
            decision = self._memo[key] = decide(Call(call.line, call.caller), self.rules, local)
            self.decided += 1
        return decision


def replay(calls: Iterable[LoggedCall], in_force: Rules, new: Rules, named: int = NAMED_CALLS) -> Replay:
    """Every call of ``calls`` decided under ``in_force`` and under ``new``, compared."""
    old_decide, new_decide = _Decider(in_force), _Decider(new)
    same_zone = old_decide.tz == new_decide.tz
    # what a pair of keys means, worked out once: (impact, old route, new route, other details?)
    outcomes: dict[tuple, tuple[LineImpact, str, str, bool]] = {}
    out = Replay()
    for call in calls:
        local = call.at.astimezone(old_decide.tz)
        other = local if same_zone else call.at.astimezone(new_decide.tz)
        pair = (old_decide.key(call, local), new_decide.key(call, other))
        outcome = outcomes.get(pair)
        if outcome is None:
            before = old_decide.decision(pair[0], call, local)
            after = new_decide.decision(pair[1], call, other)
            impact = out.lines.get(before.line)
            if impact is None:
                impact = out.lines[before.line] = LineImpact(before.line, before.mode.value, before.department)
            outcome = outcomes[pair] = (impact, route_of(before), route_of(after),
                                        details_of(before) != details_of(after))
        impact, old_route, new_route, other_details = outcome
        impact.calls += 1
        out.calls += 1
        if out.first is None or call.at < out.first:
            out.first = call.at
        if out.last is None or call.at > out.last:
            out.last = call.at
        if old_route != new_route:
            impact.elsewhere += 1
            out.elsewhere += 1
            impact.moves[(old_route, new_route)] += 1
            if len(out.changed) < named:
                out.changed.append(ChangedCall(call, old_route, new_route))
        elif other_details:
            impact.other_details += 1
            out.other_details += 1
    out.decisions = {"in_force": old_decide.decided, "new": new_decide.decided}
    return out


@dataclass(frozen=True)
class Scheduled:
    """A dated event under a set of rules, and whether the rules in force have it too."""

    first: date
    last: date
    kind: str        # sunset_starts, retired, holiday, workday
    subject: str     # a line's number, or the day's name
    text: str
    new: bool = False  # not so under the rules in force
    department: str = ""         # a sunset line's department
    after_retirement: str = ""   # a retired line: "redirect" or "prompt_only"
    provisional: bool = False    # a holiday or make-up day of a year the rules do not confirm

    def to_dict(self) -> dict:
        return {"first": self.first.isoformat(), "last": self.last.isoformat(), "kind": self.kind,
                "subject": self.subject, "text": self.text, "new": self.new, "department": self.department,
                "after_retirement": self.after_retirement, "provisional": self.provisional}

    @property
    def key(self) -> tuple:
        """What makes two events the same (a holiday confirmed where it was provisional is news)."""
        return (self.first, self.last, self.kind, self.subject, self.provisional)


def _events(rules: Rules, start: date, end: date) -> list[Scheduled]:
    out: list[Scheduled] = []
    for line in rules.lines.values():
        if line.go_live and start <= line.go_live <= end:
            out.append(Scheduled(line.go_live, line.go_live, "sunset_starts", line.number,
                                 f"{line.number} ({line.department}) starts its transition: the "
                                 f"sunset notice, then 12345", department=line.department))
        if line.retire_on and start <= line.retire_on <= end:
            after = ("'number retired' only" if line.after_retirement == "prompt_only"
                     else "'number retired', then 12345")
            out.append(Scheduled(line.retire_on, line.retire_on, "retired", line.number,
                                 f"{line.number} ({line.department}) is retired: {after}",
                                 department=line.department, after_retirement=line.after_retirement or ""))
    words = {"holiday": "public holiday: parallel lines go to 12345 all day; not a working day for deadlines",
             "workday": "departments open, counts for deadlines"}
    for run in runs(rules.calendar, start, end):
        mark = (f" (provisional: statutory, {run.first.year} has no confirmed holiday list)"
                if run.provisional else "")
        out.append(Scheduled(run.first, run.last, run.kind, run.name, f"{run.name}: {words[run.kind]}{mark}",
                             provisional=run.provisional))
    return out


def upcoming(new: Rules, in_force: Rules, today: date, days: int = 90) -> list[Scheduled]:
    """The dated events of the ``days`` days from ``today`` on under ``new``, in date order;
    ``new`` marks those the rules in force do not have (a moved sunset date, an added holiday)."""
    end = today + timedelta(days=days - 1)
    known = {e.key for e in _events(in_force, today, end)}
    events = [replace(e, new=e.key not in known) for e in _events(new, today, end)]
    return sorted(events, key=lambda e: (e.first, e.kind, e.subject))
