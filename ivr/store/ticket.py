"""A work order as the store hands it out (:class:`Ticket`), and how it maps to and from rows.

The pure core's :class:`~ivr.core.workflow.WorkOrder` is the process state; a :class:`Ticket`
adds the intake facts of the call (caller, line, recording). Times are stored in UTC and come
back in the centre's zone. Untrusted text is cleaned here, once, on its way into a row.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from ivr.core import workflow
from ivr.core.deadlines import Category
from ivr.core.text import printable
from ivr.core.workflow import Entry, Status, WorkOrder
from ivr.errors import TicketError
from ivr.store.models import TicketEventRow, TicketRow

_LINKEDID = re.compile(r"[A-Za-z0-9._:@\-]{1,64}")


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
            return isotime(moment, tz)
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


def check_linkedid(linkedid: Any) -> str:
    """A linkedid as Asterisk writes it ("1717000000.42"); TicketError for anything else."""
    text = linkedid.strip() if isinstance(linkedid, str) else ""
    if not _LINKEDID.fullmatch(text):
        raise TicketError(f"{str(linkedid)[:80]!r} is not an Asterisk linkedid")
    return text


def clean(value: Any, limit: int) -> str:
    """Untrusted text (caller ID, names) made safe to store: printable, trimmed, bounded."""
    return printable(value, limit + 64).strip()[:limit]


def write_order(row: TicketRow, order: WorkOrder, known_entries: int) -> None:
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


def order_of(row: TicketRow, tz: tzinfo) -> WorkOrder:
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


def ticket_of(row: TicketRow, tz: tzinfo) -> Ticket:
    return Ticket(number=row.number, linkedid=row.linkedid, uniqueid=row.uniqueid,
                  created_at=row.created_at.astimezone(tz), caller=row.caller, line=row.line,
                  department=row.department, mode=row.mode, queue=row.queue, agent=row.agent,
                  recording_path=row.recording_path, recording_sha256=row.recording_sha256,
                  recording_size=row.recording_size, order=order_of(row, tz))


def isotime(moment: datetime | None, tz: tzinfo | None = None) -> str | None:
    if moment is None:
        return None
    return (moment.astimezone(tz) if tz is not None else moment).isoformat()
