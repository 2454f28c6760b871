"""The recordings' access log: every search, play and download by whom, when, from which address,
of what, with which result. Append-only JSON lines, hash-chained (:mod:`ivr.core.hash_chain`).

    <data_dir>/audit/access-log.jsonl
    {"action":"play","address":"10.0.0.7","at":"2020-06-01T10:31:02+08:00","hash":"…","prev":"…",
     "result":"ok","role":"auditor","seq":42,"user":"chen","what":"12345-20200601-000003 2020/06/01/….wav"}

A line is appended under an exclusive ``flock`` (``O_APPEND``, then ``fsync``), so the console and
``ivr web`` running side by side keep one chain. Each append also moves the log's *head* (last
number and hash) in the database (:class:`ivr.store.audit.AuditStore`): a chain alone cannot show
that its last entries were cut off, the head kept elsewhere can. ``ivr recordings access-log
verify`` checks both and names the first line that breaks: a file whose end lies beyond the
database's head (entries appended without the console) is a problem as much as one cut short.

The chain is keyed (HMAC-SHA256, :mod:`ivr.core.hash_chain`) with a secret in
``<data_dir>/secrets/access-log.key``, created (mode 0600) at the first entry: someone who can
rewrite the file and the head together still cannot produce entries that check.
"""
from __future__ import annotations

import csv
import fcntl
import hashlib
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

NAME = "access_log"
FIELDS = ("seq", "at", "user", "role", "address", "action", "what", "result", "prev", "hash")
_CHUNK = 64 * 1024

log = get_logger("ivr.access_log")


def log_path(data_dir: Path) -> Path:
    return Path(data_dir) / "audit" / "access-log.jsonl"


def key_path(path: Path) -> Path:
    """The chain's key beside the data folder's other secrets (``<data_dir>/secrets``)."""
    return Path(path).parent.parent / "secrets" / "access-log.key"


