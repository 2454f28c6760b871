"""Opening the ticket database: the engine, its SQLite settings, and migrations on open.

* SQLite (the default, under ``Settings.data_dir``): WAL journal so readers never block the
  writer, a 30 s busy timeout, foreign keys on, and ``BEGIN IMMEDIATE`` for every transaction so
  two writers queue on the lock instead of failing half-way with "database is locked".
* PostgreSQL: ``postgresql+psycopg://user@host/db`` (``postgresql://`` is taken to mean psycopg 3).

:func:`open_engine` runs ``alembic upgrade head`` so every ``ivr`` command works on a fresh data
directory; :func:`upgrade` is also ``ivr db upgrade``.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from ivr.errors import StoreError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
BUSY_TIMEOUT_S = 30
# PostgreSQL: how long the engine waits on a server that does not answer. A refused connection
# fails at once; a black hole (a dead host, a cut network) would otherwise hang a query for the
# kernel's TCP retry time (about 15 minutes): tcp_user_timeout and keepalives bound it on the
# client's side, statement_timeout on the server's.
PG_CONNECT_TIMEOUT_S = 5
PG_STATEMENT_TIMEOUT_MS = 15_000
PG_TCP_USER_TIMEOUT_MS = 10_000


def normalise_url(url: str) -> str:
    """The SQLAlchemy URL to use; StoreError naming the problem for a malformed one."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"IVR_DATABASE_URL {url!r} is not a database URL "
                         "(sqlite:///path or postgresql+psycopg://user@host/db)") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"database {parsed.get_backend_name()!r} is not supported: use SQLite or PostgreSQL")
    return parsed.render_as_string(hide_password=False)


def create(url: str) -> Engine:
    """An engine for ``url`` with the settings above (no connection is made yet)."""
    url = normalise_url(url)
    parsed = make_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
            _sqlite_settings(engine)
            return engine
        return create_engine(url, pool_pre_ping=True, pool_timeout=PG_CONNECT_TIMEOUT_S,
                             connect_args=pg_connect_args(parsed.query.get("options")))
    except (NoSuchModuleError, ImportError) as err:
        raise StoreError(f"cannot use {parsed.drivername}: {err}") from None
    except OSError as err:
        raise StoreError(f"cannot create the data directory for {parsed.database}: {err}") from None


def pg_connect_args(options: str | tuple | None = None) -> dict:
    """libpq settings bounding every wait on PostgreSQL (the URL's own ``options`` are kept)."""
    given = " ".join(options) if isinstance(options, tuple) else (options or "")
    return {"connect_timeout": PG_CONNECT_TIMEOUT_S, "keepalives": 1, "keepalives_idle": 5,
            "keepalives_interval": 2, "keepalives_count": 3, "tcp_user_timeout": PG_TCP_USER_TIMEOUT_MS,
            "options": f"{given} -c statement_timeout={PG_STATEMENT_TIMEOUT_MS}".strip()}


def _sqlite_settings(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no branch
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration shipped with this code."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as err:
        raise StoreError(f"cannot read the database at {_where(engine)}: {_reason(err)}") from None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Run ``alembic upgrade head``; returns (revision before, revision after)."""
    before = current_revision(engine)
    head = head_revision()
    if before == head:
        return before, head
    config = _alembic_config()
    try:
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
    except SQLAlchemyError as err:
        raise StoreError(f"cannot migrate the database at {_where(engine)}: {_reason(err)}") from None
    return before, current_revision(engine) or head


def open_engine(url: str, migrate: bool = True) -> Engine:
    """An engine on an up-to-date schema (migrating a fresh or older database first)."""
    engine = create(url)
    if migrate:
        upgrade(engine)
    return engine


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _reason(err: SQLAlchemyError) -> str:
    if isinstance(err, DBAPIError) and err.orig is not None:
        return str(err.orig).strip().splitlines()[0]
    return str(err).strip().splitlines()[0]
