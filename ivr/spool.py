"""The spool: every call fact, on disk, in order, before it is applied to the database.

The AMI listener hands each fact to the intake (:mod:`ivr.ami.intake`), whose writer thread
appends it here at once; its applier thread reads the spool from a cursor and writes the facts to
the ticket store. So a fact is safe on disk within milliseconds of its event whatever the
database does, memory holds only what is being applied, and a database outage of hours is a
spool that grows and a cursor that waits.

On disk, in one folder (``<data_dir>/ami/spool/``)::

    00000001.jsonl   segments: one JSON fact per line, only ever appended (O_APPEND, fsync)
    00000002.jsonl   a new segment starts past SEGMENT_BYTES; a segment wholly behind the
    cursor.json      cursor is deleted: {"segment": 2, "offset": 1234}, written atomically
    aside.jsonl      facts set aside: {"at", "reason", "line"}, never deleted by the engine
    .lock            flock: the engine and ``ivr tickets intake --requeue`` may both append

Nothing is ever rewritten: applying moves the cursor, not the data. Every method does file I/O
and is meant for the intake's threads (or the CLI), never for the event loop.
"""
from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import get_args

from ivr.core import call_events as ce
from ivr.files import replace_file

SEGMENT_BYTES = 4 << 20
# every kind of fact, so a new one can never be spooled and then not read back
_KINDS = {cls.__name__: cls for cls in get_args(ce.Fact)}


def encode(fact: ce.Fact) -> str:
    """One spool line (no newline) for ``fact``."""
    data = asdict(fact)
    data["at"] = fact.at.isoformat()
    return json.dumps({"kind": type(fact).__name__, "fact": data}, ensure_ascii=False)


def decode(line: str) -> ce.Fact:
    """The fact of one spool line; ValueError (or KeyError/TypeError) for a damaged line."""
    record = json.loads(line)
    cls = _KINDS[record["kind"]]
    data = dict(record["fact"])
    data["call"] = ce.CallInfo(**data["call"])
    data["at"] = datetime.fromisoformat(data["at"])
    return cls(**data)


@dataclass(frozen=True, order=True)
class Position:
    """A place in the spool: a segment number and a byte offset in it."""

    segment: int
    offset: int


@dataclass(frozen=True)
class Record:
    """One spooled line, with where it starts and where the next one starts."""

    start: Position
    end: Position
    line: str


@dataclass(frozen=True)
class SetAside:
    """A fact the intake could not apply and will not retry by itself, with the reason."""

    at: str
    reason: str
    line: str

    def fact(self) -> ce.Fact | None:
        try:
            return decode(self.line)
        except (ValueError, KeyError, TypeError):
            return None


