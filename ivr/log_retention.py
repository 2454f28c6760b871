"""Asterisk's rotated logs and queue logs removed after IVR_LOGS_KEEP_DAYS: they hold callers'
numbers (the queue log's ENTERQUEUE lines, a notice naming a caller), and logrotate alone keeps
them by count, not by age.

Only rotated files go (``queue_log.2.gz``, ``messages.log.3``, ...), judged by their modification
time (when logrotate closed them); never the live file, and never ``queue_log.1``, which the
engine's queue-log reader finishes after a rotation.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from ivr.logs import get_logger

ROTATED = re.compile(r"^(queue_log|messages\.log|security\.log|console\.log|full\.log)\.(\d+)(\.gz)?$")
log = get_logger("ivr.retention")


def remove_rotated_logs(folder: Path, keep_days: int, now: datetime) -> list[str]:
    """Remove the rotated logs in ``folder`` older than ``keep_days`` at ``now``; their names."""
    cutoff = (now - timedelta(days=keep_days)).timestamp()
    removed: list[str] = []
    try:
        candidates = sorted(Path(folder).iterdir())
    except OSError:
        return removed
    for path in candidates:
        match = ROTATED.match(path.name)
        if not match or (match.group(1) == "queue_log" and match.group(2) == "1" and not match.group(3)):
            continue
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path.name)
        except OSError as err:
            log.error("retention.log_not_removed", file=path.name, error=err.strerror)
    if removed:
        log.info("retention.logs", removed=len(removed), keep_days=keep_days, files=removed[:20])
    return removed
