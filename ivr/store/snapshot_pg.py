"""The PostgreSQL side of :mod:`ivr.store.snapshot`: ``pg_dump`` and ``pg_restore`` of the one
schema the engine works in, run with the connection's settings in libpq's environment (never a
password on a command line, which ``ps`` shows), bounded in time."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from ivr.errors import StoreError
from ivr.store.snapshot import RECORDINGS_QUERY, Dump, OrderRecording, where

PG_TIMEOUT_S = 6 * 3600  # a provincial year of data dumps in minutes; never hang for ever


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


def dump_pg(url: str, target: Path) -> Dump:
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
        raise StoreError(f"cannot copy the database at {where(url)}: {err}") from None
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
        recordings = [OrderRecording(*row) for row in connection.execute(text(RECORDINGS_QUERY))]
    return schema, revision, extensions, orders, recordings


def load_pg(url: str, copy: Dump) -> None:
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
        raise StoreError(f"cannot prepare the database at {where(url)}: {err}") from None
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
