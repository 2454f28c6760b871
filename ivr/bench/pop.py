"""What agents and citizens feel under load: answer -> screen pop, answer -> work order, rating key
-> stored rating.

Every agent of the general queue gets a staff login and a page stream (``/events``, the same SSE
stream the desk listens to, read here by a plain HTTP client after a real login); then rounds of
calls arrive at 12345 together, one per agent, so all of them answer at once. The answer is
Asterisk's AgentConnect, seen on a separate AMI connection of the benchmark; the pop is the
``screen_pop`` event arriving on that agent's stream. Per agent, the n-th answer pairs with the
n-th pop. The same answers, and the callers' rating keys (the dialplan's UserEvent IvrRating), are
timed to the moment the engine's database holds the order and the rating (:mod:`ivr.bench.latency`).
The figures are the delays' p50/p99 (a figure in the results, never a timed test).
"""
from __future__ import annotations

import asyncio
import secrets
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field

from ivr.bench.latency import StoreWatch, delays_ms
from ivr.bench.stats import Latency
from ivr.logs import get_logger

log = get_logger("ivr.bench.pop")


@dataclass
class PopResult:
    agents: int
    rounds: int
    answered: int = 0
    popped: int = 0
    delays_ms: list[float] = field(default_factory=list)
    missing: int = 0
    order_delays_ms: list[float] = field(default_factory=list)
    orders_missing: int = 0
    rating_delays_ms: list[float] = field(default_factory=list)
    ratings_keyed: int = 0
    ratings_missing: int = 0
    poll_ms: float = 0.0
    page_order_delays_ms: list[float] = field(default_factory=list)   # answer -> the order's number on the page
    page_orders_missing: int = 0

    def to_dict(self) -> dict:
        data = asdict(self)
        for name in ("delays_ms", "order_delays_ms", "rating_delays_ms", "page_order_delays_ms"):
            data[name] = [round(d, 1) for d in getattr(self, name)]
        data["latency_ms"] = Latency.of(self.delays_ms).to_dict()
        data["order_latency_ms"] = Latency.of(self.order_delays_ms).to_dict()
        data["rating_latency_ms"] = Latency.of(self.rating_delays_ms).to_dict()
        data["page_order_latency_ms"] = Latency.of(self.page_order_delays_ms).to_dict()
        return data


class PageStream(threading.Thread):
    """One agent's page stream: the times its ``screen_pop`` events arrive, and its
    ``screen_pop_order`` events (the order's number on the page)."""

    def __init__(self, base_url: str, name: str, password: str) -> None:
        super().__init__(name=f"pop-{name}", daemon=True)
        from ivr.demo.desk_client import DeskClient

        self.client = DeskClient(base_url, timeout=60)
        self.client.log_in(name, password)
        self.base_url = base_url
        self.pops: list[float] = []
        self.orders: list[float] = []
        self.ready = threading.Event()

    def run(self) -> None:
        try:
            with self.client.opener.open(self.base_url + "/events", timeout=60) as stream:
                self.ready.set()
                for raw in stream:
                    if raw.startswith(b"event: screen_pop_order"):
                        self.orders.append(time.monotonic())
                    elif raw.startswith(b"event: screen_pop") and not raw.startswith(b"event: screen_pop_"):
                        self.pops.append(time.monotonic())
        except OSError as err:
            log.warning("bench.pop_stream_ended", error=str(err))
            self.ready.set()


