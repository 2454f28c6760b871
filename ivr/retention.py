"""Removing recordings past the retention period (IVR_RECORDINGS_KEEP_DAYS), never those under a
legal hold, each removal written to the manifest first (:func:`ivr.recordings.append_removal`).

The decision is pure (:func:`ivr.core.retention.due`); this module reads the manifest and the
holds, writes the removal lines and deletes the files. The holds come from the database: when it
does not answer, nothing is removed this time (a hold that cannot be read is not ignored). A
removal line whose file is still there (a deletion that failed) is deleted again at the next run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from ivr import recordings
from ivr.core import retention
from ivr.logs import get_logger

ACTOR = "scheduler"
log = get_logger("ivr.retention")


@dataclass
class Result:
    removed: list[str] = field(default_factory=list)
    held: int = 0
    failed: list[str] = field(default_factory=list)


def listed(recordings_dir: Path) -> list[retention.Listed]:
    """The manifest's recordings with the time each was listed (unreadable times are kept: skipped)."""
    out = []
    for entry in recordings.read_manifest(recordings_dir)[0]:
        try:
            at = datetime.fromisoformat(entry.at)
        except ValueError:
            continue
        if at.tzinfo is not None:
            out.append(retention.Listed(entry.path, at))
    return out


def run_retention(recordings_dir: Path, keep_days: int | None, held: set[str], now: datetime,
                  dry_run: bool = False) -> Result:
    """Remove what the period lets go at ``now``; ``held`` are the paths under a legal hold."""
    recordings_dir = Path(recordings_dir)
    result = Result()
    if not keep_days:
        return result
    items = listed(recordings_dir)
    gone = {r.path for r in recordings.removals(recordings_dir)}
    result.held = sum(1 for item in items if item.path in held and item.path not in gone)
    due = retention.due(items, gone, held, now, keep_days)
    if dry_run:
        result.removed = due
        return result
    reason = f"retention: kept {keep_days} days"
    for path in due:
        try:
            recordings.append_removal(recordings_dir, path, now, reason, ACTOR)
        except (recordings.ManifestError, OSError) as err:
            result.failed.append(f"{path}: {err}")
            continue
        result.removed.append(path)
    for path in sorted(gone | set(result.removed)):
        _delete(recordings_dir, path, result)
    log.info("retention.done", removed=len(result.removed), held=result.held, failed=len(result.failed),
             keep_days=keep_days)
    return result


def _delete(recordings_dir: Path, path: str, result: Result) -> None:
    """Delete the file itself (a symbolic link is removed, never what it points to), and only in
    a folder that really is inside the recordings directory."""
    pure = PurePosixPath(path)
    folder = (recordings_dir / pure).parent.resolve()
    if pure.is_absolute() or ".." in pure.parts or not folder.is_relative_to(recordings_dir.resolve()):
        result.failed.append(f"{path}: not inside the recordings directory")
        return
    try:
        (folder / pure.name).unlink()
    except FileNotFoundError:
        return
    except OSError as err:
        result.failed.append(f"{path}: {err.strerror}")
        log.error("retention.delete_failed", path=path, error=err.strerror)
