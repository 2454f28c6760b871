"""Missed calls called back (漏接回拨) in the database: a caller who left a queue unanswered after
waiting becomes a callback request ``via = missed`` (:mod:`ivr.core.missed` for the rules), under
the same per-number lock as the requests callers ask for; a caller who rings again and is
answered closes it; the report's figures of a period.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ivr.core import callbacks as cb
from ivr.core import missed
from ivr.store.callback_requests import Callback, CallbackRequests, _callback, _lock, _locked
from ivr.store.calls import within
from ivr.store.models import CallRow
from ivr.store.models_surges import CallbackRow
from ivr.store.sessions import session_of, transaction


class MissedRequests(CallbackRequests):
    """The callback requests, with the missed calls among them."""

    def request_missed(self, linkedid: str, *, queue: str, caller: str, area_code: str, line: str,
                       department: str, at: datetime, day_start: datetime, policy: missed.MissedPolicy,
                       per_day: int = cb.PER_DAY) -> tuple[Callback | None, bool]:
        """Record the missed call ``linkedid`` (once): (request, created). It waits for the
        centre's hours, is joined to the number's missed request of the window or its open one,
        or is refused by the per-number rule, the reason kept on it. None for a call that was
        never offered (the centre's own callback call: its citizen is not missed twice)."""
        number = cb.callback_number(caller, area_code)
        for _attempt in range(3):
            try:
                with transaction(self._sessions, "callbacks") as session:
                    offered = session.scalar(select(CallRow.door_at).where(CallRow.linkedid == linkedid))
                    if offered is None:   # the centre's own callback call, or a call not offered: not missed
                        return None, False
                    known, history = _locked(session, number, linkedid, day_start)
                    if known is not None:
                        return _callback(known), False
                    earlier = session.scalar(select(func.min(CallbackRow.id)).where(
                        CallbackRow.number == number, CallbackRow.via == missed.VIA,
                        CallbackRow.requested_at > at - timedelta(hours=policy.window_h),
                        CallbackRow.status.not_in([cb.CallbackStatus.REFUSED.value]))) if number else None
                    admitted = missed.admit_missed(number, history, per_day, earlier)
                    waits = admitted.status is cb.CallbackStatus.WAITING
                    local = at.astimezone(day_start.tzinfo) if day_start.tzinfo else at
                    row = CallbackRow(linkedid=linkedid, queue=queue, caller=caller[:64], number=number or "",
                                      line=line, department=department, via=missed.VIA,
                                      status=admitted.status.value, tries=0, requested_at=at,
                                      next_try_at=missed.next_in_hours(local, policy) if waits else None,
                                      closed_at=None if waits else at, reason=admitted.reason[:200],
                                      verdict=admitted.verdict.value, joined_to=admitted.joined_to)
                    session.add(row)
                    session.flush()
                    return _callback(row), True
            except IntegrityError:   # the same call, recorded by a racing writer
                continue
        return self.callback_of(linkedid), False

    def close_missed(self, caller: str, area_code: str, at: datetime) -> list[int]:
        """The caller rang again and an agent answered: their open missed requests are closed as
        answered (no try made); the ids closed."""
        number = cb.callback_number(caller, area_code)
        if not number:
            return []
        with transaction(self._sessions, "callbacks") as session:
            _lock(session, number)
            rows = session.scalars(select(CallbackRow).where(
                CallbackRow.number == number, CallbackRow.via == missed.VIA,
                CallbackRow.status == cb.CallbackStatus.WAITING.value, CallbackRow.requested_at <= at)).all()
            for row in rows:
                row.status, row.closed_at, row.next_try_at = cb.CallbackStatus.ANSWERED.value, at, None
                row.reason = missed.RANG_AGAIN
            return [row.id for row in rows]

    def missed_figures(self, since: datetime | None, until: datetime | None) -> missed.MissedFigures:
        """What became of the calls missed in [since, until)."""
        query = within(select(CallbackRow.status, CallbackRow.requested_at, CallbackRow.closed_at, CallbackRow.tries)
                       .where(CallbackRow.via == missed.VIA), CallbackRow.requested_at, since, until)
        with session_of(self._sessions, "callbacks") as session:
            return missed.missed_figures(tuple(row) for row in session.execute(query))
