"""What the console says about recordings beyond their hash: whether each is complete (its check
against the call's talk time, :mod:`ivr.core.recording_check`), and the recordings' disk.

The auditor's recording page and the order page show an order's check; the supervisors' page
shows the disk's free space (:func:`ivr.recordings.space.recordings_space`, the check the engine
makes every minute) and how many orders have an incomplete recording.
"""
from __future__ import annotations

from dataclasses import dataclass

from ivr.errors import IvrError
from ivr.logs import get_logger
from ivr.recordings.space import Space, recordings_space
from ivr.store.recording_checks import RecordingCheck

log = get_logger("ivr.web.recordings")
RECENT = 10


def check_of(console, number: str) -> RecordingCheck | None:
    """The order's recording check (None: not judged yet, or the database cannot say)."""
    try:
        return console.store.recording_check(number)
    except IvrError as err:
        log.warning("recordings.check_unavailable", number=number, error=str(err))
        return None


@dataclass(frozen=True)
class Storage:
    space: Space
    flagged: int | None                 # orders with an incomplete recording (None: not known)
    recent: tuple[RecordingCheck, ...]  # the newest of them


def storage(console) -> Storage:
    """The recordings' disk and the incomplete recordings, for the supervisors' page and /metrics."""
    space = recordings_space(console.settings)
    try:
        return Storage(space, console.store.count_flagged(), tuple(console.store.flagged_recordings(limit=RECENT)))
    except IvrError as err:
        log.warning("recordings.flags_unavailable", error=str(err))
        return Storage(space, None, ())
