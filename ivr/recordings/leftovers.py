"""What a recording leaves behind when a step after the call fails, and the sweep removing it.

The dialplan (``dialplan/answered.conf``) records ``<call>.wav``, compresses it to
``<call>.opus.part``, renames that to ``<call>.opus`` and removes the WAV. A full disk, or an
Asterisk stopped half-way, leaves files that are no recording of their own:

* ``<call>.opus.part``: an encoder's output never renamed into place (the WAV, or the Opus,
  beside it holds the recording);
* ``<call>.wav`` beside a listed ``<call>.opus`` as long as it: the source of a compression whose
  last step did not run;
* ``<call>.opus`` beside a listed ``<call>.wav``: a compression the engine found shorter than its
  WAV, which it kept instead (:func:`ivr.core.recording_check.keeps_compressed`), or one that came
  after the engine had given up waiting for it: the listed WAV is the recording;
* ``<call>.agent.wav`` and ``<call>.citizen.wav`` beside a listed recording: the two directions the
  engine's one-way audio check reads and removes (:mod:`ivr.ami.media_finish`), left by a check
  that did not run.

The sweep (the scheduler, ``ivr recordings clean``, ``ivr recordings verify --clean``) removes
them, each removal logged. Never removed: anything the manifest lists; a file written to within
:data:`STALE_S` seconds (an encoder still at work); a WAV longer than the Opus beside it;
a ``.opus.part`` with neither the WAV nor the Opus beside it. A WAV that is the only copy of a
recording is never a leftover.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ivr.core.recording_check import Measured, keeps_compressed
from ivr.logs import get_logger
from ivr.recordings.manifest import IGNORED, read_all
from ivr.recordings.length import measure
from ivr.recordings.sides import SUFFIXES

PART = ".opus.part"
# MixMonitor's per-direction files (ivr.recordings.sides), read once by the engine's media check and
# removed; one left beside a listed recording (the engine was stopped before its check) is a leftover
DIRECTIONS = tuple(SUFFIXES.values())
# The encoder (opusenc) writes a page of its output every second of audio, many times faster than
# real time: output untouched this long belongs to an encoder that is dead (the ledger then takes
# the WAV as the recording). Removing a stalled encoder's output loses nothing either way: its
# rename fails and the WAV stays; an Opus that comes late beside a listed WAV is a leftover too.
STALE_S = 20.0
log = get_logger("ivr.recordings")


def kind(rel: str, listed: set[str], present: set[str]) -> str:
    """Why the unlisted file ``rel`` is a leftover, by its name and its neighbours ('' if it is not).

    ``listed``: the manifest's paths; ``present``: every file in the folder (relative paths)."""
    if rel.endswith(PART):
        base = rel[:-len(PART)]
        if f"{base}.wav" in present or f"{base}.opus" in present:
            return "an unfinished compression"
        return ""
    for direction in DIRECTIONS:
        if rel.endswith(direction):
            call = rel[:-len(direction)]
            return "a direction file of a checked call" if f"{call}.opus" in listed or f"{call}.wav" in listed else ""
    stem, dot, suffix = rel.rpartition(".")
    if dot and suffix == "wav" and f"{stem}.opus" in listed:
        return "the WAV of a compressed recording"
    if dot and suffix == "opus" and f"{stem}.wav" in listed:
        return "an Opus beside the listed WAV"
    return ""


def files(recordings_dir: Path) -> list[str]:
    """Every file under the recordings folder (relative, POSIX), but the manifest's own."""
    if not recordings_dir.is_dir():
        return []
    found = []
    for root, _dirs, names in os.walk(recordings_dir):
        for name in names:
            if name not in IGNORED:
                found.append((Path(root) / name).relative_to(recordings_dir).as_posix())
    return sorted(found)


@dataclass
class Swept:
    removed: list[str] = field(default_factory=list)   # "path: why"
    kept: list[str] = field(default_factory=list)      # leftovers by name, kept: "path: why"
    failed: list[str] = field(default_factory=list)


def sweep(recordings_dir: Path, wall_now: float, *, dry_run: bool = False,
          length: Callable[[Path], Measured] = measure) -> Swept:
    """Remove the leftovers under ``recordings_dir`` (``wall_now``: the time, as file times are)."""
    recordings_dir = Path(recordings_dir)
    entries, removals, _ = read_all(recordings_dir)
    listed = {e.path for e in entries} - {r.path for r in removals}
    present = set(files(recordings_dir))
    result = Swept()
    for rel in sorted(present - listed):
        why = kind(rel, listed, present)
        if not why:
            continue
        path = recordings_dir / rel
        try:
            quiet_s = wall_now - path.lstat().st_mtime
        except FileNotFoundError:
            continue
        keep = "written to lately" if quiet_s < STALE_S else _longer(recordings_dir, rel, length)
        if keep:
            result.kept.append(f"{rel}: {why}, kept: {keep}")
            continue
        failed = "" if dry_run else remove(path, why, shown=rel)
        if failed:
            result.failed.append(f"{rel}: {failed}")
        else:
            result.removed.append(f"{rel}: {why}")
    return result


def remove(path: Path, why: str, shown: str = "", **fields) -> str:
    """Remove one leftover, logged with ``why`` (and ``shown`` as its path); the reason it could
    not be ('' when removed or already gone)."""
    try:
        size = path.lstat().st_size
        path.unlink()
    except FileNotFoundError:
        return ""
    except OSError as err:
        log.error("recordings.leftover_not_removed", path=shown or str(path), why=why, error=err.strerror, **fields)
        return err.strerror or str(err)
    log.warning("recordings.leftover_removed", path=shown or str(path), why=why, size=size, **fields)
    return ""


def _longer(recordings_dir: Path, rel: str, length: Callable[[Path], Measured]) -> str:
    """Why a leftover by name must stay after all: it holds more audio than the listed file."""
    stem, _, suffix = rel.rpartition(".")
    if suffix != "wav" or rel.endswith(DIRECTIONS):  # a direction is no copy of the recording
        return ""
    wav, opus = recordings_dir / f"{stem}.wav", recordings_dir / f"{stem}.opus"
    try:
        compressed, source = length(opus), length(wav)
    except OSError as err:
        return f"cannot be compared with its pair ({err.strerror})"
    if suffix == "wav" and not keeps_compressed(compressed, source):
        return f"longer than its Opus ({_s(source.seconds)} against {_s(compressed.seconds)})"
    return ""


def _s(seconds: float | None) -> str:
    return "unreadable" if seconds is None else f"{seconds:.1f} s"
