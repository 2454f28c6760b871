"""Incident announcements (热点播报): which notice a call hears, if any. Pure.

During an incident ("water supply cut in town X, restored by 18:00") a supervisor puts a notice
on chosen lines or queues for a time window. A caller routed to a queue at a moment inside the
window hears it before queueing, then chooses: key 1 leave (the matter is known: counted as
"left informed"), key 2 a callback, anything else stay in the queue. Outside its window, or on
other lines and queues, nothing changes.

:func:`announce` takes the routing decision and the notices in force and returns the decision
with ``notice`` set (the prompt's sound name): the dialplan plays ``IVR_NOTICE`` when it is set.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from ivr.core.decision import Action, Decision

LEAVE_KEY = "1"      # the caller leaves: their matter is known
CALLBACK_KEY = "2"   # the caller asks to be called back


@dataclass(frozen=True)
class Notice:
    """A notice as routing sees it: where and when it plays, and what."""

    id: int
    prompt: str                    # the sound's name, e.g. hotline/notice_3
    starts_at: datetime
    ends_at: datetime
    lines: tuple[str, ...] = ()    # canonical numbers it plays on
    queues: tuple[str, ...] = ()   # queues it plays before

    def covers(self, line: str, queue: str | None, now: datetime) -> bool:
        """True when a call to ``line`` queued in ``queue`` at ``now`` should hear it."""
        if not self.starts_at <= now < self.ends_at:
            return False
        return line in self.lines or (queue is not None and queue in self.queues)


def window_problem(starts_at: datetime, ends_at: datetime) -> str | None:
    """Why a window cannot be used (naive times, empty or reversed), or None."""
    for name, value in (("from", starts_at), ("until", ends_at)):
        if value.tzinfo is None or value.utcoffset() is None:
            return f"{name}: {value.isoformat()} has no time zone"
    if ends_at <= starts_at:
        return f"until ({ends_at.isoformat()}) must be after from ({starts_at.isoformat()})"
    return None


def active_notice(notices: tuple[Notice, ...] | list[Notice], line: str, queue: str | None,
                  now: datetime) -> Notice | None:
    """The notice a call to ``line`` for ``queue`` hears at ``now``: of those covering it, the one
    started last (the newest news), ties to the highest id; None when none does."""
    if now.tzinfo is None:
        raise ValueError("active_notice() needs an aware datetime: pass the time with its zone")
    covering = [n for n in notices if n.covers(line, queue, now)]
    return max(covering, key=lambda n: (n.starts_at, n.id), default=None)


def announce(decision: Decision, notices: tuple[Notice, ...] | list[Notice], now: datetime) -> Decision:
    """``decision`` with the notice its call hears at ``now`` (only calls that queue hear one)."""
    if decision.action is not Action.QUEUE:
        return decision
    notice = active_notice(notices, decision.line, decision.queue, now)
    if notice is None:
        return decision
    return replace(decision, notice=notice.prompt,
                   reason=f"{decision.reason}; incident notice {notice.id} plays first")
