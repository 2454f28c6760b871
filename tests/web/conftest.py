"""Console fixtures: the app on a real store (SQLite and PostgreSQL, as the store tests), staff
accounts with a fast Argon2 setting, a stopped clock, and a logged-in test client."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from ivr.core.kb import parse_article
from ivr.engine import intake_report
from ivr.settings import Settings
from ivr.store.kb import KnowledgeBase
from ivr.store.users import UserStore
from ivr.web import EventHub, build_app
from store.conftest import _fresh_logging, policy, store, store_url  # noqa: F401 - same databases
from support import REPO

from web.helpers import FAST, NOW, PASSWORD  # noqa: E402


@pytest.fixture
def users(store) -> UserStore:
    made = UserStore(store.engine, FAST)
    made.add("li", "agent", PASSWORD, NOW, phone="agent1", agents={"agent1", "agent2"})
    made.add("zhao", "agent", PASSWORD, NOW, phone="agent2", agents={"agent1", "agent2"})
    made.add("wang", "supervisor", PASSWORD, NOW)
    return made


@pytest.fixture
def kb(store, shipped_rules) -> KnowledgeBase:
    base = KnowledgeBase(store.engine, store.tz)
    for path in sorted((REPO / "kb").glob("*.md")):
        if path.name != "README.md":
            base.upsert(parse_article(path.read_text(encoding="utf-8"), path.name, store.tz), NOW)
    return base


@pytest.fixture
def hub() -> EventHub:
    return EventHub()


@pytest.fixture
def app(store, users, kb, hub, shipped_rules, tmp_path):
    settings = Settings.from_env({"IVR_DATA_DIR": str(tmp_path / "var")})
    return build_app(settings, store, shipped_rules, hub=hub, clock=lambda: NOW, secret="s" * 48, users=users,
                     intake_report=lambda: intake_report(settings))


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as made:
        yield made
