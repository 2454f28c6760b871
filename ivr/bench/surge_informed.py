"""The surge both ways: the same callers without, then with an incident notice and callbacks.

The first way is ``ivr bench``'s surge as it always ran (:meth:`ivr.bench.runner.Bench._surge`):
callers hold on until an agent answers or their patience runs out. The second way puts a notice
on the surge line (made with espeak-ng, as ``ivr notices add`` does) and places the same number of
callers at the same rate with ``bench_surge_informed.xml``: after the notice a share of them press
1 and leave (their matter is known), a share press 2 and hang up to be called back, the others
hold on as before. A SIPp uas on :func:`callback_port` plays the citizens' phones and answers
the engine's callbacks; the run waits until every callback request is closed.

The shares are an assumption (who, hearing "the water is cut in town X until 18:00", would still
wait?), stated in the report; the figures measured are what the engine and Asterisk did with them.
Each way is summed by :func:`ivr.bench.surge.side_by_side` from the queue log and the database.
"""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ivr.bench import lab, load
from ivr.bench.surge import (
    ABANDONED,
    ANSWERED,
    WayFigures,
    occupancy,
    paths,
    side_by_side,
    talk_seconds,
)
from ivr.core.call_events import QueueLogEntry, parse_queue_log_line
from ivr.sipp import DTMF_PCAP, Party

CALLBACK_PORT_STEP = 9          # the citizens' phones answer callbacks on the carrier's port + 9
LEAVE_SHARE = 0.2               # press 1 after the notice
CALLBACK_SHARE = 0.5            # press 2 after the notice
KEY_AFTER_MS = 2500             # the key, this long after Asterisk answers (during the notice)
CALLBACKS_TIMEOUT_S = 1500.0
SURGE_PROMPTS = ("hotline/notice_choice", "hotline/left_informed", "hotline/callback_taken",
                 "hotline/callback_hello", "hotline/callback_offer")
NOTICE_TEXT = "城东水厂爆管，城东镇停水，预计18点恢复。了解情况请按1，需要回拨请按2。"


def callback_port(ports: lab.Ports) -> int:
    return ports.carrier + CALLBACK_PORT_STEP


def _window(entries: list[QueueLogEntry]) -> float:
    """Seconds from the first to the last queue-log line of a way (at least 1)."""
    if not entries:
        return 0.0
    return max(1.0, (max(e.at for e in entries) - min(e.at for e in entries)).total_seconds())


def without(entries: list[QueueLogEntry], line: str, callers: int, agents: int) -> WayFigures:
    """The first way's figures from its queue-log lines."""
    found = paths(entries, line)
    return WayFigures("without", callers, answered=sum(p.outcome == ANSWERED for p in found), called_back=0,
                      left_informed=0, abandoned=sum(p.outcome == ABANDONED for p in found),
                      occupancy=occupancy(talk_seconds(entries), agents, _window(entries)))


def _read_log(path: Path, offset: int) -> list[QueueLogEntry]:
    with path.open("rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", errors="replace")
    return [e for e in map(parse_queue_log_line, text.splitlines()) if e is not None]


def _surge_prompts(layout, rules) -> None:
    """Make the stand-ins the second way plays (the notice's choices, the callback's words): the
    benchmark's Asterisk sees only the sounds made in its own run folder."""
    from ivr.prompts.library import PromptLibrary
    from ivr.prompts.texts import load_texts, wordings

    texts = load_texts()
    wanted = [w for w in wordings(texts, rules) if w.name in SURGE_PROMPTS]
    PromptLibrary(layout.sounds).build(wanted, texts.voice, texts.speed, "ivr bench", datetime.now(UTC))


