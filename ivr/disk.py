"""How much room a folder's disk has left (the recordings' disk, for ``ivr health`` and /metrics).

The folder may not exist yet (a fresh machine): the nearest folder above it that exists is asked,
which is the disk it will be created on.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Space:
    free_bytes: int      # what an unprivileged writer may still use (statvfs f_bavail)
    total_bytes: int


def space(folder: Path) -> Space:
    """The free and total bytes of the disk holding ``folder``; OSError when it cannot be read."""
    path = Path(folder).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    stat = os.statvfs(path)
    return Space(free_bytes=stat.f_bavail * stat.f_frsize, total_bytes=stat.f_blocks * stat.f_frsize)