class Spool:
    """Append-only segments of facts, a committed cursor, and the facts set aside."""

    def __init__(self, folder: Path, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.folder = Path(folder)
        self.segment_bytes = segment_bytes

    # --- paths ------------------------------------------------------------------------------

    def _segment_path(self, number: int) -> Path:
        return self.folder / f"{number:08d}.jsonl"

    @property
    def cursor_path(self) -> Path:
        return self.folder / "cursor.json"

    @property
    def aside_path(self) -> Path:
        return self.folder / "aside.jsonl"

    def segments(self) -> list[int]:
        """The segment numbers on disk, oldest first."""
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return []
        return sorted(int(n[:-6]) for n in names if n.endswith(".jsonl") and n[:-6].isdigit())

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o750)
        with open(self.folder / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    # --- writing ------------------------------------------------------------------------------

    def append(self, facts: Iterable[ce.Fact]) -> int:
        """Append ``facts`` in order and fsync once; returns how many. OSError when the disk fails
        (nothing is half-counted: the caller keeps the facts and tries again)."""
        lines = [encode(f) + "\n" for f in facts]
        if lines:
            self.append_lines(lines)
        return len(lines)

    def append_lines(self, lines: list[str]) -> None:
        with self._locked():
            self._append_unlocked(lines)

    def _append_unlocked(self, lines: list[str]) -> None:
        data = "".join(lines).encode("utf-8")
        numbers = self.segments()
        # never behind the cursor: a line there would never be read
        number = max(numbers[-1] if numbers else 1, self.cursor().segment)
        path = self._segment_path(number)
        if path.exists() and path.stat().st_size >= self.segment_bytes:
            number += 1
            path = self._segment_path(number)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)

    def set_aside(self, line: str, reason: str, at: datetime | None = None) -> None:
        """Keep ``line`` in the aside file with ``reason``: out of the way, never lost."""
        moment = (at or datetime.now(timezone.utc)).isoformat()
        record = json.dumps({"at": moment, "reason": reason[:500], "line": line}, ensure_ascii=False)
        with self._locked():
            fd = os.open(self.aside_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, (record + "\n").encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)

    # --- reading ------------------------------------------------------------------------------

    def cursor(self) -> Position:
        """Where the first fact not yet applied starts (the start of the oldest segment if none
        was ever committed)."""
        try:
            data = json.loads(self.cursor_path.read_text(encoding="utf-8"))
            return Position(int(data["segment"]), int(data["offset"]))
        except (OSError, ValueError, KeyError, TypeError):
            numbers = self.segments()
            return Position(numbers[0] if numbers else 1, 0)

    def read(self, start: Position, limit: int = 256) -> list[Record]:
        """Up to ``limit`` complete lines from ``start`` on, crossing into later segments.
        A half-written last line (a crash mid-append) is left for a later read."""
        records: list[Record] = []
        position = start
        for number in [n for n in self.segments() if n >= start.segment]:
            offset = position.offset if number == position.segment else 0
            try:
                with open(self._segment_path(number), "rb") as fh:
                    fh.seek(offset)
                    for raw in fh:
                        if not raw.endswith(b"\n"):
                            return records
                        begin = Position(number, offset)
                        offset += len(raw)
                        records.append(Record(begin, Position(number, offset),
                                              raw.decode("utf-8", errors="replace").rstrip("\n")))
                        if len(records) >= limit:
                            return records
            except FileNotFoundError:
                continue
            position = Position(number + 1, 0)
        return records

    def commit(self, position: Position) -> None:
        """Everything before ``position`` is applied: remember it, drop segments wholly behind it."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o750)
        replace_file(self.cursor_path, json.dumps(asdict(position)))
        with self._locked():
            numbers = self.segments()
            for number in numbers:
                if number < position.segment and number != numbers[-1]:
                    self._segment_path(number).unlink(missing_ok=True)

    # --- what staff see -----------------------------------------------------------------------

    def pending(self) -> list[Record]:
        """Every spooled line not yet applied (reads the files: for status, not the hot path)."""
        out: list[Record] = []
        position = self.cursor()
        while batch := self.read(position, 4096):
            out.extend(batch)
            position = batch[-1].end
        return out

    def size_bytes(self) -> int:
        total = 0
        for number in self.segments():
            try:
                total += self._segment_path(number).stat().st_size
            except FileNotFoundError:
                pass
        return total

    def aside(self) -> list[SetAside]:
        """The facts set aside, oldest first (a damaged line of the aside file is shown as such)."""
        try:
            text = self.aside_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        out: list[SetAside] = []
        for raw in text.splitlines():
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
                out.append(SetAside(str(data["at"]), str(data["reason"]), str(data["line"])))
            except (ValueError, KeyError, TypeError):
                out.append(SetAside("", "the aside file's line is damaged", raw))
        return out

    def requeue_aside(self) -> int:
        """Append every fact set aside to the spool again (after the cause was fixed) and empty the
        aside file; returns how many. Damaged lines stay aside."""
        with self._locked():
            entries = self.aside()
            again = [e for e in entries if e.fact() is not None]
            keep = [e for e in entries if e.fact() is None]
            if again:
                self._append_unlocked([e.line + "\n" for e in again])
            replace_file(self.aside_path, "".join(json.dumps(asdict(e), ensure_ascii=False) + "\n"
                                                  for e in keep), durable=True)
        return len(again)
