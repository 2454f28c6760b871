"""AMI and intake fixtures: the deadline policy of the shipped rules, a ledger on SQLite."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from ivr.ami.ledger import StoreLedger
from ivr.core.deadlines import Policy
from ivr.recordings import Manifest
from ivr.store import open_store, policy_for

AT = datetime(2026, 9, 9, 3, 0, tzinfo=timezone.utc)  # the manifest's clock


@pytest.fixture
def policy(shipped_rules) -> Policy:
    return Policy(calendar=shipped_rules.calendar, tz=shipped_rules.centre.timezone)


@pytest.fixture
def ledger(tmp_path, shipped_rules):
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", policy_for(shipped_rules))
    recordings = tmp_path / "recordings"
    clock = {"now": time.time()}  # the ledger's wall clock, moved by the test
    made = StoreLedger(store, lambda: shipped_rules, recordings, Manifest(recordings, lambda: AT),
                       wall_clock=lambda: clock["now"])
    made.clock = clock
    yield made
    store.close()
