"""A reload never leaves a call without the globals it needs (the real Asterisk).

``dialplan reload`` with ``clearglobalvars = yes`` empties every global (pbx_config.c:
``pbx_builtin_clear_globals()``), then reads extensions.conf and sets them again: for the time
the file takes to parse, a call reading ``IVR_AGI`` found it empty and went to the fail-safe,
and ``IVR_GENERAL_QUEUE`` / ``IVR_RECORDINGS``, which the fail-safe and the recordings need, were
empty too. A probe in the dialplan (a Local channel, test scaffolding included beside the
rendered files) reads the three globals in a tight loop while the dialplan is reloaded again and
again and calls arrive; it reports how often it read them and how often one was empty.
"""
from __future__ import annotations

import re
import threading
import time

import pytest

from e2e.asterisk_lab import Lab
from ivr import dialplan_variables as dv
from ivr.asterisk import process, service
from ivr.asterisk.layout import Layout

pytestmark = pytest.mark.asterisk

PROBE_SECONDS = 3
NEEDED = (dv.AGI, dv.GENERAL_QUEUE, dv.RECORDINGS)
EMPTY_TEST = " | ".join(f'"${{{name}}}" = ""' for name in NEEDED)
PROBE = f"""; test scaffolding: reads the globals calls need, in a tight loop (tests/e2e/test_reload_globals_e2e.py)
[ivr-test-probe]
exten = s,1,Set(END=$[${{EPOCH}} + {PROBE_SECONDS}])
 same = n,Set(READS=0)
 same = n,Set(EMPTY=0)
 same = n,While($[${{EPOCH}} < ${{END}}])
 same = n,Set(READS=$[${{READS}} + 1])
 same = n,ExecIf($[{EMPTY_TEST}]?Set(EMPTY=$[${{EMPTY}} + 1]))
 same = n,EndWhile()
 same = n,Log(NOTICE,IVR probe read the globals ${{READS}} times: ${{EMPTY}} empty)
 same = n,Hangup()
"""
RESULT = re.compile(r"IVR probe read the globals (\d+) times: (\d+) empty")


def _cli(lab: Lab, command: str) -> str:
    deployment = service.current(lab.settings)
    return process.cli(deployment.install, deployment.layout, command)


@pytest.fixture
def probe(lab: Lab):
    """The probe's context included beside the rendered dialplan (and the CLI's originate, which
    the project's modules.conf does not load), taken out afterwards."""
    etc = Layout.from_settings(lab.settings).etc
    extensions = etc / "extensions.conf"
    original = extensions.read_text(encoding="utf-8")
    (etc / "ivr-test-probe.conf").write_text(PROBE, encoding="utf-8")
    extensions.write_text(original + '\n#include "ivr-test-probe.conf"\n', encoding="utf-8")
    _cli(lab, "dialplan reload")
    _cli(lab, "module load res_clioriginate.so")
    try:
        yield
    finally:
        extensions.write_text(original, encoding="utf-8")
        _cli(lab, "dialplan reload")
        _cli(lab, "module unload res_clioriginate.so")


def test_no_call_sees_an_empty_global_while_the_dialplan_reloads(lab: Lab, probe, fastagi):
    messages = Layout.from_settings(lab.settings).log / "messages.log"
    before = len(RESULT.findall(messages.read_text(encoding="utf-8", errors="replace")))
    calls: list = []
    with fastagi({dv.ACTION: "queue", dv.QUEUE: "q12345"}), lab.agent("agent1"):
        lab.login("agent1")
        caller = threading.Thread(target=lambda: calls.append(lab.call("12345", talk_ms=300)))
        _cli(lab, "channel originate Local/s@ivr-test-probe application Wait 30")
        caller.start()
        reloads, deadline = 0, time.monotonic() + PROBE_SECONDS - 0.5
        while time.monotonic() < deadline:
            _cli(lab, "dialplan reload")
            reloads += 1
        caller.join(60)
        found: list = []
        for _ in range(100):   # the probe logs when its time is up
            found = RESULT.findall(messages.read_text(encoding="utf-8", errors="replace"))[before:]
            if found:
                break
            time.sleep(0.1)
    lab.logout("agent1")
    assert found, "the probe did not report"
    reads, empty = map(int, found[0])
    print(f"{reloads} reloads; the probe read the globals {reads} times, {empty} empty")
    assert reloads >= 5 and reads > 1000
    assert empty == 0, f"{empty} of {reads} reads found {', '.join(NEEDED)} empty during {reloads} reloads"
    [(result, hangup)] = calls
    assert result.ok and hangup["vars"].get(dv.FAILSAFE, "") == "", hangup
