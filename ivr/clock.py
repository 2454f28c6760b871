"""The one place the engine reads the time.

The core takes ``now`` as an argument; every adapter (FastAGI routing, the AMI listener's facts,
the recordings manifest, the deadline sweep, the staff CLI) gets it from one :data:`Clock`.
``--clock ISO`` (or ``IVR_CLOCK``) sets it, so a test can put a sunset line before or after its
retirement day without waiting three months, and a demo's work orders carry the demo's date:
the pretend clock starts at that instant and then runs at the real pace, so the order of events
(an answer before its rating, a dispatch before its deadline) stays true.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo

from ivr.errors import TimeFormatError

Clock = Callable[[], datetime]  # returns an aware datetime


def system_clock() -> datetime:
    """The real time, in UTC (decide() converts to the centre's zone)."""
    return datetime.now(timezone.utc)


def parse_time(text: str | None, default_tz: tzinfo, where: str) -> datetime:
    """The one reading of a time a person typed (``--at``, ``--clock``, a notice's start):
    ISO 8601, and without an offset the time in ``default_tz`` (the centre's zone).
    TimeFormatError naming ``where`` otherwise."""
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise TimeFormatError(f"{where}: {text!r} is not an ISO time "
                              "(e.g. 2025-07-28T10:00 or 2025-07-28T10:00+08:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=default_tz)


def parse_clock(text: str, default_tz: tzinfo) -> datetime:
    """``--clock``/``IVR_CLOCK``'s time (:func:`parse_time`)."""
    return parse_time(text, default_tz, "--clock/IVR_CLOCK")


def now(clock_text: str | None, default_tz: tzinfo) -> datetime:
    """The project's time now, in ``default_tz``: ``IVR_CLOCK``'s when set (``clock_text``)."""
    return make_clock(clock_text, default_tz)().astimezone(default_tz)


def make_clock(text: str | None, default_tz: tzinfo) -> Clock:
    """The system clock, or a clock that starts at ``text`` when one is given and runs on."""
    if not text:
        return system_clock
    start = parse_clock(text, default_tz)
    started = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - started)
