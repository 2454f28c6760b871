"""The browser phone, end to end: run by tests/e2e/test_webrtc_e2e.py inside a private network
namespace (``unshare -n``: its own loopback and a veth pair, nothing of the host's network).

Asterisk (the project's own configuration, agent4's phone listed under ``webrtc``), the staff
console (uvicorn), Debian's Chromium (Playwright, fake microphone) and SIPp as the carrier all
run here. The agent logs in to the console, opens ``/phone`` (SIP.js over the console's WebSocket,
relayed to Asterisk's HTTP server on loopback), a citizen calls 12345, the agent clicks 接听, and the call's audio
(SIPp's A-law speech through Asterisk, DTLS-SRTP) arrives in the browser. The last line printed
is a JSON object of what was seen; the test asserts on it.

Usage: webrtc_scenario.py WORKDIR
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/ (support, e2e, web)

from e2e.asterisk_lab import settings_for, with_session  # noqa: E402
from ivr.asterisk import service  # noqa: E402
from ivr.ami import queues as ami  # noqa: E402
from ivr.asterisk.layout import Layout  # noqa: E402
from ivr.rules_file import load_rules  # noqa: E402
from ivr.sipp import place_calls  # noqa: E402
from ivr.store import open_store, policy_for  # noqa: E402
from ivr.store.users import UserStore  # noqa: E402
from web.helpers import FAST, NOW, PASSWORD  # noqa: E402
from web.live_server import CHROMIUM, CHROMIUM_ARGS, live_console  # noqa: E402

AGENT, CALLER = "agent4", "13966660001"
# the veth address of the namespace: where Asterisk and Chromium offer their ICE candidates
MEDIA_NET = "10.77.0.0/24"


def write_trunks(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "carrier.yaml").write_text("carrier:\n  match: [127.0.0.2]\n")
    (folder / "departments.yaml").write_text("departments:\n  contact: sip:127.0.0.3:5301\n")
    (folder / "lab.yaml").write_text("sip:\n  bind: 127.0.0.1\n  port: 5060\nrtp:\n  start: 10000\n  end: 10998\n")
    (folder / "phones.yaml").write_text(
        f"phones:\n  networks: [{MEDIA_NET}]\n  transports: [udp]\n"
        f"  webrtc: [{AGENT}]\n  http_port: 8088\n")
    return folder


def main(workdir: Path) -> dict:
    seen: dict = {"registered": False, "rang": False, "answered": False, "audio_packets": 0,
                  "carrier_ok": False, "connect_in_queue_log": False}
    settings = settings_for(workdir, 5038, 4573)
    trunks = write_trunks(workdir / "trunks")
    os.environ["IVR_TRUNKS"] = str(trunks)  # the console's /phone reads the same trunks
    rules = load_rules(settings.rules_path)
    store = open_store(f"sqlite:///{workdir / 'ivr.sqlite3'}", policy_for(rules))
    UserStore(store.engine, FAST).add("zhou", "agent", PASSWORD, NOW, phone=AGENT, agents=set(rules.agents))
    try:
        service.up(settings, trunks)
        from playwright.sync_api import sync_playwright

        with live_console(settings, store, rules, lambda: NOW) as server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + [
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"])
            page = browser.new_page(base_url=server.url, locale="zh-CN")
            page.goto("/login")
            page.fill("#username", "zhou")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.goto("/phone")
            page.wait_for_selector("#phone[data-state=registered]", timeout=15000)
            seen["registered"] = True
            _in_thread(lambda: asyncio.run(with_session(settings, lambda s: ami.login(s, rules, AGENT))))
            call: dict = {}
            citizen = threading.Thread(target=lambda: call.update(result=place_calls(
                "12345", workdir / "sipp", asterisk=("127.0.0.1", 5060), caller=CALLER, talk_ms=8000,
                local_port=5070, local_host="127.0.0.2", timeout=60)))
            citizen.start()
            page.wait_for_selector("#phone[data-state=ringing]", timeout=20000)
            seen["rang"] = True
            page.click("#phone-answer")
            page.wait_for_selector("#phone[data-state=in_call]", timeout=10000)
            seen["answered"] = True
            time.sleep(3)
            seen["audio_packets"] = page.evaluate("window.phoneAudioPackets()")
            page.screenshot(path=str(workdir / "phone-in-call.png"))
            citizen.join(60)
            seen["carrier_ok"] = bool(call.get("result") and call["result"].ok)
            page.wait_for_selector("#phone[data-state=registered]", timeout=15000)
            browser.close()
        queue_log = (Layout.from_settings(settings).log / "queue_log").read_text()
        seen["connect_in_queue_log"] = f"|q12345|{AGENT}|CONNECT|" in queue_log
    finally:
        service.down(settings)
        store.close()
    return seen


def _in_thread(fn) -> None:
    """Run ``fn`` in a thread of its own (Playwright's sync API holds this thread's event loop)."""
    errors: list = []
    thread = threading.Thread(target=lambda: _capture(fn, errors))
    thread.start()
    thread.join(30)
    if errors:
        raise errors[0]


def _capture(fn, errors: list) -> None:
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - re-raised in the caller's thread
        errors.append(err)


if __name__ == "__main__":
    result = main(Path(sys.argv[1]))
    print(json.dumps(result))
