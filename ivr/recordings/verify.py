"""The auditor's check of the recordings: the manifest against the disk and the work orders.

:func:`verify` reports files that are listed but *missing*, files whose size or hash changed
(*altered*), files in the folder nobody listed (*unlisted*), files a failed step left behind
(*leftovers*, :mod:`.leftovers`: removed by ``ivr recordings clean``), manifest lines that cannot be
read or list a path twice (*problems*), and work orders whose recording was found incomplete when
the call ended (*flagged*: short, empty, unreadable or missing, :mod:`ivr.core.recording_check`).
A recording removed on purpose (the retention period) is counted as *removed*, never as missing;
a removed file still on disk (a deletion that failed) is a problem.

:func:`check_recording` checks one recording now, for the replay page.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ivr.recordings import leftovers
from ivr.recordings.manifest import Entry, ManifestError, Removal, digest, read_all, relative_path


@dataclass(frozen=True)
class TicketRecording:
    """What a work order says about its recording, for the cross-check."""

    number: str
    path: str
    sha256: str | None
    size: int | None


@dataclass(frozen=True)
class FlaggedRecording:
    """A work order whose recording was found incomplete (the store's recording check)."""

    number: str
    path: str
    reason: str


@dataclass
class Report:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)   # on purpose, recorded in the manifest
    leftovers: list[str] = field(default_factory=list)  # "path: why"
    flagged: list[str] = field(default_factory=list)    # "number: reason (path)"

    @property
    def ok(self) -> bool:
        return not (self.missing or self.altered or self.unlisted or self.problems or self.leftovers
                    or self.flagged)

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def verify(recordings_dir: Path, tickets: Iterable[TicketRecording] = (),
           flagged: Iterable[FlaggedRecording] = ()) -> Report:
    """Compare the manifest with the files on disk (and with what work orders say)."""
    recordings_dir = Path(recordings_dir)
    report = Report()
    if not recordings_dir.is_dir():
        report.problems.append(f"recordings directory {recordings_dir} does not exist")
        return report
    entries, removed, report.problems = read_all(recordings_dir)
    gone = {r.path: r for r in removed}
    listed: dict[str, Entry] = {}
    for entry in entries:
        if entry.path in listed:
            report.problems.append(f"{entry.path}: listed more than once")
            continue
        listed[entry.path] = entry
        report.checked += 1
        _check_entry(recordings_dir, entry, gone.get(entry.path), report)
    present = leftovers.files(recordings_dir)
    kept = set(listed) - set(gone)
    for on_disk in present:
        if on_disk in listed:
            continue
        why = leftovers.kind(on_disk, kept, set(present))
        if why:
            report.leftovers.append(f"{on_disk}: {why}")
        else:
            report.unlisted.append(on_disk)
    flagged_numbers = set()
    for item in flagged:
        report.flagged.append(f"{item.number}: {item.reason}" + (f" ({item.path})" if item.path else ""))
        flagged_numbers.add(item.number)
    for ticket in tickets:
        entry = listed.get(ticket.path)
        if entry is None:
            if ticket.number not in flagged_numbers:  # a missing recording: its flag says so already
                report.problems.append(f"work order {ticket.number}: its recording {ticket.path} is not in the manifest")
        elif (ticket.sha256 and ticket.sha256 != entry.sha256) or \
                (ticket.size is not None and ticket.size != entry.size):
            report.problems.append(f"work order {ticket.number}: recording {ticket.path} differs from the manifest")
    for path in sorted(set(gone) - set(listed)):
        report.problems.append(f"{path}: a removal is recorded for a recording the manifest never listed")
    report.missing.sort()
    report.unlisted.sort()
    report.removed.sort()
    return report


def _check_entry(recordings_dir: Path, entry: Entry, removal: Removal | None, report: Report) -> None:
    target = recordings_dir / entry.path
    if removal is not None:
        report.removed.append(entry.path)
        if target.exists() or target.is_symlink():
            report.problems.append(f"{entry.path}: removed on {removal.at} ({removal.reason}) but still on disk")
        return
    if target.is_symlink():
        report.altered.append(f"{entry.path}: is now a symbolic link")
        return
    try:
        size, sha = digest(target)
    except FileNotFoundError:
        report.missing.append(entry.path)
        return
    except OSError as err:
        report.altered.append(f"{entry.path}: cannot read: {err.strerror}")
        return
    if size != entry.size:
        report.altered.append(f"{entry.path}: size {size} bytes, listed {entry.size}")
    elif sha != entry.sha256:
        report.altered.append(f"{entry.path}: content changed (sha256 {sha[:12]}…, listed {entry.sha256[:12]}…)")


@dataclass(frozen=True)
class Checked:
    """One recording checked against the manifest now (the replay page, each play)."""

    status: str                  # ok | altered | missing | removed | unlisted | outside
    path: str                    # relative to the recordings directory ("" when outside)
    entry: Entry | None = None
    removal: Removal | None = None
    size: int | None = None      # as found now
    sha256: str = ""             # as found now

    @property
    def playable(self) -> bool:
        return self.status in ("ok", "altered", "unlisted")


def check_recording(recordings_dir: Path, path: Path | str, hashed: bool = True) -> Checked:
    """Hash the recording at ``path`` now and compare it with its manifest line. A seek
    (``hashed=False``) is held against the manifest the same way (a removed recording is never
    served) but not hashed again: the play it belongs to was."""
    recordings_dir = Path(recordings_dir)
    try:
        rel = relative_path(recordings_dir, path)
    except ManifestError:
        return Checked("outside", "")
    entries, removed, _ = read_all(recordings_dir)
    entry = next((e for e in reversed(entries) if e.path == rel), None)
    removal = next((r for r in removed if r.path == rel), None)
    if removal is not None:
        return Checked("removed", rel, entry, removal)
    target = recordings_dir.resolve() / rel
    if not hashed:
        if not target.is_file():
            return Checked("missing", rel, entry)
        return Checked("ok" if entry is not None else "unlisted", rel, entry)
    try:
        size, sha = digest(target)
    except OSError:
        return Checked("missing", rel, entry)
    if entry is None:
        return Checked("unlisted", rel, None, size=size, sha256=sha)
    return Checked("ok" if (size, sha) == (entry.size, entry.sha256) else "altered", rel, entry, size=size, sha256=sha)
