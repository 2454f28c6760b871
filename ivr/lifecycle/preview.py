"""The impact preview of a new rules file, on the calls the engine really routed.

Takes in what the call log holds on disk first (so the calls of the last seconds count too),
then replays the last ``days`` days of calls through the rules in force and the new ones
(:func:`ivr.core.replay.replay`), and lists what is scheduled in the next ``horizon`` days under
the new rules (:func:`ivr.core.replay.upcoming`). How long the replay took is part of the result.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ivr import data_folder
from ivr.spool import Spool
from ivr.core.replay import Replay, Scheduled, replay, upcoming
from ivr.core.rules import Rules
from ivr.lifecycle.ingest import asterisk_records, ingest_pending
from ivr.logs import get_logger
from ivr.settings import Settings
from ivr.store.routed_calls import RoutedCalls

log = get_logger("ivr.lifecycle.preview")


@dataclass
class Preview:
    in_force: str          # SHA-256 of the rules in force
    new: str               # SHA-256 of the new rules
    days: int
    start: datetime
    replay: Replay
    scheduled: list[Scheduled] = field(default_factory=list)
    horizon: int = 90
    seconds: float = 0.0
    notices: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"in_force": self.in_force, "new": self.new, "days": self.days, "start": self.start.isoformat(),
                "seconds": round(self.seconds, 3), "horizon": self.horizon, "notices": self.notices,
                "replay": self.replay.to_dict(), "scheduled": [s.to_dict() for s in self.scheduled]}


def catch_up(settings: Settings, calls: RoutedCalls) -> tuple[int, str]:
    """Take the call log on disk into the database: (lines taken, a notice if it could not)."""
    try:
        return ingest_pending(Spool(data_folder.call_log(settings.data_dir)), calls, asterisk_records(settings)), ""
    except OSError as err:
        return 0, f"the call log on disk could not be read ({err}): calls of the last seconds may be missing"


def preview(settings: Settings, calls: RoutedCalls, in_force: Rules, new: Rules, now: datetime,
            days: int = 30, horizon: int = 90, named: int = 1000) -> Preview:
    """Replay the calls routed since ``now - days`` under ``in_force`` and ``new``: the calls
    Asterisk handled (the call log's lines joined to its own record of them); the lines dropped
    for want of such a record are said, not replayed."""
    taken, notice = catch_up(settings, calls)
    start = now - timedelta(days=days)
    notices = [notice] if notice else []
    dropped = calls.dropped_since(start)
    if dropped:
        notices.append(f"{dropped} call-log line(s) since {start.date()} had no matching call in Asterisk's "
                       "records (forged or lost) and are not replayed")
    began = time.perf_counter()
    result = replay(calls.between(start), in_force, new, named=named)
    seconds = time.perf_counter() - began
    today = now.astimezone(new.centre.timezone).date()
    log.info("preview.done", calls=result.calls, elsewhere=result.elsewhere, seconds=round(seconds, 3),
             taken_in=taken)
    return Preview(in_force.sha256, new.sha256, days, start, result, upcoming(new, in_force, today, horizon),
                   horizon, seconds, notices)
