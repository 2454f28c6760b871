"""``ivr restore SRC``: a backup put onto a machine whose data folder is empty.

Nothing is written before the whole backup checks (every file against its SHA-256 in
``backup.json``, the secrets too). The data folder, the recordings folder and the database must
be empty: a restore never mixes two histories. ``force`` lets it write into folders that are not
empty (files of the backup replace those of the same name; a SQLite database file is moved aside
first); a PostgreSQL schema with tables is refused even then (drop them yourself, knowingly).

Then: the database; the orders' recordings pointed at this machine's recordings folder when it
is another one; the recordings and their manifest; the access log; the spool's facts (the next
engine applies them); the prompts; the secrets (0700/0600). The rules and trunk files go where
this machine reads them when nothing is there yet or the same file is; a different file already
there is left alone and the backup's copy is put beside it under ``<data_dir>/restored/`` to
compare, with a warning.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ivr import data_folder
from ivr.backup import contents as c
from ivr.backup.contents import inside
from ivr.errors import BackupError
from ivr.files import copy_hashed, is_empty_folder
from ivr.logs import get_logger
from ivr.settings import Settings
from ivr.store import snapshot

log = get_logger("ivr.backup")


@dataclass
class Restored:
    """What a restore did, for the command to print."""

    orders: int = 0
    recordings: int = 0
    relocated: int = 0
    recorded_after_copy: list[dict] = field(default_factory=list)
    spooled: int = 0
    notes: list[str] = field(default_factory=list)


def check_backup(src: Path, secrets_from: Path | None = None,
                 without_secrets: bool = False) -> tuple[c.BackupManifest, Path | None, list[str]]:
    """(manifest, secrets folder, problems) of the backup in ``src``."""
    manifest = c.read(src)
    secrets_dir = None if without_secrets else Path(secrets_from) if secrets_from else Path(src) / c.SECRETS
    if secrets_dir is not None and manifest.secrets and not secrets_dir.is_dir():
        raise BackupError(f"the backup's secrets are not in {secrets_dir}: name their folder with "
                          "--secrets-from, or restore --without-secrets")
    problems = c.check(src, manifest, secrets_dir)
    if not manifest.finished_at:
        problems.append(f"{src}: the backup did not finish")
    return manifest, secrets_dir, problems


def restore(settings: Settings, src: Path, trunks: Path, secrets_from: Path | None = None,
            without_secrets: bool = False, force: bool = False) -> Restored:
    """Restore the backup in ``src`` onto the folders and database ``settings`` name."""
    src = Path(src)
    manifest, secrets_dir, problems = check_backup(src, secrets_from, without_secrets)
    if problems:
        raise BackupError(f"the backup in {src} does not check, nothing was restored:\n  " + "\n  ".join(problems[:20]))
    _known_revision(manifest)
    data_dir, recordings_dir = Path(settings.data_dir), Path(settings.recordings_dir)
    busy = [str(f) for f in (data_dir, recordings_dir) if not is_empty_folder(f)]
    if busy and not force:
        raise BackupError(f"{' and '.join(busy)} not empty: a restore goes onto an empty data folder "
                          "(--force writes into it anyway, replacing files of the same name)")
    done = Restored(recorded_after_copy=list(manifest.recordings.get("recorded_after_copy", [])))
    _database(settings, src, manifest, force, done)
    old_root = manifest.source.get("recordings_dir", "")
    if old_root:
        done.relocated = snapshot.relocate_recordings(settings.database_url, old_root,
                                                      str(recordings_dir.resolve()))
    try:
        done.recordings = _unpack(src, c.RECORDINGS, recordings_dir, manifest) - 1  # less the manifest
        _unpack(src, c.AUDIT, data_dir / "audit", manifest)
        done.spooled = int(manifest.spool.get("pending", 0))
        _unpack(src, c.SPOOL, _spool_folder(settings), manifest)
        _unpack(src, c.PROMPTS, _sounds(settings), manifest)
        if secrets_dir is not None:
            for relative in sorted(manifest.secrets):
                copy_hashed(inside(secrets_dir, relative), inside(data_folder.secrets(data_dir), relative), private=True)
        _config(src, f"{c.RULES}/routing_rules.yaml", Path(settings.rules_path), data_dir, done)
        for relative in sorted(r for r in manifest.files if r.startswith(f"{c.TRUNKS}/")):
            _config(src, relative, inside(Path(trunks), relative.removeprefix(f"{c.TRUNKS}/")), data_dir, done)
    except OSError as err:
        raise BackupError(f"the restore from {src} failed part way: {err}") from None
    settings.secure()
    if without_secrets:
        done.notes.append("secrets were not restored: `ivr asterisk up` makes new ones (phones must be given "
                          "their new passwords)")
    log.info("restore.done", src=str(src), orders=done.orders, recordings=done.recordings)
    return done


def _known_revision(manifest: c.BackupManifest) -> None:
    """A backup of a newer engine's database is refused before anything is written: this code
    would refuse to run on it (an older one is migrated by the first part that opens it)."""
    from ivr.store.engine import head_revision, known_revisions

    revision = manifest.database.get("revision")
    if revision is not None and revision not in known_revisions():
        raise BackupError(f"the backup's database is at schema revision {revision}, which this code does not "
                          f"know (its newest is {head_revision()}): restore it with the engine that took it, "
                          "or a newer one")


def _database(settings: Settings, src: Path, manifest: c.BackupManifest, force: bool, done: Restored) -> None:
    info = manifest.database
    copy = snapshot.Dump(kind=info["kind"], file=inside(src, f"{c.DATABASE}/{info['file']}"),
                         revision=info.get("revision"), schema=info.get("schema", ""),
                         extensions=list(info.get("extensions", [])), orders=int(info.get("orders", 0)))
    url = settings.database_url
    if force and snapshot.backend(url) == "sqlite" and not snapshot.is_empty(url):
        path = snapshot.sqlite_path(url)
        aside = path.with_name(f"{path.name}.before-restore-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}")
        path.rename(aside)
        for suffix in ("-wal", "-shm"):
            extra = path.with_name(path.name + suffix)
            if extra.exists():
                extra.rename(aside.with_name(aside.name + suffix))
        done.notes.append(f"the database that was there was moved to {aside}")
    snapshot.load(url, copy)
    done.orders = copy.orders


def _unpack(src: Path, part: str, target: Path, manifest: c.BackupManifest) -> int:
    """Copy the files the backup lists under ``part/`` into ``target``; returns how many."""
    count = 0
    for relative in sorted(r for r in manifest.files if r.startswith(f"{part}/")):
        copy_hashed(inside(src, relative), inside(target, relative.removeprefix(f"{part}/")))
        count += 1
    return count


def _config(src: Path, relative: str, target: Path, data_dir: Path, done: Restored) -> None:
    source = inside(src, relative)
    if not source.is_file():
        return
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        done.notes.append(f"{target}: restored")
    elif target.read_bytes() != source.read_bytes():
        beside = inside(data_dir / "restored", relative)
        beside.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, beside)
        done.notes.append(f"{target} differs from the backup's: left as it is; the backup's is {beside} "
                          "(compare, then `ivr rules apply` or copy it)")


def _spool_folder(settings: Settings) -> Path:

    return data_folder.intake_spool(settings.data_dir)


def _sounds(settings: Settings) -> Path:
    from ivr.asterisk.layout import Layout

    return Layout.from_settings(settings).sounds
