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

import json
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.exc import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ivr.core import numbering, workflow
from ivr.core.deadlines import Category, Policy
from ivr.core.kpi import CALL_OUTCOMES, CallFact, OrderFact
from ivr.core.workflow import Entry, Event, Status, WorkOrder
from ivr.errors import StoreError, TicketError, TicketNotFound
from ivr.logs import get_logger
from ivr.store.models import CallRow, RatingRow, TicketEventRow, TicketRow

_RETRIES = 20
_LINKEDID = re.compile(r"[A-Za-z0-9._:@\-]{1,64}")
_OUTCOME_RANK = {"offered": 0, "abandoned": 1, "answered": 2}  # answered wins (overflow answered)
INTAKE_ACTOR = "ami"


@dataclass(frozen=True)
class Ticket:
    """A work order as read from the store: the intake facts of the call, and the process state."""

    number: str
    linkedid: str
    uniqueid: str | None
    created_at: datetime
    caller: str
    line: str
    department: str
    mode: str
    queue: str | None
    agent: str | None
    recording_path: str | None
    recording_sha256: str | None
    recording_size: int | None
    order: WorkOrder

    @property
    def status(self) -> Status:
        return self.order.status

    @property
    def deadline(self) -> datetime | None:
        return self.order.due

    @property
    def history(self) -> tuple[Entry, ...]:
        return self.order.history

    def to_dict(self, tz: tzinfo | None = None) -> dict[str, Any]:
        """JSON-ready: times as ISO text (in ``tz`` when given), history as a list of mappings."""
        o = self.order

        def _iso(moment: datetime | None) -> str | None:
            return _isotime(moment, tz)
        data: dict[str, Any] = {
            "number": self.number, "linkedid": self.linkedid, "uniqueid": self.uniqueid,
            "created_at": _iso(self.created_at), "caller": self.caller, "line": self.line,
            "department": self.department, "mode": self.mode, "queue": self.queue,
            "agent": self.agent, "recording_path": self.recording_path,
            "recording_sha256": self.recording_sha256, "recording_size": self.recording_size,
            "status": o.status.value, "category": o.category.value if o.category else None,
            "urgent": o.urgent, "unit": o.unit, "sign_by": _iso(o.sign_by), "deadline": _iso(o.due),
            "signed_at": _iso(o.signed_at), "replied_at": _iso(o.replied_at),
            "replied_on_time": o.replied_on_time, "closed_at": _iso(o.closed_at),
            "overdue": o.overdue, "sign_late": o.sign_late, "escalated": o.escalated,
            "supervised": o.supervised, "dispatch_count": o.dispatch_count, "rating": o.rating,
            "rated_at": _iso(o.rated_at), "allowed": workflow.allowed(o),
            "history": [{"event": e.event, "actor": e.actor, "at": _iso(e.at), "data": e.data}
                        for e in o.history],
            "title": o.title, "description": o.description, "place": o.place, "article": o.article,
        }
        return data


