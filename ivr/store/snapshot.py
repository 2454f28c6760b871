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
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from ivr.errors import StoreError

SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
PG_TIMEOUT_S = 6 * 3600  # a provincial year of data dumps in minutes; never hang for ever


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
        return _dump_pg(url, folder / PG_FILE)
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
    rows = db.execute(_RECORDINGS).fetchall()
    return revision, orders, [OrderRecording(*row) for row in rows]


_RECORDINGS = ("SELECT number, recording_path, recording_sha256, recording_size FROM tickets "
               "WHERE recording_path IS NOT NULL ORDER BY number")


def libpq_env(url: str) -> dict[str, str]:
    """The libpq environment (PGHOST, PGUSER, PGPASSWORD, ...) for ``url``: pg_dump and
    pg_restore take the password from it, never from their command line (``ps`` shows that)."""
    parsed: URL = make_url(url)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    for name, value in (("PGHOST", parsed.host), ("PGPORT", parsed.port), ("PGUSER", parsed.username),
                        ("PGPASSWORD", parsed.password), ("PGDATABASE", parsed.database)):
        if value is not None:
            env[name] = str(value)
    options = parsed.query.get("options") or ""
    options = " ".join(options) if isinstance(options, tuple) else options
    # a long dump or restore must not meet a statement timeout: PG_TIMEOUT_S bounds it instead
    env["PGOPTIONS"] = f"{options} -c statement_timeout=0".strip()
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise StoreError(f"{name} is not installed: it copies a PostgreSQL database "
                         "(Debian package postgresql-client)")
    return found


def _run(argv: list[str], env: dict[str, str], what: str) -> str:
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT_S,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise StoreError(f"{what} did not finish within {PG_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise StoreError(f"{what} failed: {done.stderr.strip()[-800:] or done.returncode}")
    return done.stdout


def _dump_pg(url: str, target: Path) -> Dump:
    from ivr.store.engine import create

    pg_dump = _pg_tool("pg_dump")
    engine = create(url)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ",
                                                postgresql_readonly=True) as connection:
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            schema, revision, extensions, orders, recordings = _contents_pg(connection)
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.close(fd)
            _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                  f"--schema={schema}", f"--file={partial}"], libpq_env(url), "pg_dump")
            connection.rollback()
        os.replace(partial, target)
    except SQLAlchemyError as err:
        raise StoreError(f"cannot copy the database at {_where(url)}: {err}") from None
    finally:
        partial.unlink(missing_ok=True)
        engine.dispose()
    return Dump("postgresql", target, revision, schema=schema, extensions=extensions, orders=orders,
                recordings=recordings)


def _contents_pg(connection: Connection):
    schema = connection.execute(text("SELECT current_schema()")).scalar()
    if schema is None:
        raise StoreError("the database URL's search_path names no schema that exists: nothing to copy")
    tables = set(inspect(connection).get_table_names(schema=schema))
    revision = None
    if "alembic_version" in tables:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    extensions = sorted(connection.execute(
        text("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'")).scalars())
    orders, recordings = 0, []
    if "tickets" in tables:
        orders = connection.execute(text("SELECT count(*) FROM tickets")).scalar_one()
        recordings = [OrderRecording(*row) for row in connection.execute(text(_RECORDINGS))]
    return schema, revision, extensions, orders, recordings


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
        raise StoreError(f"cannot read the database at {_where(url)}: {err}") from None
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
        raise StoreError(f"the database at {_where(url)} already has tables: restore only into an "
                         "empty database (a new SQLite file, or an empty PostgreSQL schema)")
    if kind == "sqlite":
        _load_sqlite(copy.file, sqlite_path(url))
    else:
        _load_pg(url, copy)


def _load_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        leftover.unlink(missing_ok=True)  # an empty file is_empty() let through
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)
    os.chmod(partial, 0o640)
    os.replace(partial, target)


def _load_pg(url: str, copy: Dump) -> None:
    from ivr.store.engine import create

    pg_restore = _pg_tool("pg_restore")
    env = libpq_env(url)
    engine = create(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{copy.schema}"'))
            for name in copy.extensions:
                _extension(connection, name)
        with engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar()
    except SQLAlchemyError as err:
        raise StoreError(f"cannot prepare the database at {_where(url)}: {err}") from None
    finally:
        engine.dispose()
    if schema != copy.schema:
        raise StoreError(f"the backup's tables are in schema {copy.schema!r}, and IVR_DATABASE_URL works "
                         f"in {schema!r}: name the same schema (options=-csearch_path={copy.schema})")
    # the schema exists already (made above): leave its CREATE out of the restore
    listing = _run([pg_restore, "--list", str(copy.file)], env, "pg_restore --list")
    kept = [line for line in listing.splitlines() if f" SCHEMA - {copy.schema} " not in f"{line} "]
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as handle:
        handle.write("\n".join(kept) + "\n")
    try:
        _run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              f"--use-list={handle.name}", f"--dbname={env.get('PGDATABASE', '')}", str(copy.file)],
             env, "pg_restore")
    finally:
        os.unlink(handle.name)


def _extension(connection: Connection, name: str) -> None:
    """Create an extension the original had (pg_trgm for the search indexes), if allowed."""
    try:
        with connection.begin_nested():
            connection.execute(text(f'CREATE EXTENSION IF NOT EXISTS "{name}" WITH SCHEMA public'))
    except SQLAlchemyError as err:
        raise StoreError(f"the backup needs the PostgreSQL extension {name}, which cannot be created "
                         f"here ({str(err).splitlines()[0]}): ask the database's owner to create it") from None


def _where(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
