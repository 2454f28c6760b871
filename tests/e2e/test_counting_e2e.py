"""Every caller counted, with the real Asterisk, SIPp, the engine (`ivr serve`) and a real Chromium.

Seven carrier calls reach a queue's door and end seven ways: one hangs up during the greeting,
one waits in the queue until they give up, one hangs up while hearing the callback offer, one
takes the offer, one leaves informed after an incident notice, one hangs up during the notice,
one is answered. ``ivr report`` and the wallboard count all seven offered, each with its outcome,
and so does Asterisk itself (the carrier channels it delivered to a queue: their Hangup events
carry IVR_QUEUE). While a caller hears the offer, the wallboard counts them waiting (from the
dialplan's IvrDoor UserEvent) and stops when they hang up.
"""
from __future__ import annotations

import json
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from e2e.asterisk_lab import CARRIER_PORT, SIP_PORT
from e2e.engine_process import IVR, running_engine
from e2e.test_supervision_e2e import aside, browser_page, log_in, staffed, text_of, wait_text
from ivr.sipp import place_calls

pytestmark = [pytest.mark.asterisk, pytest.mark.browser]

WATER = "0513-80000304"


def staff(env: dict, *args: str):
    done = subprocess.run([IVR, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout) if "--json" in args else done.stdout


def held_call(lab, port: int, caller: str, talk_ms: int, rating: int | None = None) -> threading.Thread:
    """A carrier call to 12345 from its own SIP port, in a thread."""
    def run() -> None:
        place_calls("12345", lab.workdir / "sipp", asterisk=("127.0.0.1", SIP_PORT), caller=caller,
                    talk_ms=talk_ms, local_port=port, timeout=talk_ms / 1000 + 40, rating=rating)
    thread = threading.Thread(target=run, name=f"call-{caller}", daemon=True)
    thread.start()
    return thread


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def test_every_caller_at_a_queues_door_is_counted_and_waits_on_the_wallboard(clean_queues, tmp_path):
    from playwright.sync_api import sync_playwright

    lab = clean_queues   # nobody logged in: q12345's callers wait
    url, env = staffed(lab, tmp_path, ("wang", "supervisor", None))
    hangups_before = len(lab.events.hangups)
    with sync_playwright() as p, running_engine(lab.settings, tmp_path / "engine.log", database_url=url,
                                                IVR_WEB_PORT=env["IVR_WEB_PORT"]) as engine:
        assert engine.wait_for("presence.resynced", timeout=20), engine.log()[-3000:]
        browser, page = browser_page(p, f"http://127.0.0.1:{env['IVR_WEB_PORT']}")
        log_in(page, "wang", "/wallboard")
        waiting = "#queue-q12345 td.big"
        wait_text(page, waiting, lambda t: t == "0")

        # A hangs up during the greeting (3 s)
        result, hangup = lab.call("12345", talk_ms=1000, caller="13977770001")
        assert result.ok and hangup["vars"].get("IVR_QUEUE") == "q12345"
        # X joins q12345 (expected wait 300 s: no offer) and waits there until giving up
        joins = len(lab.events.joins)
        x = held_call(lab, CARRIER_PORT + 1, "13977770002", 40_000)
        assert lab.events.wait_join("q12345", after=joins, timeout=20), "X never joined q12345"
        wait_text(page, waiting, lambda t: t == "1")
        # Y hears the callback offer (the expected wait is 600 s now) and hangs up during it: while
        # Y hears it, Y waits on the wallboard with X; Y never joins the queue
        joins = len(lab.events.joins)
        y = held_call(lab, CARRIER_PORT + 2, "13977770003", 9_000)
        shown = wait_text(page, waiting, lambda t: t == "2", timeout=8)
        assert len(lab.events.joins) == joins, "Y joined the queue: the offer was not heard"
        y.join(40)
        gone = wait_text(page, waiting, lambda t: t == "1", timeout=5)
        assert gone > shown and len(lab.events.joins) == joins
        # Q takes the offer with key 2 (5 s after the answer: during the offer)
        result, _ = lab.call("12345", talk_ms=5000, caller="13977770004", rating=2, timeout=40)
        assert result.ok, result.output[-2000:]
        x.join(60)
        wait_text(page, waiting, lambda t: t == "0")

        # an incident notice on the water company's line: B leaves informed, C hangs up during it
        now = datetime.now(timezone.utc)
        staff(env, "notices", "add", "--line", WATER, "--from", _iso(now - timedelta(minutes=1)),
              "--until", _iso(now + timedelta(hours=1)), "--text", "城东水厂爆管，城东镇停水，预计18点恢复。", "--json")
        assert engine.wait_for("notices.changed", timeout=10), engine.log()[-3000:]
        result, hangup = lab.call(WATER, talk_ms=1500, caller="13977770005", rating=1, timeout=40)
        assert result.ok and hangup["vars"].get("IVR_NOTICE"), hangup
        result, hangup = lab.call(WATER, talk_ms=5000, caller="13977770006", timeout=40)
        assert result.ok and hangup["vars"].get("IVR_NOTICE") and not hangup["vars"].get("IVR_REACHED")

        # D is answered by agent1
        with lab.agent("agent1"):
            aside(lambda: lab.login("agent1"))
            result, hangup = lab.call("12345", talk_ms=6000, caller="13977770007")
            assert result.ok and hangup["vars"]["IVR_REACHED"] == "queue:q12345"
            assert engine.wait_for("ledger.ticket", timeout=15), engine.log()[-3000:]
            assert engine.wait_for("ledger.left_informed", timeout=10)
            # Asterisk's own count: every carrier call it delivered to a queue (IVR_QUEUE on its channel)
            delivered = [h for h in lab.events.wait_hangups(hangups_before + 7)[hangups_before:]
                         if h["vars"].get("IVR_QUEUE")]
            assert len(delivered) == 7, delivered
            # the wallboard's offered today (read from the database every 2 s)
            wait_text(page, "#offered-today", lambda t: t.endswith(" 7"), timeout=15)
            assert text_of(page, "#tile-abandoned .tile-value") == "4"
            assert "3" in text_of(page, "#tile-abandoned .tile-note")
            aside(lambda: lab.logout("agent1"))
        print(f"\nthe caller hearing the offer showed as waiting {shown:.3f} (monotonic); gone {gone - shown:.1f} s later")
        browser.close()

    report = staff(env, "report", "--json")
    total = report["total"]
    assert total["offered"] == len(delivered) == 7
    assert (total["answered"], total["abandoned"], total["abandoned_before_queue"]) == (1, 4, 3)
    assert (total["left_informed"], total["callbacks"], total["wanted_an_agent"]) == (1, 1, 6)
    assert total["connection_rate"] == pytest.approx(1 / 6)
    text = staff(env, "report")
    assert "offered 7" in text
    print(text)


def _pause(lab, agent: str, reason: str | None) -> None:
    import asyncio

    from e2e.asterisk_lab import with_session
    from ivr.ami import queues as ami
    aside(lambda: asyncio.run(with_session(lab.settings, lambda session: ami.pause(session, agent, reason))))


def test_one_number_asking_again_and_again_is_called_back_once_then_refused_and_stays_queued(clean_queues,
                                                                                             tmp_path):
    """One number presses 2 while queued in call after call (with IVR_CALLBACK_PER_DAY=1): the
    first request waits, the second is joined to it (the caller hears the earlier one stands and
    hangs up); the first is tried and fails; the third is refused for the day: the caller hears
    so and stays in the queue, ahead of a caller who joined behind them, and is answered."""
    lab = clean_queues
    number = "13955550077"
    url, env = staffed(lab, tmp_path)
    env.update(IVR_CALLBACK_PER_DAY="1", IVR_CALLBACK_TRIES="1", IVR_CALLBACK_RING="10")
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=url,
                        **{k: env[k] for k in ("IVR_WEB_PORT", "IVR_CALLBACK_PER_DAY", "IVR_CALLBACK_TRIES",
                                               "IVR_CALLBACK_RING")}) as engine, \
            lab.agent("agent1", behaviour="answer_hangup") as agent1:
        aside(lambda: lab.login("agent1"))
        _pause(lab, "agent1", "meeting")      # callers wait in q12345 (and hear no offer: a 300 s wait)
        for n, heard in ((1, "accept"), (2, "join")):
            result, hangup = lab.call("12345", talk_ms=6000, caller=number, rating=2, timeout=40)
            assert result.ok, result.output[-2000:]
            assert hangup["vars"].get("IVR_REACHED", "") == ""       # hung up to wait for the callback
            assert engine.wait_for(f"verdict={heard}", timeout=10), engine.log()[-3000:]
        # agent1 frees up: the open request is tried once; the citizen's phone is busy: it fails
        with lab.party("citizen", CARRIER_PORT, behaviour="busy") as phone:
            _pause(lab, "agent1", None)
            assert [c.dialled for c in phone.wait_for(1, outcome="busy", timeout=30)] == [number]
            assert engine.wait_for("callbacks.try_ended", timeout=30), engine.log()[-3000:]
            _pause(lab, "agent1", "meeting")
        # the third time today: refused; the caller stays queued at their place, ahead of another
        joins = len(lab.events.joins)
        third = held_call(lab, CARRIER_PORT + 1, number, 8000, rating=2)
        assert lab.events.wait_join("q12345", after=joins, timeout=15)
        behind = held_call(lab, CARRIER_PORT + 2, "13955550088", 60_000)
        assert engine.wait_for("verdict=refuse_today", timeout=20), engine.log()[-3000:]
        assert lab.events.wait_join("q12345", after=joins + 2, timeout=40), lab.events.joins[joins:]
        connects = len(lab.events.connects)
        _pause(lab, "agent1", None)
        first = lab.events.wait_connect("agent1", after=connects, timeout=30)
        assert first is not None and first["caller"] == number, lab.events.connects[connects:]
        third.join(60)
        behind.join(90)
        assert [c.caller for c in agent1.wait_for(2, timeout=30)] == [number, "13955550088"]
        aside(lambda: lab.logout("agent1"))
    requests = {r["verdict"]: r for r in staff(env, "callbacks", "list", "--json")}
    assert set(requests) == {"accept", "join", "refuse_today"}
    accepted, joined, refused = requests["accept"], requests["join"], requests["refuse_today"]
    assert (accepted["status"], accepted["tries"]) == ("failed", 1)   # dialled once, the phone busy
    assert (joined["status"], joined["joined_to"], joined["tries"]) == ("joined", accepted["id"], 0)
    assert (refused["status"], refused["tries"]) == ("refused", 0) and "asked too often" in refused["reason"]
    listed = staff(env, "callbacks", "list")
    assert "joined to request" in listed and "asked too often" in listed
    q = staff(env, "report", "--json")["queues"]["q12345"]
    assert (q["callbacks_asked"], q["callbacks_joined"], q["callbacks_refused"], q["callbacks_failed"]) == (3, 1, 1, 1)
    total = staff(env, "report", "--json")["total"]
    # the refused caller stayed and was answered; the two who hung up for a callback count as asking
    assert (total["offered"], total["answered"], total["callbacks"]) == (4, 2, 2)


