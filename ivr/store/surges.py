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

from ivr.core.notices import Notice, window_problem
from ivr.store import calls as calls_store
from ivr.store.callback_requests import Callback, CallbackRequests, SurgeError  # noqa: F401 - re-exported
from ivr.store.missed_requests import MissedRequests
from ivr.store.models_surges import CallbackRow, CallbackTryRow, LeftInformedRow, NoticeRow
from ivr.store.sessions import session_of, transaction


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


class SurgeStore(MissedRequests):
    """Callbacks (:class:`~ivr.store.callback_requests.CallbackRequests`), notices and
    left-informed callers on the engine's database."""

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
