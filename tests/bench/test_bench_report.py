"""The results document and its table: ratios against static, targets, the surge's lines."""
from __future__ import annotations

import dataclasses

from ivr.bench.ramp import Ramp
from ivr.bench.report import document, table, targets
from ivr.bench.stats import Latency, StepResult


def res(way: str, rate: int, p50: float, p99: float, failed: int = 0) -> StepResult:
    values = [p50] * 98 + [p99] * 2
    return StepResult(way=way, rate=rate, placed=100, answered=100 - failed, failed=failed, misrouted=0,
                      expected=100, latency=Latency.of(values), seconds=4.0)


def run() -> Ramp:
    ramp = Ramp(["static", "engine", "classic"], [50, 200, 400])
    for r in (res("static", 50, 1.0, 2.0), res("engine", 50, 2.0, 3.0), res("classic", 50, 70, 90),
              res("static", 200, 1.2, 4.0), res("engine", 200, 1.5, 5.0),
              res("classic", 200, 900, 3000, failed=40),
              res("static", 400, 1.5, 6.0), res("engine", 400, 2.0, 12.0, failed=1)):
        ramp.record(r)
    return ramp


def doc(surge=None) -> dict:
    return document(ramp=run(), rates=[50, 200, 400], target_rate=200, config={}, machine={},
                    engine={"decision_us": {"count": 3, "p50_us": 25.0, "p99_us": 80.0, "max_us": 90.0},
                            "session_us": {"p50_us": 700.0, "p99_us": 2000.0},
                            "memory_kb": {"vmrss": 77000, "vmhwm": 78000, "start_vmrss": 76000}},
                    surge=surge, started="2026-11-28T01:00:00+00:00", seconds=100.0)


def test_ratios_are_against_static_in_the_same_run():
    d = doc()
    engine = d["ratios"]["engine_over_static"]
    assert engine["by_rate"]["200"] == {"p50": 1.25, "p99": 1.25}
    assert engine["highest_sustained"] == 0.5        # engine 200, static 400
    assert d["ratios"]["classic_over_static"]["highest_sustained"] == 1.0 / 8
    assert d["ways"]["classic"]["first_loss_at"] == 200
    assert d["ways"]["static"]["ceiling_not_reached"] is True


def test_targets_are_judged_at_the_target_rate():
    got = {t["target"].split(" ")[1]: t for t in doc()["targets"]}
    assert got["p50"]["met"] is True and got["p50"]["value"] == 1.25
    assert got["p99"]["met"] is True
    assert got["highest"]["met"] is False and "raise --ramp" in got["highest"]["note"]


def test_a_target_that_cannot_be_measured_is_not_claimed():
    out = targets({}, 200, False)
    assert [t["met"] for t in out] == [None, None, None]


def test_table_shows_every_step_ratios_targets_engine_and_surge():
    verdict = {"passed": False, "queued": 3, "overflowed": 2, "answered": 2,
               "answered_by_queue": {"q12345": 2},
               "abandoned": 1, "dropped": 0, "never_queued": 0, "sipp_failed": 0, "tickets": 1,
               "answered_without_ticket": 1, "tickets_without_answer": 0,
               "problems": ["1 answered call(s) without a work order: c2"]}
    text = "\n".join(table(doc({"line": "051380000304", "callers": 3, "seconds": 60.0,
                                "agents": ["agent8"], "verdict": verdict})))
    assert "(b) engine, FastAGI" in text and "    400     100       1" in text
    assert "highest sustained with no failed call: 200 calls/s" in text
    assert "engine over static: 50/s p50 2x" in text
    assert "-> MET" in text and "-> NOT MET" in text
    assert "p50=25 us" in text and "peak 78000 KiB" in text
    assert "FAIL" in text and "problem: 1 answered call(s) without a work order: c2" in text


def test_the_screen_pop_order_and_rating_figures_are_reported():
    from ivr.bench.pop import PopResult
    from ivr.bench.report import pop_lines

    result = PopResult(agents=4, rounds=2, answered=8, popped=7, delays_ms=[12.0, 20.0, 30.0, 95.5], missing=1,
                       order_delays_ms=[3.0, 4.0, 41.0], orders_missing=1, rating_delays_ms=[6.0, 7.5],
                       ratings_keyed=3, ratings_missing=1, poll_ms=5)
    doc = result.to_dict()
    assert doc["latency_ms"]["count"] == 4 and doc["latency_ms"]["max"] == 95.5
    assert doc["order_latency_ms"]["max"] == 41.0 and doc["rating_latency_ms"]["count"] == 2
    [_, head, pop, order, rating] = pop_lines(doc)
    assert "4 agents answering at once" in head and "2 rounds" in head
    assert "max 95.5 ms" in pop and "1 without a pop" in pop
    assert "max 41.0 ms over 3 orders (1 never seen; database looked at every 5 ms" in order
    assert "over 2 of 3 keyed (1 never seen)" in rating
    assert pop_lines({"skipped": "--no-pop"})[-1] == "screen pop: not run (--no-pop)"
    page = PopResult(agents=1, rounds=1, answered=2, page_order_delays_ms=[20.0, 61.5], page_orders_missing=0)
    [line] = [l for l in pop_lines(page.to_dict()) if "number on the agent's page" in l]
    assert "max 61.5 ms over 2 (0 never shown; goal p99 <= 150 ms)" in line


def test_bytes_per_second_before_and_after_compression_are_reported():
    from ivr.bench.recording_size import Size
    from ivr.bench.report import recording_lines

    speech = {"before_wav": Size(2, 10.0, 160_440).to_dict(), "after_opus": Size(2, 10.0, 16_100).to_dict(),
              "ratio": 0.1}
    lines = recording_lines({"speech": speech, "run": {"opus": Size(3, 6.0, 9_000).to_dict(),
                                                       "wav": Size(0, 0, 0).to_dict()}})
    assert "WAV 16044.0 B/s -> Ogg Opus 1610.0 B/s (0.1 of the size" in lines[1]
    assert lines[2] == "recordings of this run's calls, opus: 3 files, 6 s, 1500.0 B/s"
    assert len(lines) == 3


def test_the_deepest_ami_queue_of_each_step_and_at_the_highest_sustained_rate():
    ramp = Ramp(["static", "engine"], [100, 300])
    for result, depth in ((res("static", 100, 1.0, 2.0), 12), (res("engine", 100, 2.0, 3.0), 140),
                          (res("static", 300, 1.0, 2.0), 40), (res("engine", 300, 9.0, 30.0, failed=2), 5908)):
        ramp.record(dataclasses.replace(result, ami_queue=depth))
    d = document(ramp=ramp, rates=[100, 300], target_rate=100, config={}, machine={}, engine={}, surge=None,
                 started="2026-12-05T05:00:00+00:00", seconds=10.0)
    assert [s["ami_queue_max_depth"] for s in d["ways"]["engine"]["steps"]] == [140, 5908]
    text = "\n".join(table(d))
    assert "AMI q" in text and "5908  (ramp)" not in text
    assert "deepest AMI queue at (b) engine, FastAGI's highest sustained rate (100/s): 140 (goal for the engine: < 500)" \
        in text
    assert "deepest AMI queue at (a) static dialplan, no AGI's highest sustained rate (300/s): 40" in text
