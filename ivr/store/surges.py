"""What a surge leaves in the database: callback requests with every try, incident notices, and
callers who left informed. One store for the engine (ledger, callback worker, notice board), the
CLI (``ivr notices``, ``ivr callbacks``) and the console: the same functions everywhere.

Every write is idempotent where a fact may arrive twice (the live AMI event and the queue-log
resync): a callback request is keyed on the call's linkedid, a "left informed" too.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from ivr.core import callbacks as cb
from ivr.core.notices import Notice, window_problem
from ivr.errors import IvrError
from ivr.store import calls as calls_store
from ivr.store.models_surges import CallbackRow, CallbackTryRow, LeftInformedRow, NoticeRow
from ivr.store.sessions import session_of, transaction


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


def _callback(row: CallbackRow, tries: list[CallbackTryRow] = ()) -> Callback:
    return Callback(row.id, row.linkedid, row.queue, row.caller, row.number, row.line, row.department,
                    row.via, row.status, row.tries, row.requested_at, row.next_try_at, row.closed_at,
                    row.reason, tuple({"attempt": t.attempt, "started_at": t.started_at.isoformat(),
                                       "ended_at": t.ended_at.isoformat() if t.ended_at else None,
                                       "outcome": t.outcome, "linkedid": t.linkedid} for t in tries))


@dataclass(frozen=True)
class NoticeRecord:
    id: int
    prompt: str
    text: str
    lines: tuple[str, ...]
    queues: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    ended_by: str | None
    ended_at: datetime | None

    def notice(self) -> Notice:
        """The notice as routing sees it (ended early: its window closes when it was ended)."""
        ends = min(self.ends_at, self.ended_at) if self.ended_at else self.ends_at
        return Notice(self.id, self.prompt, self.starts_at, ends, self.lines, self.queues)


def _notice(row: NoticeRow) -> NoticeRecord:
    split = lambda text: tuple(x for x in text.split(",") if x)
    return NoticeRecord(row.id, row.prompt, row.text, split(row.lines), split(row.queues), row.starts_at,
                        row.ends_at, row.created_by, row.ended_by, row.ended_at)


class SurgeStore:
    """Callbacks, notices and left-informed callers on the engine's database."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # --- callbacks ------------------------------------------------------------------------------

    def request_callback(self, linkedid: str, *, queue: str, caller: str, area_code: str, line: str,
                         department: str, via: str, at: datetime) -> tuple[Callback, bool]:
        """Record a caller's request (once per call); (request, created). A number the dialling
        plan does not permit is recorded as refused, never dialled."""
        number = cb.callback_number(caller, area_code)
        status, reason = (cb.CallbackStatus.WAITING, "") if number else (
            cb.CallbackStatus.REFUSED, f"{caller!r} is not a number the dialling plan permits")
        row = CallbackRow(linkedid=linkedid, queue=queue, caller=caller[:64], number=number or "",
                          line=line, department=department, via=via[:16], status=status.value, tries=0,
                          requested_at=at, next_try_at=at if number else None,
                          closed_at=None if number else at, reason=reason[:200])
        try:
            with transaction(self._sessions, "callbacks") as session:
                session.add(row)
            return _callback(row), True
        except IntegrityError:
            return self.callback_of(linkedid), False

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
                calls_store.called_back(session, row.linkedid)
            return _callback(row)

    def interrupted(self, policy: cb.CallbackPolicy, at: datetime) -> list[Callback]:
        """Requests left 'calling' by an engine that stopped mid-try: the try is closed as
        interrupted and counts; the request waits again (or fails when no tries are left)."""
        with session_of(self._sessions, "callbacks") as session:
            ids = session.scalars(select(CallbackRow.id).where(
                CallbackRow.status == cb.CallbackStatus.CALLING.value)).all()
        return [self.finish_try(i, "interrupted", False, policy, at) for i in ids]

    # --- left informed --------------------------------------------------------------------------

    def left_informed(self, linkedid: str, *, at: datetime, line: str, queue: str, notice: str) -> bool:
        """Count a caller who left after the notice (once per call); True when new."""
        try:
            with transaction(self._sessions, "left informed") as session:
                session.add(LeftInformedRow(linkedid=linkedid, at=at, line=line, queue=queue, notice=notice[:120]))
            return True
        except IntegrityError:
            return False

    def left_informed_since(self, since: datetime) -> int:
        from sqlalchemy import func
        with session_of(self._sessions, "left informed") as session:
            return session.scalar(select(func.count()).select_from(LeftInformedRow)
                                  .where(LeftInformedRow.at >= since)) or 0

    # --- notices ----------------------------------------------------------------------------------

    def add_notice(self, *, prompt: str, text: str, lines: list[str], queues: list[str], starts_at: datetime,
                   ends_at: datetime, by: str, at: datetime) -> NoticeRecord:
        problem = window_problem(starts_at, ends_at)
        if problem:
            raise SurgeError(problem)
        if not lines and not queues:
            raise SurgeError("lines / queues: a notice needs at least one line or queue to play on")
        row = NoticeRow(prompt=prompt, text=text, lines=",".join(lines), queues=",".join(queues),
                        starts_at=starts_at, ends_at=ends_at, created_by=by, created_at=at)
        with transaction(self._sessions, "notices") as session:
            session.add(row)
        return _notice(row)

    def set_prompt(self, notice_id: int, prompt: str) -> None:
        with transaction(self._sessions, "notices") as session:
            row = session.get(NoticeRow, notice_id)
            if row is not None:
                row.prompt = prompt

    def notices(self, since: datetime | None = None) -> list[NoticeRecord]:
        """Every notice (``since``: only those whose window ends after it), newest first."""
        with session_of(self._sessions, "notices") as session:
            query = select(NoticeRow).order_by(NoticeRow.id.desc())
            if since is not None:
                query = query.where(NoticeRow.ends_at > since)
            return [_notice(r) for r in session.scalars(query).all()]

    def end_notice(self, notice_id: int, by: str, at: datetime) -> NoticeRecord:
        with transaction(self._sessions, "notices") as session:
            row = session.get(NoticeRow, notice_id)
            if row is None:
                raise SurgeError(f"no notice {notice_id}")
            if row.ended_at is None:
                row.ended_by, row.ended_at = by, at
            return _notice(row)


