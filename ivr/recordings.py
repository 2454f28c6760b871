"""The recordings manifest: an append-only JSON-lines list of every call recording, and its audit.

Auditors replay recordings months later and must be able to trust that a file is the one made
during the call. Each finished recording is listed once in ``<recordings dir>/manifest.jsonl``::

    {"path": "2020/06/01/1717000000.42.wav", "size": 48044, "sha256": "…", "linkedid": "1717000000.42",
     "at": "2020-06-01T10:00:03+08:00"}

Lines are only ever appended (``O_APPEND`` under an exclusive ``flock``, then ``fsync``), never
rewritten. :func:`verify` reports files that are listed but *missing*, files whose size or hash
changed (*altered*), files in the directory that were never listed (*unlisted*), and manifest
lines that cannot be read or list a path twice (*problems*). Work orders that name a recording
can be cross-checked against the manifest too.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from ivr.errors import IvrError

MANIFEST = "manifest.jsonl"
LOCK = ".manifest.lock"
IGNORED = frozenset({MANIFEST, LOCK, ".gitkeep", "README.md"})  # files that are not recordings
_CHUNK = 1 << 20


class ManifestError(IvrError):
    """A recording cannot be listed: outside the recordings directory, unreadable, or relisted."""


@dataclass(frozen=True)
class Entry:
    path: str       # relative to the recordings directory, POSIX separators
    size: int
    sha256: str
    linkedid: str
    at: str         # ISO time the recording was listed

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class TicketRecording:
    """What a work order says about its recording, for the cross-check."""

    number: str
    path: str
    sha256: str | None
    size: int | None


@dataclass
class Report:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.altered or self.unlisted or self.problems)

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def digest(path: Path) -> tuple[int, str]:
    """(size, sha256 hex) of the file at ``path``, read in chunks."""
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()


def relative_path(recordings_dir: Path, path: Path | str) -> str:
    """``path`` relative to the recordings directory; ManifestError if it lies outside it."""
    base = Path(recordings_dir).resolve()
    target = Path(path)
    target = (target if target.is_absolute() else base / target).resolve()
    try:
        rel = target.relative_to(base)
    except ValueError:
        raise ManifestError(f"{path} is outside the recordings directory {base}") from None
    if not rel.parts or rel.name in IGNORED:
        raise ManifestError(f"{path} is not a recording")
    return rel.as_posix()


def append(recordings_dir: Path, path: Path | str, linkedid: str, at: datetime) -> Entry:
    """List the finished recording at ``path`` (made for call ``linkedid``) in the manifest.

    Listing the same unchanged file again returns the existing entry; listing a path again with
    different content is refused, since the manifest must never be rewritten. The file is hashed
    here, whatever the caller may already have computed: the manifest vouches for what is on disk.
    """
    recordings_dir = Path(recordings_dir)
    rel = relative_path(recordings_dir, path)
    try:
        size, sha = digest(recordings_dir / rel)
    except OSError as err:
        raise ManifestError(f"cannot read recording {rel}: {err.strerror}") from None
    entry = Entry(path=rel, size=size, sha256=sha, linkedid=str(linkedid)[:64], at=at.isoformat())
    recordings_dir.mkdir(parents=True, exist_ok=True)
    with open(recordings_dir / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        entries, _ = read_manifest(recordings_dir)
        for listed in entries:
            if listed.path == rel:
                if (listed.size, listed.sha256) == (size, sha):
                    return listed
                raise ManifestError(f"{rel} is already listed with different content "
                                    f"(listed {listed.size} bytes sha256 {listed.sha256[:12]}…)")
        fd = os.open(recordings_dir / MANIFEST, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (entry.to_json() + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    return entry


class Manifest:
    """The manifest of one recordings directory as a callable, for the AMI ledger.

    ``Manifest(dir, clock)(path=..., linkedid=..., size=..., sha256=...)`` lists the file; the
    size and hash the caller passes are checked against the listed entry, not trusted.
    """

    def __init__(self, recordings_dir: Path, clock: Callable[[], datetime]) -> None:
        self.recordings_dir, self.clock = Path(recordings_dir), clock

    def __call__(self, *, path: Path | str, linkedid: str, size: int | None = None,
                 sha256: str | None = None) -> Entry:
        entry = append(self.recordings_dir, path, linkedid, self.clock())
        if (size is not None and size != entry.size) or (sha256 is not None and sha256 != entry.sha256):
            raise ManifestError(f"{entry.path} changed between hashing and listing "
                                f"({size} bytes expected, {entry.size} listed)")
        return entry


def read_manifest(recordings_dir: Path) -> tuple[list[Entry], list[str]]:
    """The manifest's entries, and a problem (with its line number) for every unusable line."""
    path = Path(recordings_dir) / MANIFEST
    entries: list[Entry] = []
    problems: list[str] = []
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], []
    except OSError as err:
        return [], [f"{path}: cannot read: {err.strerror}"]
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line.decode("utf-8"))
            entry = Entry(path=str(data["path"]), size=int(data["size"]), sha256=str(data["sha256"]),
                          linkedid=str(data.get("linkedid", "")), at=str(data.get("at", "")))
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError):
            problems.append(f"{path}:{number}: not a manifest entry (needs JSON with path, size, sha256)")
            continue
        pure = PurePosixPath(entry.path)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            problems.append(f"{path}:{number}: path {entry.path!r} is not inside the recordings directory")
            continue
        entries.append(entry)
    return entries, problems


def verify(recordings_dir: Path, tickets: Iterable[TicketRecording] = ()) -> Report:
    """Compare the manifest with the files on disk (and with what work orders say)."""
    recordings_dir = Path(recordings_dir)
    report = Report()
    if not recordings_dir.is_dir():
        report.problems.append(f"recordings directory {recordings_dir} does not exist")
        return report
    entries, report.problems = read_manifest(recordings_dir)
    listed: dict[str, Entry] = {}
    for entry in entries:
        if entry.path in listed:
            report.problems.append(f"{entry.path}: listed more than once")
            continue
        listed[entry.path] = entry
        report.checked += 1
        target = recordings_dir / entry.path
        if target.is_symlink():
            report.altered.append(f"{entry.path}: is now a symbolic link")
            continue
        try:
            size, sha = digest(target)
        except FileNotFoundError:
            report.missing.append(entry.path)
            continue
        except OSError as err:
            report.altered.append(f"{entry.path}: cannot read: {err.strerror}")
            continue
        if size != entry.size:
            report.altered.append(f"{entry.path}: size {size} bytes, listed {entry.size}")
        elif sha != entry.sha256:
            report.altered.append(f"{entry.path}: content changed (sha256 {sha[:12]}…, listed {entry.sha256[:12]}…)")
    for on_disk in _files(recordings_dir):
        if on_disk not in listed:
            report.unlisted.append(on_disk)
    for ticket in tickets:
        entry = listed.get(ticket.path)
        if entry is None:
            report.problems.append(f"work order {ticket.number}: its recording {ticket.path} is not in the manifest")
        elif (ticket.sha256 and ticket.sha256 != entry.sha256) or \
                (ticket.size is not None and ticket.size != entry.size):
            report.problems.append(f"work order {ticket.number}: recording {ticket.path} differs from the manifest")
    report.missing.sort()
    report.unlisted.sort()
    return report


def _files(recordings_dir: Path) -> list[str]:
    if not recordings_dir.is_dir():
        return []
    found = []
    for root, _dirs, files in os.walk(recordings_dir):
        for name in files:
            if name in IGNORED:
                continue
            found.append((Path(root) / name).relative_to(recordings_dir).as_posix())
    return sorted(found)