class TicketStore:
    """Work orders and calls in one SQL database (the AMI spool is a file: see ivr.ami.spool)."""

    def __init__(self, engine: Engine, policy: Policy, schema_ready: bool = True) -> None:
        self.engine = engine
        self.policy = policy
        self.schema_ready = schema_ready
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._log = get_logger("ivr.store")

    @property
    def tz(self) -> tzinfo:
        return self.policy.tz

    def close(self) -> None:
        self.engine.dispose()

    def ensure_schema(self) -> None:
        """Migrate the database now if it was away when the store was opened (StoreError while it
        still is): the engine starts with the database down and catches up when it returns."""
        if not self.schema_ready:
            from ivr.store.engine import upgrade
            upgrade(self.engine)
            self.schema_ready = True
            self._log.warning("store.migrated_late", database=self.engine.url.render_as_string(hide_password=True))

    # --- intake ---------------------------------------------------------------------------

    def create_ticket_for_answer(self, linkedid: str, *, at: datetime, line: str, department: str,
                                 mode: str, caller: str = "", queue: str | None = None,
                                 agent: str | None = None, uniqueid: str | None = None,
                                 recording_path: str | None = None, recording_sha256: str | None = None,
                                 recording_size: int | None = None,
                                 actor: str = INTAKE_ACTOR) -> tuple[Ticket, bool]:
        """The order for the call ``linkedid`` an agent answered at ``at``: (ticket, created?).

        Called for every AgentConnect; a replay (same linkedid) returns the existing order and
        changes nothing. The call is counted as answered in the same transaction.
        """
        linkedid = check_linkedid(linkedid)
        _require_aware(at, f"call {linkedid}: at")
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
                        return _ticket(row, self.tz), False
                    number = self._next_number(session, at)
                    order = workflow.new_order(number, at, actor, line=intake["line"],
                                               queue=intake["queue"], agent=intake["agent"])
                    row = TicketRow(number=number, linkedid=linkedid, created_at=at,
                                    recording_path=clean(recording_path, 512) or None,
                                    recording_sha256=clean(recording_sha256, 64) or None,
                                    recording_size=recording_size, **intake)
                    _write_order(row, order, 0)
                    session.add(row)
                    self._touch_call(session, linkedid, at=at, outcome="answered", **intake)
                    session.flush()
                    log.info("ticket.created", number=number, line=intake["line"], agent=intake["agent"])
                    return _ticket(row, self.tz), True
            except IntegrityError:
                continue  # a racing writer took this linkedid or this number: look again
        raise StoreError(f"could not create a work order for call {linkedid} after {_RETRIES} attempts")

    def record_call(self, linkedid: str, *, at: datetime, line: str, outcome: str, caller: str = "",
                    department: str = "", mode: str = "", queue: str | None = None,
                    uniqueid: str | None = None, wait_seconds: int | None = None,
                    ended_at: datetime | None = None) -> str:
        """Count the call ``linkedid`` as offered, answered or abandoned; returns the stored outcome.

        Idempotent: replays change nothing, and an outcome only moves forward
        (offered -> abandoned -> answered), so a call that left the seat queue and was answered
        by the overflow queue stays answered whatever order the events arrive in.
        """
        linkedid = check_linkedid(linkedid)
        _require_aware(at, f"call {linkedid}: at")
        if ended_at is not None:
            _require_aware(ended_at, f"call {linkedid}: ended_at")
        if outcome not in CALL_OUTCOMES:
            raise TicketError(f"call {linkedid}: outcome must be one of {', '.join(CALL_OUTCOMES)}, "
                              f"not {outcome!r}")
        for _attempt in range(_RETRIES):
            try:
                with self._transaction() as session:
                    row = self._touch_call(session, linkedid, at=at, outcome=outcome, caller=clean(caller, 64),
                                           line=clean(line, 32), department=clean(department, 64),
                                           mode=clean(mode, 16), queue=clean(queue, 64) or None,
                                           uniqueid=clean(uniqueid, 64) or None,
                                           wait_seconds=wait_seconds, ended_at=ended_at)
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
            return _ticket(row, self.tz)

    # --- the process ----------------------------------------------------------------------

    def apply(self, number: str, event: Event | str, actor: str, at: datetime, **data: Any) -> Ticket:
        """Take one step of the process on order ``number`` (see :func:`ivr.core.workflow.apply`).

        Not the citizen's rating: that is :meth:`rate`, fed only by the caller's own key press."""
        if str(event) == Event.RATE.value:
            raise TicketError(f"work order {number}: a satisfaction rating is only taken from the "
                              "citizen's own key press on the call, never entered by staff")
        with self._transaction() as session:
            row = self._by_number(session, number, lock=True)
            order = _order(row, self.tz)
            new = workflow.apply(order, event, actor, at, self.policy, **data)
            self._save(session, row, order, new)
            self._log.info("ticket.step", number=row.number, linkedid=row.linkedid,
                           step=str(event), actor=actor, status=new.status.value)
            return _ticket(row, self.tz)

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
            order = _order(row, self.tz)
            if order.rating is not None and order.rating == _as_rating(rating):
                return _ticket(row, self.tz)  # the same rating again (a replayed fact): nothing new
            new = workflow.apply(order, Event.RATE, actor, at, self.policy, rating=rating,
                                 source=clean(source, 32))
            session.add(RatingRow(ticket_id=row.id, rating=new.rating, at=at, source=clean(source, 32)))
            self._save(session, row, order, new)
            self._log.info("ticket.rated", number=row.number, linkedid=row.linkedid, rating=new.rating)
            return _ticket(row, self.tz)

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
                order = _order(row, self.tz)
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

    # --- queries --------------------------------------------------------------------------

    def get(self, number: str) -> Ticket:
        with self._session() as session:
            return _ticket(self._by_number(session, number), self.tz)

    def by_linkedid(self, linkedid: str) -> Ticket:
        with self._session() as session:
            row = self._by_linkedid(session, check_linkedid(linkedid))
            if row is None:
                raise TicketNotFound(linkedid)
            return _ticket(row, self.tz)

    def list(self, *, status: str | None = None, unit: str | None = None, department: str | None = None,
             overdue: bool | None = None, supervision: bool = False, since: datetime | None = None,
             until: datetime | None = None, limit: int = 100) -> list[Ticket]:
        """Orders newest first, filtered. ``supervision`` = open orders escalated or re-dispatched."""
        query = select(TicketRow).options(selectinload(TicketRow.history))
        if status:
            query = query.where(TicketRow.status == Status(status).value)
        if unit:
            query = query.where(TicketRow.unit == unit)
        if department:
            query = query.where(TicketRow.department == department)
        if overdue is not None:
            query = query.where(or_(TicketRow.overdue, TicketRow.sign_late) if overdue
                                else and_(~TicketRow.overdue, ~TicketRow.sign_late))
        if supervision:
            query = query.where(or_(TicketRow.escalated, TicketRow.supervised),
                                TicketRow.status.in_([s.value for s in workflow.OPEN_STATUSES]))
        if since is not None:
            query = query.where(TicketRow.created_at >= since)
        if until is not None:
            query = query.where(TicketRow.created_at < until)
        query = query.order_by(TicketRow.created_at.desc(), TicketRow.number.desc()).limit(max(1, limit))
        with self._session() as session:
            return [_ticket(row, self.tz) for row in session.scalars(query).all()]

    def recordings(self) -> list[tuple[str, str, str | None, int | None]]:
        """(number, recording path, sha256, size) of every order that names a recording."""
        query = (select(TicketRow.number, TicketRow.recording_path, TicketRow.recording_sha256,
                        TicketRow.recording_size)
                 .where(TicketRow.recording_path.is_not(None)).order_by(TicketRow.number))
        with self._session() as session:
            return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]

    def report_facts(self, since: datetime | None = None,
                     until: datetime | None = None) -> tuple[list[CallFact], list[OrderFact]]:
        """Grouped call and order facts in [since, until) for :func:`ivr.core.kpi.build_report`."""
        dispatched = (TicketRow.dispatch_count > 0).label("dispatched")
        replied = (TicketRow.replied_at.is_not(None)).label("replied")
        order_cols = (TicketRow.line, TicketRow.department, TicketRow.unit, TicketRow.status,
                      dispatched, replied, TicketRow.replied_on_time, TicketRow.rating)
        order_q = select(*order_cols, func.count()).group_by(*order_cols)
        call_cols = (CallRow.line, CallRow.department, CallRow.outcome)
        call_q = select(*call_cols, func.count()).group_by(*call_cols)
        if since is not None:
            order_q = order_q.where(TicketRow.created_at >= since)
            call_q = call_q.where(CallRow.started_at >= since)
        if until is not None:
            order_q = order_q.where(TicketRow.created_at < until)
            call_q = call_q.where(CallRow.started_at < until)
        with self._session() as session:
            calls = [CallFact(line=line, department=dep or "", outcome=outcome, count=n)
                     for line, dep, outcome, n in session.execute(call_q)]
            orders = [OrderFact(line=line, department=dep, unit=unit, closed_on_the_spot=status == "closed",
                                dispatched=bool(disp), replied=bool(rep), replied_on_time=on_time,
                                rating=rating, count=n)
                      for line, dep, unit, status, disp, rep, on_time, rating, n in session.execute(order_q)]
        return calls, orders

    # --- internals ------------------------------------------------------------------------

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with self._sessions() as session:
                yield session
        except (OperationalError, InterfaceError) as err:
            raise StoreError(f"the ticket database is unavailable: {_reason(err)}") from None

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        try:
            with self._sessions() as session, session.begin():
                yield session
        except StaleDataError:
            raise TicketError("the work order was changed by someone else at the same time; "
                              "try again") from None
        except IntegrityError:
            raise
        except (OperationalError, InterfaceError) as err:
            raise StoreError(f"the ticket database is unavailable: {_reason(err)}") from None

    def _by_number(self, session: Session, number: str, lock: bool = False) -> TicketRow:
        text = (number or "").strip()
        if not numbering.is_number(text):
            raise TicketError(f"{number!r} is not a work-order number like 12345-20200601-000001")
        query = select(TicketRow).where(TicketRow.number == text)
        row = session.scalars(query.with_for_update() if lock else query).one_or_none()
        if row is None:
            raise TicketNotFound(text)
        return row

    def _by_linkedid(self, session: Session, linkedid: str, lock: bool = False) -> TicketRow | None:
        query = select(TicketRow).where(TicketRow.linkedid == linkedid)
        return session.scalars(query.with_for_update() if lock else query).one_or_none()

    def _next_number(self, session: Session, at: datetime) -> str:
        day = numbering.local_day(at, self.tz)
        prefix = numbering.day_prefix(day)
        last = session.scalar(select(func.max(TicketRow.number)).where(TicketRow.number.like(prefix + "%")))
        sequence = numbering.parse_number(last).sequence if last else 0
        try:
            return numbering.next_number(at, self.tz, sequence)
        except ValueError as err:
            raise StoreError(str(err)) from None

    def _touch_call(self, session: Session, linkedid: str, *, at: datetime, outcome: str, line: str,
                    caller: str = "", department: str = "", mode: str = "", queue: str | None = None,
                    uniqueid: str | None = None, wait_seconds: int | None = None,
                    ended_at: datetime | None = None, agent: str | None = None) -> CallRow:
        row = session.scalars(select(CallRow).where(CallRow.linkedid == linkedid)
                              .with_for_update()).one_or_none()
        if row is None:
            row = CallRow(linkedid=linkedid, uniqueid=uniqueid, started_at=at, caller=caller, line=line,
                          department=department, mode=mode, queue=queue, outcome=outcome,
                          wait_seconds=wait_seconds, ended_at=ended_at)
            session.add(row)
            session.flush()  # a racing insert of the same linkedid fails here, inside the retry loop
            return row
        if _OUTCOME_RANK[outcome] > _OUTCOME_RANK[row.outcome]:
            row.outcome = outcome
            row.queue = queue or row.queue
            row.wait_seconds = wait_seconds if wait_seconds is not None else row.wait_seconds
        if ended_at is not None and row.ended_at is None:
            row.ended_at = ended_at
        return row

    def _save(self, session: Session, row: TicketRow, old: WorkOrder, new: WorkOrder) -> None:
        _write_order(row, new, len(old.history))
        session.flush()

    # --- the agent's desk -------------------------------------------------------------------

    def received_by_agent(self, agent: str, limit: int = 50) -> list[Ticket]:
        """Orders an agent answered that still wait for their first step (status received),
        oldest first: the calls whose matter is not written down yet."""
        query = (select(TicketRow).options(selectinload(TicketRow.history))
                 .where(TicketRow.agent == agent, TicketRow.status == Status.RECEIVED.value)
                 .order_by(TicketRow.created_at, TicketRow.number).limit(max(1, limit)))
        with self._session() as session:
            return [_ticket(row, self.tz) for row in session.scalars(query).all()]


