"""Which version of the rules each running part holds: one small status file per part and process.

Every part that follows routing_rules.yaml writes ``<data_dir>/parts/<part>-<pid>.json`` when it
loads a version (and removes it when it stops):

* ``routing``: the FastAGI engine (``ivr serve``, ``ivr agi serve``): the rules it routes by;
* ``work_orders``: the work-order part of ``ivr serve``: the holiday calendar its deadlines use;
* ``console``: ``ivr web``: the departments and calendar the staff console shows.

``{"part", "pid", "rules_path", "sha256", "loaded_at", "last_error", "updated_at"}``: the file
watched, the SHA-256 of the version held, and the last reload it refused. ``ivr rules apply``
reads them to know which parts must follow, and waits until each one reports the new version.
A file whose process is gone is not a running part.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ivr.logs import get_logger
from ivr.files import replace_file
from ivr import data_folder

PARTS = ("routing", "work_orders", "console")
log = get_logger("ivr.lifecycle.parts")


@dataclass(frozen=True)
class PartStatus:
    part: str
    pid: int
    rules_path: str
    sha256: str
    loaded_at: float
    last_error: str | None = None
    updated_at: float = 0.0


def folder(data_dir: Path) -> Path:
    return data_folder.parts(data_dir)


def _path(data_dir: Path, part: str, pid: int) -> Path:
    return folder(data_dir) / f"{part}-{pid}.json"


def write(data_dir: Path, part: str, rules_path: Path, sha256: str, loaded_at: float,
          last_error: str | None = None) -> None:
    """This process's status as ``part`` (atomic: readers never see half a file)."""
    status = PartStatus(part, os.getpid(), str(Path(rules_path).resolve()), sha256, loaded_at,
                        last_error, time.time())
    path = _path(data_dir, part, status.pid)
    try:
        replace_file(path, json.dumps(asdict(status)))
    except OSError as err:
        log.warning("parts.status_not_written", part=part, error=str(err))


def remove(data_dir: Path, part: str) -> None:
    _path(data_dir, part, os.getpid()).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def running(data_dir: Path) -> list[PartStatus]:
    """The parts whose process is alive, by part then pid."""
    out: list[PartStatus] = []
    try:
        names = sorted(os.listdir(folder(data_dir)))
    except FileNotFoundError:
        return out
    for name in names:
        if not name.endswith(".json") or name.startswith("."):
            continue
        try:
            status = PartStatus(**json.loads((folder(data_dir) / name).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            continue
        if status.part in PARTS and _alive(status.pid):
            out.append(status)
    return sorted(out, key=lambda s: (PARTS.index(s.part), s.pid))
