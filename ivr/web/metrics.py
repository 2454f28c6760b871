"""``GET /metrics``: the engine's figures in Prometheus's text format (prometheus_client).

* per queue: callers waiting and the longest wait (Asterisk, through the console's AMI feed);
  agents by state (counts only: no agent is named, this is not a staff-monitoring feed);
* calls offered, answered and abandoned per queue, counted from Asterisk's queue events since
  the console started (counters: Prometheus's ``rate()`` and ``increase()`` handle the restart);
* the routing decision's latency histogram (the FastAGI server's stats file, written every second);
* the work-order pipeline: facts pending in the spool, the age of the oldest (the lag), the
  spool's size, facts set aside, whether the engine's intake runs (``ivr tickets intake``'s figures);
* the days of confirmed holiday calendar left (``ivr_calendar_confirmed_days_left``);
* the recordings: the free space of their disk and its threshold (IVR_RECORDINGS_MIN_FREE_MB), and
  how many work orders have a recording found short, empty, unreadable or missing.
* ``ivr health``'s verdict and figures (:mod:`ivr.ops.health`, read at most every 10 s): the status
  (0 ok, 1 degraded, 2 down) overall and per check, Asterisk up and its uptime, each part running
  and following the rules in force, the database reachable and at this code's schema, the
  recordings' disk free and its size, the TLS certificate's expiry.

A scraper cannot log in to the console, and these figures must not leak to whoever reaches the
port: every request needs ``Authorization: Bearer <token>``, the token being generated at first
start into ``<data_dir>/secrets/metrics.token`` (0600; give Prometheus that file as its
``credentials_file``). Anything else is 401, with no figure in it. Asterisk's own channel metrics
(res_prometheus) can be scraped beside these; queue figures come from here.
"""
from __future__ import annotations

import hmac
import json
from datetime import datetime, timezone

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ivr.agi.stats import BUCKETS_US
from ivr.core.holiday_calendar import days_left
from ivr.core.presence import AgentState
from ivr.web.replay_flags import storage
from ivr.errors import IvrError
from ivr.logs import get_logger
from ivr.web.session import load_or_create_secret

TOKEN_FILE = "metrics.token"
log = get_logger("ivr.web.metrics")


def expected_token(console) -> str:
    return load_or_create_secret(console.settings.data_dir, TOKEN_FILE)


def authorised(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def live_figures(console) -> dict:
    """What Asterisk says now, read on the event loop that keeps it (no waiting, no I/O)."""
    monitor = console.presence
    if monitor is None:
        return {"connected": False}
    feed, now = monitor.wallboard, console.now()
    return {"connected": monitor.logged_in.is_set(), "waiting": feed.waiting(now),
            "states": [a.state.value for a in monitor.presence.agents(now)], "counts": dict(feed.counts)}


class Figures:
    """A prometheus_client collector over one snapshot (the live figures and the files)."""

    def __init__(self, live: dict, agi: dict | None, intake: dict | None, health: tuple | None = None) -> None:
        self.live, self.agi, self.intake, self.health = live, agi, intake, health

    def collect(self):
        live = self.live
        up = GaugeMetricFamily("ivr_asterisk_feed_up", "1 when the console's AMI feed is logged in to Asterisk")
        up.add_metric([], 1 if live.get("connected") else 0)
        yield up
        waiting = GaugeMetricFamily("ivr_queue_callers_waiting", "Callers waiting in the queue now", labels=["queue"])
        longest = GaugeMetricFamily("ivr_queue_longest_wait_seconds", "The longest wait in the queue now",
                                    labels=["queue"])
        for queue, (count, seconds) in sorted(live.get("waiting", {}).items()):
            waiting.add_metric([queue], count)
            longest.add_metric([queue], round(seconds, 1))
        yield waiting
        yield longest
        agents = GaugeMetricFamily("ivr_agents", "Agents by state (as Asterisk reports them)", labels=["state"])
        states = live.get("states", [])
        for state in AgentState:
            agents.add_metric([state.value], sum(1 for s in states if s == state.value))
        yield agents
        calls = CounterMetricFamily("ivr_queue_calls", "Queue calls since the console started, by outcome",
                                    labels=["queue", "outcome"])
        for (outcome, queue), n in sorted(live.get("counts", {}).items()):
            calls.add_metric([queue, outcome], n)
        yield calls
        yield from self._routing()
        yield from self._pipeline()
        if self.health is not None:
            yield from health_gauges(*self.health)

    def _routing(self):
        decision = (self.agi or {}).get("decision")
        if not decision:
            return
        histogram = HistogramMetricFamily("ivr_routing_decision_seconds",
                                          "Time the engine took to decide where a call goes")
        buckets, running = [], 0
        counts = decision.get("histogram", {})
        for bound in BUCKETS_US:
            label = "le_inf" if bound == float("inf") else f"le_{int(bound)}us"
            running += counts.get(label, 0)
            buckets.append(("+Inf" if bound == float("inf") else f"{bound / 1e6:g}", running))
        total = decision.get("sum_us")
        if total is None:
            total = (decision.get("mean_us") or 0) * decision.get("count", 0)
        histogram.add_metric([], buckets, sum_value=total / 1e6)
        yield histogram

    def _pipeline(self):
        intake = self.intake
        if intake is None:
            return
        oldest = intake.get("oldest_pending_at")
        lag = 0.0
        if oldest:
            lag = max(0.0, (datetime.now(timezone.utc) - datetime.fromisoformat(oldest)).total_seconds())
        for name, help_text, value in (
                ("ivr_workorder_facts_pending", "Call facts in the spool not yet applied to the database",
                 intake["pending"]),
                ("ivr_workorder_pipeline_lag_seconds", "Age of the oldest call fact still pending (0: none)", lag),
                ("ivr_workorder_spool_bytes", "Size of the intake's spool on disk", intake["spool_bytes"]),
                ("ivr_workorder_facts_set_aside", "Call facts set aside with a reason (ivr tickets intake)",
                 len(intake["set_aside"])),
                ("ivr_workorder_intake_running", "1 when the engine's intake wrote its status lately",
                 1 if intake["engine_running"] else 0)):
            gauge = GaugeMetricFamily(name, help_text)
            gauge.add_metric([], value)
            yield gauge


class CalendarFigure:
    """Days of confirmed holiday calendar left (:func:`ivr.core.holiday_calendar.days_left`): at 0
    routing and deadlines run on the provisional statutory holidays; alert well before."""

    def __init__(self, days: int) -> None:
        self.days = days

    def collect(self):
        gauge = GaugeMetricFamily("ivr_calendar_confirmed_days_left",
                                  "Days from today to the first day of a year routing_rules.yaml has no "
                                  "confirmed holiday list for (0: this year is provisional)")
        gauge.add_metric([], self.days)
        yield gauge


class RecordingFigures:
    """The recordings' disk against its threshold, and the orders with an incomplete recording
    (:func:`ivr.web.replay_flags.storage`: the figures of the engine's own check)."""

    def __init__(self, storage) -> None:
        self.storage = storage

    def collect(self):
        storage = self.storage
        space = storage.space
        for name, help_text, value in (
                ("ivr_recordings_free_bytes", "Free space of the recordings' file system", space.free_bytes),
                ("ivr_recordings_min_free_bytes", "Below this free space the engine warns (IVR_RECORDINGS_MIN_FREE_MB)",
                 space.min_free_bytes),
                ("ivr_recordings_disk_low", "1 when the recordings' free space is under the threshold or unreadable",
                 1 if space.low else 0),
                ("ivr_recordings_incomplete", "Work orders whose recording was found short, empty, unreadable or "
                 "missing", storage.flagged)):
            if value is None:  # the database cannot say: no figure rather than a wrong one
                continue
            gauge = GaugeMetricFamily(name, help_text)
            gauge.add_metric([], value)
            yield gauge


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, help_text)
    family.add_metric([], value)
    return family


