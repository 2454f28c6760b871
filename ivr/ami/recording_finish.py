"""Finishing a call's recording when the conversation ends: find the file, judge it, vouch for it.

For each Ended fact of an answered call the ledger asks :class:`RecordingFinisher` to

1. keep the talk time Asterisk reported (AgentComplete, or the queue log's COMPLETE* line); when
   none comes, the time from the answer (on the order) to the caller's hangup bounds it;
2. find the file MixMonitor and the compression left (``dialplan/answered.conf``): the Opus once
   it is in place, or the WAV when the compression failed; with both on disk, the longer complete
   one (:func:`ivr.core.recording_check.keeps_compressed`);
3. read its length from the file (:mod:`ivr.recordings.length`) and judge it against the talk time
   (:func:`ivr.core.recording_check.judge`): complete, or short, empty, unreadable, missing;
4. list it in the manifest (which hashes it) and put the hash on the order with the verdict
   beside it, in one transaction: no order gets a good-looking hash without its verdict;
5. remove the WAV an Opus was made from, once that Opus is vouched for as the whole recording
   (the compression's last step, which the dialplan leaves to the engine for this reason), before
   the order is written: an order with its hash never has a WAV beside it.

It waits, by raising :class:`~ivr.ami.intake.RecordingNotReady` (the intake applies the facts
behind it meanwhile), while the file may still change: written to within :data:`SETTLE_S`; a WAV
still to be compressed (up to :data:`COMPRESS_WAIT_S`, or :data:`PART_QUIET_S` after the encoder's
output stopped growing); the talk time of a hangup whose AgentComplete is on its way (up to
:data:`TALK_WAIT_S`); a file not there yet (up to :data:`MISSING_WAIT_S`, then flagged missing);
a manifest that cannot be written for want of space (retried every :data:`FULL_DISK_RETRY_S`
until space is freed: never set aside for it).
"""
from __future__ import annotations

import errno
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from ivr.ami.intake import RecordingNotReady
from ivr.core import call_events as ce
from ivr.core.recording_check import TRANSFER, Check, Measured, judge, keeps_compressed
from ivr.errors import TicketNotFound
from ivr.logs import get_logger
from ivr.recordings import digest
from ivr.recordings.leftovers import STALE_S, remove
from ivr.recordings.length import measure

log = get_logger("ivr.ledger")

# MixMonitor writes and closes the file in its own thread, a moment after the conversation ends:
# a file touched less than this long ago may still be growing, so it is not judged yet.
SETTLE_S = 1.0
# A WAV that has not turned into its compressed form this long after it was last written never
# will (the encoder failed, or Asterisk stopped): the WAV is then the recording.
COMPRESS_WAIT_S = 60.0
# Output of the encoder (<call>.opus.part) that stopped growing this long ago belongs to a dead one.
PART_QUIET_S = STALE_S
TALK_WAIT_S = 10.0        # a hangup waits this long for the AgentComplete with the talk time
MISSING_WAIT_S = 5.0      # no file yet: looked for again this long, then flagged missing
FULL_DISK_RETRY_S = 5.0
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


class RecordingStore(Protocol):
    """What the finisher needs of the ticket store (:class:`ivr.store.recording_checks.RecordingChecks`)."""

    def recording_state(self, linkedid: str) -> tuple: ...
    def note_talk(self, linkedid: str, talk_seconds: int, ended_by: str = "") -> None: ...
    def finish_recording(self, linkedid: str, check: Check, *, path: str, at: datetime,
                         sha256: str | None = None): ...


