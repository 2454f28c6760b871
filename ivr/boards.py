"""The boards: what routing needs from the centre's database, handed over as files.

Routing (FastAGI) runs in a process of its own, beside each Asterisk, with no SQL: the incident
notices in force and each number's callback requests reach it as two small JSON files under the
data folder (:mod:`ivr.data_folder`), which the centre's board writer rewrites atomically
(:func:`ivr.files.replace_file`) when they change, and at least every :data:`HEARTBEAT_S` seconds
so a reader can tell a board the centre still vouches for from one left behind. Routing looks at
each file's identity (inode, size, mtime) and parses it only when it changed.

One file, one JSON object: ``{"written_at": <unix time>, "notices": [...]}`` or
``{"written_at": ..., "day_start": <ISO>, "numbers": {"139...": [open_request, dialled_today]}}``.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Generic, TypeVar

from ivr.core.callbacks import NumberHistory
from ivr.core.notices import Notice
from ivr.files import replace_file

HEARTBEAT_S = 10.0
T = TypeVar("T")


def encode_notices(notices: Iterable[Notice], written_at: float) -> str:
    return json.dumps({"written_at": written_at, "notices": [
        {"id": n.id, "prompt": n.prompt, "starts_at": n.starts_at.isoformat(), "ends_at": n.ends_at.isoformat(),
         "lines": list(n.lines), "queues": list(n.queues)} for n in notices]}, ensure_ascii=False)


def decode_notices(text: str) -> tuple[float, tuple[Notice, ...]]:
    """(written_at, notices); ValueError/KeyError/TypeError for a damaged file."""
    data = json.loads(text)
    return float(data["written_at"]), tuple(
        Notice(int(n["id"]), str(n["prompt"]), datetime.fromisoformat(n["starts_at"]),
               datetime.fromisoformat(n["ends_at"]), tuple(n["lines"]), tuple(n["queues"]))
        for n in data["notices"])


@dataclass(frozen=True)
class Histories:
    """Each number's callback requests as of ``day_start`` (the centre's day), written at ``written_at``."""

    written_at: float
    day_start: str
    numbers: Mapping[str, NumberHistory]


def encode_histories(histories: Mapping[str, NumberHistory], day_start: datetime, written_at: float) -> str:
    return json.dumps({"written_at": written_at, "day_start": day_start.isoformat(),
                       "numbers": {k: [h.open_request, h.dialled_today] for k, h in histories.items()}})


def decode_histories(text: str) -> Histories:
    data = json.loads(text)
    numbers = {str(k): NumberHistory(None if v[0] is None else int(v[0]), int(v[1]))
               for k, v in data["numbers"].items()}
    return Histories(float(data["written_at"]), str(data["day_start"]), numbers)


def write(path: Path, text: str) -> None:
    """Put a board in place whole (0640: callers' numbers are citizens' data). OSError as it comes."""
    replace_file(path, text)


class BoardFile(Generic[T]):
    """A board file read again only when it changed: :meth:`poll` returns the fresh value, or
    None when the file is as last read (or absent). Decoding errors pass to the caller."""

    def __init__(self, path: Path, decode: Callable[[str], T]) -> None:
        self.path, self.decode = Path(path), decode
        self._identity: tuple[int, int, int] | None = None

    def poll(self) -> T | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._identity = None
            return None
        identity = (st.st_ino, st.st_size, st.st_mtime_ns)
        if identity == self._identity:
            return None
        value = self.decode(self.path.read_text(encoding="utf-8"))
        self._identity = identity
        return value
