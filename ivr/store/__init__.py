"""The ticket store: SQL persistence of work orders, calls and AMI events.

    open_store(url, policy)  -> TicketStore   (migrates the schema first)
    store_for(settings, rules) -> TicketStore (the usual way in: URL from settings, policy from rules)

Modules: :mod:`.models` (tables), :mod:`.engine` (engine, SQLite settings, Alembic),
:mod:`.tickets` (the repository API).
"""
from __future__ import annotations

from pathlib import Path

from ivr.core.deadlines import Policy
from ivr.store.engine import open_engine
from ivr.store.ticket import Ticket
from ivr.store.tickets import TicketStore
from ivr import data_folder


def open_store(url: str, policy: Policy, migrate: bool = True, backup_dir: Path | None = None) -> TicketStore:
    """A store on ``url`` whose schema is at the newest migration (or will be, at its first use,
    when ``migrate`` is False: see :meth:`TicketStore.ensure_schema`); a database with data is
    copied into ``backup_dir`` before it is migrated (:func:`ivr.store.engine.upgrade`)."""
    store = TicketStore(open_engine(url, migrate=migrate, backup_dir=backup_dir), policy, schema_ready=migrate)
    store.backup_dir = backup_dir
    return store


def pre_upgrade_folder(settings) -> Path:
    """Where a part copies the database before migrating it: ``<data_dir>/backups/pre-upgrade``."""
    return data_folder.pre_upgrade_backups(settings.data_dir)


def policy_for(rules) -> Policy:
    """The deadline policy of the centre described by ``rules`` (calendar and timezone)."""
    return Policy(calendar=rules.calendar, tz=rules.centre.timezone)


def store_for(settings, rules) -> TicketStore:
    """The store configured by ``settings`` (IVR_DATABASE_URL / IVR_DATA_DIR) for ``rules``' centre."""
    return open_store(settings.database_url, policy_for(rules), backup_dir=pre_upgrade_folder(settings))


__all__ = ["Ticket", "TicketStore", "open_store", "policy_for", "pre_upgrade_folder", "store_for"]