class RecordingFinisher:
    """Judges and lists each answered call's recording once (safe to call again for the same call)."""

    def __init__(self, store: RecordingStore, recordings_dir: Path, manifest: Callable[..., object] | None = None,
                 wall_clock: Callable[[], float] = time.time, settle_s: float = SETTLE_S) -> None:
        self.store, self.recordings_dir, self.manifest = store, Path(recordings_dir), manifest
        self.wall_clock, self.settle_s = wall_clock, settle_s
        self._first_tried: dict[tuple[str, str], float] = {}

    def finish(self, fact: ce.Ended) -> None:
        call = fact.call
        try:
            ticket, check = self.store.recording_state(call.linkedid)
        except TicketNotFound:
            return  # nobody answered: no order, no recording
        talk, ended_by = (check.talk_seconds, check.ended_by) if check else (None, "")
        if fact.talk_seconds is not None and talk is None:
            self.store.note_talk(call.linkedid, fact.talk_seconds, fact.cause)
            talk, ended_by = fact.talk_seconds, fact.cause
        if (check is not None and check.verdict) or ticket.recording_sha256:
            return  # judged already (a replayed fact, or the other end of the same conversation)
        recorded = ticket.recording_path or call.recording
        bound = None
        if talk is None:
            self._wait(call.linkedid, "talk", TALK_WAIT_S, recorded)
            # no talk time came: the answer to this hangup bounds it (the same clock stamped both)
            bound = (fact.at - ticket.created_at).total_seconds() if fact.talk_seconds is None else None
            if any(e.event == "transfer" for e in ticket.history):
                ended_by = TRANSFER
        if not recorded:
            log.error("ledger.no_recording_path", linkedid=call.linkedid, number=ticket.number)
            self._save(call, judge(None, talk, ended_by), "", fact)
            return
        path = Path(recorded) if Path(recorded).is_absolute() else self.recordings_dir / recorded
        try:
            found = self._pick(path, call.linkedid)
        except FileNotFoundError:  # renamed or removed while read (the compression's last steps)
            raise RecordingNotReady(path, 0.5) from None
        if found is None:
            self._wait(call.linkedid, "file", MISSING_WAIT_S, recorded)
            self._save(call, judge(None, talk, ended_by), str(path), fact)
            return
        chosen, measured = found
        self._save(call, judge(measured, talk, ended_by, bound), str(chosen), fact, listed=True)

    # --- which file --------------------------------------------------------------------------

    def _pick(self, path: Path, linkedid: str) -> tuple[Path, Measured] | None:
        """(the file that is the recording, what it holds), or None when there is none."""
        if path.suffix != ".opus":
            if not path.exists():
                return None
            self._settled(path)
            return path, measure(path)
        source = path.with_suffix(".wav")
        if path.exists():
            self._settled(path)
            compressed = measure(path)
            if source.exists():  # the WAV it was made from (removed once the Opus is listed): compare
                self._settled(source)
                kept = measure(source)
                if not keeps_compressed(compressed, kept):
                    log.warning("ledger.compression_short", linkedid=linkedid, path=str(path),
                                opus_s=compressed.seconds, wav_s=kept.seconds)
                    return source, kept
            return path, compressed
        if not source.exists():
            return None
        self._compression_over(source, path, linkedid)
        return source, measure(source)

    def _compression_over(self, source: Path, path: Path, linkedid: str) -> None:
        """Wait while the WAV may still turn into its Opus; then say the compression failed."""
        now = self.wall_clock()
        waited = now - source.stat().st_mtime
        part = path.with_name(path.name + ".part")
        try:
            part_quiet = now - part.stat().st_mtime
        except FileNotFoundError:
            part_quiet = None
        encoder_dead = part_quiet is not None and part_quiet >= PART_QUIET_S and waited >= PART_QUIET_S
        if waited < COMPRESS_WAIT_S and not encoder_dead:
            raise RecordingNotReady(path, min(1.0, COMPRESS_WAIT_S - waited))
        log.error("ledger.compression_failed", linkedid=linkedid, path=str(source), waited_s=round(waited, 1),
                  encoder_output=None if part_quiet is None else str(part))

    def _settled(self, path: Path) -> None:
        quiet_for = self.wall_clock() - path.stat().st_mtime
        if quiet_for < self.settle_s:
            raise RecordingNotReady(path, self.settle_s - quiet_for)

    def _wait(self, linkedid: str, what: str, limit: float, path: str) -> None:
        """Raise RecordingNotReady until ``limit`` seconds have passed since the first try."""
        now = self.wall_clock()
        first = self._first_tried.setdefault((linkedid, what), now)
        if now - first < limit:
            raise RecordingNotReady(Path(path or linkedid), min(1.0, limit - (now - first)))

    # --- vouching for it ---------------------------------------------------------------------

    def _save(self, call: ce.CallInfo, check: Check, path: str, fact: ce.Ended, listed: bool = False) -> None:
        sha256 = None
        if listed:  # the file is listed and hashed as it is, whatever the verdict: an auditor finds it
            try:
                if self.manifest is not None:  # lists the file and hashes it, once
                    entry = self.manifest(path=path, linkedid=call.linkedid)
                    sha256 = entry.sha256
                else:
                    sha256 = digest(Path(path))[1]
            except OSError as err:
                if err.errno not in _NO_SPACE:
                    raise
                log.error("ledger.manifest_no_space", linkedid=call.linkedid, path=path, error=err.strerror)
                raise RecordingNotReady(Path(path), FULL_DISK_RETRY_S) from None
            if path.endswith(".opus"):  # the WAV it was made from goes before the order says it is done
                remove(Path(path).with_suffix(".wav"), "the WAV of a compressed recording", linkedid=call.linkedid)
        ticket = self.store.finish_recording(call.linkedid, check, path=path, at=fact.at, sha256=sha256)
        for what in ("talk", "file"):
            self._first_tried.pop((call.linkedid, what), None)
        figures = dict(linkedid=call.linkedid, number=ticket.number, path=path, size=check.size,
                       talk_s=check.talk_seconds, recorded_s=check.recorded_seconds)
        if check.flagged:
            log.error("ledger.recording_flagged", verdict=check.verdict.value, reason=check.reason, **figures)
        else:
            log.info("ledger.recording", **figures)