def queue_facts(engine: Engine, since: datetime | None, until: datetime | None):
    """(calls, left informed per queue, callbacks as (queue, status, via, count)) in [since, until),
    for :func:`ivr.core.queue_kpi.queue_report`."""
    from sqlalchemy import func

    from ivr.core.queue_kpi import QueueCall
    from ivr.store.models import CallRow

    answered_callbacks = select(CallbackTryRow.linkedid).where(CallbackTryRow.outcome == "answered")
    by_callback = CallRow.linkedid.in_(answered_callbacks).label("by_callback")
    door = CallRow.door_at.is_not(None).label("door")
    cols = (CallRow.queue, CallRow.outcome, CallRow.wait_seconds, by_callback, door, CallRow.stage)
    calls_q = select(*cols, func.count()).group_by(*cols)
    left_q = select(LeftInformedRow.queue, func.count()).group_by(LeftInformedRow.queue)
    asked_cols = (CallbackRow.queue, CallbackRow.status, CallbackRow.via)
    asked_q = select(*asked_cols, func.count()).group_by(*asked_cols)
    calls_q = calls_store.within(calls_q, CallRow.started_at, since, until)
    left_q = calls_store.within(left_q, LeftInformedRow.at, since, until)
    asked_q = calls_store.within(asked_q, CallbackRow.requested_at, since, until)
    with session_of(sessionmaker(engine), "report") as session:
        calls = [QueueCall(queue or "", outcome, wait, bool(cb_), n, bool(door_), stage)
                 for queue, outcome, wait, cb_, door_, stage, n in session.execute(calls_q)]
        left = {queue: n for queue, n in session.execute(left_q)}
        asked = [(queue, status, via, n) for queue, status, via, n in session.execute(asked_q)]
    return calls, left, asked
