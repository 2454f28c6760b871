"""The calls the centre counts: one row per call that reached a queue, its outcome moving forward.

A caller routed to a queue is offered the moment they reach the queue's door (``door_at``): what
they hear there first (greeting, notice, callback offer) does not change that. Every later fact
of the call (joined a queue, answered, abandoned, left informed, asked for a callback, called
back, hung up at a stage) may arrive in any order or twice (the live AMI event and the queue-log
resync): each one only moves the call's outcome forward (:func:`ivr.core.kpi.moves_forward`),
so a replay changes nothing and a late fact never undoes a later one.

The centre's own callback calls join a queue without a door: they are rows here (their wait,
their answer) but not offered calls; the request's call takes the outcome ``called_back`` when
the callback is answered (:mod:`ivr.store.surges`).

Read here too: the report's call facts and the wallboard's day, both over the offered calls
only, so the two count the same calls the same way.
"""
from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.core import kpi
from ivr.core.wallboard import DayCall
from ivr.store import daily_figures
from ivr.store.models import CallRow


def touch_call(session: Session, linkedid: str, *, tz: tzinfo, at: datetime, outcome: str, line: str,
               caller: str = "", department: str = "", mode: str = "", queue: str | None = None,
               uniqueid: str | None = None, wait_seconds: int | None = None, ended_at: datetime | None = None,
               agent: str | None = None, door: bool = False, joined: bool = False,
               stage: str | None = None) -> CallRow:
    """Record one fact of the call ``linkedid`` inside ``session``'s transaction (the caller's
    retry loop handles a racing insert of the same linkedid), and what it changes in the day's
    summary (``tz``: the centre's, whose calendar day the call counts on). ``door``: the caller
    reached a queue's door now; ``joined``: the call is in (or was in) a queue now; ``stage``:
    where a caller who hung up unanswered was."""
    row = session.scalars(select(CallRow).where(CallRow.linkedid == linkedid).with_for_update()).one_or_none()
    if row is None:
        row = CallRow(linkedid=linkedid, uniqueid=uniqueid, started_at=at, caller=caller, line=line,
                      department=department, mode=mode, queue=queue, outcome=outcome,
                      wait_seconds=wait_seconds, ended_at=ended_at, door_at=at if door else None,
                      joined_at=at if joined else None, stage=stage if outcome == "abandoned" else None)
        session.add(row)
        session.flush()  # a racing insert of the same linkedid fails here, inside the retry loop
        daily_figures.keep(session, None, daily_figures.call_share(row, tz))
        return row
    before = daily_figures.call_share(row, tz)
    if door and row.door_at is None:
        row.door_at = min(at, row.started_at)
    if joined and row.joined_at is None:
        row.joined_at = at
    if kpi.moves_forward(row.outcome, outcome):
        row.outcome = outcome
        row.queue = queue or row.queue
        row.stage = stage if outcome == "abandoned" else None
        if wait_seconds is not None or (outcome in ("answered", "abandoned") and row.joined_at is not None):
            # the whole wait in queues, from the first one joined (an overflow included)
            joined_at = row.joined_at or row.started_at
            waited = int((at - joined_at).total_seconds()) if joined_at <= at else 0
            row.wait_seconds = max(wait_seconds or 0, waited)
    if ended_at is not None and row.ended_at is None:
        row.ended_at = ended_at
    daily_figures.keep(session, before, daily_figures.call_share(row, tz))
    return row


def called_back(session: Session, linkedid: str, tz: tzinfo) -> None:
    """The call ``linkedid`` asked for a callback, which was answered: its outcome moves on
    (and its day's summary with it)."""
    row = session.scalars(select(CallRow).where(CallRow.linkedid == linkedid,
                                                CallRow.outcome.in_(_BEFORE["called_back"]))
                          .with_for_update()).one_or_none()
    if row is None:
        return
    before = daily_figures.call_share(row, tz)
    row.outcome, row.stage = "called_back", None
    session.flush()
    daily_figures.keep(session, before, daily_figures.call_share(row, tz))


# the outcomes a call may still leave for each outcome (those ranked below it)
_BEFORE = {new: [old for old in kpi.CALL_OUTCOMES if kpi.moves_forward(old, new)] for new in kpi.CALL_OUTCOMES}


def within(query, column, since: datetime | None, until: datetime | None):
    """``query`` limited to rows whose ``column`` is in [since, until) (either end open when None)."""
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query


def report_facts(session: Session, since: datetime | None, until: datetime | None) -> list[kpi.CallFact]:
    """The offered calls of [since, until) grouped by line, department, outcome and stage, with
    the answered ones' waits (within the service level, summed)."""
    cols = (CallRow.line, CallRow.department, CallRow.outcome, CallRow.stage)
    answered = CallRow.outcome == "answered"
    within_level = func.count().filter(answered, CallRow.wait_seconds <= kpi.SERVICE_LEVEL_S)
    waits = func.coalesce(func.sum(CallRow.wait_seconds).filter(answered), 0)
    query = within(select(*cols, func.count(), within_level, waits).where(CallRow.door_at.is_not(None))
                   .group_by(*cols), CallRow.started_at, since, until)
    facts: dict[tuple, kpi.CallFact] = {}
    for line, dep, outcome, stage, n, within_n, wait in session.execute(query):
        key = (line, dep or "", outcome, stage if stage in kpi.STAGES else None)
        known = facts.get(key)
        facts[key] = kpi.CallFact(*key[:3], count=n + (known.count if known else 0), stage=key[3],
                                  answered_within=int(within_n) + (known.answered_within if known else 0),
                                  answer_wait=int(wait) + (known.answer_wait if known else 0))
    return list(facts.values())


def day_calls(session: Session, since: datetime, until: datetime, tz: tzinfo) -> list[DayCall]:
    """The offered calls of [since, until), oldest first (the wallboard's day: a few thousand)."""
    query = within(select(CallRow.started_at, CallRow.queue, CallRow.outcome, CallRow.wait_seconds, CallRow.stage)
                   .where(CallRow.door_at.is_not(None)).order_by(CallRow.started_at), CallRow.started_at, since, until)
    return [DayCall(started_at.astimezone(tz), queue or "", outcome, wait, stage)
            for started_at, queue, outcome, wait, stage in session.execute(query)]
