"""Human work-order numbers: ``12345-YYYYMMDD-NNNNNN``.

The date is the centre's local date when the order was taken in (a call answered at 23:30 UTC
on 31 May is a 1 June order in Rudong); NNNNNN counts that day's orders from 000001. Citizens
read the number back over the phone, so it is fixed-width digits. Pure: the store chooses the
sequence (the next free one under a unique constraint).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

PREFIX = "12345"
MAX_SEQUENCE = 999_999
_PATTERN = re.compile(r"12345-([0-9]{8})-([0-9]{6})")


@dataclass(frozen=True, order=True)
class TicketNumber:
    day: date
    sequence: int

    def __str__(self) -> str:
        return format_number(self.day, self.sequence)


def local_day(at: datetime, tz: tzinfo) -> date:
    """The centre's calendar date at the aware instant ``at``."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a ticket number needs an aware datetime: pass the time with its zone")
    return at.astimezone(tz).date()


def format_number(day: date, sequence: int) -> str:
    """``12345-YYYYMMDD-NNNNNN``; ValueError when the day's numbers are used up."""
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"ticket sequence {sequence} is outside 1..{MAX_SEQUENCE} for {day}")
    return f"{PREFIX}-{day:%Y%m%d}-{sequence:06d}"


def day_prefix(day: date) -> str:
    """The common start of every number of ``day`` (for a range scan)."""
    return f"{PREFIX}-{day:%Y%m%d}-"


def parse_number(text: str) -> TicketNumber:
    """The parts of a ticket number; ValueError with the expected shape otherwise."""
    match = _PATTERN.fullmatch((text or "").strip())
    if not match:
        raise ValueError(f"{text!r} is not a work-order number like 12345-20200601-000001")
    try:
        day = datetime.strptime(match.group(1), "%Y%m%d").date()
    except ValueError:
        raise ValueError(f"{text!r} has no valid date in it") from None
    sequence = int(match.group(2))
    if sequence < 1:
        raise ValueError(f"{text!r}: sequences start at 000001")
    return TicketNumber(day, sequence)


def is_number(text: str) -> bool:
    """True when ``text`` is a well-formed work-order number."""
    try:
        parse_number(text)
    except ValueError:
        return False
    return True


def next_number(at: datetime, tz: tzinfo, last_sequence_today: int) -> str:
    """The number after ``last_sequence_today`` (0 when none yet) for an order taken in at ``at``."""
    return format_number(local_day(at, tz), last_sequence_today + 1)
