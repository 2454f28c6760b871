"""The field checks of the work-order process's steps: every message names the order and the field.

Pure, and private to :mod:`ivr.core.workflow` (which re-exports :func:`parse_rating`); split from
it so that the process itself stays short enough to read in one go.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ivr.core.deadlines import Category, Policy, parse_category
from ivr.errors import TicketError

if TYPE_CHECKING:  # annotations only: the process imports this module
    from ivr.core.workflow import Event, WorkOrder

MAX_TEXT = 2000  # characters kept of free text (reply, notes): an order is not a document store


def parse_rating(value: Any, number: str = "?") -> int:
    """A satisfaction rating 1..5 from an int or a digit string (a keypress); TicketError otherwise."""
    text = str(value).strip() if value is not None else ""
    if isinstance(value, bool) or not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 5:
        raise TicketError(f"work order {number}: rating must be a whole number from 1 to 5, not {value!r}")
    return int(text)


def _category(order: WorkOrder, value: Any, required: bool) -> Category | None:
    if value is None or value == "":
        if required:
            raise TicketError(f"work order {order.number}: dispatch needs a category "
                              f"({', '.join(c.value for c in Category)})")
        return order.category
    try:
        return parse_category(value)
    except ValueError as err:
        raise TicketError(f"work order {order.number}: {err}") from None


def _unit(order: WorkOrder, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TicketError(f"work order {order.number}: dispatch needs the responsible unit (department id)")
    return value.strip()


def _bool(order: WorkOrder, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TicketError(f"work order {order.number}: {name} must be true or false, not {value!r}")
    return value


def _text(order: WorkOrder, name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TicketError(f"work order {order.number}: {name} must be text, not {type(value).__name__}")
    return value[:MAX_TEXT]


def _policy(order: WorkOrder, policy: Policy | None) -> Policy:
    if policy is None:
        raise TicketError(f"work order {order.number}: deadlines cannot be set without the centre's "
                          "calendar (pass a deadlines Policy)")
    return policy


def _no_more(order: WorkOrder, event: Event, data: dict) -> None:
    if data:
        raise TicketError(f"work order {order.number}: {event} does not take {', '.join(sorted(data))}")


def _actor(actor: Any) -> str:
    if not isinstance(actor, str) or not actor.strip():
        raise TicketError("every step of a work order must say who took it (actor)")
    return actor.strip()[:100]


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """History data as JSON-ready values (times as ISO text, enums as their values, None dropped)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, StrEnum):
            value = value.value
        elif not isinstance(value, (str, int, float, bool)):
            value = str(value)
        out[key] = value
    return out