def check_linkedid(linkedid: Any) -> str:
    """A linkedid as Asterisk writes it ("1717000000.42"); TicketError for anything else."""
    text = linkedid.strip() if isinstance(linkedid, str) else ""
    if not _LINKEDID.fullmatch(text):
        raise TicketError(f"{str(linkedid)[:80]!r} is not an Asterisk linkedid")
    return text


def _as_rating(value: Any) -> int | None:
    try:
        return workflow.parse_rating(value)
    except TicketError:
        return None


def _require_aware(moment: Any, what: str) -> None:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise TicketError(f"{what} must be an aware datetime (with its zone), not {moment!r}")


def clean(value: Any, limit: int) -> str:
    """Untrusted text (caller ID, names) made safe to store: no control characters, bounded."""
    if value is None:
        return ""
    text = "".join(ch for ch in str(value) if unicodedata.category(ch)[0] != "C")
    return text.strip()[:limit]


def _write_order(row: TicketRow, order: WorkOrder, known_entries: int) -> None:
    row.status = order.status.value
    row.category = order.category.value if order.category else None
    row.urgent, row.unit = order.urgent, order.unit
    row.sign_by, row.deadline = order.sign_by, order.due
    row.signed_at, row.replied_at, row.replied_on_time = order.signed_at, order.replied_at, order.replied_on_time
    row.closed_at = order.closed_at
    row.overdue, row.sign_late = order.overdue, order.sign_late
    row.escalated, row.supervised = order.escalated, order.supervised
    row.dispatch_count, row.rating, row.rated_at = order.dispatch_count, order.rating, order.rated_at
    row.title, row.description, row.place, row.kb_article = (order.title, order.description, order.place,
                                                             order.article)
    for seq, entry in enumerate(order.history[known_entries:], start=known_entries):
        row.history.append(TicketEventRow(seq=seq, event=entry.event, actor=entry.actor, at=entry.at,
                                          data=json.dumps(entry.data, ensure_ascii=False)))


