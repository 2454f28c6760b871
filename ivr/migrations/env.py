"""Alembic environment for the ticket store: always run with a live connection handed in.

:func:`ivr.store.engine.upgrade` passes the connection as ``config.attributes["connection"]``, so
there is no alembic.ini and no URL in a file. On PostgreSQL a transaction-scoped advisory lock
keeps two processes that open a fresh database at once from migrating it twice; on SQLite the
store's ``BEGIN IMMEDIATE`` does the same, as the whole upgrade is one transaction there too
(``transactional_ddl``: SQLite's DDL is transactional when the driver leaves BEGIN to us, as the
store's engine does). Alembic would otherwise commit after each migration on SQLite, and a
second process waiting for the lock would read the revision half-way and apply a migration twice.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import text

import ivr.store.models_recordings  # noqa: F401 - its tables in Base.metadata
import ivr.store.models_call_log  # noqa: F401 - its tables in Base.metadata
import ivr.store.models_surges  # noqa: F401 - its tables in Base.metadata
import ivr.store.models_console  # noqa: F401 - its tables in Base.metadata
import ivr.store.models_media  # noqa: F401 - its tables in Base.metadata
import ivr.store.models_figures  # noqa: F401 - its tables in Base.metadata
from ivr.store.models import Base

MIGRATION_LOCK = 12345_0001  # pg_advisory_xact_lock key of the ticket store's migrations

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running alembic by hand
    raise SystemExit("run migrations with `ivr db upgrade`, which hands Alembic a connection")

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite", transactional_ddl=True)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.run_migrations()