class AnswerWatch(threading.Thread):
    """AgentConnect events on an AMI connection of the benchmark's own: who answered, when."""

    def __init__(self, host: str, port: int, user: str, secret: str, store: StoreWatch | None = None) -> None:
        super().__init__(name="pop-ami", daemon=True)
        self.args = (host, port, user, secret)
        self.store = store
        self.answers: dict[str, list[float]] = {}
        self.answered_calls: dict[str, float] = {}   # linkedid -> AgentConnect seen
        self.rated_calls: dict[str, float] = {}      # linkedid -> UserEvent IvrRating seen
        self.ready = threading.Event()
        self._done: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        from ivr.ami.client import AmiClient

        self._loop, self._done = asyncio.get_running_loop(), asyncio.Event()
        session = AmiClient(*self.args)
        session.manager.register_event("AgentConnect", self._on_connect)
        session.manager.register_event("UserEvent", self._on_user_event)
        async with session:
            self.ready.set()
            await self._done.wait()

    def _on_connect(self, _manager, event) -> None:
        now = time.monotonic()
        self.answers.setdefault(str(event.get("MemberName", "")), []).append(now)
        linkedid = str(event.get("Linkedid", ""))
        if linkedid and linkedid not in self.answered_calls:
            self.answered_calls[linkedid] = now
            if self.store is not None:
                self.store.want_order(linkedid)

    def _on_user_event(self, _manager, event) -> None:
        linkedid = str(event.get("Linkedid", ""))
        if str(event.get("UserEvent", "")) == "IvrRating" and linkedid and linkedid not in self.rated_calls:
            self.rated_calls[linkedid] = time.monotonic()
            if self.store is not None:
                self.store.want_rating(linkedid)

    def stop(self) -> None:
        if self._loop is not None and self._done is not None:
            self._loop.call_soon_threadsafe(self._done.set)
        self.join(10)


def add_accounts(ivr: list[str], env: dict[str, str], agents: list[str]) -> dict[str, str]:
    """A staff login per agent phone, made with ``ivr users add``: {agent id: password}."""
    out = {}
    for agent in agents:
        password = secrets.token_urlsafe(9)
        done = subprocess.run([*ivr, "users", "add", f"bench-{agent}", "--role", "agent", "--phone", agent,
                               "--password-stdin"], input=password + "\n", env=env, capture_output=True,
                              text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"ivr users add bench-{agent}: {done.stderr.strip()[-300:]}")
        out[agent] = password
    return out


def measure(*, base_url: str, ivr: list[str], env: dict[str, str], agents: list[str], ami: tuple,
            place_round, database_url: str, rounds: int = 5, settle_s: float = 8.0) -> PopResult:
    """Run ``rounds`` rounds of ``place_round()`` (one call per agent, together) and pair each
    agent's answers with its pops; time each answer to its order and each rating key to its
    rating in ``database_url``."""
    passwords = add_accounts(ivr, env, agents)
    streams = {a: PageStream(base_url, f"bench-{a}", p) for a, p in passwords.items()}
    for stream in streams.values():
        stream.start()
    for stream in streams.values():
        stream.ready.wait(10)
    store = StoreWatch(database_url)
    store.start()
    watch = AnswerWatch(*ami, store=store)
    watch.start()
    watch.ready.wait(10)
    try:
        for _ in range(rounds):
            place_round()
        time.sleep(settle_s)  # the last pops on their way
    finally:
        watch.stop()
        store.stop()
    result = PopResult(agents=len(agents), rounds=rounds, poll_ms=store.poll_s * 1000)
    result.order_delays_ms, result.orders_missing = delays_ms(watch.answered_calls, store.order_seen)
    result.rating_delays_ms, result.ratings_missing = delays_ms(watch.rated_calls, store.rating_seen)
    result.ratings_keyed = len(watch.rated_calls)
    for agent, stream in streams.items():
        answers = watch.answers.get(agent, [])
        result.answered += len(answers)
        result.popped += len(stream.pops)
        pairs = list(zip(answers, stream.pops))
        result.delays_ms += [max(0.0, (pop - answer) * 1000) for answer, pop in pairs]
        result.missing += max(0, len(answers) - len(stream.pops))
        result.page_order_delays_ms += [max(0.0, (order - answer) * 1000)
                                        for answer, order in zip(answers, stream.orders)]
        result.page_orders_missing += max(0, len(answers) - len(stream.orders))
    return result


def queue_agents(rules, queue: str) -> list[str]:
    return sorted(a.id for a in rules.agents.values() if queue in a.queues)


__all__ = ["PopResult", "add_accounts", "measure", "queue_agents"]
