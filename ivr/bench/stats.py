"""Pure arithmetic of the benchmark: SIPp's files read into numbers, latencies into percentiles.

No I/O: the runner reads the files and hands their text here, so each rule is unit-tested.
Percentiles are nearest-rank (:func:`ivr.agi.stats.percentile`), the same definition the
engine's own decision-time figures use, so the two can be read side by side.
"""
from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass

from ivr.agi.stats import percentile


def parse_rtt(text: str, rtd: str = "1") -> list[float]:
    """Response times (ms) of SIPp's ``-trace_rtt`` file (``Date_ms;response_time_ms;rtd_no``).

    Only rows of timer ``rtd`` are kept; the header, blank and malformed rows are skipped.
    """
    out: list[float] = []
    for row in csv.reader(io.StringIO(text), delimiter=";"):
        if len(row) < 3 or row[2].strip() != rtd:
            continue
        try:
            value = float(row[1])
        except ValueError:
            continue
        if value >= 0:
            out.append(value)
    return out


def parse_stat_row(text: str) -> dict[str, int]:
    """The integer counters of the last row of SIPp's ``-trace_stat`` file, by column name."""
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=";") if r]
    if len(rows) < 2:
        return {}
    out: dict[str, int] = {}
    for key, value in zip(rows[0], rows[-1]):
        try:
            out[key] = int(value)
        except ValueError:
            continue
    return out


@dataclass(frozen=True)
class Latency:
    """INVITE-to-answer times of one step, in milliseconds (None when no call was answered)."""

    count: int
    p50: float | None
    p90: float | None
    p99: float | None
    max: float | None
    mean: float | None

    @classmethod
    def of(cls, values_ms) -> "Latency":
        ordered = sorted(values_ms)
        if not ordered:
            return cls(0, None, None, None, None, None)
        return cls(len(ordered), percentile(ordered, 0.50), percentile(ordered, 0.90),
                   percentile(ordered, 0.99), ordered[-1], round(sum(ordered) / len(ordered), 2))

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class StepResult:
    """One way at one rate: what was placed, what failed, how fast the answer came."""

    way: str
    rate: int
    placed: int
    answered: int        # calls SIPp completed (answered, talked, hung up)
    failed: int          # SIPp's failed calls (an error, or no answer within the timeout)
    misrouted: int       # calls that did not take the way's routing (e.g. fell to the fail-safe)
    expected: int        # calls the step was asked to place
    latency: Latency     # INVITE to 200 OK: on the wire when captured, else SIPp's clock
    seconds: float
    note: str = ""
    latency_sipp: Latency | None = None   # SIPp's own figure (a clock step of several ms)
    clock: str = "sipp"                   # "wire" (packet capture) or "sipp"
    ami_queue: int | None = None          # deepest stasis/m:manager:core queue during the step

    @property
    def lost(self) -> int:
        """Calls asked for that did not end well: failed, misrouted or never placed."""
        return self.failed + self.misrouted + max(0, self.expected - self.placed)

    @property
    def passed(self) -> bool:
        return self.lost == 0 and self.answered == self.expected

    def to_dict(self) -> dict:
        return {"way": self.way, "rate": self.rate, "expected": self.expected, "placed": self.placed,
                "answered": self.answered, "failed": self.failed, "misrouted": self.misrouted,
                "passed": self.passed, "seconds": round(self.seconds, 2),
                "latency_ms": self.latency.to_dict(), "clock": self.clock,
                "latency_sipp_ms": self.latency_sipp.to_dict() if self.latency_sipp else None,
                "ami_queue_max_depth": self.ami_queue, "note": self.note}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator rounded to 3 places; None when either is missing or the
    denominator is 0. A latency of 0 ms (below SIPp's clock step) gives no ratio rather than
    infinity: the report then shows the absolute figures."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return round(numerator / denominator, 3)