def health_gauges(figures, verdict):
    """``ivr health``'s figures as gauges (the pipeline's are above already: not repeated)."""
    yield _gauge("ivr_health_status", "ivr health: 0 ok, 1 degraded, 2 down", int(verdict.level))
    checks = GaugeMetricFamily("ivr_health_check_status", "Each check of ivr health: 0 ok, 1 degraded, 2 down",
                               labels=["check"])
    for check in verdict.checks:
        checks.add_metric([check.name], int(check.level))
    yield checks
    asterisk = figures.asterisk
    yield _gauge("ivr_asterisk_up", "1 when Asterisk runs and its CLI answers", int(asterisk.running and asterisk.answering))
    if asterisk.uptime_s is not None:
        yield _gauge("ivr_asterisk_uptime_seconds", "Seconds since Asterisk started", asterisk.uptime_s)
    running = GaugeMetricFamily("ivr_part_processes", "Processes running each part", labels=["part"])
    follows = GaugeMetricFamily("ivr_part_follows_rules",
                                "1 when every process of the part holds the rules file in force", labels=["part"])
    for part in sorted({c.name.removeprefix("part:") for c in verdict.checks if c.name.startswith("part:")}):
        held = [p for p in figures.parts if p.part == part]
        running.add_metric([part], len(held))
        follows.add_metric([part], int(bool(held) and all(p.sha256 == figures.rules_sha256 for p in held)))
    yield running
    yield follows
    database = figures.database
    yield _gauge("ivr_database_up", "1 when the engine's database answers", int(database.reachable))
    yield _gauge("ivr_database_schema_current", "1 when the database's schema is this code's newest",
                 int(database.reachable and database.revision == database.head))
    if figures.disk.free_bytes is not None:
        yield _gauge("ivr_recordings_disk_free_bytes", "Free bytes on the recordings' disk", figures.disk.free_bytes)
        yield _gauge("ivr_recordings_disk_size_bytes", "Size of the recordings' disk", figures.disk.total_bytes or 0)
    if figures.tls_expires_at is not None:
        yield _gauge("ivr_tls_certificate_expiry_timestamp_seconds",
                     "When the SIP server's TLS certificate expires (Unix time)", figures.tls_expires_at.timestamp())


def _files(console) -> tuple[dict | None, dict | None]:
    try:
        agi = json.loads((console.settings.data_dir / "agi-stats.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        agi = None
    try:
        intake = console.intake_report() if console.intake_report is not None else None
    except (OSError, ValueError):
        intake = None
    return agi, intake


def _health(console) -> tuple | None:
    """(figures, verdict) of ivr health, or None (logged) when they cannot be read now: the other
    figures are served all the same."""
    if console.health is None:
        return None
    try:
        return console.health()
    except (IvrError, OSError) as err:
        log.warning("metrics.health_unavailable", error=str(err))
        return None


async def metrics(request: Request) -> Response:
    console = request.app.state.console
    token = await run_in_threadpool(expected_token, console)
    if not authorised(request, token):
        return PlainTextResponse("a bearer token is needed\n", status_code=401,
                                 headers={"WWW-Authenticate": 'Bearer realm="ivr metrics"'})
    live = live_figures(console)
    agi, intake = await run_in_threadpool(_files, console)
    health = await run_in_threadpool(_health, console)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Figures(live, agi, intake, health))
    registry.register(CalendarFigure(days_left(console.rules.calendar, console.now().date())))
    registry.register(RecordingFigures(await run_in_threadpool(storage, console)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})


routes = [Route("/metrics", metrics, methods=["GET"])]
