"""Callback requests (回拨) in the database: one per call that asked, with every try.

The per-number rule (:func:`ivr.core.callbacks.admit`: one open request per number, a daily
ceiling) is applied when a request is recorded, atomically: the number's requests are read and
the new one written under a lock of that number (PostgreSQL: a transaction-scoped advisory lock
on the number; SQLite: the store's ``BEGIN IMMEDIATE``, one writer at a time), so two requests
arriving at once never both pass. A request is keyed on the call's linkedid: the same call's
request arriving twice (the live event and the queue-log resync) is recorded once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ivr.core import callbacks as cb
from ivr.errors import IvrError
from ivr.store import calls as calls_store
from ivr.store.models_surges import CallbackRow, CallbackTryRow
from ivr.store.sessions import session_of, transaction

NUMBER_LOCK = 12345_0012   # pg_advisory_xact_lock's first key: a callback number's requests


def _lock(session: Session, number: str) -> None:
    """Hold ``number``'s requests until the transaction ends (SQLite: BEGIN IMMEDIATE holds all)."""
    if session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key, hashtext(:number))"),
                        {"key": NUMBER_LOCK, "number": number})


def _history(session: Session, number: str, day_start: datetime) -> cb.NumberHistory:
    """``number``'s open request (the oldest) and its requests dialled since ``day_start``."""
    open_request = session.scalar(select(func.min(CallbackRow.id)).where(
        CallbackRow.number == number, CallbackRow.status.in_([s.value for s in cb.OPEN])))
    dialled = session.scalar(select(func.count()).select_from(CallbackRow).where(
        CallbackRow.number == number, CallbackRow.requested_at >= day_start,
        CallbackRow.status.in_([s.value for s in cb.DIALLED]))) or 0
    return cb.NumberHistory(open_request, dialled)


def _locked(session: Session, number: str | None, linkedid: str,
            day_start: datetime) -> tuple[CallbackRow | None, cb.NumberHistory]:
    """Under ``number``'s lock: the request already recorded for the call ``linkedid`` (a replay),
    and the number's history the per-number rule reads."""
    if number:
        _lock(session, number)
    known = session.scalars(select(CallbackRow).where(CallbackRow.linkedid == linkedid)).one_or_none()
    return known, (_history(session, number, day_start) if number else cb.NumberHistory())


class SurgeError(IvrError):
    """A notice or callback request cannot be stored as asked; the message names the field."""


@dataclass(frozen=True)
class Callback:
    id: int
    linkedid: str
    queue: str
    caller: str
    number: str
    line: str
    department: str
    via: str
    status: str
    tries: int
    requested_at: datetime
    next_try_at: datetime | None
    closed_at: datetime | None
    reason: str
    attempts: tuple[dict, ...] = ()
    verdict: str = ""               # ivr.core.callbacks.Verdict: what the rule decided (and the caller heard)
    joined_to: int | None = None    # joined: the number's open request that calls back


def _callback(row: CallbackRow, tries: list[CallbackTryRow] = ()) -> Callback:
    return Callback(row.id, row.linkedid, row.queue, row.caller, row.number, row.line, row.department,
                    row.via, row.status, row.tries, row.requested_at, row.next_try_at, row.closed_at,
                    row.reason, tuple({"attempt": t.attempt, "started_at": t.started_at.isoformat(),
                                       "ended_at": t.ended_at.isoformat() if t.ended_at else None,
                                       "outcome": t.outcome, "linkedid": t.linkedid} for t in tries),
                    row.verdict, row.joined_to)



