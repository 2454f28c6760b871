"""The ticket store: SQL persistence of work orders, calls and AMI events.

    open_store(url, policy)  -> TicketStore   (migrates the schema first)
    store_for(settings, rules) -> TicketStore (the usual way in: URL from settings, policy from rules)

Modules: :mod:`.models` (tables), :mod:`.engine` (engine, SQLite settings, Alembic),
:mod:`.tickets` (the repository API).
"""
from __future__ import annotations

from ivr.core.deadlines import Policy
from ivr.store.engine import open_engine
from ivr.store.ticket import Ticket
from ivr.store.tickets import TicketStore


def open_store(url: str, policy: Policy, migrate: bool = True) -> TicketStore:
    """A store on ``url`` whose schema is at the newest migration (or will be, at its first use,
    when ``migrate`` is False: see :meth:`TicketStore.ensure_schema`)."""
    return TicketStore(open_engine(url, migrate=migrate), policy, schema_ready=migrate)


def policy_for(rules) -> Policy:
    """The deadline policy of the centre described by ``rules`` (calendar and timezone)."""
    return Policy(calendar=rules.calendar, tz=rules.centre.timezone)


def store_for(settings, rules) -> TicketStore:
    """The store configured by ``settings`` (IVR_DATABASE_URL / IVR_DATA_DIR) for ``rules``' centre."""
    return open_store(settings.database_url, policy_for(rules))


__all__ = ["Ticket", "TicketStore", "open_store", "policy_for", "store_for"]