def forge_route(port: int, uniqueid: str, line: str, caller: str) -> None:
    """A stranger on the machine speaking FastAGI as if Asterisk asked to route a call."""
    import socket

    head = (f"agi_network: yes\nagi_network_script: route\nagi_request: agi://127.0.0.1/route\n"
            f"agi_channel: PJSIP/carrier-0000ffff\nagi_uniqueid: {uniqueid}\nagi_callerid: {caller}\n"
            f"agi_extension: s\nagi_arg_1: {line}\n\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head)
        stream = sock.makefile("rb")
        while stream.readline():
            sock.sendall(b"200 result=1\n")


def test_forged_route_sessions_add_nothing_to_the_preview_and_real_calls_still_do(clean_queues, tmp_path):
    lab = clean_queues
    url, env = staffed(lab, tmp_path)
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=url,
                        IVR_WEB_PORT=env["IVR_WEB_PORT"]) as engine:
        real = []
        for caller in ("13966660101", "13966660102"):
            result, hangup = lab.call("12345", talk_ms=1000, caller=caller)
            assert result.ok
            real.append(hangup["uniqueid"])
        # 500 forged sessions in a burst, one of them naming a real call's id with another number
        forge_route(lab.settings.agi_port, real[0], "051380000401", "13800000000")
        for n in range(500):
            forge_route(lab.settings.agi_port, f"1796000000.{n}", "051380000401", f"1380000{n:04d}")
        # the preview takes in what the call log holds on disk first: the two real calls, no more
        deadline = time.monotonic() + 20
        while (calls := staff(env, "rules", "preview", str(lab.settings.rules_path), "--json")["replay"]["calls"]) < 2:
            assert time.monotonic() < deadline, engine.log()[-3000:]
            time.sleep(0.5)
        assert calls == 2
    from sqlalchemy import create_engine, text

    db = create_engine(url)
    try:
        with db.connect() as connection:
            routed = connection.execute(text("SELECT call_id, line, caller FROM routed_calls")).all()
            waiting = connection.execute(text("SELECT count(*) FROM call_log_pending")).scalar()
    finally:
        db.dispose()
    assert sorted(routed) == sorted([(real[0], "12345", "13966660101"), (real[1], "12345", "13966660102")])
    assert waiting == 501     # the forged lines wait for a record that never comes, then are dropped and counted
