"""Store fixtures: every store test runs on SQLite and on a real PostgreSQL server (the session's
``pg_server``: see ``tests/pgserver/``).

PostgreSQL tests get a schema of their own (``ivr_test_<random>``, dropped afterwards), so parallel
runs and other helpers' tests never see each other's tables.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

from ivr.core.deadlines import Policy
from ivr.store import TicketStore, open_store
from support import pg_schema


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """Undo any ``ivr.logs.configure()`` an earlier test made: it bound that test's captured
    stderr, which pytest has closed since, and logging to it would fail the store's calls."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path) -> Iterator[str]:
    """A database URL on an empty database of either kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
        return
    with pg_schema(request.getfixturevalue("pg_server").url) as url:
        yield url


@pytest.fixture
def policy(shipped_rules) -> Policy:
    return Policy(calendar=shipped_rules.calendar, tz=shipped_rules.centre.timezone)


@pytest.fixture
def store(store_url, policy) -> Iterator[TicketStore]:
    opened = open_store(store_url, policy)
    try:
        yield opened
    finally:
        opened.close()
