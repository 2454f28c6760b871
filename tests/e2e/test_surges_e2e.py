"""Surges with the real Asterisk, SIPp and the engine (`ivr serve`): incident notices and callbacks.

* A notice put up with `ivr notices add` plays on its line and only inside its window: a caller
  on that line hears it and leaves with key 1 (counted as left informed); a caller on another
  line, or after the notice is taken down, or before a later notice's window, hears none.
* A caller joining q12345 when the expected wait is long (agent1 busy, another caller waiting)
  is offered a callback and takes it with key 2; the caller before, with a shorter wait, is not.
* A caller queued with nobody free presses 2 and hangs up; the engine is restarted; an agent logs
  in and frees up; the engine calls the citizen back through the carrier trunk (SIPp plays the
  citizen's phone), the call joins the queue, the agent answers, and a work order is created for
  the citizen's number, like any answered call. The request, its try and outcome are recorded.
"""
from __future__ import annotations

import json
import subprocess
import threading
from datetime import datetime, timedelta, timezone

import pytest
from e2e.asterisk_lab import CARRIER_PORT, SIP_PORT
from e2e.engine_process import IVR, engine_env, running_engine, skip_queue_log_history

from ivr.asterisk.layout import Layout
from ivr.sipp import place_calls

pytestmark = pytest.mark.asterisk

WATER_LINE = "051380000304"   # the water company's dedicated line (seat_water)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'surges.sqlite3'}"


@pytest.fixture
def staff(clean_queues, sqlite_url):
    """The staff CLI on the engine's database: ``staff("notices", "list", "--json")`` -> parsed JSON."""
    skip_queue_log_history(clean_queues.settings)
    env = engine_env(clean_queues.settings, sqlite_url)

    def run(*args: str):
        done = subprocess.run([IVR, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)
    return run


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _left_informed(url: str) -> list[tuple[str, str]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text("SELECT line, notice FROM left_informed"))]
    finally:
        engine.dispose()


def test_a_notice_plays_on_its_lines_and_only_inside_its_window(clean_queues, staff, sqlite_url, tmp_path):
    lab = clean_queues
    lab.login("agent1")
    now = datetime.now(timezone.utc)
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=sqlite_url) as engine, \
            lab.agent("agent1"):
        notice = staff("notices", "add", "--line", "0513-80000304", "--from", _iso(now - timedelta(minutes=1)),
                       "--until", _iso(now + timedelta(hours=1)), "--json",
                       "--text", "城东水厂爆管，城东镇停水，预计18点恢复。")[0]
        later = staff("notices", "add", "--line", "12345", "--from", _iso(now + timedelta(hours=2)),
                      "--until", _iso(now + timedelta(hours=3)), "--text", "明日检修通知。", "--json")[0]
        assert engine.wait_for("notices.changed", timeout=10), engine.log()[-3000:]

        # its line, inside its window: the notice plays and the caller leaves with key 1
        result, hangup = lab.call("0513-80000304", talk_ms=1500, caller="13944440001", rating=1, timeout=40)
        assert result.ok, result.output[-2000:]
        assert hangup["vars"].get("IVR_NOTICE") == notice["prompt"]
        assert hangup["vars"].get("IVR_REACHED", "") == ""          # never queued: left informed
        assert engine.wait_for("ledger.left_informed", timeout=10), engine.log()[-3000:]
        assert _left_informed(sqlite_url) == [(WATER_LINE, notice["prompt"])]

        # another line (whose own notice's window has not begun): no notice, an agent answers
        result, hangup = lab.call("12345", talk_ms=4000, caller="13944440002")
        assert result.ok
        assert hangup["vars"].get("IVR_NOTICE", "") == "" and hangup["vars"]["IVR_REACHED"] == "queue:q12345"
        assert later["prompt"] != notice["prompt"]

        # taken down: its window is over, the line is back to normal
        ended = staff("notices", "end", str(notice["id"]), "--json")[0]
        assert ended["ended_by"] and ended["ended_at"]
        assert engine.wait_for("notices.changed", count=2, timeout=10), engine.log()[-3000:]
        result, hangup = lab.call("0513-80000304", talk_ms=1500, caller="13944440003", rating=1, timeout=40)
        assert hangup["vars"].get("IVR_NOTICE", "") == ""
    assert _left_informed(sqlite_url) == [(WATER_LINE, notice["prompt"])]   # the last caller did not leave
    listed = staff("notices", "list", "--all", "--json")
    assert {n["id"] for n in listed} == {notice["id"], later["id"]}
    water = staff("report", "--json")["queues"]["seat_water"]
    assert water["left_informed"] == 1 and water["abandoned"] == 0


