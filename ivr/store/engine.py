"""Opening the ticket database: the engine, its SQLite settings, and migrations on open.

* SQLite (the default, under ``Settings.data_dir``): WAL journal so readers never block the
  writer, a 30 s busy timeout, foreign keys on, and ``BEGIN IMMEDIATE`` for every transaction so
  two writers queue on the lock instead of failing half-way with "database is locked".
* PostgreSQL: ``postgresql+psycopg://user@host/db`` (``postgresql://`` is taken to mean psycopg 3).

:func:`upgrade` is the one way the schema changes: :func:`open_engine` calls it, so every ``ivr``
command works on a fresh data directory and every part migrates a database left by the code it
replaces; ``ivr db upgrade`` calls it by hand. Before it migrates a database that already holds
data it copies it (:mod:`ivr.store.snapshot`) into ``backup_dir`` when one is given (the parts
give ``<data_dir>/backups/pre-upgrade``). A database *newer* than the code (a revision this code
does not ship: someone ran a newer engine on it) is refused with :class:`SchemaTooNew`, naming
both revisions: the old code must not write into a schema it does not know.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from ivr.errors import SchemaTooNew, StoreError
from ivr.logs import get_logger

log = get_logger("ivr.store")

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


def known_revisions() -> set[str]:
    """Every migration this code ships."""
    return {script.revision for script in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def check_not_newer(engine: Engine, revision: str | None = None) -> str | None:
    """The database's revision; :class:`SchemaTooNew` when this code does not know it."""
    revision = current_revision(engine) if revision is None else revision
    if revision is not None and revision not in known_revisions():
        raise SchemaTooNew(_where(engine), revision, head_revision())
    return revision


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as err:
        raise StoreError(f"cannot read the database at {_where(engine)}: {_reason(err)}") from None


def upgrade(engine: Engine, backup_dir: Path | None = None) -> tuple[str | None, str]:
    """Run ``alembic upgrade head``; returns (revision before, revision after). A database with
    data is first copied into ``backup_dir`` (when given) by :func:`pre_upgrade_copy`."""
    before = check_not_newer(engine)
    head = head_revision()
    if before == head:
        return before, head
    if before is not None and backup_dir is not None:
        pre_upgrade_copy(engine, before, head, backup_dir)
    config = _alembic_config()
    try:
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
    except SQLAlchemyError as err:
        raise StoreError(f"cannot migrate the database at {_where(engine)}: {_reason(err)}") from None
    return before, current_revision(engine) or head


def pre_upgrade_copy(engine: Engine, before: str, head: str, backup_dir: Path) -> Path:
    """Copy the database into ``backup_dir/<UTC time>-<before>-to-<head>/`` before migrating it;
    a copy that fails stops the upgrade (StoreError): no migration without a way back."""
    from ivr.store.snapshot import dump

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    folder = Path(backup_dir) / f"{stamp}-{before}-to-{head}"
    try:
        copy = dump(engine.url.render_as_string(hide_password=False), folder)
    except StoreError as err:
        raise StoreError(f"the database at {_where(engine)} needs migrating from {before} to {head}, "
                         f"and its copy before that failed: {err}") from None
    log.warning("store.copied_before_upgrade", database=_where(engine), before=before, head=head,
                copy=str(copy.file), orders=copy.orders)
    return copy.file


def open_engine(url: str, migrate: bool = True, backup_dir: Path | None = None) -> Engine:
    """An engine on an up-to-date schema (migrating a fresh or older database first, after a copy
    into ``backup_dir``)."""
    engine = create(url)
    if migrate:
        try:
            upgrade(engine, backup_dir)
        except BaseException:
            engine.dispose()
            raise
    return engine


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _reason(err: SQLAlchemyError) -> str:
    if isinstance(err, DBAPIError) and err.orig is not None:
        return str(err.orig).strip().splitlines()[0]
    return str(err).strip().splitlines()[0]
