"""The surge (the seed's water outage): what happened to each caller, read from the queue log.

Hundreds of citizens ring one dedicated line within a minute while a few seat agents answer.
The promise to check: every caller is queued, in the seat queue or overflowed to 12345; none is
dropped by the system; each call an agent answered has exactly one work order.

Pure: the runner hands over Asterisk's queue_log lines (parsed by
:func:`ivr.core.call_events.parse_queue_log_line`), what SIPp counted, and the work orders'
linkedids. A caller who hangs up while waiting (ABANDON) is the caller's choice, not a drop;
a call that leaves a queue with nowhere to go (EXITEMPTY, a timeout with no later queue, no
event at all) is a drop.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ivr.core.call_events import QueueLogEntry

ANSWERED, ABANDONED, DROPPED = "answered", "abandoned", "dropped"


@dataclass(frozen=True)
class CallPath:
    """One caller's way through the queues."""

    callid: str
    queues: tuple[str, ...]        # queues entered, in order
    outcome: str                   # answered | abandoned | dropped
    answered_in: str = ""          # queue where an agent answered
    agent: str = ""

    @property
    def overflowed(self) -> bool:
        return len(self.queues) > 1


def paths(entries: list[QueueLogEntry], line: str) -> list[CallPath]:
    """The path of every call to ``line`` (its IVRINFO line field), in order of first appearance."""
    by_call: dict[str, list[QueueLogEntry]] = {}
    of_line: set[str] = set()
    for e in entries:
        if e.event == "IVRINFO" and e.data and e.data[0] == line:
            of_line.add(e.callid)
        by_call.setdefault(e.callid, []).append(e)
    out = []
    for callid, events in by_call.items():
        if callid not in of_line:
            continue
        queues: list[str] = []
        outcome, answered_in, agent = DROPPED, "", ""
        for e in events:
            if e.event == "ENTERQUEUE":
                queues.append(e.queue)
                outcome = DROPPED          # until something says otherwise
            elif e.event == "CONNECT":
                outcome, answered_in, agent = ANSWERED, e.queue, e.agent
            elif e.event == "ABANDON" and outcome != ANSWERED:
                outcome = ABANDONED
        out.append(CallPath(callid, tuple(queues), outcome, answered_in, agent))
    return out


@dataclass(frozen=True)
class SurgeVerdict:
    """The surge's figures and whether its promise held."""

    callers: int                   # calls SIPp placed
    sipp_failed: int               # calls SIPp counted as failed (refused, never answered)
    queued: int                    # callers seen entering a queue
    overflowed: int
    answered: int
    answered_by_queue: dict[str, int]
    abandoned: int
    dropped: int
    never_queued: int
    tickets: int                   # work orders whose linkedid is a surge call
    answered_without_ticket: int
    tickets_without_answer: int
    agent_answers: int             # answers the SIPp agents logged for the surge
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "problems"} | {
            "problems": list(self.problems), "passed": self.passed}


