"""Who may read what the engine keeps: the citizens' data is not world-readable.

Work orders (the database), call recordings and their manifest, the spool of call facts and
Asterisk's logs and queue log all hold citizens' numbers and words. Every ``ivr`` process runs
with the umask :data:`PRIVATE_UMASK` (files 0640, folders 0750), which Asterisk, started by
``ivr asterisk up``, inherits; and the top folders (the data folder and the recordings folder) are
made 0750 when the engine or Asterisk starts, so even a file left readable by an older version
cannot be reached by other users through them.

Readers: the engine's own user, and the members of its group. Set ``IVR_STAFF_GROUP`` to a
group of the staff who may read recordings and the database directly (auditors on the box): the
top folders are then given to that group, with the setgid bit so what is created inside keeps it.
"""
from __future__ import annotations

import grp
import os
import stat
from pathlib import Path

from ivr.errors import SettingsError
from ivr.logs import get_logger

PRIVATE_UMASK = 0o027
FOLDER_MODE = 0o750

log = get_logger("ivr.permissions")


def private_umask() -> int:
    """Set the process umask so nothing it creates is readable by other users; returns the old one."""
    return os.umask(PRIVATE_UMASK)


def staff_gid(group: str | None) -> int | None:
    """The gid of ``group`` (IVR_STAFF_GROUP), None when unset; SettingsError when unknown."""
    if not group:
        return None
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise SettingsError("IVR_STAFF_GROUP", group, "the name of an existing group") from None


def secure_folder(path: Path, group: str | None = None) -> None:
    """Create ``path`` if needed and make it 0750 (2750 with a staff group, owned by that group)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    gid = staff_gid(group)
    mode = FOLDER_MODE
    if gid is not None:
        if path.stat().st_gid != gid:
            os.chown(path, -1, gid)
        mode |= stat.S_ISGID
    if stat.S_IMODE(path.stat().st_mode) != mode:
        os.chmod(path, mode)
        log.info("permissions.tightened", path=str(path), mode=oct(mode))


def secure_file(path: Path) -> None:
    """Make an existing file 0640 (a database file left 0644 by an older version)."""
    try:
        current = stat.S_IMODE(Path(path).stat().st_mode)
    except FileNotFoundError:
        return
    if current & 0o027:
        os.chmod(path, current & ~0o027)
