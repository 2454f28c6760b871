"""The free space of the recordings' file system, against the threshold IVR_RECORDINGS_MIN_FREE_MB.

A full disk does not stop calls: MixMonitor's writes fail and the recordings come out short or
empty (flagged on their orders, :mod:`ivr.core.recording_check`). So the engine looks at the free
space every minute and warns before it runs out; ``ivr tickets intake``, the supervisors' page of
the console and ``/metrics`` show the same figures. :func:`recordings_space` is the one check:
whatever else needs these figures calls it.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

MB = 1 << 20


@dataclass(frozen=True)
class Space:
    path: str             # the recordings folder
    free_bytes: int       # available to the engine's user (statvfs f_bavail)
    total_bytes: int
    min_free_bytes: int   # the threshold: below it the space is low
    error: str = ""       # why the figures could not be read (then free and total are 0)

    @property
    def low(self) -> bool:
        """True when the free space is under the threshold, or cannot be read."""
        return bool(self.error) or self.free_bytes < self.min_free_bytes

    def as_dict(self) -> dict:
        return {**asdict(self), "low": self.low}

    def describe(self) -> str:
        """One line for the command line and the log."""
        if self.error:
            return f"recordings disk {self.path}: cannot read its free space: {self.error}"
        state = "LOW" if self.low else "ok"
        return (f"recordings disk {self.path}: {self.free_bytes / MB:,.0f} MB free of "
                f"{self.total_bytes / MB:,.0f} MB (warning under {self.min_free_bytes / MB:,.0f} MB): {state}")


def recordings_space(settings, nearest: bool = False) -> Space:
    """The free space of the file system holding ``settings.recordings_dir`` (IVR_RECORDINGS_DIR),
    against ``settings.recordings_min_free_mb`` (IVR_RECORDINGS_MIN_FREE_MB). A folder that cannot
    be read is an error (no reassurance), unless ``nearest``: then a folder not made yet (a fresh
    machine) is answered by the disk it will be made on."""
    path, threshold = str(settings.recordings_dir), int(settings.recordings_min_free_mb * MB)
    asked = Path(path).absolute()
    while nearest and not asked.exists() and asked != asked.parent:
        asked = asked.parent
    try:
        found = os.statvfs(asked)
    except OSError as err:
        return Space(path, 0, 0, threshold, error=err.strerror or str(err))
    return Space(path, found.f_bavail * found.f_frsize, found.f_blocks * found.f_frsize, threshold)
