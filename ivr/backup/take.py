"""``ivr backup DEST``: a copy of everything the centre keeps, taken while calls are answered.

The order of the steps is what makes the copy consistent:

1. the spool's cursor is read: the call facts not yet applied from there on;
2. the **database** is copied at one moment, T (:func:`ivr.store.snapshot.dump`), with the list
   of its orders' recordings read at that same moment;
3. the spool's facts from that cursor on are copied: what the database had not taken by T is
   in the copy (a fact it had taken is applied again on restore, which changes nothing);
4. the **recordings' manifest** is read after T, and every recording it lists is copied and
   hashed on the way: an order holding a recording's hash at T had its manifest line written
   before T, so it is in the copy. An order still being recorded at T is waited for (up to
   ``wait_recordings`` seconds) while the manifest is read again; one still not listed then is
   named in ``backup.json`` as *recorded after the copy*. A recording removed by the retention
   period meanwhile is left out with its removal line;
5. the **access log** is copied after T (its head in the database copy is then at or before
   the copy's end, which is what its check expects); then the rules in force, the trunks, the
   prompts, and the **secrets** (0700/0600, apart).

``backup.json`` is written last, listing every file with its SHA-256: a folder without it is a
backup that did not finish.
"""
from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from ivr.backup import contents as c
from ivr.errors import BackupError
from ivr.files import copy_hashed, is_empty_folder, walk, whole_lines, write_bytes
from ivr.logs import get_logger
from ivr.recordings import MANIFEST, ManifestError, digest, read_manifest, relative_path, removals
from ivr.settings import Settings, mask_url
from ivr.store import snapshot

log = get_logger("ivr.backup")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def take_backup(settings: Settings, dest: Path, trunks: Path, secrets_to: Path | None = None,
                wait_recordings: float = 60.0, sleep: Callable[[float], None] = time.sleep) -> c.BackupManifest:
    """Back up into ``dest`` (new or empty); returns the manifest written there."""
    from ivr.spool import Spool
    from ivr.asterisk.layout import Layout
    from ivr import data_folder

    dest = Path(dest)
    secrets_dir = Path(secrets_to) if secrets_to else dest / c.SECRETS
    for folder in {dest, secrets_dir}:
        if not is_empty_folder(folder):
            raise BackupError(f"{folder} is not empty: a backup goes into a new or empty folder")
    try:
        dest.mkdir(parents=True, exist_ok=True, mode=0o750)
    except OSError as err:
        raise BackupError(f"cannot create {dest}: {err.strerror or err}") from None
    manifest = c.BackupManifest(started_at=_now(), host=socket.gethostname(), source={
        "data_dir": str(Path(settings.data_dir).resolve()),
        "recordings_dir": str(Path(settings.recordings_dir).resolve()),
        "database": mask_url(settings.database_url), "rules": str(Path(settings.rules_path).resolve()),
        "trunks": str(Path(trunks).resolve()), "secrets": str(secrets_dir.resolve())})
    try:
        spool = Spool(data_folder.intake_spool(settings.data_dir))
        cursor = spool.cursor()
        copy = snapshot.dump(settings.database_url, dest / c.DATABASE)
        manifest.database = copy.to_dict()
        _listed(dest, manifest, f"{c.DATABASE}/{copy.file.name}")
        _spool(spool, cursor, dest, manifest)
        _recordings(Path(settings.recordings_dir), copy.recordings, dest, manifest, wait_recordings, sleep)
        _access_log(Path(settings.data_dir), dest, manifest)
        _copy_file(Path(settings.rules_path), dest, f"{c.RULES}/routing_rules.yaml", manifest)
        _tree(Path(trunks), dest, c.TRUNKS, manifest)
        _tree(Layout.from_settings(settings).sounds, dest, c.PROMPTS, manifest)
        _secrets(data_folder.secrets(settings.data_dir), c.private_folder(secrets_dir), manifest)
    except OSError as err:
        raise BackupError(f"the backup into {dest} failed: {err}") from None
    manifest.finished_at = _now()
    c.write(dest, manifest)
    log.info("backup.done", dest=str(dest), orders=copy.orders, files=len(manifest.files),
             problems=len(manifest.problems))
    return manifest


def _listed(dest: Path, manifest: c.BackupManifest, relative: str) -> None:
    size, sha = digest(dest / relative)
    manifest.add(relative, size, sha)


def _copy_file(source: Path, dest: Path, relative: str, manifest: c.BackupManifest) -> None:
    if source.is_file():
        manifest.add(relative, *copy_hashed(source, dest / relative))


