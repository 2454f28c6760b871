"""Everything the centre holds about one telephone number, and erasing what may go
(``ivr privacy export`` / ``ivr privacy erase``).

What may go, under the law and the retention rules:

* the call log the impact preview reads (``routed_calls`` and its intake tables): deleted;
* the queue calls' caller (``calls``): cleared, the call stays counted for the figures;
* callback requests that are over: the number cleared; an open one is kept (it is still to be made);
* work orders: the caller's number cleared on an order whose matter is finished (closed on the
  spot or archived) and whose recording is under no legal hold; an order still being handled,
  or held, is kept whole, and the answer says which and why. The matter (words, place,
  department, deadlines) is the centre's record and stays.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import sessionmaker

from ivr.core.callbacks import OPEN
from ivr.core.workflow import Status
from ivr.store.models import CallRow, LegalHoldRow, RatingRow, RoutedCallRow, TicketRow
from ivr.store.models_call_log import AsteriskCallRow, CallLogPendingRow
from ivr.store.models_surges import CallbackRow
from ivr.store.sessions import session_of, transaction

FINISHED = (Status.CLOSED.value, Status.ARCHIVED.value)


def forms_of(number: str) -> list[str]:
    """The ways a carrier may have presented ``number`` (national, +86, 0086, 86)."""
    digits = "".join(ch for ch in number if ch.isdigit())
    national = digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
    national = national[4:] if national.startswith("0086") else national
    forms = {number.strip(), digits, national, "+86" + national, "0086" + national, "86" + national}
    if national.startswith("0"):
        forms |= {"+86" + national[1:], "0086" + national[1:]}
    return sorted(f for f in forms if f)


@dataclass
class Erased:
    counts: dict[str, int] = field(default_factory=dict)
    kept: list[tuple[str, str]] = field(default_factory=list)   # (order number, why kept)


def held_about(engine: Engine, number: str) -> dict:
    """Orders (with ratings and recordings), queue calls, routed calls and callback requests."""
    forms = forms_of(number)
    with session_of(sessionmaker(engine), "citizen data") as session:
        tickets = session.scalars(select(TicketRow).where(TicketRow.caller.in_(forms))
                                  .order_by(TicketRow.created_at)).all()
        ratings = {r.ticket_id: r for r in session.scalars(
            select(RatingRow).where(RatingRow.ticket_id.in_([t.id for t in tickets])))}
        return {
            "orders": [{"number": t.number, "created_at": t.created_at.isoformat(), "caller": t.caller,
                        "line": t.line, "department": t.department, "status": t.status,
                        "category": t.category, "title": t.title, "description": t.description,
                        "place": t.place, "unit": t.unit, "agent": t.agent,
                        "rating": ratings[t.id].rating if t.id in ratings else None,
                        "recording": t.recording_path} for t in tickets],
            "calls": [{"linkedid": c.linkedid, "at": _iso(c.started_at),
                       "line": c.line, "outcome": c.outcome}
                      for c in session.scalars(select(CallRow).where(CallRow.caller.in_(forms)))],
            "routed_calls": [{"call_id": r.call_id, "at": r.at.isoformat(), "line": r.line, "route": r.route}
                             for r in session.scalars(select(RoutedCallRow).where(RoutedCallRow.caller.in_(forms)))],
            "callbacks": [{"id": c.id, "requested_at": c.requested_at.isoformat(), "status": c.status,
                           "queue": c.queue}
                          for c in session.scalars(select(CallbackRow).where(
                              CallbackRow.caller.in_(forms) | CallbackRow.number.in_(forms)))],
        }


def erase(engine: Engine, number: str, now: datetime) -> Erased:
    """Remove what may go (see the module); returns the counts and the orders kept whole."""
    forms, result = forms_of(number), Erased()
    with transaction(sessionmaker(engine), "citizen data") as session:
        def run(name: str, statement) -> None:
            result.counts[name] = session.execute(statement).rowcount or 0

        run("routed_calls", delete(RoutedCallRow).where(RoutedCallRow.caller.in_(forms)))
        run("call_log_pending", delete(CallLogPendingRow).where(CallLogPendingRow.caller.in_(forms)))
        run("asterisk_calls", delete(AsteriskCallRow).where(AsteriskCallRow.caller.in_(forms)))
        run("calls", update(CallRow).where(CallRow.caller.in_(forms)).values(caller=""))
        run("callbacks", update(CallbackRow).where(CallbackRow.caller.in_(forms) | CallbackRow.number.in_(forms),
                                                   CallbackRow.status.not_in([s.value for s in OPEN]))
            .values(caller="", number=""))
        held = set(session.scalars(select(LegalHoldRow.number).where(LegalHoldRow.released_at.is_(None))))
        cleared = 0
        for ticket in session.scalars(select(TicketRow).where(TicketRow.caller.in_(forms))):
            if ticket.number in held:
                result.kept.append((ticket.number, "legal hold on its recording"))
            elif ticket.status not in FINISHED:
                result.kept.append((ticket.number, f"still being handled ({ticket.status})"))
            else:
                ticket.caller, cleared = "", cleared + 1
        result.counts["orders"] = cleared
    return result


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
