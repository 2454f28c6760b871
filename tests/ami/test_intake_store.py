"""The intake with the real ticket store on a PostgreSQL that fails the hard ways.

The store reaches the server through a relay the test controls (tests/e2e/tcp_proxy.py): a
black hole (nothing answers, nothing is refused), and a server that is down when the engine
starts and comes back later (the schema is then created before the facts are applied).
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from e2e.tcp_proxy import TcpProxy
from ivr.ami.intake import Intake
from ivr.ami.ledger import StoreLedger
from ivr.spool import Spool
from ivr.core import call_events as ce
from ivr.errors import StoreError
from ivr.store import open_store
from ivr.store.models import TicketRow
from support import pg_schema, wait_until

pytestmark = pytest.mark.postgres
AT = datetime(2026, 9, 9, 3, 0, tzinfo=timezone.utc)


def answered(n: int) -> ce.Answered:
    call = ce.CallInfo(f"1757000000.{n}", f"1757000000.{n}", "13900000000", "12345", "centre", "main")
    return ce.Answered(call, "q12345", "agent1", "PJSIP/agent1-1", 3, AT)


def tickets(store) -> int:
    with store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(TicketRow))


@pytest.fixture
def relay(pg_server):
    """(the relay, a function giving a URL on a schema of its own reached through it)."""
    proxy = TcpProxy(pg_server.address()).restore()
    try:
        yield proxy, lambda: pg_schema(pg_server.url, prefix="ivr_intake",
                                       relay=pg_server.via("127.0.0.1", proxy.port))
    finally:
        proxy.cut()


def test_a_black_holed_database_keeps_memory_small_and_loses_nothing(relay, tmp_path, policy, shipped_rules):
    proxy, schema = relay
    with schema() as url:
        store = open_store(url, policy)
        intake = Intake(Spool(tmp_path / "spool"), StoreLedger(store, lambda: shipped_rules, tmp_path),
                        backoff=(0.2, 0.5, 1.0)).start()
        try:
            intake.submit(answered(0))
            assert wait_until(lambda: tickets(store) == 1, 10)
            proxy.blackhole()
            started = time.monotonic()
            for n in range(1, 2001):
                intake.submit(answered(n))
            assert intake.flush(timeout=10)                   # on disk at once, whatever the database
            assert intake.status()["in_memory"] == 0
            # the applier gives up on the silent server within the client-side timeouts
            assert wait_until(lambda: not intake.status()["database"]["ok"], 40)
            print(f"black hole noticed after {time.monotonic() - started:.1f} s")
            assert len(intake.spool.pending()) >= 2000
            proxy.heal()
            assert wait_until(lambda: tickets(store) == 2001, 60), intake.status()
            assert intake.status()["database"]["ok"]
        finally:
            intake.stop(grace=1)
            store.close()


def test_a_database_down_at_start_is_migrated_when_it_comes_back(relay, tmp_path, policy, shipped_rules):
    proxy, schema = relay
    with schema() as url:
        proxy.cut()
        with pytest.raises(StoreError, match="unavailable|cannot"):
            open_store(url, policy)
        store = open_store(url, policy, migrate=False)  # what `ivr serve` does: routing goes on
        intake = Intake(Spool(tmp_path / "spool"), StoreLedger(store, lambda: shipped_rules, tmp_path),
                        backoff=(0.1, 0.2, 0.5)).start()
        try:
            for n in range(3):
                intake.submit(answered(n))
            assert wait_until(lambda: not intake.status()["database"]["ok"], 20)
            proxy.restore()
            assert wait_until(lambda: intake.status()["applied"] == 3, 30), intake.status()
            assert tickets(store) == 3 and store.schema_ready
        finally:
            intake.stop(grace=1)
            store.close()
