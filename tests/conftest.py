"""Shared fixtures: the shipped rules file, and the session's PostgreSQL (``pg_server``)."""
from __future__ import annotations

import pytest

from support import RULES_FILE

pytest_plugins = ["pgserver.plugin"]


@pytest.fixture(scope="session")
def shipped_rules():
    from ivr.rules_file import load_rules
    return load_rules(RULES_FILE)


@pytest.fixture(scope="session")
def shipped_text() -> str:
    return RULES_FILE.read_text(encoding="utf-8")
