"""What a backup folder holds, and its own manifest (``backup.json``) with every file's hash.

    DEST/
      backup.json            this manifest: when, from where, what the database copy holds, every
                             file below with its size and SHA-256, what was found while copying
      database/              database.sqlite3 (SQLite's online backup) or database.pgdump (pg_dump)
      recordings/            manifest.jsonl and the recordings it lists, at their own paths
      audit/access-log.jsonl the auditors' access log (hash-chained)
      spool/                 call facts not yet applied to the database when it was copied
      rules/                 routing_rules.yaml in force; trunks/ the trunk files
      prompts/               the engine's prompts as Asterisk plays them (and their manifest)
      secrets/               0700, files 0600: passwords, keys, the TLS certificate (or elsewhere:
                             ``ivr backup --secrets-to``); listed with their hashes apart

Restoring checks every listed file against its hash before anything is written, so a backup
damaged on its way (a bad disk, a cut copy) is refused with the file named.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from ivr.errors import BackupError
from ivr.files import walk, write_bytes
from ivr.recordings import digest

FORMAT = "ivr-backup/1"
MANIFEST = "backup.json"
DATABASE, RECORDINGS, AUDIT, SPOOL = "database", "recordings", "audit", "spool"
RULES, TRUNKS, PROMPTS, SECRETS = "rules", "trunks", "prompts", "secrets"
ACCESS_LOG = f"{AUDIT}/access-log.jsonl"


@dataclass
class BackupManifest:
    """``backup.json``: everything a restore and an auditor need to trust the copy."""

    started_at: str
    host: str
    source: dict                      # data_dir, recordings_dir, database (password masked), rules, trunks
    finished_at: str = ""
    format: str = FORMAT
    database: dict = field(default_factory=dict)     # kind, file, revision, schema, extensions, orders
    recordings: dict = field(default_factory=dict)   # listed, copied, removed, recorded_after_copy
    access_log: dict = field(default_factory=dict)   # entries, last_seq
    spool: dict = field(default_factory=dict)        # pending, aside
    files: dict[str, dict] = field(default_factory=dict)    # path -> {size, sha256}
    secrets: dict[str, dict] = field(default_factory=dict)  # path below the secrets folder -> {size, sha256}
    problems: list[str] = field(default_factory=list)

    def add(self, path: str, size: int, sha256: str, secret: bool = False) -> None:
        (self.secrets if secret else self.files)[path] = {"size": size, "sha256": sha256}

    @property
    def ok(self) -> bool:
        return not self.problems


def write(folder: Path, manifest: BackupManifest) -> None:
    text = json.dumps(asdict(manifest), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    write_bytes(Path(folder) / MANIFEST, text.encode("utf-8"))


def read(folder: Path) -> BackupManifest:
    """The manifest of the backup in ``folder``; BackupError when it is not one."""
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder} is not a backup: it has no {MANIFEST}") from None
    except (OSError, ValueError) as err:
        raise BackupError(f"{path} cannot be read: {err}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"{path} is not a backup this engine reads (format {FORMAT} expected)")
    try:
        manifest = BackupManifest(**data)
        for listing in (manifest.files, manifest.secrets):
            for entry in listing.values():
                int(entry["size"]), str(entry["sha256"])
    except (TypeError, KeyError, ValueError, AttributeError) as err:
        raise BackupError(f"{path} is damaged: {err}") from None
    return manifest


def check(folder: Path, manifest: BackupManifest, secrets_folder: Path | None) -> list[str]:
    """Every listed file present with its size and hash (the secrets too, when their folder is
    given); every problem, each naming its file."""
    problems: list[str] = []
    listings = [(Path(folder), manifest.files)]
    if secrets_folder is not None:
        listings.append((Path(secrets_folder), manifest.secrets))
    for base, listing in listings:
        for relative, entry in sorted(listing.items()):
            try:
                size, sha = digest(inside(base, relative))
            except BackupError as err:
                problems.append(str(err))
                continue
            except OSError as err:
                problems.append(f"{base / relative}: {err.strerror or err}")
                continue
            if (size, sha) != (entry["size"], entry["sha256"]):
                problems.append(f"{base / relative}: {size} bytes sha256 {sha[:12]}…, the backup listed "
                                f"{entry['size']} bytes sha256 {entry['sha256'][:12]}…")
    for _path, relative in walk(folder, skip=frozenset({MANIFEST})):
        if relative not in manifest.files and not relative.startswith(f"{SECRETS}/"):
            problems.append(f"{Path(folder) / relative}: not listed in the backup's manifest")
    return problems


def inside(base: Path, relative: str) -> Path:
    """``base / relative`` for a path read from a backup's manifest; BackupError for one that
    would leave ``base`` (absolute, ``..``): a backup is data, and data can be hostile."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or relative != pure.as_posix():
        raise BackupError(f"the backup lists {relative!r}, which is not a path inside it")
    return Path(base).joinpath(*pure.parts)


def private_folder(path: Path) -> Path:
    """Make ``path`` a folder only its owner may enter (0700)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path
