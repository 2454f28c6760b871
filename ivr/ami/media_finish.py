"""Finishing a call's media check after the hangup: the legs' figures, a MOS, the silent side.

For each Ended fact of an answered call the ledger asks :class:`MediaFinisher`, after the
recording is finished (:mod:`ivr.ami.recording_finish`), to

1. take both legs' RTP figures from the queue log (:class:`~ivr.ami.media_lines.MediaLines`),
   waiting up to :data:`LEGS_WAIT_S` for a leg still hanging up;
2. score each direction (:func:`ivr.core.media_quality.call_quality`);
3. read the recording's two direction files (:mod:`ivr.recordings.sides`) once MixMonitor has
   closed them, and judge whether each side was heard (:func:`ivr.core.one_way.judge_sides`);
4. write it on the call and its order in one row (once), then remove the direction files.

Nothing of this is on the call path: it runs on the intake's applier thread after the hangup, and
waits by raising :class:`~ivr.ami.intake.RecordingNotReady` as the recording's finisher does.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from ivr.ami.intake import RecordingNotReady
from ivr.ami.media_lines import MediaLines
from ivr.core import call_events as ce
from ivr.core.media_quality import CallQuality, LegFigures, call_quality
from ivr.core.one_way import OneWay, SideAudio, judge_sides
from ivr.errors import TicketNotFound
from ivr.logs import get_logger
from ivr.recordings.leftovers import remove
from ivr.recordings.sides import levels, side_paths

log = get_logger("ivr.ledger")

LEGS_WAIT_S = 5.0          # a leg's IVRMEDIA line is written as it hangs up: a moment after the other's
SETTLE_S = 1.0             # a file written to this recently may still be growing


class MediaStore(Protocol):
    """What the finisher needs of the ticket store (:class:`ivr.store.media_checks.MediaChecks`)."""

    def recording_state(self, linkedid: str) -> tuple: ...
    def media_of_call(self, linkedid: str): ...
    def save_media(self, linkedid: str, *, at: datetime, agent: str, trunk: str, caller: LegFigures | None,
                   agent_leg: LegFigures | None, quality: CallQuality | None, one_way: OneWay) -> bool: ...


class MediaFinisher:
    """Checks each answered call's media once (safe to call again for the same call)."""

    def __init__(self, store: MediaStore, recordings_dir: Path, lines: MediaLines | None,
                 wall_clock: Callable[[], float] = time.time, settle_s: float = SETTLE_S) -> None:
        self.store, self.recordings_dir, self.lines = store, Path(recordings_dir), lines
        self.wall_clock, self.settle_s = wall_clock, settle_s
        self._first_tried: dict[tuple[str, str], float] = {}

    def finish(self, fact: ce.Ended) -> None:
        linkedid = fact.call.linkedid
        try:
            ticket, _check = self.store.recording_state(linkedid)
        except TicketNotFound:
            return  # nobody answered: nothing was bridged
        if self.store.media_of_call(linkedid) is not None:
            return
        legs = self.lines.legs(linkedid) if self.lines is not None else {}
        if len(legs) < 2 and self.lines is not None:
            self._wait(linkedid, "legs", LEGS_WAIT_S)
        caller, agent = legs.get("caller"), legs.get("agent")
        recorded = ticket.recording_path or fact.call.recording
        files = self._side_files(linkedid, recorded) if recorded else {}
        if len(files) < 2:  # one direction alone says nothing of the other: judged on packets only
            files = {}
        audio = {side: SideAudio(side, levels_of.get(side, ()), leg.received if leg else None)
                 for side, leg, levels_of in (("agent", agent, files), ("caller", caller, files))}
        one_way = judge_sides(audio["agent"], audio["caller"])
        quality = call_quality(caller, agent) if caller and agent else None
        saved = self.store.save_media(linkedid, at=fact.at, agent=agent.endpoint if agent else ticket.agent or "",
                                      trunk=caller.endpoint if caller else "", caller=caller, agent_leg=agent,
                                      quality=quality, one_way=one_way)
        for path in (side_paths(Path(recorded)).values() if recorded else ()):
            remove(self._absolute(path), "a direction file, checked", linkedid=linkedid)
        self._first_tried.pop((linkedid, "legs"), None)
        if not saved:
            return
        figures = dict(linkedid=linkedid, number=ticket.number, mos=quality.mos if quality else None,
                       agent_heard_mos=quality.agent_heard.mos if quality else None,
                       caller_heard_mos=quality.caller_heard.mos if quality else None,
                       caller_packets=caller.received if caller else None,
                       agent_packets=agent.received if agent else None, reason=one_way.reason)
        if one_way.flagged:
            log.error("ledger.one_way_audio", silent=list(one_way.silent), **figures)
        elif quality is not None and quality.poor:
            log.warning("ledger.media_poor", **figures)
        else:
            log.info("ledger.media", **figures)

    def _absolute(self, path: Path) -> Path:
        return path if path.is_absolute() else self.recordings_dir / path

    def _side_files(self, linkedid: str, recorded: str) -> dict[str, list[int]]:
        """Each direction's levels, once both files are closed. MixMonitor opens them with the
        recording and closes them with it, which the recording's finisher waited for: a call
        without them (a dialplan of before, a department's line) is judged on packets only."""
        paths = {side: self._absolute(p) for side, p in side_paths(Path(recorded)).items()}
        out: dict[str, list[int]] = {}
        for side, path in paths.items():
            if not path.exists():
                continue
            try:
                quiet_for = self.wall_clock() - path.stat().st_mtime
                if quiet_for < self.settle_s:
                    raise RecordingNotReady(path, self.settle_s - quiet_for)
                out[side] = levels(path)
            except (OSError, ValueError) as err:
                log.warning("ledger.direction_unreadable", linkedid=linkedid, path=str(path), error=str(err))
        return out

    def _wait(self, linkedid: str, what: str, limit: float) -> None:
        now = self.wall_clock()
        first = self._first_tried.setdefault((linkedid, what), now)
        if now - first < limit:
            raise RecordingNotReady(Path(linkedid), min(1.0, limit - (now - first)))
