"""The ticket database as it was at one moment, copied to a file; and such a copy put back.

* **SQLite**: the online backup API (``sqlite3.Connection.backup``): a consistent copy while the
  engine goes on writing (WAL: the copy reads one snapshot, the writer is never blocked), checked
  with ``PRAGMA quick_check`` before it is kept.
* **PostgreSQL**: ``pg_dump --format=custom`` of the one schema the URL works in. The dump runs on
  a snapshot exported from a repeatable-read transaction, and the work orders' recordings are
  read in that same transaction, so what :class:`Dump` says about the orders is exactly what the
  dump holds.

:func:`load` puts a copy back into an *empty* database only (it never mixes two histories): a
SQLite file that does not exist yet, or a PostgreSQL schema without tables. The backup
(:mod:`ivr.backup`) and the upgrade's safety copy (:func:`ivr.store.engine.upgrade`) both use
:func:`dump`: one way to copy a database.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ivr.errors import StoreError

SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"


@dataclass(frozen=True)
class OrderRecording:
    """What one work order in the copy says about its recording."""

    number: str
    path: str
    sha256: str | None
    size: int | None


@dataclass
class Dump:
    """A database copy on disk: which kind, which file, and what it holds."""

    kind: str                       # "sqlite" | "postgresql"
    file: Path
    revision: str | None            # the schema's migration (Alembic) in the copy
    schema: str = ""                # PostgreSQL: the schema the tables live in
    extensions: list[str] = field(default_factory=list)  # PostgreSQL extensions present
    orders: int = 0                 # work orders in the copy
    recordings: list[OrderRecording] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "file": self.file.name, "revision": self.revision,
                "schema": self.schema, "extensions": self.extensions, "orders": self.orders}


def backend(url: str) -> str:
    return make_url(url).get_backend_name()


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///`` URL (StoreError for an in-memory one)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise StoreError(f"{url}: an in-memory database cannot be copied")
    return Path(database).expanduser()


def dump(url: str, folder: Path) -> Dump:
    """Copy the database at ``url`` into ``folder`` (created; the file is private to its owner)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if backend(url) == "sqlite":
            return _dump_sqlite(sqlite_path(url), folder / SQLITE_FILE)
        from ivr.store.snapshot_pg import dump_pg

        return dump_pg(url, folder / PG_FILE)
    except OSError as err:
        raise StoreError(f"cannot write the database's copy into {folder}: {err.strerror or err}") from None


def _dump_sqlite(source: Path, target: Path) -> Dump:
    if not source.exists():
        raise StoreError(f"there is no database at {source} to copy")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(str(source), timeout=30)
        try:
            dst = sqlite3.connect(str(partial))
            try:
                src.backup(dst)
                problems = [row[0] for row in dst.execute("PRAGMA quick_check")]
                if problems != ["ok"]:
                    raise StoreError(f"the copy of {source} does not check: {'; '.join(problems[:3])}")
                revision, orders, recordings = _contents_sqlite(dst)
            finally:
                dst.close()
        finally:
            src.close()
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except sqlite3.Error as err:
        raise StoreError(f"cannot copy the database {source}: {err}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Dump("sqlite", target, revision, orders=orders, recordings=recordings)


def _contents_sqlite(db: sqlite3.Connection) -> tuple[str | None, int, list[OrderRecording]]:
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    revision = None
    if "alembic_version" in tables:
        row = db.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    if "tickets" not in tables:
        return revision, 0, []
    orders = db.execute("SELECT count(*) FROM tickets").fetchone()[0]
    rows = db.execute(RECORDINGS_QUERY).fetchall()
    return revision, orders, [OrderRecording(*row) for row in rows]


RECORDINGS_QUERY = ("SELECT number, recording_path, recording_sha256, recording_size FROM tickets "
               "WHERE recording_path IS NOT NULL ORDER BY number")


def is_empty(url: str) -> bool:
    """True when the database at ``url`` has no table yet (a SQLite file that does not exist
    counts as empty)."""
    from ivr.store.engine import create

    if backend(url) == "sqlite" and not sqlite_path(url).exists():
        return True
    engine = create(url)
    try:
        with engine.connect() as connection:
            schema = None
            if engine.dialect.name == "postgresql":
                schema = connection.execute(text("SELECT current_schema()")).scalar()
                if schema is None:
                    return True
            return not inspect(connection).get_table_names(schema=schema)
    except SQLAlchemyError as err:
        raise StoreError(f"cannot read the database at {where(url)}: {err}") from None
    finally:
        engine.dispose()


def load(url: str, copy: Dump) -> None:
    """Put ``copy`` into the empty database at ``url`` (StoreError when it is not empty, or is of
    another kind than the copy)."""
    kind = backend(url)
    if kind != copy.kind:
        raise StoreError(f"the backup holds a {copy.kind} database and IVR_DATABASE_URL names a {kind} "
                         "one: restore onto the same kind of database")
    if not is_empty(url):
        raise StoreError(f"the database at {where(url)} already has tables: restore only into an "
                         "empty database (a new SQLite file, or an empty PostgreSQL schema)")
    if kind == "sqlite":
        _load_sqlite(copy.file, sqlite_path(url))
    else:
        from ivr.store.snapshot_pg import load_pg

        load_pg(url, copy)


def _load_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        leftover.unlink(missing_ok=True)  # an empty file is_empty() let through
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)
    os.chmod(partial, 0o640)
    os.replace(partial, target)


def where(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def relocate_recordings(url: str, old_root: str, new_root: str) -> int:
    """Point the orders' recordings from ``old_root`` (the recordings folder the copy was taken
    from) to ``new_root`` (this machine's); returns how many orders changed. Only the folder
    part changes: the manifest and its hashes are about the files, which are the same."""
    from sqlalchemy import func, literal, update

    from ivr.store.engine import create
    from ivr.store.models import TicketRow

    old_root, new_root = old_root.rstrip("/"), new_root.rstrip("/")
    if old_root == new_root:
        return 0
    engine = create(url)
    try:
        with engine.begin() as connection:
            done = connection.execute(
                update(TicketRow).where(TicketRow.recording_path.startswith(old_root + "/", autoescape=True))
                .values(recording_path=literal(new_root) + func.substr(TicketRow.recording_path, len(old_root) + 1)))
            return done.rowcount
    except SQLAlchemyError as err:
        raise StoreError(f"cannot point the restored orders at {new_root}: {err}") from None
    finally:
        engine.dispose()