def load_key(path: Path, create: bool) -> bytes | None:
    """The chain's key for the log at ``path``; made (0600, folder 0700) when ``create``."""
    where = key_path(path)
    try:
        return bytes.fromhex(where.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        if not create:
            return None
    except ValueError:
        raise AuditError(f"the access log's key {where} is damaged") from None
    where.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = os.urandom(32)
    try:
        fd = os.open(where, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made meanwhile by another process: use theirs
        return load_key(path, create=False)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key


@dataclass
class Checkpoint:
    """Where a check of the log stopped: the bytes checked (their SHA-256), and the chain there."""

    offset: int
    digest: str
    chain: hash_chain.Check
    lines: int

    def prefix_matches(self, handle) -> bool:
        """Whether the file still begins with exactly the bytes this check covered."""
        handle.seek(0)
        hasher = hashlib.sha256()
        left = self.offset
        while left > 0:
            block = handle.read(min(_CHUNK * 16, left))
            if not block:
                return False
            hasher.update(block)
            left -= len(block)
        return hasher.hexdigest() == self.digest


@dataclass
class Verified:
    """The chain's check and the comparison with the head kept in the database."""

    chain: hash_chain.Check
    head: tuple[int, str] | None
    problems: list[str] = field(default_factory=list)
    checkpoint: Checkpoint | None = None

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
                entry = hash_chain.seal(fields, last[0] + 1, last[1], load_key(self.path, create=True))
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

    def entries(self, limit: int = 200, match: Callable[[dict], bool] | None = None,
                before: int | None = None) -> list[dict]:
        """The newest ``limit`` entries (that ``match``; numbered below ``before``: the next page),
        newest first."""
        found: list[dict] = []
        for line in self._lines_backwards():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if before is not None and isinstance(entry, dict) and _seq(entry) >= before:
                continue
            if isinstance(entry, dict) and (match is None or match(entry)):
                found.append(entry)
                if len(found) >= limit:
                    break
        return found

    def csv_text(self, match: Callable[[dict], bool] | None = None, headers: dict[str, str] | None = None,
                 words: dict[str, dict[str, str]] | None = None) -> str:
        """The log (oldest first) as CSV, with the chain's fields (see :meth:`csv_rows`)."""
        return "".join(self.csv_rows(match, headers, words))

    def csv_rows(self, match: Callable[[dict], bool] | None = None, headers: dict[str, str] | None = None,
                 words: dict[str, dict[str, str]] | None = None) -> Iterator[str]:
        """The log as CSV text, a row at a time, read forwards (never the whole log in memory).
        A cell that a spreadsheet would take for a formula (starting with = + - @) gets a
        leading apostrophe. ``headers`` names the columns and ``words`` gives some fields' values
        in the reader's words (the console's Chinese); the chain's own fields (seq, at, prev,
        hash) stay as written."""
        out = io.StringIO()
        writer = csv.writer(out)
        words = words or {}

        def row(values) -> str:
            out.seek(0)
            out.truncate()
            writer.writerow(values)
            return out.getvalue()

        yield row([(headers or {}).get(name, name) for name in FIELDS])
        try:
            handle = open(self.path, encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return
        with handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and (match is None or match(entry)):
                    yield row([_cell(str(words.get(name, {}).get(entry.get(name, ""), entry.get(name, ""))))
                               for name in FIELDS])

    def verify(self, checkpoint: "Checkpoint | None" = None) -> Verified:
        """Follow the chain from the first line (or, given the ``checkpoint`` of an earlier check
        whose part of the file is byte for byte unchanged, from where that one stopped), then
        compare its end with the database's head. The answer's ``checkpoint`` continues it."""
        key = load_key(self.path, create=False)
        try:
            with open(self.path, "rb") as handle:
                start, before, first_line = 0, None, 1
                if checkpoint is not None and checkpoint.chain.ok and checkpoint.prefix_matches(handle):
                    start, before, first_line = checkpoint.offset, checkpoint.chain, checkpoint.lines + 1
                handle.seek(start)
                data = handle.read()
        except FileNotFoundError:
            start, before, first_line, data = 0, None, 1, b""
        except OSError as err:
            raise AuditError(f"cannot read the access log {self.path}: {err.strerror or err}") from None
        lines = data.decode("utf-8", "replace").split("\n")
        torn = lines.pop()   # "" when the file ends with a newline; else a line cut short
        chain = hash_chain.check(lines + ([torn] if torn else []), key, after=before, first_line=first_line)
        result = self._against_head(chain)
        if not torn:
            end = start + len(data)
            result.checkpoint = Checkpoint(end, _prefix_digest(self.path, end), chain, first_line - 1 + len(lines))
        return result

    def _against_head(self, chain: hash_chain.Check) -> Verified:
        head = self.heads.head(NAME) if self.heads is not None else None
        problems = list(chain.problems)
        if head is not None:
            seq, digest = head
            if seq > chain.last_seq:
                problems.append(f"the database's head is entry {seq}, the file ends at entry {chain.last_seq}: "
                                f"entries {chain.last_seq + 1}..{seq} were removed from the end")
            elif seq == chain.last_seq and digest != chain.last_hash:
                problems.append(f"entry {seq}, the last one, is not the one the database recorded")
            elif seq < chain.last_seq:
                problems.append(f"the database's head is entry {seq}, the file goes on to entry {chain.last_seq}: "
                                f"entries {seq + 1}..{chain.last_seq} were not written by the console")
        elif chain.last_seq and self.heads is not None:
            problems.append(f"the database has no head, the file has {chain.last_seq} entries: "
                            "they were not written by the console")
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


def _seq(entry: dict) -> int:
    value = entry.get("seq")
    return value if isinstance(value, int) else 0


def _prefix_digest(path: Path, end: int) -> str:
    """SHA-256 of the first ``end`` bytes of ``path`` (hashing bytes is far cheaper than checking
    entries: what makes a view of a long log quick is not re-reading its JSON)."""
    hasher = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            left = end
            while left > 0:
                block = handle.read(min(_CHUNK * 16, left))
                if not block:
                    break
                hasher.update(block)
                left -= len(block)
    except FileNotFoundError:
        pass
    return hasher.hexdigest()


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
