"""The one place the AGI adapters read the time.

The core takes ``now`` as an argument; the server and the scripts get it from a :data:`Clock`.
``--clock ISO`` (or ``IVR_CLOCK``) pins it, so a test can put a sunset line before or after its
retirement day without waiting three months.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone, tzinfo

from ivr.errors import IvrError

Clock = Callable[[], datetime]  # returns an aware datetime


def system_clock() -> datetime:
    """The real time, in UTC (decide() converts to the centre's zone)."""
    return datetime.now(timezone.utc)


def parse_clock(text: str, default_tz: tzinfo) -> datetime:
    """An ISO time; without an offset it is read in ``default_tz`` (the centre's zone)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise IvrError(f"--clock/IVR_CLOCK: {text!r} is not an ISO time "
                       "(e.g. 2025-07-28T10:00 or 2025-07-28T10:00+08:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=default_tz)


def make_clock(text: str | None, default_tz: tzinfo) -> Clock:
    """The system clock, or a clock stopped at ``text`` when one is given."""
    if not text:
        return system_clock
    fixed = parse_clock(text, default_tz)
    return lambda: fixed
