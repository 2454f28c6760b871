"""Per-queue surge KPIs, table-driven: answered (by callback), left informed, abandoned by wait,
service level within 15 s."""
from __future__ import annotations

import pytest

from ivr.core.queue_kpi import QueueCall, band, queue_report


@pytest.mark.parametrize("wait, name", [
    (None, "under_15s"), (0, "under_15s"), (14, "under_15s"), (15, "15s_to_1min"), (59, "15s_to_1min"),
    (60, "1_to_3min"), (179, "1_to_3min"), (180, "over_3min"), (3600, "over_3min"),
])
def test_abandon_bands(wait, name):
    assert band(wait) == name


def test_a_surge_queue():
    calls = [QueueCall("seat_water", "answered", 5, count=10),        # within 15 s
             QueueCall("seat_water", "answered", 15, count=2),        # 15 s is within
             QueueCall("seat_water", "answered", 40, count=3),
             QueueCall("seat_water", "answered", 2, by_callback=True, count=4),
             QueueCall("seat_water", "abandoned", 8, count=1),
             QueueCall("seat_water", "abandoned", 200, count=2),
             QueueCall("seat_water", "offered", 30, count=6),         # asked for a callback: not abandoned
             QueueCall("q12345", "answered", 20)]
    report = queue_report(calls, {"seat_water": 7},
                          [("seat_water", "answered", "queue_key", 3), ("seat_water", "answered", "wait_offer", 1),
                           ("seat_water", "failed", "notice_key", 1), ("seat_water", "waiting", "wait_offer", 1)])
    water = report["seat_water"]
    assert (water.answered, water.answered_by_callback, water.answered_within) == (19, 4, 16)
    assert water.abandoned == {"under_15s": 1, "15s_to_1min": 0, "1_to_3min": 0, "over_3min": 2}
    assert (water.left_informed, water.callbacks_asked, water.callbacks_done, water.callbacks_failed) == (7, 6, 4, 1)
    assert water.callbacks_by_via == {"queue_key": 3, "wait_offer": 2, "notice_key": 1}
    assert water.service_level == pytest.approx(16 / 22)
    assert report["q12345"].service_level == 0.0
    assert list(report) == ["q12345", "seat_water"]


@pytest.mark.parametrize("calls, left, level", [
    ([], {}, None),                                         # nothing to divide: no data
    ([QueueCall("q", "offered", 3)], {"q": 2}, None),
    ([QueueCall("q", "abandoned", 3)], {}, 0.0),
    ([QueueCall("q", "answered", None)], {}, 0.0),          # an unknown wait is not within 15 s
])
def test_service_level_edges(calls, left, level):
    figures = queue_report(calls, left, []).get("q")
    assert (figures.service_level if figures else None) == level
