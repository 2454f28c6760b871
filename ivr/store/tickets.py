"""The ticket store's API: what the AMI listener, the CLI and the scheduler call.

The process rules live in :mod:`ivr.core.workflow`; this module only loads a row, asks the pure
core for the next state, and writes it back with the new history lines, in one transaction.

Idempotence and races: an order is keyed on the call's Asterisk ``linkedid`` (unique), so a
replayed AgentConnect creates nothing new. Two writers racing on one linkedid both end with the
same order: the loser's INSERT fails on the unique constraint, its transaction is rolled back and
the retry finds the winner's row. Daily sequence numbers are taken the same way (``number`` is
unique; a clash retries with the next one). Updates lock the row (``SELECT ... FOR UPDATE`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) and carry a version column as a last guard.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import (
    IntegrityError,
)
from sqlalchemy.orm import Session

from ivr.core import numbering, transfers, workflow
from ivr.core.kpi import CALL_OUTCOMES
from ivr.core.text import require_aware
from ivr.core.workflow import Event, Status, WorkOrder
from ivr.errors import StoreError, TicketError, TicketNotFound
from ivr.store.calls import touch_call
from ivr.store.models import RatingRow, TicketRow
from ivr.store.queries import TicketQueries
from ivr.store.recording_checks import RecordingChecks
from ivr.store.ticket import (
    Ticket,
    check_linkedid,
    clean,
    order_of,
    ticket_of,
    write_order,
)

_RETRIES = 20
_LINKEDID = re.compile(r"[A-Za-z0-9._:@\-]{1,64}")
INTAKE_ACTOR = "ami"


class TicketStore(RecordingChecks, TicketQueries):
    """Work orders and calls in one SQL database (the AMI spool is a file: see ivr.spool)."""

    # --- intake ---------------------------------------------------------------------------

    def create_ticket_for_answer(self, linkedid: str, *, at: datetime, line: str, department: str,
                                 mode: str, caller: str = "", queue: str | None = None,
                                 agent: str | None = None, uniqueid: str | None = None,
                                 recording_path: str | None = None, recording_sha256: str | None = None,
                                 recording_size: int | None = None,
                                 actor: str = INTAKE_ACTOR, wait_seconds: int | None = None) -> tuple[Ticket, bool]:
        """The order for the call ``linkedid`` an agent answered at ``at``: (ticket, created?).

        Called for every AgentConnect; a replay (same linkedid) returns the existing order and
        changes nothing. The call is counted as answered in the same transaction, with the
        caller's wait (``wait_seconds``, Asterisk's HoldTime) for the service level.
        """
        linkedid = check_linkedid(linkedid)
        require_aware(at, f"call {linkedid}: at", TicketError)
        intake = dict(caller=clean(caller, 64), line=clean(line, 32), department=clean(department, 64),
                      mode=clean(mode, 16), queue=clean(queue, 64) or None, agent=clean(agent, 64) or None,
                      uniqueid=clean(uniqueid, 64) or None)
        log = self._log.bind(linkedid=linkedid)
        for _attempt in range(_RETRIES):
            try:
                with self._transaction() as session:
                    row = self._by_linkedid(session, linkedid)
                    if row is not None:
                        log.info("ticket.replay", number=row.number)
                        return ticket_of(row, self.tz), False
                    number = self._next_number(session, at)
                    order = workflow.new_order(number, at, actor, line=intake["line"],
                                               queue=intake["queue"], agent=intake["agent"])
                    row = TicketRow(number=number, linkedid=linkedid, created_at=at,
                                    recording_path=clean(recording_path, 512) or None,
                                    recording_sha256=clean(recording_sha256, 64) or None,
                                    recording_size=recording_size, **intake)
                    write_order(row, order, 0)
                    session.add(row)
                    touch_call(session, linkedid, at=at, outcome="answered", wait_seconds=wait_seconds,
                               joined=True, **intake)
                    session.flush()
                    log.info("ticket.created", number=number, line=intake["line"], agent=intake["agent"])
                    return ticket_of(row, self.tz), True
            except IntegrityError:
                continue  # a racing writer took this linkedid or this number: look again
        raise StoreError(f"could not create a work order for call {linkedid} after {_RETRIES} attempts")

    def record_call(self, linkedid: str, *, at: datetime, line: str, outcome: str, caller: str = "",
                    department: str = "", mode: str = "", queue: str | None = None,
                    uniqueid: str | None = None, wait_seconds: int | None = None,
                    ended_at: datetime | None = None, door: bool = False, joined: bool = False,
                    stage: str | None = None) -> str:
        """Record one fact of the call ``linkedid`` (:func:`ivr.store.calls.touch_call`: reached a
        queue's door, joined a queue, its outcome); returns the stored outcome.

        Idempotent: replays change nothing, and an outcome only moves forward
        (:data:`ivr.core.kpi.CALL_OUTCOMES`), so a call that left the seat queue and was answered
        by the overflow queue stays answered whatever order the events arrive in.
        """
        linkedid = check_linkedid(linkedid)
        require_aware(at, f"call {linkedid}: at", TicketError)
        if ended_at is not None:
            require_aware(ended_at, f"call {linkedid}: ended_at", TicketError)
        if outcome not in CALL_OUTCOMES:
            raise TicketError(f"call {linkedid}: outcome must be one of {', '.join(CALL_OUTCOMES)}, "
                              f"not {outcome!r}")
        for _attempt in range(_RETRIES):
            try:
                with self._transaction() as session:
                    row = touch_call(session, linkedid, at=at, outcome=outcome, caller=clean(caller, 64),
                                     line=clean(line, 32), department=clean(department, 64),
                                     mode=clean(mode, 16), queue=clean(queue, 64) or None,
                                     uniqueid=clean(uniqueid, 64) or None, wait_seconds=wait_seconds,
                                     ended_at=ended_at, door=door, joined=joined, stage=stage)
                    session.flush()
                    return row.outcome
            except IntegrityError:
                continue
        raise StoreError(f"could not record call {linkedid} after {_RETRIES} attempts")

    def attach_recording(self, linkedid: str, path: str, sha256: str, size: int) -> Ticket:
        """Note the call's recording on its order (once MixMonitor has finished the file)."""
        linkedid = check_linkedid(linkedid)
        with self._transaction() as session:
            row = self._by_linkedid(session, linkedid, lock=True)
            if row is None:
                raise TicketNotFound(linkedid)
            row.recording_path, row.recording_sha256 = clean(path, 512), clean(sha256, 64)
            row.recording_size = int(size)
            session.flush()
            return ticket_of(row, self.tz)

    # --- the process ----------------------------------------------------------------------

    def apply(self, number: str, event: Event | str, actor: str, at: datetime, **data: Any) -> Ticket:
        """Take one step of the process on order ``number`` (see :func:`ivr.core.workflow.apply`).

        Not the citizen's rating: that is :meth:`rate`, fed only by the caller's own key press;
        nor a transfer (:meth:`record_transfer`), which only the call itself records."""
        if str(event) == transfers.EVENT:
            raise TicketError(f"work order {number}: a transfer is recorded from the call itself "
                              "(Asterisk's transfer events), never entered by staff")
        if str(event) == Event.RATE.value:
            raise TicketError(f"work order {number}: a satisfaction rating is only taken from the "
                              "citizen's own key press on the call, never entered by staff")
        with self._transaction() as session:
            row = self._by_number(session, number, lock=True)
            order = order_of(row, self.tz)
            new = workflow.apply(order, event, actor, at, self.policy, **data)
            self._save(session, row, order, new)
            self._log.info("ticket.step", number=row.number, linkedid=row.linkedid,
                           step=str(event), actor=actor, status=new.status.value)
            return ticket_of(row, self.tz)

    def rate(self, linkedid_or_number: str, rating: Any, at: datetime, source: str = "ivr",
             actor: str = "citizen") -> Ticket:
        """Record the citizen's rating (1..5) of the order, by work-order number or call linkedid."""
        key = (linkedid_or_number or "").strip()
        with self._transaction() as session:
            if numbering.is_number(key):
                row = self._by_number(session, key, lock=True)
            else:
                row = self._by_linkedid(session, check_linkedid(key), lock=True)
                if row is None:
                    raise TicketNotFound(key)
            order = order_of(row, self.tz)
            if order.rating is not None and order.rating == _as_rating(rating):
                return ticket_of(row, self.tz)  # the same rating again (a replayed fact): nothing new
            new = workflow.apply(order, Event.RATE, actor, at, self.policy, rating=rating,
                                 source=clean(source, 32))
            session.add(RatingRow(ticket_id=row.id, rating=new.rating, at=at, source=clean(source, 32)))
            self._save(session, row, order, new)
            self._log.info("ticket.rated", number=row.number, linkedid=row.linkedid, rating=new.rating)
            return ticket_of(row, self.tz)

    def record_transfer(self, linkedid: str, *, to: str, department: str, kind: str, agent: str,
                        at: datetime, dialled: str = "") -> Ticket:
        """Put an agent's transfer of the call ``linkedid`` on its order's history (once)."""
        with self._transaction() as session:
            row = self._by_linkedid(session, check_linkedid(linkedid), lock=True)
            if row is None:
                raise TicketNotFound(linkedid)
            order = order_of(row, self.tz)
            new = transfers.record_transfer(order, to=clean(to, 32), department=clean(department, 64),
                                            kind=kind, agent=clean(agent, 64), at=at,
                                            dialled=clean(dialled, 32))
            if new is not order:
                self._save(session, row, order, new)
                self._log.info("ticket.transferred", number=row.number, linkedid=row.linkedid,
                               to=to, kind=kind, agent=agent)
            return ticket_of(row, self.tz)

    def sweep(self, now: datetime, actor: str = workflow.SCHEDULER) -> list[tuple[str, str]]:
        """Mark missed deadlines and escalate; returns (number, event) for every step taken."""
        with self._session() as session:
            candidates = session.scalars(
                select(TicketRow.number).where(
                    TicketRow.status.in_([Status.DISPATCHED.value, Status.SIGNED.value]),
                    or_(TicketRow.escalated.is_(False), TicketRow.overdue.is_(False)),
                    or_(TicketRow.deadline <= now,
                        and_(TicketRow.status == Status.DISPATCHED.value, TicketRow.sign_by <= now)),
                ).order_by(TicketRow.number)).all()
        taken: list[tuple[str, str]] = []
        for number in candidates:
            with self._transaction() as session:
                row = self._by_number(session, number, lock=True)
                order = order_of(row, self.tz)
                new = order
                for event, data in workflow.sweep_steps(order, now):
                    new = workflow.apply(new, event, actor, now, self.policy, **data)
                    taken.append((number, event.value))
                if new is not order:
                    self._save(session, row, order, new)
                    self._log.warning("ticket.overdue", number=number, linkedid=row.linkedid,
                                      escalated=new.escalated, overdue=new.overdue,
                                      sign_late=new.sign_late)
        return taken

    # --- internals ------------------------------------------------------------------------

    def _next_number(self, session: Session, at: datetime) -> str:
        day = numbering.local_day(at, self.tz)
        prefix = numbering.day_prefix(day)
        last = session.scalar(select(func.max(TicketRow.number)).where(TicketRow.number.like(prefix + "%")))
        sequence = numbering.parse_number(last).sequence if last else 0
        try:
            return numbering.next_number(at, self.tz, sequence)
        except ValueError as err:
            raise StoreError(str(err)) from None

    def _save(self, session: Session, row: TicketRow, old: WorkOrder, new: WorkOrder) -> None:
        write_order(row, new, len(old.history))
        session.flush()


def _as_rating(value: Any) -> int | None:
    try:
        return workflow.parse_rating(value)
    except TicketError:
        return None
