"""AMI and intake fixtures: the deadline policy of the shipped rules."""
from __future__ import annotations

import pytest

from ivr.core.deadlines import Policy


@pytest.fixture
def policy(shipped_rules) -> Policy:
    return Policy(calendar=shipped_rules.calendar, tz=shipped_rules.centre.timezone)
