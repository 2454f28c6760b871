"""Files written whole or not at all, copied and hashed in one read, read up to their last line.

Every write goes beside its target under a temporary name, is fsynced and renamed into place, so
a backup, a restore or an install cut short leaves no half file under a real name. Private files
(secrets) are made 0600 in a 0700 folder before a byte is written.
"""
from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

_CHUNK = 1 << 20


def copy_hashed(source: Path, target: Path, private: bool = False, limit: int | None = None) -> tuple[int, str]:
    """Copy ``source`` to ``target`` (at most ``limit`` bytes); returns (size, sha256) of what was
    copied. ``private``: the copy is 0600. OSError as it comes (the caller names the file)."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o750)
    partial = target.with_name(f".{target.name}.partial")
    sha, size = hashlib.sha256(), 0
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o640)
    try:
        with open(source, "rb") as src, os.fdopen(fd, "wb") as out:
            while limit is None or size < limit:
                chunk = src.read(_CHUNK if limit is None else min(_CHUNK, limit - size))
                if not chunk:
                    break
                out.write(chunk)
                sha.update(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return size, sha.hexdigest()


def write_bytes(target: Path, data: bytes, private: bool = False, mode: int | None = None) -> tuple[int, str]:
    """Write ``data`` to ``target`` the same way (``mode``: the file's, when not 0600/0640);
    returns (size, sha256)."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o750)
    partial = target.with_name(f".{target.name}.partial")
    mode = mode if mode is not None else 0o600 if private else 0o640
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(partial, mode)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return len(data), hashlib.sha256(data).hexdigest()


def replace_file(target: Path, data: bytes | str, mode: int = 0o640, durable: bool = False,
                 folder_mode: int = 0o750) -> None:
    """Put ``data`` at ``target`` whole or not at all: a reader sees the old file or the new one,
    never half of one. The temporary name is unique per process and thread (two writers of one
    file never share a temporary), the bits are ``mode`` before a byte is written, and the folder
    is made (``folder_mode``) when missing. ``durable``: fsync the file and its folder, for what
    must survive a power cut (a cursor, the rules); a status rewritten every second need not.
    OSError as it comes: the caller names the file and decides."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True, mode=folder_mode)
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.chmod(partial, mode)  # O_CREAT's bits pass through the umask; these are the file's
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    if durable:
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def whole_lines(path: Path) -> bytes:
    """The file's bytes up to its last newline (an append in progress is left out); b"" if absent."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return b""
    return data[: data.rfind(b"\n") + 1]


def walk(folder: Path, skip: frozenset[str] = frozenset()) -> Iterator[tuple[Path, str]]:
    """(file, path relative to ``folder`` in POSIX form) for every regular file below ``folder``,
    in a stable order; names in ``skip`` and dot-files (locks, temporaries) are left out; symbolic
    links are not followed."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if name in skip or name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            yield path, path.relative_to(folder).as_posix()


def is_empty_folder(folder: Path) -> bool:
    """True when ``folder`` does not exist or holds nothing."""
    try:
        return not any(Path(folder).iterdir())
    except FileNotFoundError:
        return True
    except NotADirectoryError:
        return False
