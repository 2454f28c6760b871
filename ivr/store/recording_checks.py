"""The recording checks of work orders: the talk time Asterisk reported, and the verdict on the file.

Part of :class:`~ivr.store.tickets.TicketStore`. The AMI ledger notes the talk time when the
conversation ends (:meth:`note_talk`), then, once the file is finished, puts the hash on the order
and the verdict beside it in one transaction (:meth:`finish_recording`). The command line, the
console and ``/metrics`` read the flagged ones (:meth:`flagged_recordings`, :meth:`count_flagged`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.core.recording_check import FLAGGED, Check
from ivr.errors import TicketNotFound
from ivr.store.base import StoreBase
from ivr.store.models import TicketRow
from ivr.store.models_recordings import RecordingCheckRow
from ivr.store.ticket import Ticket, check_linkedid, clean, ticket_of


@dataclass(frozen=True)
class RecordingCheck:
    """A work order's recording check, as the store hands it out."""

    number: str
    talk_seconds: int | None
    ended_by: str
    verdict: str | None            # None: the recording is not judged yet
    recorded_seconds: float | None
    size: int | None
    path: str
    reason: str
    checked_at: datetime | None

    @property
    def flagged(self) -> bool:
        return self.verdict in FLAGGED

    def to_dict(self) -> dict:
        return {"number": self.number, "verdict": self.verdict, "flagged": self.flagged,
                "talk_seconds": self.talk_seconds, "recorded_seconds": self.recorded_seconds,
                "size": self.size, "path": self.path, "reason": self.reason, "ended_by": self.ended_by,
                "checked_at": self.checked_at.isoformat() if self.checked_at else None}


class RecordingChecks(StoreBase):
    """The recording checks' side of the ticket store."""

    def recording_state(self, linkedid: str) -> tuple[Ticket, RecordingCheck | None]:
        """The order of the call ``linkedid`` and its recording check (TicketNotFound: no order)."""
        with self._session() as session:
            row = self._by_linkedid(session, check_linkedid(linkedid))
            if row is None:
                raise TicketNotFound(linkedid)
            check = self._check_row(session, row.id)
            return ticket_of(row, self.tz), (self._check_of(row.number, check) if check else None)

    def note_talk(self, linkedid: str, talk_seconds: int, ended_by: str = "") -> None:
        """Keep the talk time Asterisk reported for the call (the first report stands)."""
        with self._transaction() as session:
            row = self._by_linkedid(session, check_linkedid(linkedid), lock=True)
            if row is None:
                raise TicketNotFound(linkedid)
            check = self._check_row(session, row.id, create=True)
            if check.talk_seconds is None:
                check.talk_seconds, check.ended_by = max(0, int(talk_seconds)), clean(ended_by, 16)

    def finish_recording(self, linkedid: str, check: Check, *, path: str, at: datetime,
                         sha256: str | None = None) -> Ticket:
        """The recording judged: its hash and size on the order (when there is a file) and the
        verdict with its figures beside it, in one transaction. Done once: a second call changes
        nothing (a replayed fact)."""
        with self._transaction() as session:
            row = self._by_linkedid(session, check_linkedid(linkedid), lock=True)
            if row is None:
                raise TicketNotFound(linkedid)
            found = self._check_row(session, row.id, create=True)
            if found.verdict is not None:
                return ticket_of(row, self.tz)
            if sha256 is not None:
                row.recording_path, row.recording_sha256 = clean(path, 512), clean(sha256, 64)
                row.recording_size = check.size
            if found.talk_seconds is None and check.talk_seconds is not None:
                found.talk_seconds = int(check.talk_seconds)
            found.verdict, found.reason, found.checked_at = check.verdict.value, clean(check.reason, 300), at
            found.recorded_seconds, found.size, found.path = check.recorded_seconds, check.size, clean(path, 512)
            session.flush()
            return ticket_of(row, self.tz)

    def recording_check(self, number: str) -> RecordingCheck | None:
        """The recording check of order ``number`` (None: nothing noted yet)."""
        with self._session() as session:
            row = self._by_number(session, number)
            check = self._check_row(session, row.id)
            return self._check_of(row.number, check) if check else None

    def flagged_recordings(self, limit: int | None = None) -> list[RecordingCheck]:
        """Orders whose recording was found short, empty, unreadable or missing, newest first."""
        query = (select(TicketRow.number, RecordingCheckRow).join(TicketRow, TicketRow.id == RecordingCheckRow.ticket_id)
                 .where(RecordingCheckRow.verdict.in_(FLAGGED))
                 .order_by(RecordingCheckRow.checked_at.desc(), TicketRow.number.desc()))
        if limit is not None:
            query = query.limit(max(1, limit))
        with self._session() as session:
            return [self._check_of(number, check) for number, check in session.execute(query)]

    def count_flagged(self) -> int:
        with self._session() as session:
            return session.scalar(select(func.count()).select_from(RecordingCheckRow)
                                  .where(RecordingCheckRow.verdict.in_(FLAGGED))) or 0

    def _check_row(self, session: Session, ticket_id: int, create: bool = False) -> RecordingCheckRow | None:
        row = session.scalars(select(RecordingCheckRow).where(RecordingCheckRow.ticket_id == ticket_id)).one_or_none()
        if row is None and create:
            row = RecordingCheckRow(ticket_id=ticket_id, ended_by="", path="", reason="")
            session.add(row)
        return row

    @staticmethod
    def _check_of(number: str, row: RecordingCheckRow) -> RecordingCheck:
        return RecordingCheck(number=number, talk_seconds=row.talk_seconds, ended_by=row.ended_by or "",
                              verdict=row.verdict, recorded_seconds=row.recorded_seconds, size=row.size,
                              path=row.path or "", reason=row.reason or "", checked_at=row.checked_at)