class CallbackRequests:
    """The callback requests and their tries (the ledger, the callback worker, the CLI, the console)."""

    def __init__(self, engine: Engine, tz: tzinfo | None = None) -> None:
        """``tz``: the centre's, whose calendar days the daily summary counts on; needed to record
        an answered callback (:meth:`finish_try`), which moves its call's figures."""
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.tz = tz

    # --- callbacks ------------------------------------------------------------------------------

    def request_callback(self, linkedid: str, *, queue: str, caller: str, area_code: str, line: str,
                         department: str, via: str, at: datetime, day_start: datetime,
                         per_day: int = cb.PER_DAY, heard: str = "") -> tuple[Callback, bool]:
        """Record a caller's request (once per call): (request, created). The number's open request
        and its requests dialled since ``day_start`` (the centre's midnight) decide, under the
        number's lock, whether it waits to be dialled, is joined to the open one, or is refused
        (:func:`ivr.core.callbacks.admit`; ``heard``: what the caller was told)."""
        number = cb.callback_number(caller, area_code)
        for _attempt in range(3):
            try:
                with transaction(self._sessions, "callbacks") as session:
                    known, history = _locked(session, number, linkedid, day_start)
                    if known is not None:
                        return _callback(known), False
                    admitted = cb.admit(number, history, per_day, heard)
                    waits = admitted.status is cb.CallbackStatus.WAITING
                    reason = (f"{caller[:40]!r}: {admitted.reason}" if admitted.verdict is cb.Verdict.REFUSE_NUMBER
                              else admitted.reason)
                    row = CallbackRow(linkedid=linkedid, queue=queue, caller=caller[:64], number=number or "",
                                      line=line, department=department, via=via[:16], status=admitted.status.value,
                                      tries=0, requested_at=at, next_try_at=at if waits else None,
                                      closed_at=None if waits else at, reason=reason[:200],
                                      verdict=admitted.verdict.value, joined_to=admitted.joined_to)
                    session.add(row)
                    session.flush()
                    return _callback(row), True
            except IntegrityError:   # the same call's request, recorded by a racing writer
                continue
        return self.callback_of(linkedid), False

    def number_histories(self, day_start: datetime) -> dict[str, cb.NumberHistory]:
        """Every number with an open request or a request dialled since ``day_start``: what the
        callback check (routing's board) answers a caller from."""
        dialled = [s.value for s in cb.DIALLED]
        open_ = [s.value for s in cb.OPEN]
        query = (select(CallbackRow.number, CallbackRow.id, CallbackRow.status, CallbackRow.requested_at)
                 .where(CallbackRow.number != "", CallbackRow.status.in_(dialled))
                 .where((CallbackRow.requested_at >= day_start) | CallbackRow.status.in_(open_))
                 .order_by(CallbackRow.id))
        out: dict[str, cb.NumberHistory] = {}
        with session_of(self._sessions, "callbacks") as session:
            for number, id_, status, requested_at in session.execute(query):
                known = out.get(number, cb.NumberHistory())
                out[number] = cb.NumberHistory(
                    known.open_request if known.open_request is not None or status not in open_ else id_,
                    known.dialled_today + (requested_at >= day_start))
        return out

    def callback_of(self, linkedid: str) -> Callback:
        with session_of(self._sessions, "callbacks") as session:
            row = session.scalars(select(CallbackRow).where(CallbackRow.linkedid == linkedid)).one_or_none()
            if row is None:
                raise SurgeError(f"no callback request for call {linkedid}")
            tries = session.scalars(select(CallbackTryRow).where(CallbackTryRow.callback_id == row.id)
                                    .order_by(CallbackTryRow.attempt)).all()
            return _callback(row, list(tries))

    def callbacks(self, status: str | None = None, limit: int = 200) -> list[Callback]:
        with session_of(self._sessions, "callbacks") as session:
            query = select(CallbackRow).order_by(CallbackRow.id.desc()).limit(limit)
            if status:
                query = query.where(CallbackRow.status == status)
            rows = session.scalars(query).all()
            out = []
            for row in rows:
                tries = session.scalars(select(CallbackTryRow).where(CallbackTryRow.callback_id == row.id)
                                        .order_by(CallbackTryRow.attempt)).all()
                out.append(_callback(row, list(tries)))
            return out

    def due(self, now: datetime) -> list[Callback]:
        """Waiting requests whose next try may start at ``now``, oldest first."""
        with session_of(self._sessions, "callbacks") as session:
            rows = session.scalars(select(CallbackRow).where(
                CallbackRow.status == cb.CallbackStatus.WAITING.value, CallbackRow.next_try_at <= now)
                .order_by(CallbackRow.requested_at, CallbackRow.id)).all()
            return [_callback(r) for r in rows]

    def start_try(self, callback_id: int, at: datetime) -> int:
        """Mark the request as calling and record the try; returns the attempt's number."""
        with transaction(self._sessions, "callbacks") as session:
            row = session.get(CallbackRow, callback_id, with_for_update=True)
            if row is None or row.status != cb.CallbackStatus.WAITING.value:
                raise SurgeError(f"callback {callback_id} is not waiting")
            row.tries += 1
            row.status = cb.CallbackStatus.CALLING.value
            session.add(CallbackTryRow(callback_id=row.id, attempt=row.tries, started_at=at, outcome=""))
            return row.tries

    def finish_try(self, callback_id: int, outcome: str, answered: bool, policy: cb.CallbackPolicy,
                   at: datetime, linkedid: str = "") -> Callback:
        """Record how the open try ended and move the request on (answered, again later, failed)."""
        with transaction(self._sessions, "callbacks") as session:
            row = session.get(CallbackRow, callback_id, with_for_update=True)
            if row is None:
                raise SurgeError(f"no callback {callback_id}")
            attempt = session.scalars(select(CallbackTryRow).where(
                CallbackTryRow.callback_id == callback_id, CallbackTryRow.attempt == row.tries)).one_or_none()
            if attempt is not None and attempt.ended_at is None:
                attempt.ended_at, attempt.outcome, attempt.linkedid = at, outcome[:32], linkedid[:64]
            step = cb.after_try(answered, row.tries, policy, at)
            row.status, row.next_try_at = step.status.value, step.next_try_at
            if step.status in (cb.CallbackStatus.ANSWERED, cb.CallbackStatus.FAILED):
                row.closed_at = at
                row.reason = "" if answered else f"not answered after {row.tries} tries (last: {outcome})"[:200]
            if answered:  # the call that asked for it is connected now (ivr.core.kpi: called back)
                if self.tz is None:
                    raise SurgeError("the callback store was opened without the centre's timezone: "
                                     "an answered callback cannot be counted on its day")
                calls_store.called_back(session, row.linkedid, self.tz)
            return _callback(row)

    def interrupted(self, policy: cb.CallbackPolicy, at: datetime) -> list[Callback]:
        """Requests left 'calling' by an engine that stopped mid-try: the try is closed as
        interrupted and counts; the request waits again (or fails when no tries are left)."""
        with session_of(self._sessions, "callbacks") as session:
            ids = session.scalars(select(CallbackRow.id).where(
                CallbackRow.status == cb.CallbackStatus.CALLING.value)).all()
        return [self.finish_try(i, "interrupted", False, policy, at) for i in ids]