def _order(row: TicketRow, tz: tzinfo) -> WorkOrder:
    """The row as the pure core's value, its times in the centre's zone (the database keeps UTC)."""
    def local(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(tz)

    return WorkOrder(
        number=row.number, created_at=local(row.created_at), status=Status(row.status),
        category=Category(row.category) if row.category else None, urgent=bool(row.urgent),
        unit=row.unit, sign_by=local(row.sign_by), due=local(row.deadline), signed_at=local(row.signed_at),
        replied_at=local(row.replied_at), replied_on_time=row.replied_on_time, closed_at=local(row.closed_at),
        overdue=bool(row.overdue), sign_late=bool(row.sign_late), escalated=bool(row.escalated),
        supervised=bool(row.supervised), dispatch_count=row.dispatch_count or 0, rating=row.rating,
        rated_at=local(row.rated_at), title=row.title, description=row.description, place=row.place,
        article=row.kb_article,
        history=tuple(Entry(e.event, e.actor, local(e.at), json.loads(e.data)) for e in row.history))


def _ticket(row: TicketRow, tz: tzinfo) -> Ticket:
    return Ticket(number=row.number, linkedid=row.linkedid, uniqueid=row.uniqueid,
                  created_at=row.created_at.astimezone(tz), caller=row.caller, line=row.line,
                  department=row.department, mode=row.mode, queue=row.queue, agent=row.agent,
                  recording_path=row.recording_path, recording_sha256=row.recording_sha256,
                  recording_size=row.recording_size, order=_order(row, tz))


def _isotime(moment: datetime | None, tz: tzinfo | None = None) -> str | None:
    if moment is None:
        return None
    return (moment.astimezone(tz) if tz is not None else moment).isoformat()


def _reason(err: SQLAlchemyError) -> str:
    orig = getattr(err, "orig", None)
    return str(orig or err).strip().splitlines()[0]
