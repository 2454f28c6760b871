"""How fast is the impact preview on a busy centre's month of calls? (``ivr bench-preview``)

Fills a database of its own with ``calls`` logged calls spread over ``days`` days (weighted to
office hours, to the main line and the legacy lines in proportions a county centre might see,
one spelling of the number in ten in the local or +86 form), then times what ``ivr rules
preview`` does: reading the calls back from the database, and replaying each through the
shipped rules and a changed copy (a parallel line made forward, a holiday added, a sunset date
moved). It prints the figures and the replay's decisions count; nothing is asserted.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from ivr.core.replay import LoggedCall, replay
from ivr.core.rules import Rules
from ivr.rules_file import rules_from_text
from ivr.settings import REPO_ROOT
from ivr.store.engine import open_engine
from ivr.store.routed_calls import RoutedCalls

CHANGES = (
    ('''  - {number: "0513-80000401", department: justice, mode: parallel, name: 法律服务热线,
     destination: "0513-80002401", schedule: office_hours, dial_timeout: 20, fallback_queue: q12345}''',
     '''  - {number: "0513-80000401", department: justice, mode: forward, name: 法律服务热线}'''),
    ("  - {name: Dragon Boat Festival 2020, from: 2020-06-25, to: 2020-06-27}",
     "  - {name: Dragon Boat Festival 2020, from: 2020-06-25, to: 2020-06-27}\n  - {name: County Day, from: 2020-06-16}"),
    ('retire_on: 2020-07-28}\n  - {number: "0513-80000202"', 'retire_on: 2020-06-20}\n  - {number: "0513-80000202"'),
)


@dataclass
class Figures:
    calls: int
    days: int
    fill_s: float
    read_s: float
    replay_s: float
    elsewhere: int
    decisions: int

    def lines(self) -> list[str]:
        total = self.read_s + self.replay_s
        return [f"calls logged: {self.calls:,} over {self.days} days (database filled in {self.fill_s:.1f} s)",
                f"read back from the database: {self.read_s:.2f} s ({self.calls / max(self.read_s, 1e-9):,.0f} calls/s)",
                f"replayed under both rule sets: {self.replay_s:.2f} s ({self.calls / max(self.replay_s, 1e-9):,.0f} calls/s, "
                f"{self.decisions:,} decide() calls in all)",
                f"the preview in all: {total:.2f} s; {self.elsewhere:,} calls would go elsewhere"]


def changed(text: str) -> Rules:
    for old, new in CHANGES:
        text = text.replace(old, new, 1)
    return rules_from_text(text, "changed.yaml")


def synthetic_calls(rules: Rules, count: int, start: datetime, days: int, seed: int = 12345):
    """``count`` calls in time order, between 07:00 and 22:00 each day: 60 % to 12345, the rest
    spread over the legacy lines."""
    rng = random.Random(seed)
    legacy = [line for line in rules.lines.values() if line.number != rules.centre.main_line]
    per_day = count / days
    for n in range(count):
        day, part = divmod(n / per_day, 1)
        moment = start + timedelta(days=int(day), hours=7 + 15 * part)
        line = rules.centre.main_line if rng.random() < 0.6 else rng.choice(legacy).written
        if rng.random() < 0.1 and line.startswith("0513-"):
            line = line[5:] if rng.random() < 0.5 else "+86" + line[1:].replace("-", "")
        yield {"call_id": f"bench-{n}", "at": moment, "line": line, "caller": f"139{rng.randrange(10**8):08d}",
               "rules_sha256": rules.sha256, "route": "", "mode": "", "department": ""}


def run(database_url: str, calls: int = 1_000_000, days: int = 30) -> Figures:
    text = (REPO_ROOT / "routing_rules.yaml").read_text(encoding="utf-8")
    in_force, new = rules_from_text(text, "routing_rules.yaml"), changed(text)
    start = datetime(2020, 5, 2, tzinfo=in_force.centre.timezone)
    engine = open_engine(database_url)
    try:
        log = RoutedCalls(engine)
        began = time.perf_counter()
        batch: list[dict] = []
        for row in synthetic_calls(in_force, calls, start, days):
            batch.append(row)
            if len(batch) == 20_000:
                log.add_many(batch)
                batch = []
        log.add_many(batch)
        fill = time.perf_counter() - began
        began = time.perf_counter()
        loaded: list[LoggedCall] = list(log.between(start))
        read = time.perf_counter() - began
        began = time.perf_counter()
        result = replay(loaded, in_force, new)
        replayed = time.perf_counter() - began
    finally:
        engine.dispose()
    return Figures(len(loaded), days, fill, read, replayed, result.elsewhere, sum(result.decisions.values()))
