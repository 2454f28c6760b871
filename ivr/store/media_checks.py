"""The media checks of answered calls: each leg's packets, the MOS per direction, the silent side.

Part of :class:`~ivr.store.tickets.TicketStore`. The AMI ledger writes one row per answered call
after its hangup (:meth:`save_media`, once: a replayed fact changes nothing); the order page, the
auditor's recording page, ``ivr report``, the wallboard and ``/metrics`` read them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from ivr.core.media_quality import MOS_THRESHOLD, CallQuality, LegFigures
from ivr.core.one_way import LABELS, OneWay
from ivr.store.base import StoreBase
from ivr.store.models import TicketRow
from ivr.store.models_media import MediaCheckRow
from ivr.store.ticket import check_linkedid, clean


@dataclass(frozen=True)
class MediaCheck:
    """An answered call's media check, as the store hands it out."""

    linkedid: str
    number: str                    # the work order's ("" when the call has none)
    checked_at: datetime
    agent: str
    trunk: str
    caller_packets: int | None
    caller_lost: int | None
    agent_packets: int | None
    agent_lost: int | None
    jitter_ms: float | None
    rtt_ms: float | None
    agent_heard_mos: float | None
    caller_heard_mos: float | None
    mos: float | None
    silent: tuple[str, ...]
    reason: str

    @property
    def poor(self) -> bool:
        return self.mos is not None and self.mos < MOS_THRESHOLD

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(LABELS[side] for side in self.silent if side in LABELS)

    def to_dict(self) -> dict:
        return {"linkedid": self.linkedid, "number": self.number, "checked_at": self.checked_at.isoformat(),
                "agent": self.agent, "trunk": self.trunk, "caller_packets": self.caller_packets,
                "caller_lost": self.caller_lost, "agent_packets": self.agent_packets,
                "agent_lost": self.agent_lost, "jitter_ms": self.jitter_ms, "rtt_ms": self.rtt_ms,
                "agent_heard_mos": self.agent_heard_mos, "caller_heard_mos": self.caller_heard_mos,
                "mos": self.mos, "poor": self.poor, "silent": list(self.silent), "reason": self.reason}


@dataclass(frozen=True)
class MediaGroup:
    """The media of one agent phone's or one trunk's calls over a period (``ivr report``)."""

    key: str
    calls: int
    scored: int                    # calls with a MOS
    mean_mos: float | None
    min_mos: float | None
    poor: int                      # MOS under the threshold
    silent: int                    # a side found silent


class MediaChecks(StoreBase):
    """The media checks' side of the ticket store."""

    def save_media(self, linkedid: str, *, at: datetime, agent: str, trunk: str,
                   caller: LegFigures | None, agent_leg: LegFigures | None,
                   quality: CallQuality | None, one_way: OneWay) -> bool:
        """Write the call's media check once (False: it was there already)."""
        linkedid = check_linkedid(linkedid)
        with self._transaction() as session:
            if session.scalars(select(MediaCheckRow.id).where(MediaCheckRow.linkedid == linkedid)).first():
                return False
            ticket = self._by_linkedid(session, linkedid)
            jitters = [leg.jitter_in_ms for leg in (caller, agent_leg) if leg is not None]
            rtts = [leg.rtt_ms for leg in (caller, agent_leg) if leg is not None]
            session.add(MediaCheckRow(
                linkedid=linkedid, ticket_id=ticket.id if ticket else None, checked_at=at,
                agent=clean(agent, 64), trunk=clean(trunk, 64),
                caller_packets=caller.received if caller else None, caller_lost=caller.lost_in if caller else None,
                agent_packets=agent_leg.received if agent_leg else None,
                agent_lost=agent_leg.lost_in if agent_leg else None,
                jitter_ms=round(max(jitters), 2) if jitters else None, rtt_ms=round(max(rtts), 2) if rtts else None,
                agent_heard_loss=quality.agent_heard.loss if quality else None,
                caller_heard_loss=quality.caller_heard.loss if quality else None,
                agent_heard_mos=quality.agent_heard.mos if quality else None,
                caller_heard_mos=quality.caller_heard.mos if quality else None,
                mos=quality.mos if quality else None, silent=",".join(one_way.silent),
                reason=clean(one_way.reason, 300)))
            return True

    def media_check(self, number: str) -> MediaCheck | None:
        """The media check of work order ``number`` (None: not checked yet)."""
        with self._session() as session:
            ticket = self._by_number(session, number)
            row = session.scalars(select(MediaCheckRow).where(MediaCheckRow.ticket_id == ticket.id)).one_or_none()
            return _check_of(row, ticket.number) if row else None

    def media_of_call(self, linkedid: str) -> MediaCheck | None:
        with self._session() as session:
            row = session.scalars(select(MediaCheckRow).where(MediaCheckRow.linkedid == linkedid)).one_or_none()
            if row is None:
                return None
            number = session.scalar(select(TicketRow.number).where(TicketRow.id == row.ticket_id)) or ""
            return _check_of(row, number)

    def recent_media(self, limit: int = 200) -> list[MediaCheck]:
        """The newest media checks, newest first (the wallboard's mark, ``/metrics``)."""
        query = (select(MediaCheckRow, TicketRow.number).outerjoin(TicketRow, TicketRow.id == MediaCheckRow.ticket_id)
                 .order_by(MediaCheckRow.checked_at.desc(), MediaCheckRow.id.desc()).limit(max(1, limit)))
        with self._session() as session:
            return [_check_of(row, number or "") for row, number in session.execute(query)]

    def media_groups(self, by: str, start: datetime, end: datetime) -> list[MediaGroup]:
        """Calls checked in [start, end) grouped by ``by`` ("agent" or "trunk")."""
        column = {"agent": MediaCheckRow.agent, "trunk": MediaCheckRow.trunk}[by]
        poor = func.sum(case((MediaCheckRow.mos < MOS_THRESHOLD, 1), else_=0))
        silent = func.sum(case((MediaCheckRow.silent != "", 1), else_=0))
        query = (select(column, func.count(), func.count(MediaCheckRow.mos), func.avg(MediaCheckRow.mos),
                        func.min(MediaCheckRow.mos), poor, silent)
                 .where(MediaCheckRow.checked_at >= start, MediaCheckRow.checked_at < end)
                 .group_by(column).order_by(column))
        with self._session() as session:
            return [MediaGroup(key or "", calls, scored, round(float(mean), 2) if mean is not None else None,
                               float(low) if low is not None else None, int(bad or 0), int(quiet or 0))
                    for key, calls, scored, mean, low, bad, quiet in session.execute(query)]


def _check_of(row: MediaCheckRow, number: str) -> MediaCheck:
    return MediaCheck(linkedid=row.linkedid, number=number, checked_at=row.checked_at, agent=row.agent or "",
                      trunk=row.trunk or "", caller_packets=row.caller_packets, caller_lost=row.caller_lost,
                      agent_packets=row.agent_packets, agent_lost=row.agent_lost, jitter_ms=row.jitter_ms,
                      rtt_ms=row.rtt_ms, agent_heard_mos=row.agent_heard_mos,
                      caller_heard_mos=row.caller_heard_mos, mos=row.mos,
                      silent=tuple(s for s in (row.silent or "").split(",") if s), reason=row.reason or "")