def test_a_callback_asked_in_the_queue_survives_a_restart_and_makes_a_work_order(clean_queues, staff,
                                                                                sqlite_url, tmp_path):
    lab = clean_queues   # nobody logged in: the caller waits in the general queue
    citizen = "13955550001"
    log = tmp_path / "engine.log"
    env = {"IVR_CALLBACK_RETRY_AFTER": "5", "IVR_CALLBACK_RING": "20"}
    with running_engine(lab.settings, log, database_url=sqlite_url, **env) as engine:
        # greeting (3 s), then queued; 5 s after the answer the caller presses 2 and is told it is taken
        result, hangup = lab.call("12345", talk_ms=5000, caller=citizen, rating=2, timeout=40)
        assert result.ok, result.output[-2000:]
        assert hangup["vars"].get("IVR_REACHED", "") == ""
        assert engine.wait_for("ledger.callback_requested", timeout=10), engine.log()[-3000:]
    [request] = staff("callbacks", "list", "--json")
    assert (request["number"], request["queue"], request["status"], request["via"]) == \
        (citizen, "q12345", "waiting", "queue_key")
    assert request["linkedid"] == hangup["uniqueid"]

    # a new engine: nothing in memory; an agent frees up; the citizen's phone rings and answers
    with running_engine(lab.settings, log, database_url=sqlite_url, **env) as engine, \
            lab.party("citizen", CARRIER_PORT) as phone, lab.agent("agent1", behaviour="answer_hangup") as agent1:
        lab.login("agent1")
        assert [c.dialled for c in phone.wait_for(1, timeout=30)] == [citizen]
        assert [c.caller for c in agent1.wait_for(1, timeout=30)] == [citizen]   # the agent sees the citizen
        assert engine.wait_for("callbacks.try_ended", timeout=30), engine.log()[-4000:]
        assert engine.wait_for("ledger.recording", timeout=30), engine.log()[-4000:]
    [request] = staff("callbacks", "list", "--json")
    assert (request["status"], request["tries"]) == ("answered", 1)
    [attempt] = request["attempts"]
    assert attempt["outcome"] == "answered" and attempt["linkedid"]
    orders = [t for t in staff("tickets", "list", "--json", "--limit", "1000") if t["caller"] == citizen]
    assert len(orders) == 1, orders
    order = orders[0]
    assert (order["queue"], order["agent"], order["linkedid"]) == ("q12345", "agent1", attempt["linkedid"])
    assert order["recording_sha256"]
    general = staff("report", "--json")["queues"]["q12345"]
    assert (general["answered_by_callback"], general["callbacks_asked"], general["callbacks_done"]) == (1, 1, 1)
    assert general["abandoned"] == 0   # the caller who asked for a callback did not abandon


def _held_call(workdir, port: int, caller: str, talk_ms: int) -> threading.Thread:
    """A carrier call to 12345 from its own SIP port, in a thread: it holds on ``talk_ms`` after the answer."""
    def run() -> None:
        place_calls("12345", workdir, asterisk=("127.0.0.1", SIP_PORT), caller=caller, talk_ms=talk_ms,
                    local_port=port, timeout=talk_ms / 1000 + 30)
    thread = threading.Thread(target=run, name=f"call-{caller}", daemon=True)
    thread.start()
    return thread


def test_a_caller_joining_a_long_wait_is_offered_a_callback_and_takes_it(clean_queues, staff, sqlite_url, tmp_path):
    """q12345 offers a callback when the expected wait is over 300 s, one handle_time (300 s) per
    caller waiting beyond the agents ready, over the agents logged in (routing_rules.yaml).
    With agent1 busy: the first caller to wait expects 300 s (no offer); the next, 600 s (offer)."""
    lab = clean_queues
    messages = Layout.from_settings(lab.settings).log / "messages.log"
    seen = messages.stat().st_size if messages.exists() else 0
    talking, waiting, offered, informed = "13966660001", "13966660002", "13966660003", "13966660004"
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=sqlite_url) as engine, \
            lab.agent("agent1"):
        lab.login("agent1")
        connects, joins = len(lab.events.connects), len(lab.events.joins)
        first = _held_call(tmp_path / "sipp", CARRIER_PORT + 1, talking, 60_000)
        assert lab.events.wait_connect("agent1", after=connects, timeout=20), "agent1 never answered"
        second = _held_call(tmp_path / "sipp", CARRIER_PORT + 2, waiting, 50_000)
        joined = lab.events.wait_join("q12345", after=joins + 1, timeout=15)
        assert joined and joined["caller"] == waiting, lab.events.joins[joins:]
        # the third caller hears the offer and presses 2 (5 s after the answer: greeting, then the offer)
        result, hangup = lab.call("12345", talk_ms=5000, caller=offered, rating=2, timeout=40)
        assert result.ok, result.output[-2000:]
        assert hangup["vars"].get("IVR_REACHED", "") == ""          # never queued: called back instead
        assert engine.wait_for("ledger.callback_requested", timeout=10), engine.log()[-3000:]

        # a caller who stays through an incident notice (whose choice offers a callback too) is
        # not asked again on joining, though the wait is still 600 s
        now = datetime.now(timezone.utc)
        staff("notices", "add", "--line", "12345", "--from", _iso(now - timedelta(minutes=1)),
              "--until", _iso(now + timedelta(hours=1)), "--text", "城东镇停水，预计18点恢复。", "--json")
        assert engine.wait_for("notices.changed", timeout=10), engine.log()[-3000:]
        joins = len(lab.events.joins)
        result, hangup_notice = lab.call("12345", talk_ms=24_000, caller=informed, timeout=60)
        assert hangup_notice["vars"].get("IVR_NOTICE"), hangup_notice
        assert any(j["caller"] == informed for j in lab.events.joins[joins:]), lab.events.joins[joins:]
        first.join(60)
        second.join(60)
    # the caller who waited behind agent1's call and gave up is a missed call, called back later
    [request] = [r for r in staff("callbacks", "list", "--json") if r["via"] != "missed"]
    assert (request["number"], request["queue"], request["via"]) == (offered, "q12345", "wait_offer")
    offers = [line for line in messages.read_bytes()[seen:].decode("utf-8", "replace").splitlines()
              if "IVR callback offered" in line]
    assert len(offers) == 1, offers                   # not to the caller expecting 300 s, nor after the notice
    assert f"to {hangup['uniqueid']} in q12345: expected wait 600 s over 300 s" in offers[0]
    asked = staff("report", "--json")["queues"]["q12345"]["callbacks_by_via"]
    assert {via: n for via, n in asked.items() if via != "missed"} == {"wait_offer": 1}
