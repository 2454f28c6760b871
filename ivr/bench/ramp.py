"""The ramp: which way runs at which rate, in which order, and the highest rate each sustained.

Rates go up in steps; at every step the ways take turns, the first way rotating from step to
step, so slow drift of the machine (heat, caches, a neighbour's job) falls on all ways alike.
A way that loses a call at some rate is not pushed further: pushing a saturated way only makes
a backlog that spoils the next way's measurement. Its highest sustained rate is the highest
rate at which it lost nothing, with every lower step passed as well.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ivr.bench.stats import StepResult


def plan_rates(report_rates, ramp_rates) -> list[int]:
    """Every rate to run, ascending: the reported rates and the ramp's, each once."""
    rates = sorted({int(r) for r in (*report_rates, *ramp_rates)})
    if not rates or rates[0] <= 0:
        raise ValueError("rates must be positive whole calls per second")
    return rates


def rotated(ways: list[str], step: int) -> list[str]:
    """``ways`` starting at position ``step`` (mod len), wrapping around."""
    if not ways:
        return []
    k = step % len(ways)
    return ways[k:] + ways[:k]


@dataclass
class Ramp:
    """The state of a run: results so far, and which ways are still going up."""

    ways: list[str]
    rates: list[int]
    results: list[StepResult] = field(default_factory=list)
    stopped: dict[str, int] = field(default_factory=dict)   # way -> rate at which it lost calls

    def schedule(self) -> list[tuple[int, int, list[str]]]:
        """(step index, rate, ways in turn order) for every step, before anything ran."""
        return [(i, rate, rotated(self.ways, i)) for i, rate in enumerate(self.rates)]

    def should_run(self, way: str, rate: int) -> bool:
        return way not in self.stopped or rate < self.stopped[way]

    def record(self, result: StepResult) -> None:
        self.results.append(result)
        if not result.passed and result.way not in self.stopped:
            self.stopped[result.way] = result.rate

    def steps(self, way: str) -> list[StepResult]:
        return sorted((r for r in self.results if r.way == way), key=lambda r: r.rate)

    def at(self, way: str, rate: int) -> StepResult | None:
        for result in self.results:
            if result.way == way and result.rate == rate:
                return result
        return None

    def highest_sustained(self, way: str) -> int | None:
        """The highest rate up to which every step of ``way`` passed; None if the first failed."""
        best = None
        for result in self.steps(way):
            if not result.passed:
                break
            best = result.rate
        return best

    def ceiling_reached(self, way: str) -> bool:
        """True when ``way`` passed every rate asked for: its real ceiling is higher."""
        return way not in self.stopped and self.highest_sustained(way) == max(self.rates)
