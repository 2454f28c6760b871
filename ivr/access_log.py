"""The recordings' access log: every search, play and download by whom, when, from which address,
of what, with which result. Append-only JSON lines, hash-chained (:mod:`ivr.core.hash_chain`).

    <data_dir>/audit/access-log.jsonl
    {"action":"play","address":"10.0.0.7","at":"2020-06-01T10:31:02+08:00","hash":"…","prev":"…",
     "result":"ok","role":"auditor","seq":42,"user":"chen","what":"12345-20200601-000003 2020/06/01/….wav"}

A line is appended under an exclusive ``flock`` (``O_APPEND``, then ``fsync``), so the console and
``ivr web`` running side by side keep one chain. Each append also moves the log's *head* (last
number and hash) in the database (:class:`ivr.store.audit.AuditStore`): a chain alone cannot show
that its last entries were cut off, the head kept elsewhere can. ``ivr recordings access-log
verify`` checks both and names the first line that breaks.
"""
from __future__ import annotations

import csv
import fcntl
import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ivr.core import hash_chain
from ivr.core.text import printable
from ivr.errors import AuditError, IvrError
from ivr.logs import get_logger
from ivr import data_folder

NAME = "access_log"
FIELDS = ("seq", "at", "user", "role", "address", "action", "what", "result", "prev", "hash")
_CHUNK = 64 * 1024

log = get_logger("ivr.access_log")


def log_path(data_dir: Path) -> Path:
    return data_folder.access_log(data_dir)


@dataclass
class Verified:
    """The chain's check and the comparison with the head kept in the database."""

    chain: hash_chain.Check
    head: tuple[int, str] | None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class AccessLog:
    """The access log file; ``heads`` (an AuditStore) keeps its head in the database."""

    def __init__(self, path: Path, heads=None) -> None:
        self.path, self.heads = Path(path), heads
        self.lock_path = self.path.with_name("." + self.path.name + ".lock")

    def append(self, *, at: datetime, user: str, role: str, address: str, action: str, what: str,
               result: str) -> dict:
        """Append one entry; AuditError when it cannot be written (the access is then refused)."""
        fields = {"at": at.isoformat(timespec="seconds"), "user": printable(user, 64),
                  "role": printable(role, 16), "address": printable(address, 64),
                  "action": printable(action, 16), "what": printable(what, 500),
                  "result": printable(result, 200)}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.lock_path, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                last = self._last()
                entry = hash_chain.seal(fields, last[0] + 1, last[1])
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
                try:
                    os.write(fd, (hash_chain.dumps(entry) + "\n").encode("utf-8"))
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as err:
            raise AuditError(f"cannot write the access log {self.path}: {err.strerror or err}") from None
        self._move_head(entry, at)
        return entry

    def entries(self, limit: int = 200, match: Callable[[dict], bool] | None = None) -> list[dict]:
        """The newest ``limit`` entries (that ``match``), newest first."""
        found: list[dict] = []
        for line in self._lines_backwards():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and (match is None or match(entry)):
                found.append(entry)
                if len(found) >= limit:
                    break
        return found

    def csv_text(self, match: Callable[[dict], bool] | None = None) -> str:
        """The log (oldest first) as CSV, with the chain's fields. A cell that a spreadsheet would
        take for a formula (starting with = + - @) gets a leading apostrophe."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(FIELDS)
        for entry in reversed(self.entries(limit=10**9, match=match)):
            writer.writerow([_cell(entry.get(name, "")) for name in FIELDS])
        return out.getvalue()

    def verify(self) -> Verified:
        """Follow the chain from the first line, then compare its end with the database's head."""
        try:
            with open(self.path, encoding="utf-8", errors="replace") as handle:
                chain = hash_chain.check(line.rstrip("\n") for line in handle)
        except FileNotFoundError:
            chain = hash_chain.Check()
        except OSError as err:
            raise AuditError(f"cannot read the access log {self.path}: {err.strerror or err}") from None
        head = self.heads.head(NAME) if self.heads is not None else None
        problems = list(chain.problems)
        if head is not None:
            seq, digest = head
            if seq > chain.last_seq:
                problems.append(f"the database's head is entry {seq}, the file ends at entry {chain.last_seq}: "
                                f"entries {chain.last_seq + 1}..{seq} were removed from the end")
            elif seq == chain.last_seq and digest != chain.last_hash:
                problems.append(f"entry {seq}, the last one, is not the one the database recorded")
        return Verified(chain, head, problems)

    # --- internals -----------------------------------------------------------------------------

    def _last(self) -> tuple[int, str]:
        for line in self._lines_backwards():
            try:
                entry = json.loads(line)
                return int(entry["seq"]), str(entry["hash"])
            except (ValueError, KeyError, TypeError):
                raise AuditError(f"the last line of {self.path} is not an entry: the log was damaged; "
                                 "run `ivr recordings access-log verify`") from None
        return 0, hash_chain.GENESIS

    def _lines_backwards(self) -> Iterator[str]:
        try:
            handle = open(self.path, "rb")
        except FileNotFoundError:
            return
        with handle:
            handle.seek(0, os.SEEK_END)
            position, rest = handle.tell(), b""
            while position > 0:
                step = min(_CHUNK, position)
                position -= step
                handle.seek(position)
                lines = (handle.read(step) + rest).split(b"\n")
                rest = lines.pop(0)
                for line in reversed(lines):
                    if line.strip():
                        yield line.decode("utf-8", "replace")
            if rest.strip():
                yield rest.decode("utf-8", "replace")

    def _move_head(self, entry: dict, at: datetime) -> None:
        if self.heads is None:
            return
        try:
            self.heads.set_head(NAME, entry["seq"], entry["hash"], at)
        except IvrError as err:  # the entry is on disk; verify names the head that lags behind
            log.warning("access_log.head_not_saved", seq=entry["seq"], error=str(err))


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
