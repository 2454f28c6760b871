"""Counters and timings of the FastAGI server, readable by the benchmark and by ``ivr agi stats``.

The server keeps one :class:`AgiStats`; handlers add to it. Every second (when something
changed) the server writes :meth:`AgiStats.snapshot` as JSON to its stats file (by default
``$IVR_DATA_DIR/agi-stats.json``, written atomically: write a temporary file, then rename), so a
reader never sees half a file and needs no socket to the server. Timings are kept twice: an
all-time histogram (fixed buckets, never grows) and the most recent samples (a bounded window)
for exact percentiles.
"""
from __future__ import annotations

import json
import math
from collections import Counter, deque
from collections.abc import Iterable
from pathlib import Path

from ivr.files import replace_file

# Upper bounds (microseconds) of the histogram buckets; the last bucket is "more than 1 s".
BUCKETS_US: tuple[float, ...] = (10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000,
                                 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, math.inf)
WINDOW = 20_000  # recent samples kept per timing


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile of ``sorted_values`` (None when there are none)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


class Timing:
    """One measured duration (in microseconds): all-time histogram plus a recent window."""

    def __init__(self, window: int = WINDOW) -> None:
        self.count = 0
        self.total_us = 0.0
        self.max_us = 0.0
        self.buckets = [0] * len(BUCKETS_US)
        self.recent: deque[float] = deque(maxlen=window)

    def observe(self, micros: float) -> None:
        self.count += 1
        self.total_us += micros
        self.max_us = max(self.max_us, micros)
        self.recent.append(micros)
        for index, bound in enumerate(BUCKETS_US):
            if micros <= bound:
                self.buckets[index] += 1
                break

    def snapshot(self) -> dict:
        ordered = sorted(self.recent)
        return {
            "count": self.count,
            "mean_us": round(self.total_us / self.count, 1) if self.count else None,
            "sum_us": round(self.total_us, 1),
            "p50_us": _round(percentile(ordered, 0.50)),
            "p90_us": _round(percentile(ordered, 0.90)),
            "p99_us": _round(percentile(ordered, 0.99)),
            "max_us": round(self.max_us, 1),
            "window": len(ordered),
            "histogram": {_label(bound): n for bound, n in zip(BUCKETS_US, self.buckets) if n},
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _label(bound: float) -> str:
    return "le_inf" if math.isinf(bound) else f"le_{int(bound)}us"


class AgiStats:
    """Everything the server counts. Plain attributes: the event loop is single-threaded."""

    def __init__(self) -> None:
        self.version = 0                 # bumped on every change: the writer skips idle seconds
        self.counters: Counter[str] = Counter()
        self.scripts: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.decision = Timing()         # decide() alone
        self.session = Timing()          # header received -> connection closed (our part of a call)
        self.active = 0
        self.rules: dict = {}

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n
        self.version += 1

    def call_done(self, script: str, outcome: str, session_us: float) -> None:
        self.scripts[script] += 1
        self.outcomes[outcome] += 1
        self.session.observe(session_us)
        self.version += 1

    def observe_decision(self, micros: float) -> None:
        self.decision.observe(micros)
        self.version += 1

    def set_rules(self, **info) -> None:
        self.rules.update(info)
        self.version += 1

    def snapshot(self) -> dict:
        return {
            "counters": dict(sorted(self.counters.items())),
            "scripts": dict(sorted(self.scripts.items())),
            "outcomes": dict(sorted(self.outcomes.items())),
            "active": self.active,
            "decision": self.decision.snapshot(),
            "session": self.session.snapshot(),
            "rules": dict(self.rules),
        }


def write_snapshot(path: Path, snapshot: dict) -> None:
    """Write ``snapshot`` as JSON to ``path`` atomically (temporary file, then rename)."""
    replace_file(path, json.dumps(snapshot, ensure_ascii=False, indent=1))


def render(snapshot: dict) -> Iterable[str]:
    """Human lines for ``ivr agi stats``."""
    counters = snapshot.get("counters", {})
    yield "server: " + (", ".join(f"{k}={v}" for k, v in counters.items()) or "no connections yet")
    for group in ("scripts", "outcomes"):
        pairs = ", ".join(f"{k}={v}" for k, v in snapshot.get(group, {}).items())
        yield f"{group}: {pairs or '-'}"
    for name in ("decision", "session"):
        t = snapshot.get(name, {})
        yield (f"{name} time: n={t.get('count', 0)} p50={t.get('p50_us')}us "
               f"p90={t.get('p90_us')}us p99={t.get('p99_us')}us max={t.get('max_us')}us")
    rules = snapshot.get("rules", {})
    if rules:
        yield "rules: " + ", ".join(f"{k}={v}" for k, v in rules.items())
