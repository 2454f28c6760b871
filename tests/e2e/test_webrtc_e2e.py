"""The agent's browser is the phone: a real call answered in headless Chromium over WebRTC.

Chromium and Asterisk offer ICE candidates on every interface they see, so the scenario
(tests/e2e/webrtc_scenario.py) runs in a private network namespace made here: its own loopback
and a veth pair with a private address, nothing of the host's network. Inside it, the real
Asterisk, the real console, Chromium with a fake microphone and SIPp as the carrier.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from web.live_server import CHROMIUM

pytestmark = [pytest.mark.asterisk, pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make test installs it)")]

SCENARIO = Path(__file__).with_name("webrtc_scenario.py")
NAMESPACE = ("ip link set lo up && ip link add ivrweb0 type veth peer name ivrweb1 && "
             "ip addr add 10.77.0.1/24 dev ivrweb0 && ip link set ivrweb0 up && ip link set ivrweb1 up && "
             'exec "$0" "$1" "$2"')


def test_the_agents_browser_answers_a_real_call_over_webrtc(tmp_path):
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.fail("the WebRTC test makes a private network namespace: it needs root and unshare")
    done = subprocess.run(["unshare", "--net", "sh", "-c", NAMESPACE, sys.executable, str(SCENARIO),
                           str(tmp_path)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["registered"] and seen["rang"] and seen["answered"], seen
    assert seen["audio_packets"] > 50, seen  # 3 s of the citizen's audio, 20 ms packets
    assert seen["carrier_ok"] and seen["connect_in_queue_log"], seen
    assert (tmp_path / "phone-in-call.png").stat().st_size > 1000
