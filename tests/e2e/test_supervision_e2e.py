"""Supervisors and auditors end to end: the real Asterisk, SIPp callers and agents, the engine with
its console (`ivr serve`), and a real Chromium.

Wallboard: a paused agent shows its reason; a citizen calling 12345 while nobody is free appears
on the wallboard (the delay from Asterisk's QueueCallerJoin to the page is printed: a figure, not
a timed assertion; measured 41 and 245 ms), and leaves it when the agent resumes and answers; the engine is restarted while another caller waits, the agent answers while
the engine is down, and the restarted engine's board (resynchronised from QueueStatus) shows it.

Replay: an auditor finds the recorded call by its work-order number, plays it (the audio
element's time advances), the access log has the search and the play; an agent gets 403 on the
recording's address; the recording altered by one byte is shown as altered; an edited access-log
line is found by ``ivr recordings access-log verify``.
"""
from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from e2e.asterisk_lab import with_session
from e2e.engine_process import IVR, engine_env, running_engine, skip_queue_log_history
from ivr.ami import queues as ami
from web.live_server import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.asterisk, pytest.mark.browser]
PASSWORD = "supervision e2e password"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "test-output" / "screenshots"


def staffed(lab, tmp_path, *users: tuple[str, str, str | None]) -> tuple[str, dict]:
    """(the test's database URL, the engine's environment), with these (name, role, phone) accounts."""
    skip_queue_log_history(lab.settings)
    url = f"sqlite:///{tmp_path / 'tickets.sqlite3'}"
    env = engine_env(lab.settings, url)
    for name, role, phone in users:
        argv = [IVR, "users", "add", name, "--role", role, "--password-stdin"] + (["--phone", phone] if phone else [])
        done = subprocess.run(argv, input=PASSWORD + "\n", env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    return url, env


def ivr(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([IVR, *args], env=env, capture_output=True, text=True, timeout=60)


def log_in(page, name: str, lands_on: str) -> None:
    page.goto("/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{lands_on}")


def text_of(page, selector: str) -> str:
    return page.evaluate(f"(document.querySelector({selector!r}) || {{}}).textContent || ''").strip()


def wait_text(page, selector: str, wanted, timeout: float = 15.0) -> float:
    """Poll the page until ``wanted(text)``; the monotonic time it became true."""
    deadline = time.monotonic() + timeout
    while True:
        text = text_of(page, selector)
        if wanted(text):
            return time.monotonic()
        assert time.monotonic() < deadline, f"{selector}: {text!r} after {timeout} s"
        time.sleep(0.01)


def call_in_background(lab, caller: str, talk_ms: int) -> threading.Thread:
    thread = threading.Thread(target=lambda: lab.call("12345", talk_ms=talk_ms, caller=caller, timeout=90),
                              daemon=True)
    thread.start()
    return thread


def aside(fn):
    """Run ``fn`` in a thread of its own (Playwright's sync API keeps an event loop in this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result(60)


def pause(lab, agent: str, reason: str | None) -> None:
    aside(lambda: asyncio.run(with_session(lab.settings, lambda session: ami.pause(session, agent, reason))))


def browser_page(p, base: str):
    browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    page = browser.new_context(base_url=base, viewport={"width": 1600, "height": 1000}, locale="zh-CN").new_page()
    page.set_default_timeout(15_000)
    return browser, page


def test_the_wallboard_follows_asterisk_and_resynchronises_after_a_restart(clean_queues, tmp_path):
    from playwright.sync_api import sync_playwright

    lab = clean_queues
    url, env = staffed(lab, tmp_path, ("wang", "supervisor", None))
    SHOTS.mkdir(parents=True, exist_ok=True)
    web = {"IVR_WEB_PORT": env["IVR_WEB_PORT"]}
    with lab.agent("agent1"), sync_playwright() as p:
        aside(lambda: lab.login("agent1"))
        pause(lab, "agent1", "break")
        browser, page = browser_page(p, f"http://127.0.0.1:{env['IVR_WEB_PORT']}")
        with running_engine(lab.settings, tmp_path / "engine-1.log", database_url=url, **web) as engine:
            assert engine.wait_for("presence.resynced", timeout=20), engine.log()[-3000:]
            log_in(page, "wang", "/wallboard")
            wait_text(page, "#agent-agent1 .agent-state", lambda t: "休息" in t)       # paused, with its reason
            wait_text(page, "#queue-q12345 td.big", lambda t: t == "0")

            before = len(lab.events.joins)
            first = call_in_background(lab, "13912340001", talk_ms=12_000)
            join = lab.events.wait_join("q12345", before)
            assert join is not None, engine.log()[-3000:]
            shown = wait_text(page, "#queue-q12345 td.big", lambda t: t == "1", timeout=5)
            delay_ms = (shown - join["at"]) * 1000
            print(f"\nwallboard: a caller waiting shown {delay_ms:.0f} ms after Asterisk's QueueCallerJoin")
            assert "已被改动" not in page.content() and "未连接到话务系统" not in text_of(page, "#board")
            page.screenshot(path=str(SHOTS / "e2e-10-wallboard-waiting.png"), full_page=True)

            pause(lab, "agent1", None)                                          # resumes: the call is answered
            assert lab.events.wait_connect("agent1", 0) is not None
            wait_text(page, "#queue-q12345 td.big", lambda t: t == "0", timeout=5)
            wait_text(page, "#agent-agent1 .agent-state", lambda t: "通话中" in t, timeout=5)
            page.screenshot(path=str(SHOTS / "e2e-11-wallboard-answered.png"), full_page=True)
            first.join(60)

            pause(lab, "agent1", "meeting")
            wait_text(page, "#agent-agent1 .agent-state", lambda t: "会议" in t, timeout=10)
            before = len(lab.events.joins)
            second = call_in_background(lab, "13912340002", talk_ms=25_000)
            assert lab.events.wait_join("q12345", before) is not None
            wait_text(page, "#queue-q12345 td.big", lambda t: t == "1", timeout=5)
            connects = len(lab.events.connects)
        # the engine (and its console) is stopped: the agent answers meanwhile
        pause(lab, "agent1", None)
        assert lab.events.wait_connect("agent1", connects) is not None
        with running_engine(lab.settings, tmp_path / "engine-2.log", database_url=url, **web) as engine:
            assert engine.wait_for("presence.resynced", timeout=20), engine.log()[-3000:]
            wait_text(page, "#queue-q12345 td.big", lambda t: t == "0", timeout=30)
            wait_text(page, "#agent-agent1 .agent-state", lambda t: "通话中" in t, timeout=10)
            assert "未连接到话务系统" not in text_of(page, "#board")
            page.screenshot(path=str(SHOTS / "e2e-12-wallboard-after-restart.png"), full_page=True)
            second.join(60)
        browser.close()


def wait_recorded(env: dict, caller: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        done = ivr(env, "tickets", "list", "--json", "--limit", "100")
        found = [t for t in json.loads(done.stdout or "[]") if t["caller"] == caller and t["recording_sha256"]]
        if found:
            return found[0]
        assert time.monotonic() < deadline, "the call's work order never got its recording"
        time.sleep(0.5)


def test_an_auditor_replays_a_recorded_call_and_every_access_is_logged(clean_queues, tmp_path):
    from playwright.sync_api import sync_playwright

    lab = clean_queues
    url, env = staffed(lab, tmp_path, ("chen", "auditor", None), ("li", "agent", "agent1"))
    caller = "13912340009"
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=url,
                        IVR_WEB_PORT=env["IVR_WEB_PORT"]) as engine, lab.agent("agent1"), sync_playwright() as p:
        assert engine.wait_for("presence.resynced", timeout=20), engine.log()[-3000:]
        aside(lambda: lab.login("agent1"))
        lab.call("12345", talk_ms=6000, caller=caller, timeout=60)
        order = wait_recorded(env, caller)
        number = order["number"]
        browser, page = browser_page(p, f"http://127.0.0.1:{env['IVR_WEB_PORT']}")
        log_in(page, "chen", "/recordings")
        page.fill("#f-from", "")
        page.fill("#f-to", "")
        page.fill("#f-number", number)
        page.click("button.primary:has-text('查询')")
        page.click(f"#results a:has-text('{number}')")
        assert "与登记一致" in text_of(page, "#verdict")
        assert text_of(page, "#manifest-hash") == order["recording_sha256"]
        page.evaluate("document.querySelector('#player').play()")
        wait_text(page, "#player", lambda _: page.evaluate("document.querySelector('#player').currentTime") > 1.0)
        page.screenshot(path=str(SHOTS / "e2e-13-recording-played.png"), full_page=True)
        page.goto("/access-log")
        entries = text_of(page, "#entries")
        assert "播放" in entries and "查询" in entries and number in entries
        assert "哈希链完整" in text_of(page, "#chain")

        agent = browser.new_context(base_url=page.url.split("/access-log")[0]).new_page()
        log_in(agent, "li", "/desk")
        assert agent.request.get(f"/recordings/{number}/audio").status == 403

        recording = Path(order["recording_path"])
        data = bytearray(recording.read_bytes())
        data[len(data) // 2] ^= 0x01
        recording.write_bytes(bytes(data))
        page.goto(f"/recordings/{number}")
        assert "已被改动" in text_of(page, "#verdict")
        page.screenshot(path=str(SHOTS / "e2e-14-recording-altered.png"), full_page=True)
        browser.close()

    assert ivr(env, "recordings", "access-log", "verify").returncode == 0
    log_file = lab.settings.data_dir / "audit" / "access-log.jsonl"
    lines = log_file.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace('"action":"search"', '"action":"view"')
    log_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    checked = ivr(env, "recordings", "access-log", "verify")
    assert checked.returncode == 1 and "line 1 (entry 1): edited" in checked.stdout