def _tree(source: Path, dest: Path, into: str, manifest: c.BackupManifest) -> None:
    for path, relative in walk(source):
        _copy_file(path, dest, f"{into}/{relative}", manifest)


def _secrets(source: Path, target: Path, manifest: c.BackupManifest) -> None:
    for path, relative in walk(source):
        manifest.add(relative, *copy_hashed(path, target / relative, private=True), secret=True)


def _spool(spool, cursor, dest: Path, manifest: c.BackupManifest) -> None:
    """The facts from ``cursor`` on (read before the database copy), as a fresh spool."""
    pending, position = [], cursor
    while batch := spool.read(position, 4096):
        pending.extend(record.line + "\n" for record in batch)
        position = batch[-1].end
    segments = spool.segments()
    if segments and cursor.segment < segments[0]:
        manifest.problems.append(f"the spool moved past segment {cursor.segment} while the database was "
                                 "copied: facts applied in between may be missing; take the backup again")
    if pending:
        manifest.add(f"{c.SPOOL}/00000001.jsonl", *write_bytes(dest / c.SPOOL / "00000001.jsonl",
                                                               "".join(pending).encode("utf-8")))
    _copy_file(spool.aside_path, dest, f"{c.SPOOL}/aside.jsonl", manifest)
    manifest.spool = {"pending": len(pending), "aside": len(spool.aside())}


def _recordings(recordings_dir: Path, orders: list[snapshot.OrderRecording], dest: Path,
                manifest: c.BackupManifest, wait_s: float, sleep: Callable[[float], None]) -> None:
    target = dest / c.RECORDINGS
    copied: dict[str, tuple[int, str]] = {}
    where = {order.number: _relative(recordings_dir, order.path) for order in orders}
    deadline = time.monotonic() + wait_s
    while True:
        listing = whole_lines(recordings_dir / MANIFEST)
        write_bytes(target / MANIFEST, listing)
        entries, unreadable = read_manifest(target)
        gone = {r.path for r in removals(target)}
        for entry in entries:
            if entry.path not in gone and entry.path not in copied:
                try:
                    copied[entry.path] = copy_hashed(recordings_dir / entry.path, target / entry.path)
                except FileNotFoundError:
                    continue  # removed by the retention period meanwhile (read again), or missing
        listed = {e.path for e in entries}
        waiting = [o for o in orders if o.sha256 is None and where[o.number] not in listed]
        if not waiting or time.monotonic() >= deadline:
            break
        sleep(1.0)
    for path in sorted(gone & set(copied)):  # listed, then removed while we copied
        (target / path).unlink(missing_ok=True)
        del copied[path]
    by_path = {e.path: e for e in entries}
    problems = list(unreadable)
    for path, entry in sorted(by_path.items()):
        if path in gone:
            continue
        if path not in copied:
            problems.append(f"recording {path}: listed in the manifest, missing from {recordings_dir}")
            continue
        if copied[path] != (entry.size, entry.sha256):
            problems.append(f"recording {path}: differs from its manifest line in {recordings_dir} "
                            "(copied as it is: `ivr recordings verify` there says the same)")
        manifest.add(f"{c.RECORDINGS}/{path}", *copied[path])
    _listed(dest, manifest, f"{c.RECORDINGS}/{MANIFEST}")
    for order in orders:
        if order.sha256 is not None and where[order.number] not in by_path:
            problems.append(f"work order {order.number}: its recording {order.path} is not in the manifest")
    manifest.problems += problems
    manifest.recordings = {
        "listed": len(by_path), "copied": len(copied), "removed": len(gone),
        "recorded_after_copy": [{"number": o.number, "path": o.path} for o in waiting],
        "problems": len(problems)}


def _relative(recordings_dir: Path, path: str) -> str:
    try:
        return relative_path(recordings_dir, path)
    except ManifestError:
        return path


def _access_log(data_dir: Path, dest: Path, manifest: c.BackupManifest) -> None:
    from ivr.access_log import log_path

    data = whole_lines(log_path(data_dir))
    lines = data.splitlines()
    last_seq = 0
    if lines:
        try:
            last_seq = int(json.loads(lines[-1])["seq"])
        except (ValueError, KeyError, TypeError):
            manifest.problems.append(f"{log_path(data_dir)}: its last line is not an entry")
        manifest.add(c.ACCESS_LOG, *write_bytes(dest / c.ACCESS_LOG, data))
    manifest.access_log = {"entries": len(lines), "last_seq": last_seq}