def judge(expected: int, callers: int, sipp_failed: int, call_paths: list[CallPath],
          ticket_linkedids: list[str], agent_answers: int) -> SurgeVerdict:
    """Hold the surge's figures against its promise; every broken part named in ``problems``."""
    answered = {p.callid for p in call_paths if p.outcome == ANSWERED}
    dropped = [p for p in call_paths if p.outcome == DROPPED]
    surge_ids = {p.callid for p in call_paths}
    tickets = [t for t in ticket_linkedids if t in surge_ids]
    counts = Counter(tickets)
    never_queued = max(0, callers - len([p for p in call_paths if p.queues]))
    problems = []
    if callers < expected or not callers:
        problems.append(f"SIPp placed {callers} of the {expected} calls asked for")
    if sipp_failed:
        problems.append(f"{sipp_failed} call(s) failed at the caller (refused or never answered)")
    if dropped:
        problems.append(f"{len(dropped)} call(s) left a queue with nowhere to go: "
                        + ", ".join(p.callid for p in dropped[:5]))
    if never_queued:
        problems.append(f"{never_queued} call(s) never entered a queue")
    missing = answered - set(counts)
    if missing:
        problems.append(f"{len(missing)} answered call(s) without a work order: "
                        f"{', '.join(sorted(missing)[:5])}")
    extra = set(counts) - answered
    if extra:
        problems.append(f"{len(extra)} work order(s) for calls nobody answered: "
                        f"{', '.join(sorted(extra)[:5])}")
    doubled = [k for k, n in counts.items() if n > 1]
    if doubled:
        problems.append(f"{len(doubled)} call(s) with more than one work order")
    if agent_answers != len(answered):
        problems.append(f"the agents answered {agent_answers} call(s), the queue log shows {len(answered)}")
    return SurgeVerdict(
        callers=callers, sipp_failed=sipp_failed, queued=len([p for p in call_paths if p.queues]),
        overflowed=sum(p.overflowed for p in call_paths), answered=len(answered),
        answered_by_queue=dict(Counter(p.answered_in for p in call_paths if p.outcome == ANSWERED)),
        abandoned=sum(p.outcome == ABANDONED for p in call_paths), dropped=len(dropped),
        never_queued=never_queued, tickets=len(tickets), answered_without_ticket=len(missing),
        tickets_without_answer=len(extra), agent_answers=agent_answers, problems=tuple(problems))


@dataclass(frozen=True)
class WayFigures:
    """One way of the surge (without / with notices and callbacks), as the issue asks to compare."""

    way: str
    callers: int
    answered: int              # answered while they held on
    called_back: int           # callbacks an agent answered
    left_informed: int         # left after the notice (their matter is known)
    abandoned: int
    callbacks_asked: int = 0
    callbacks_failed: int = 0
    occupancy: float | None = None        # agents' talk time over their time, from the surge's start
    last_callback_s: float | None = None  # from the surge's start to the last callback's end

    @property
    def connection_rate(self) -> float | None:
        return (self.answered + self.called_back) / self.callers if self.callers else None

    @property
    def informed_rate(self) -> float | None:
        """Callers answered, called back or who left informed (their matter known), over callers."""
        return (self.answered + self.called_back + self.left_informed) / self.callers if self.callers else None

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {
            "connection_rate": self.connection_rate, "informed_rate": self.informed_rate}


def talk_seconds(entries: list[QueueLogEntry], callids: set[str] | None = None) -> int:
    """Seconds agents talked in the calls that ended in ``entries`` (COMPLETECALLER/COMPLETEAGENT:
    holdtime|calltime|position), only of ``callids`` when given."""
    total = 0
    for e in entries:
        if e.event in ("COMPLETECALLER", "COMPLETEAGENT") and len(e.data) > 1 and (callids is None or e.callid in callids):
            try:
                total += max(0, int(e.data[1]))
            except ValueError:
                continue
    return total


def occupancy(talk_s: int, agents: int, seconds: float) -> float | None:
    """Talk time over the agents' time (``agents`` x ``seconds``)."""
    return talk_s / (agents * seconds) if agents and seconds > 0 else None


def side_by_side(ways: list[WayFigures]) -> list[str]:
    """The two ways as a table: one column each."""
    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value * 100:.1f} %"

    def sec(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f} s"

    rows = [("callers", lambda w: str(w.callers)), ("answered", lambda w: str(w.answered)),
            ("called back", lambda w: str(w.called_back)), ("left informed", lambda w: str(w.left_informed)),
            ("abandoned", lambda w: str(w.abandoned)),
            ("callbacks asked / failed", lambda w: f"{w.callbacks_asked} / {w.callbacks_failed}"),
            ("connection rate", lambda w: pct(w.connection_rate)),
            ("... or left informed", lambda w: pct(w.informed_rate)), ("agents' occupancy", lambda w: pct(w.occupancy)),
            ("time to last callback", lambda w: sec(w.last_callback_s))]
    out = [f"  {'':<26}" + "".join(f"{w.way:>24}" for w in ways)]
    out += [f"  {name:<26}" + "".join(f"{cell(w):>24}" for w in ways) for name, cell in rows]
    return out
