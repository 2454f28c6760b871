"""Who is where, now: agents' states and the callers waiting, as Asterisk reports them.

The agent's desk shows the agent's own state and the supervisors' wallboard shows everyone's;
both must show what Asterisk says, not what someone clicked. The AMI adapter turns queue events
(QueueMemberStatus, AgentCalled, AgentConnect, QueueCallerJoin, ...) and the QueueStatus snapshot
taken at each login into the small facts below; :class:`Presence` folds them into the state of
every agent and queue. Pure: every change takes ``now`` as an argument.

An agent's state, in the order it wins::

    logged_out   a member of none of the queues
    talking      connected to a caller (AgentConnect .. AgentComplete)
    ringing      a queue call is ringing the phone (AgentCalled .. AgentConnect / RingNoAnswer)
    wrapup       the queue's wrap-up time after a call (no queue call is offered meanwhile)
    paused       paused in its queues, with the reason given (break, training, meeting, ...)
    unavailable  a member, but the phone is unreachable (not registered)
    ready        a member, free, waiting for calls

A queue's **waiting callers** are those in it and those who reached its door and are still
hearing what comes before it (the greeting, an incident notice, the callback offer: about 15 s
of the offer alone): both wait for an agent, so the wallboard counts both, each caller's wait from
the door. A caller leaves the door by joining the queue, or is gone (hung up, left informed,
asked for a callback); one at the door longer than :data:`DOOR_STALE` is dropped (a hangup
missed while the feed was away), and a resynchronisation starts from the queues Asterisk
reports (callers at a door then show again once they join).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from ivr.core.text import require_aware


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    TALKING = "talking"
    RINGING = "ringing"
    WRAPUP = "wrapup"
    PAUSED = "paused"
    UNAVAILABLE = "unavailable"
    READY = "ready"


class PauseReason(StrEnum):
    """Why an agent is paused: one name each, in the console, on the phone and in Asterisk."""

    BREAK = "break"
    TRAINING = "training"
    MEETING = "meeting"
    AFTER_CALL_WORK = "after_call_work"


# A caller at a queue's door this long has surely joined, left or hung up meanwhile: whatever
# said so was missed (the feed was away); the greeting, a notice and the offer last a minute at most.
DOOR_STALE = timedelta(minutes=10)

# Asterisk's device states (QueueMember / QueueMemberStatus "Status") that mean the phone is away.
UNREACHABLE = frozenset({"4", "5"})  # AST_DEVICE_INVALID, AST_DEVICE_UNAVAILABLE


@dataclass(frozen=True)
class Call:
    """The caller an agent is ringing or talking to, as the queue events describe it."""

    linkedid: str
    queue: str
    caller: str = ""
    line: str = ""
    department: str = ""
    mode: str = ""


# --- facts -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Member:
    """An agent's membership of one queue, as Asterisk reports it (a snapshot or a change)."""

    agent: str
    queue: str
    in_queue: bool = True      # False: removed from the queue (logged out of it)
    paused: bool = False
    reason: str = ""
    device: str = "1"          # Asterisk's device state number, as text
    in_call: bool = False      # Asterisk says the member is on a queue call (InCall)


@dataclass(frozen=True)
class Ringing:
    agent: str
    call: Call


@dataclass(frozen=True)
class RingStopped:
    agent: str
    linkedid: str


@dataclass(frozen=True)
class Connected:
    agent: str
    call: Call


@dataclass(frozen=True)
class Completed:
    agent: str
    linkedid: str


@dataclass(frozen=True)
class CallerJoined:
    queue: str
    linkedid: str


@dataclass(frozen=True)
class CallerLeft:
    queue: str
    linkedid: str


@dataclass(frozen=True)
class CallerAtDoor:
    """A caller routed to ``queue`` reached its door (the dialplan's IvrDoor): waiting from now."""

    queue: str
    linkedid: str


@dataclass(frozen=True)
class CallerGone:
    """A caller who passed a door is gone: hung up, left informed, or asked for a callback."""

    linkedid: str


Change = Member | Ringing | RingStopped | Connected | Completed | CallerJoined | CallerLeft | CallerAtDoor | CallerGone


# --- state -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AgentView:
    """One agent now: the state, since when, and what goes with it."""

    agent: str
    state: AgentState = AgentState.LOGGED_OUT
    since: datetime | None = None
    queues: tuple[str, ...] = ()        # the queues it is a member of
    reason: str = ""                    # why it is paused
    call: Call | None = None            # ringing or talking: with whom
    wrapup_until: datetime | None = None


@dataclass
class _Agent:
    members: dict[str, Member] = field(default_factory=dict)
    ringing: Call | None = None
    talking: Call | None = None
    wrapup_until: datetime | None = None
    view: AgentView | None = None


