"""Which recordings the retention period removes: the old ones, never held ones, never twice."""
from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.core.retention import Listed, due
from support import at

NOW = at("2020-12-01 03:00")


def listed(days_ago: float, name: str) -> Listed:
    return Listed(name, NOW - timedelta(days=days_ago))


def test_old_recordings_go_held_and_removed_ones_do_not():
    items = [listed(200, "a.wav"), listed(181, "b.wav"), listed(179, "c.wav"), listed(300, "held.wav"),
             listed(400, "gone.wav")]
    assert due(items, removed={"gone.wav"}, held={"held.wav"}, now=NOW, keep_days=180) == ["a.wav", "b.wav"]


def test_no_period_removes_nothing_and_a_silly_one_is_refused():
    assert due([listed(9999, "a.wav")], set(), set(), NOW, None) == []
    with pytest.raises(ValueError):
        due([], set(), set(), NOW, 0 - 1)
