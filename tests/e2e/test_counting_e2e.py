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