class Presence:
    """Every agent's and queue's state; :meth:`apply` folds in one change and says who changed."""

    def __init__(self, agents: tuple[str, ...] = (), wrapup_s: dict[str, int] | None = None) -> None:
        self._agents: dict[str, _Agent] = {a: _Agent() for a in agents}
        self._waiting: dict[str, dict[str, datetime]] = {}
        self._door: dict[str, tuple[str, datetime]] = {}   # linkedid -> (queue, reached its door at)
        self.wrapup_s = dict(wrapup_s or {})

    # --- reading ----------------------------------------------------------------------------

    def agent(self, agent: str, now: datetime) -> AgentView:
        return self._view(agent, self._agents.get(agent) or _Agent(), now)

    def agents(self, now: datetime) -> list[AgentView]:
        return [self.agent(a, now) for a in sorted(self._agents)]

    def waiting(self, queue: str, now: datetime) -> tuple[int, float]:
        """(callers waiting for ``queue``: in it or at its door, the longest wait in seconds)."""
        since = [*self._waiting.get(queue, {}).values(), *(t for q, t in self._door.values() if q == queue)]
        longest = max(((now - t).total_seconds() for t in since), default=0.0)
        return len(since), max(0.0, longest)

    def waiting_total(self) -> int:
        """Callers waiting in the whole centre (in a queue or at its door). Counted on every queue
        event for the wallboard's chart: sizes only, never a walk over the callers."""
        return sum(len(joined) for joined in self._waiting.values()) + len(self._door)

    # --- changing ---------------------------------------------------------------------------

    def reset(self, members: list[Member], waiting: dict[str, list[tuple[str, int]]],
              now: datetime) -> set[str]:
        """Start again from a QueueStatus snapshot (after a login): the memberships, and per queue
        the callers waiting with how long they have waited. Returns the agents whose view changed."""
        require_aware(now, "presence: now")
        for state in self._agents.values():
            state.members.clear()
            state.ringing = state.talking = None  # a call in progress shows again at its next event
        for member in members:
            if member.in_queue:
                self._agents.setdefault(member.agent, _Agent()).members[member.queue] = member
        self._waiting = {q: {linkedid: now - timedelta(seconds=waited) for linkedid, waited in entries}
                         for q, entries in waiting.items()}
        self._door.clear()
        return self._refresh(set(self._agents), now)

    def apply(self, change: Change, now: datetime) -> set[str]:
        """Fold ``change`` in; returns the agents whose view changed (for the pages to update)."""
        require_aware(now, "presence: now")
        if isinstance(change, (CallerAtDoor, CallerJoined, CallerLeft, CallerGone)):
            self._caller(change, now)
            return set()
        state = self._agents.setdefault(change.agent, _Agent())
        if isinstance(change, Member):
            if change.in_queue:
                state.members[change.queue] = change
            else:
                state.members.pop(change.queue, None)
        elif isinstance(change, Ringing):
            state.ringing = change.call
        elif isinstance(change, RingStopped):
            if state.ringing and state.ringing.linkedid == change.linkedid:
                state.ringing = None
        elif isinstance(change, Connected):
            state.ringing, state.talking, state.wrapup_until = None, change.call, None
        elif isinstance(change, Completed):
            if state.talking and state.talking.linkedid == change.linkedid:
                seconds = self.wrapup_s.get(state.talking.queue, 0)
                state.wrapup_until = now + timedelta(seconds=seconds) if seconds > 0 else None
                state.talking = None
        return self._refresh({change.agent}, now)

    def _caller(self, change: CallerAtDoor | CallerJoined | CallerLeft | CallerGone, now: datetime) -> None:
        if isinstance(change, CallerAtDoor):
            if not any(change.linkedid in joined for joined in self._waiting.values()):
                self._door.setdefault(change.linkedid, (change.queue, now))
        elif isinstance(change, CallerJoined):  # waiting since the door, when it was seen
            door = self._door.pop(change.linkedid, None)
            self._waiting.setdefault(change.queue, {})[change.linkedid] = door[1] if door else now
        elif isinstance(change, CallerLeft):
            self._waiting.get(change.queue, {}).pop(change.linkedid, None)
        else:
            self._door.pop(change.linkedid, None)
            for joined in self._waiting.values():
                joined.pop(change.linkedid, None)

    def tick(self, now: datetime) -> set[str]:
        """Agents whose wrap-up ended by ``now`` (call every second or so); callers at a door for
        longer than :data:`DOOR_STALE` are dropped."""
        for linkedid in [k for k, (_, t) in self._door.items() if now - t > DOOR_STALE]:
            del self._door[linkedid]
        due = {a for a, s in self._agents.items() if s.wrapup_until is not None and s.wrapup_until <= now}
        for agent in due:
            self._agents[agent].wrapup_until = None
        return self._refresh(due, now)

    # --- internals --------------------------------------------------------------------------

    def _refresh(self, agents: set[str], now: datetime) -> set[str]:
        changed = set()
        for agent in agents:
            state = self._agents[agent]
            old = state.view
            new = self._view(agent, state, now)
            if old is None or (new.state, new.queues, new.reason, new.call) != \
                    (old.state, old.queues, old.reason, old.call):
                state.view = new
                changed.add(agent)
        return changed

    def _view(self, agent: str, state: _Agent, now: datetime) -> AgentView:
        members = state.members
        queues = tuple(sorted(members))
        call = state.talking or state.ringing
        if not members:
            kind, call = AgentState.LOGGED_OUT, None
        elif state.talking or any(m.in_call for m in members.values()):
            kind = AgentState.TALKING
        elif state.ringing:
            kind = AgentState.RINGING
        elif state.wrapup_until is not None and state.wrapup_until > now:
            kind = AgentState.WRAPUP
        elif all(m.paused for m in members.values()):
            kind = AgentState.PAUSED
        elif all(m.device in UNREACHABLE for m in members.values()):
            kind = AgentState.UNAVAILABLE
        else:
            kind = AgentState.READY
        reason = next((m.reason for m in members.values() if m.paused and m.reason), "") \
            if kind is AgentState.PAUSED else ""
        old = state.view
        same = old is not None and (old.state, old.reason) == (kind, reason)
        since = old.since if same and old.since is not None else now
        return AgentView(agent, kind, since, queues, reason, call if kind in (AgentState.TALKING, AgentState.RINGING)
                         else None, state.wrapup_until if kind is AgentState.WRAPUP else None)
