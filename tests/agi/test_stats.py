"""Percentiles and histograms of the server's timings; the adapters' clock."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from ivr.clock import make_clock, parse_clock
from ivr.agi.stats import AgiStats, Timing, percentile, render, write_snapshot
from ivr.errors import IvrError

CST = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("values, fraction, expected", [
    ([], 0.5, None),
    ([7.0], 0.99, 7.0),
    ([1.0, 2.0, 3.0, 4.0], 0.5, 2.0),
    (list(map(float, range(1, 101))), 0.99, 99.0),
    (list(map(float, range(1, 101))), 0.90, 90.0),
    (list(map(float, range(1, 101))), 1.0, 100.0),
])
def test_percentile_nearest_rank(values, fraction, expected):
    assert percentile(values, fraction) == expected


def test_timing_histogram_and_window():
    timing = Timing(window=3)
    for micros in (5, 15, 700, 2_000_000):
        timing.observe(micros)
    snap = timing.snapshot()
    assert snap["count"] == 4 and snap["window"] == 3 and snap["max_us"] == 2_000_000
    assert snap["histogram"] == {"le_10us": 1, "le_20us": 1, "le_1000us": 1, "le_inf": 1}
    assert snap["p50_us"] == 700  # of the 3 most recent samples


def test_snapshot_round_trips_through_the_file(tmp_path):
    stats = AgiStats()
    stats.count("calls", 3)
    stats.call_done("route", "ok", 500.0)
    stats.observe_decision(12.5)
    write_snapshot(tmp_path / "s.json", stats.snapshot())
    import json
    loaded = json.loads((tmp_path / "s.json").read_text())
    assert loaded["counters"] == {"calls": 3} and loaded["decision"]["p50_us"] == 12.5
    text = "\n".join(render(loaded))
    assert "calls=3" in text and "route=1" in text and "p50=12.5us" in text
    assert not list(tmp_path.glob(".*tmp"))


@pytest.mark.parametrize("text, expected", [
    ("2020-07-28T00:00", datetime(2020, 7, 28, tzinfo=CST)),
    ("2020-07-28T00:00+00:00", datetime(2020, 7, 28, tzinfo=timezone.utc)),
    ("2020-07-28", datetime(2020, 7, 28, tzinfo=CST)),
])
def test_parse_clock(text, expected):
    assert parse_clock(text, CST) == expected


def test_bad_clock():
    with pytest.raises(IvrError, match="not an ISO time"):
        parse_clock("next tuesday", CST)


def test_make_clock_starts_at_the_pretend_time_and_runs_on():
    clock = make_clock("2020-07-28T09:00", CST)
    first = clock()
    assert datetime(2020, 7, 28, 9, tzinfo=CST) <= first < datetime(2020, 7, 28, 9, 0, 1, tzinfo=CST)
    assert clock() >= first
    assert make_clock(None, CST)().tzinfo is not None
