"""The cluster benchmark's figures from its results (pure)."""
from __future__ import annotations

from ivr.cluster.bench_report import cpu_per_call, summary, table


def _step(way, rate, passed=True):
    return {"way": way, "rate": rate, "placed": rate * 5, "passed": passed}


def _cpu(way, rate, kamailio, asterisk):
    return {"way": way, "rate": rate, "cpu_seconds": {"kamailio": kamailio, "asterisk": asterisk}}


DOC = {
    "date": "2026-12-04T20:00:00+00:00", "machine": {"cores": 2, "load_before": [1.0], "load_after": [2.0]},
    "steps": [_step("direct", 100), _step("front1", 100), _step("direct", 200), _step("front1", 200, passed=False),
              _step("front2", 100), _step("front3", 100)],
    "cpu": [_cpu("direct", 100, 0.0, 1.0), _cpu("front1", 100, 0.25, 1.0), _cpu("direct", 200, 0.01, 2.0),
            _cpu("front1", 200, 5.0, 9.0), _cpu("front2", 100, 0.3, 1.1), _cpu("front3", 100, 0.3, 1.2)],
    "highest": {"direct": 200, "front1": 100, "front2": 100, "front3": 100},
    "ceiling_reached": {"direct": True},
}


def test_cpu_per_call_counts_the_steps_that_passed():
    cpu = cpu_per_call(DOC)
    assert cpu["front1"] == {"kamailio": 0.5, "asterisk": 2.0}  # the failed step at 200 left out
    assert cpu["direct"] == {"kamailio": 0.007, "asterisk": 2.0}
    assert cpu_per_call({"steps": [], "cpu": []})["front3"] == {"kamailio": None, "asterisk": None}


def test_the_dispatchers_cost_and_the_model():
    s = summary(DOC)
    assert s["front1_over_direct"] == 0.5 and s["kamailio_over_asterisk_cpu"] == 0.25
    assert s["kamailio_calls_per_core"] == 2000
    assert s["model"] == {1: 200, 2: 400, 3: 600, 6: 1200, 12: 2000}
    text = "\n".join(table(DOC))
    assert "direct   200/s (the ramp's top: more)" in text
    assert "0.5 of the rate straight to it (target >= 0.9: missed)" in text
    assert "12 -> 2000/s" in text
    empty = summary({"steps": [], "cpu": [], "highest": {}})
    assert empty["front1_over_direct"] is None and empty["model"][3] is None