def with_notice(bench, agent_count: int) -> tuple[WayFigures, dict]:
    """Run the second way on ``bench``'s lab; (its figures, details for the results file)."""
    from ivr.asterisk.layout import Layout
    from ivr.notices_admin import put_up
    from ivr.store import open_store, policy_for
    from ivr.store.surges import SurgeStore

    c, settings = bench.config, bench.settings
    lab.settle(bench.deployment)
    time.sleep(c.agent_talk_ms / 1000 + 6)  # agents' wrap-up after the first way
    store = open_store(settings.database_url, policy_for(bench.rules), migrate=False)
    surges = SurgeStore(store.engine, store.tz)
    phone = None
    try:
        _surge_prompts(Layout.from_settings(settings), bench.rules)
        started_at = datetime.now(UTC)
        notice = put_up(surges, bench.rules, Layout.from_settings(settings), lines=[c.surge_line], queues=[],
                        starts_at=started_at - timedelta(seconds=5), ends_at=started_at + timedelta(hours=2),
                        text=NOTICE_TEXT, recording=None, by="ivr bench", now=started_at)
        time.sleep(3)  # the engine's notice board reads the notices every second
        qlog = lab.queue_log(bench.deployment.layout)
        offset = qlog.stat().st_size if qlog.exists() else 0
        phone = Party("citizens", callback_port(bench.ports), bench.run_dir / "steps" / "citizens").start()
        keys = {f"@DTMF{k}@": str(DTMF_PCAP.with_name(f"dtmf_2833_{k}.pcap")) for k in (1, 2)}
        loaded = load.place(c.surge_line, c.surge_callers / c.surge_seconds, c.surge_callers,
                            bench.run_dir / "steps" / "surge_informed", bench.ports,
                            scenario="bench_surge_informed.xml", answer_timeout_ms=10_000, caller="13900000002",
                            timeout=c.surge_seconds + c.surge_patience_s + 120,
                            substitutions={"@PATIENCE_MS@": str(int(c.surge_patience_s * 1000)),
                                           "@LEAVE@": str(LEAVE_SHARE),
                                           "@LEAVE_OR_CALLBACK@": str(LEAVE_SHARE + CALLBACK_SHARE),
                                           "@KEY_AFTER_MS@": str(KEY_AFTER_MS), **keys})
        requests = _wait_for_callbacks(surges, started_at)
        lab.wait_idle(bench.deployment, timeout=120)
        time.sleep(3)  # the last facts reach the database
        surges.end_notice(notice.id, "ivr bench", datetime.now(UTC))
        left = surges.left_informed_since(started_at)
    finally:
        if phone is not None:
            phone.stop()
        store.close()
    entries = _read_log(qlog, offset)
    callback_calls = {a["linkedid"] for r in requests for a in r.attempts if a["outcome"] == "answered"}
    connected = {e.callid for e in entries if e.event == "CONNECT"}
    waited = paths([e for e in entries if e.callid not in callback_calls], c.surge_line)
    # the last callback an agent answered (or the last request closed as failed)
    closed = [e.at for e in entries if e.event == "CONNECT" and e.callid in callback_calls]
    closed += [r.closed_at for r in requests if r.closed_at is not None and r.status == "failed"]
    figures = WayFigures(
        "with notice + callbacks", loaded.placed, answered=sum(p.outcome == ANSWERED for p in waited),
        called_back=len(callback_calls & connected), left_informed=left,
        abandoned=sum(p.outcome == ABANDONED for p in waited), callbacks_asked=len(requests),
        callbacks_failed=sum(r.status == "failed" for r in requests),
        occupancy=occupancy(talk_seconds(entries), agent_count, _window(entries)),
        last_callback_s=(max(closed) - started_at).total_seconds() if closed else None)
    return figures, {"sipp_failed": loaded.failed, "citizens_answered": len(phone.answered()),
                     "leave_share": LEAVE_SHARE, "callback_share": CALLBACK_SHARE,
                     "open_requests": sum(r.status in ("waiting", "calling") for r in requests)}


def _wait_for_callbacks(surges, since: datetime) -> list:
    """Every callback request made since ``since``, once none is waiting or ringing (or at the limit)."""
    deadline = time.monotonic() + CALLBACKS_TIMEOUT_S
    while True:
        requests = [r for r in surges.callbacks(limit=100_000) if r.requested_at >= since]
        if all(r.status not in ("waiting", "calling") for r in requests) or time.monotonic() > deadline:
            return requests
        time.sleep(2)


def both_ways(bench, entries: list[QueueLogEntry], callers: int) -> dict:
    """The first way's figures (from its queue-log ``entries``), then the second way run and summed."""
    agent_count = len(bench.agent_ids)
    first = without(entries, bench.config.surge_line, callers, agent_count)
    second, details = with_notice(bench, agent_count)
    return {"ways": [first.to_dict(), second.to_dict()], "informed": details}


def report_lines(surge: dict) -> list[str]:
    """The two ways side by side, for the benchmark's readable report."""
    both = surge.get("both_ways")
    if not both:
        return []
    ways = [WayFigures(**{k: v for k, v in w.items() if k not in ("connection_rate", "informed_rate")}) for w in both["ways"]]
    d = both["informed"]
    title = ("surge both ways (same callers, rate and agents; with: after the notice "
             f"{d['leave_share']:.0%} press 1, {d['callback_share']:.0%} press 2, the rest hold on):")
    return [title, *side_by_side(ways)]
