"""The recordings manifest: an append-only JSON-lines list of every call recording.

Auditors replay recordings months later and must be able to trust that a file is the one made
during the call. Each finished recording is listed once in ``<recordings dir>/manifest.jsonl``::

    {"path": "2020/06/01/1717000000.42.wav", "size": 48044, "sha256": "…", "linkedid": "1717000000.42",
     "at": "2020-06-01T10:00:03+08:00"}

Lines are only ever appended (``O_APPEND`` under an exclusive ``flock``, then ``fsync``), never
rewritten. A recording removed on purpose (the retention period, :mod:`ivr.retention`) gets a
second, appended line, ``{"event": "removed", "path": …, "at": …, "reason": …, "by": …}``, written
before the file is deleted. The audit of the manifest against the disk is :mod:`.verify`.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
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
class Removal:
    """The manifest's record that a listed recording was removed on purpose."""

    path: str
    at: str
    reason: str
    by: str
    size: int
    sha256: str

    def to_json(self) -> str:
        return json.dumps({"event": "removed", **asdict(self)}, ensure_ascii=False, sort_keys=True)


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
        _write_line(recordings_dir, entry.to_json())
    return entry


def append_removal(recordings_dir: Path, path: str, at: datetime, reason: str, by: str) -> Removal:
    """Record in the manifest that the listed recording ``path`` is being removed on purpose
    (before the file is deleted: a deletion that then fails shows in :func:`verify`)."""
    recordings_dir = Path(recordings_dir)
    rel = relative_path(recordings_dir, path)
    with open(recordings_dir / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        entries, removals, _ = read_all(recordings_dir)
        listed = next((e for e in entries if e.path == rel), None)
        if listed is None:
            raise ManifestError(f"{rel} is not listed in the manifest: only a listed recording is removed")
        done = next((r for r in removals if r.path == rel), None)
        if done is not None:
            return done
        removal = Removal(rel, at.isoformat(), reason[:200], by[:64], listed.size, listed.sha256)
        _write_line(recordings_dir, removal.to_json())
    return removal


def removals(recordings_dir: Path) -> list[Removal]:
    """Every removal the manifest records."""
    return read_all(recordings_dir)[1]


def _write_line(recordings_dir: Path, line: str) -> None:
    fd = os.open(recordings_dir / MANIFEST, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


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
    entries, _removals, problems = read_all(recordings_dir)
    return entries, problems


def read_all(recordings_dir: Path) -> tuple[list[Entry], list[Removal], list[str]]:
    path = Path(recordings_dir) / MANIFEST
    entries: list[Entry] = []
    removed: list[Removal] = []
    problems: list[str] = []
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], [], []
    except OSError as err:
        return [], [], [f"{path}: cannot read: {err.strerror}"]
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line.decode("utf-8"))
            if data.get("event") == "removed":
                item: Entry | Removal = Removal(
                    path=str(data["path"]), at=str(data.get("at", "")), reason=str(data.get("reason", "")),
                    by=str(data.get("by", "")), size=int(data.get("size", 0)), sha256=str(data.get("sha256", "")))
            else:
                item = Entry(path=str(data["path"]), size=int(data["size"]), sha256=str(data["sha256"]),
                             linkedid=str(data.get("linkedid", "")), at=str(data.get("at", "")))
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            problems.append(f"{path}:{number}: not a manifest entry (needs JSON with path, size, sha256)")
            continue
        pure = PurePosixPath(item.path)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            problems.append(f"{path}:{number}: path {item.path!r} is not inside the recordings directory")
            continue
        (removed if isinstance(item, Removal) else entries).append(item)
    return entries, removed, problems
