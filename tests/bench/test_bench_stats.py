"""The benchmark's arithmetic: SIPp's files, percentiles, what counts as a lost call."""
from __future__ import annotations

import pytest

from ivr.bench.stats import Latency, StepResult, parse_rtt, parse_stat_row, ratio

RTT = """Date_ms;response_time_ms;rtd_no
204.001;4;1
404.001;0;1
604.001;8;2
garbage
804.001;x;1
1004;12;1
"""


def test_parse_rtt_keeps_only_the_asked_timer_and_skips_bad_rows():
    assert parse_rtt(RTT) == [4.0, 0.0, 12.0]
    assert parse_rtt(RTT, rtd="2") == [8.0]
    assert parse_rtt("") == []


def test_parse_stat_row_reads_the_last_row_as_integers():
    text = "A;OutgoingCall(C);FailedCall(C);Rate\n1;5;0;1.5\nx;200;3;4.25\n"
    assert parse_stat_row(text) == {"OutgoingCall(C)": 200, "FailedCall(C)": 3}
    assert parse_stat_row("only;a;header\n") == {}


@pytest.mark.parametrize("values, p50, p90, p99, maximum", [
    ([], None, None, None, None),
    ([7.0], 7.0, 7.0, 7.0, 7.0),
    (list(range(1, 101)), 50, 90, 99, 100),
    ([5, 1, 3, 2, 4], 3, 5, 5, 5),          # unsorted input, nearest rank
])
def test_latency_percentiles_are_nearest_rank(values, p50, p90, p99, maximum):
    lat = Latency.of(values)
    assert (lat.count, lat.p50, lat.p90, lat.p99, lat.max) == (len(values), p50, p90, p99, maximum)


def step(**kw) -> StepResult:
    base = dict(way="engine", rate=200, placed=800, answered=800, failed=0, misrouted=0,
                expected=800, latency=Latency.of([1.0]), seconds=4.0)
    return StepResult(**(base | kw))


@pytest.mark.parametrize("changes, lost, passed", [
    ({}, 0, True),
    ({"failed": 2, "answered": 798}, 2, False),
    ({"misrouted": 5}, 5, False),                       # fell to the fail-safe: not this way's
    ({"placed": 790, "answered": 790}, 10, False),      # SIPp could not place them all
    ({"answered": 799}, 0, False),                      # one call neither answered nor failed
])
def test_a_step_passes_only_when_every_call_took_its_way_and_ended_well(changes, lost, passed):
    result = step(**changes)
    assert (result.lost, result.passed) == (lost, passed)


@pytest.mark.parametrize("a, b, expected", [
    (3.0, 1.5, 2.0), (1, 3, 0.333), (None, 1, None), (1, None, None), (1, 0, None),
])
def test_ratio(a, b, expected):
    assert ratio(a, b) == expected
