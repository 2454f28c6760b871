"""A transfer on the work order: to whom, how, by whom and when, as a line of its history.

A transfer is not a step of the process (:mod:`ivr.core.workflow`): the order keeps its status
(an agent may still close it, or dispatch it to the unit the citizen was put through to). It is
a fact about the call, appended to the order's history as ``transfer`` with the department's
line (canonical), the department, the kind (blind, attended, three-way) and the agent as actor.

The same transfer may arrive twice (the live AMI event, then the queue log at a resync, or a
replayed spool line): it is recorded once. Two transfers of one call to the same line within
:data:`SAME_TRANSFER` are one transfer; later ones (the department did not answer, the citizen
came back to 12345 and was put through again) are new lines.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from ivr.core.agent_phone import TransferKind
from ivr.core.text import require_aware
from ivr.core.workflow import Entry, WorkOrder
from ivr.errors import TicketError

EVENT = "transfer"
SAME_TRANSFER = timedelta(seconds=30)


def record_transfer(order: WorkOrder, *, to: str, department: str, kind: TransferKind | str,
                    agent: str, at: datetime, dialled: str = "") -> WorkOrder:
    """``order`` with the transfer in its history (unchanged if it is already there)."""
    require_aware(at, "at", TicketError)
    try:
        kind = TransferKind(kind)
    except ValueError:
        names = ", ".join(k.value for k in TransferKind)
        raise TicketError(f"work order {order.number}: transfer kind {kind!r} is not one of {names}") from None
    if not to:
        raise TicketError(f"work order {order.number}: a transfer needs the line it went to")
    if not agent:
        raise TicketError(f"work order {order.number}: a transfer needs the agent who made it")
    if already_recorded(order, to, kind, at):
        return order
    data = {"to": to, "department": department, "kind": kind.value}
    if dialled and dialled != to:
        data["dialled"] = dialled
    entry = Entry(EVENT, agent[:100], max(at, order.created_at), {k: v for k, v in data.items() if v})
    return replace(order, history=order.history + (entry,))


def already_recorded(order: WorkOrder, to: str, kind: TransferKind | str, at: datetime) -> bool:
    """True when the history already has this transfer (same line and kind, close in time)."""
    return any(e.event == EVENT and e.data.get("to") == to and e.data.get("kind") == str(kind)
               and abs(e.at - at) <= SAME_TRANSFER for e in order.history)


def transfers(order: WorkOrder) -> list[Entry]:
    """The order's transfers, oldest first."""
    return [e for e in order.history if e.event == EVENT]
