"""What one wallboard costs the console: a benchmark that prints numbers (no pass or fail).

    .venv/bin/python bench/wallboard.py [--agents 60] [--calls 3000] [--database sqlite:///...]

For a centre of AGENTS agents and CALLS calls offered today it times, over many runs: reading the
day's calls from the database (SQLite in a temporary folder unless --database), building the board
(:func:`ivr.core.wallboard.build`), rendering its live part (the HTML each open wallboard page
receives per update), and an SSE event through the hub to a subscriber in the same process. The
feed builds and renders a board at most four times a second after changes and once a second while
watched, in a worker thread: only the snapshot of Asterisk's state is taken on the event loop that
also answers FastAGI; every open page gets the same HTML.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.core import presence as p  # noqa: E402
from ivr.core import wallboard  # noqa: E402
from ivr.rules_file import load_rules  # noqa: E402
from ivr.settings import REPO_ROOT  # noqa: E402
from ivr.store import open_store, policy_for  # noqa: E402
from ivr.web.hub import EventHub, LiveEvent  # noqa: E402
from ivr.web.wallboard import render_live  # noqa: E402


def timed(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=60)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    rules = load_rules(REPO_ROOT / "routing_rules.yaml")
    tz = rules.centre.timezone
    now = wallboard.day_start(__import__("datetime").datetime.now(tz)) + timedelta(hours=17)
    queues = list(rules.queues)
    random.seed(1)

    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    store = open_store(url, policy_for(rules))
    started = time.perf_counter()
    for n in range(args.calls):
        when = wallboard.day_start(now) + timedelta(seconds=random.randint(6 * 3600, 17 * 3600 - 60))
        outcome = random.choices(["answered", "abandoned", "offered"], [90, 8, 2])[0]
        store.record_call(f"bench.{n}", at=when, line="12345", outcome=outcome, queue=random.choice(queues),
                          wait_seconds=random.randint(1, 60) if outcome != "offered" else None)
    print(f"setup: {args.calls} calls written in {time.perf_counter() - started:.1f} s ({store.engine.url.drivername})")

    agents = tuple(f"agent{i}" for i in range(1, args.agents + 1))
    presence = p.Presence(agents, {q: 5 for q in queues})
    for i, agent in enumerate(agents):
        presence.apply(p.Member(agent, queues[i % len(queues)], paused=i % 7 == 0, reason="break"), now)
        if i % 3 == 0:
            presence.apply(p.Connected(agent, p.Call(f"c.{i}", queues[i % len(queues)], "139", "12345", "centre")), now)
    for i in range(12):
        presence.apply(p.CallerJoined(queues[i % len(queues)], f"w.{i}"), now - timedelta(seconds=i * 5))
    history = wallboard.WaitingHistory()
    for minute in range(60):
        history.add(now - timedelta(minutes=60 - minute), random.randint(0, 8))

    day = wallboard.day_start(now)
    calls = store.calls_between(day, day + timedelta(days=1))
    read = timed(lambda: store.calls_between(day, day + timedelta(days=1)), max(20, args.runs // 10))
    waiting = {q: presence.waiting(q, now) for q in queues}
    build = timed(lambda: wallboard.build(queues, presence.agents(now), waiting, calls, history, now), args.runs)
    board = wallboard.build(queues, presence.agents(now), waiting, calls, history, now)
    html = render_live(board, True, rules)
    render = timed(lambda: render_live(board, True, rules), args.runs)
    snapshot = timed(lambda: (presence.agents(now), {q: presence.waiting(q, now) for q in queues}), args.runs)

    async def through_hub() -> list[float]:
        hub, samples = EventHub(), []
        with hub.subscribe("wallboard") as sub:
            for _ in range(args.runs):
                started = time.perf_counter()
                hub.publish("wallboard", LiveEvent("wallboard", {"board": board}))
                await sub.next(1.0)
                samples.append((time.perf_counter() - started) * 1000)
        return sorted(samples)
    hub = asyncio.run(through_hub())
    store.close()

    print(f"centre: {args.agents} agents, {len(queues)} queues, {len(calls)} calls today, 12 waiting")
    for name, (p50, p99) in (("snapshot (event loop)", snapshot), ("read the day's calls", read),
                             ("build the board", build), ("render its live part", render)):
        print(f"{name:<24} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")
    print(f"{'hub to a subscriber':<24} p50 {statistics.median(hub):7.3f} ms   p99 {hub[int(len(hub) * 0.99) - 1]:7.3f} ms")
    print(f"one update's HTML: {len(html.encode()):,} bytes per open page")


if __name__ == "__main__":
    main()
