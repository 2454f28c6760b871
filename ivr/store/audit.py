"""What auditors record in the database: legal holds on recordings, quality-inspection scores,
and the head of the recordings' access log (see :mod:`ivr.access_log`)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from ivr.core import quality
from ivr.core.text import printable, require_aware
from ivr.errors import AuditError, QualityError
from ivr.store.models import AuditHeadRow, LegalHoldRow, QualityScoreRow
from ivr.store.sessions import transaction

MAX_REASON = 500


@dataclass(frozen=True)
class Hold:
    id: int
    number: str
    path: str
    reason: str
    set_by: str
    set_at: datetime
    released_by: str | None = None
    released_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None


@dataclass(frozen=True)
class Score:
    id: int
    number: str
    agent: str
    auditor: str
    at: datetime
    sheet_version: str
    marks: dict[str, int]
    score: float
    comment: str


class AuditStore:
    """Legal holds, quality scores and log heads, on the engine's database."""

    def __init__(self, engine: Engine, tz: tzinfo) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.tz = tz

    # --- legal holds ---------------------------------------------------------------------------

    def hold(self, number: str, path: str, reason: str, by: str, at: datetime) -> Hold:
        """Put the recording ``path`` (of order ``number``) under a legal hold; an active hold on
        it already is returned as it is."""
        require_aware(at, "hold: at")
        reason = printable(reason, MAX_REASON).strip()
        if not reason:
            raise AuditError("a legal hold needs its reason (which complaint, inquiry or court)")
        with transaction(self._sessions, "audit") as session:
            row = session.scalars(select(LegalHoldRow).where(
                LegalHoldRow.path == path, LegalHoldRow.released_at.is_(None))).first()
            if row is None:
                row = LegalHoldRow(number=number, path=path, reason=reason, set_by=by, set_at=at)
                session.add(row)
                session.flush()
            return self._hold(row)

    def release(self, path: str, by: str, at: datetime) -> list[Hold]:
        """End every active hold on ``path``; returns them."""
        require_aware(at, "release: at")
        with transaction(self._sessions, "audit") as session:
            rows = session.scalars(select(LegalHoldRow).where(
                LegalHoldRow.path == path, LegalHoldRow.released_at.is_(None))).all()
            for row in rows:
                row.released_by, row.released_at = by, at
            session.flush()
            return [self._hold(row) for row in rows]

    def holds(self, path: str | None = None, active_only: bool = False) -> list[Hold]:
        query = select(LegalHoldRow).order_by(LegalHoldRow.set_at.desc(), LegalHoldRow.id.desc())
        if path is not None:
            query = query.where(LegalHoldRow.path == path)
        if active_only:
            query = query.where(LegalHoldRow.released_at.is_(None))
        with transaction(self._sessions, "audit") as session:
            return [self._hold(row) for row in session.scalars(query)]

    def held_paths(self) -> set[str]:
        """The recordings under an active hold (what retention must leave alone)."""
        with transaction(self._sessions, "audit") as session:
            return set(session.scalars(select(LegalHoldRow.path).where(LegalHoldRow.released_at.is_(None))))

    # --- quality inspection -----------------------------------------------------------------------

    def add_score(self, sheet: quality.Sheet, number: str, agent: str, auditor: str, marks: dict,
                  comment: str, at: datetime) -> Score:
        """Score the call of order ``number`` (answered by ``agent``) against ``sheet``."""
        require_aware(at, "score: at")
        checked = quality.check_marks(sheet, marks)
        comment = printable(comment, quality.MAX_COMMENT * 2, breaks="\n").strip()
        if len(comment) > quality.MAX_COMMENT:
            raise QualityError(f"a comment has at most {quality.MAX_COMMENT} characters, not {len(comment)}")
        row = QualityScoreRow(number=number, agent=agent or "", auditor=auditor, at=at,
                              sheet_version=sheet.version[:32], marks=json.dumps(checked),
                              score=quality.score(sheet, checked), comment=comment)
        with transaction(self._sessions, "audit") as session:
            session.add(row)
            session.flush()
            return self._score(row)

    def scores(self, number: str | None = None, since: datetime | None = None,
               until: datetime | None = None, limit: int = 1000) -> list[Score]:
        """Scores newest first, of one order or of a period."""
        query = select(QualityScoreRow).order_by(QualityScoreRow.at.desc(), QualityScoreRow.id.desc())
        if number is not None:
            query = query.where(QualityScoreRow.number == number)
        if since is not None:
            query = query.where(QualityScoreRow.at >= since)
        if until is not None:
            query = query.where(QualityScoreRow.at < until)
        with transaction(self._sessions, "audit") as session:
            return [self._score(row) for row in session.scalars(query.limit(max(1, limit)))]

    # --- heads of hash-chained logs -----------------------------------------------------------------

    def set_head(self, name: str, seq: int, digest: str, at: datetime) -> None:
        """Remember the log ``name``'s last entry (only ever moves forward)."""
        for _attempt in range(3):
            try:
                with transaction(self._sessions, "audit") as session:
                    row = session.get(AuditHeadRow, name, with_for_update=True)
                    if row is None:
                        session.add(AuditHeadRow(name=name, seq=seq, hash=digest, at=at))
                    elif seq > row.seq:
                        row.seq, row.hash, row.at = seq, digest, at
                return
            except IntegrityError:
                continue  # two first entries raced: the second one updates

    def head(self, name: str) -> tuple[int, str] | None:
        with transaction(self._sessions, "audit") as session:
            row = session.get(AuditHeadRow, name)
            return None if row is None else (row.seq, row.hash)

    # --- rows to values ---------------------------------------------------------------------------

    def _hold(self, row: LegalHoldRow) -> Hold:
        return Hold(row.id, row.number, row.path, row.reason, row.set_by, row.set_at.astimezone(self.tz),
                    row.released_by, row.released_at.astimezone(self.tz) if row.released_at else None)

    def _score(self, row: QualityScoreRow) -> Score:
        return Score(row.id, row.number, row.agent, row.auditor, row.at.astimezone(self.tz),
                     row.sheet_version, json.loads(row.marks), row.score, row.comment)
