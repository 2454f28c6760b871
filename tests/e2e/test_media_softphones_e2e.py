"""A call between two real softphones (Debian's baresip), each sending a tone: both sides heard,
an estimated MOS above 4, from the figures Asterisk kept for both legs (RTCP from both phones)."""
from __future__ import annotations

import time

from e2e.asterisk_lab import _OFFSET
from e2e.engine_process import running_engine
from e2e.phones_lab import CARRIER, SIP_PORT, PhonesLab
from e2e.softphone import Softphone
from e2e.test_softphones_e2e import lab, pytestmark  # noqa: F401 - the phones lab, its marks
from ivr.store import open_store, policy_for


def citizen(lab: PhonesLab, number: str) -> Softphone:
    """A citizen's softphone on the carrier's address: not registered, identified by where it calls from."""
    return Softphone(lab.workdir / f"citizen-{number}", user=number, password="unused",
                     server=("127.0.0.1", SIP_PORT), address=CARRIER, sip_port=4778 + _OFFSET,
                     ctrl_port=4779 + _OFFSET, regint=0)


def test_two_softphones_with_tones_both_ways_are_clean_with_a_mos_above_4(lab, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'tickets.sqlite3'}"
    with lab.phone("agent2") as agent, citizen(lab, "13966660001") as caller, \
            running_engine(lab.settings, tmp_path / "engine.log", database_url=database_url) as engine:
        assert agent.registered()
        before = len(agent.events)
        agent.dial("*71")
        assert agent.wait_event("CALL_CLOSED", 15, after=before), agent.log()[-2000:]
        caller.dial("12345")
        assert agent.wait_event("CALL_INCOMING", 30), caller.log()[-2000:]
        agent.accept()
        assert agent.wait_event("CALL_ESTABLISHED", 10)
        time.sleep(10)
        caller.hangup()
        deadline = time.monotonic() + 30
        while not any(word in engine.log() for word in ("ledger.media", "ledger.one_way_audio")):
            assert time.monotonic() < deadline, engine.log()[-3000:]
            time.sleep(0.1)
    store = open_store(database_url, policy_for(lab.rules))
    try:
        [check] = store.recent_media()
    finally:
        store.close()
    assert check.agent == "agent2" and check.trunk == "carrier", check
    assert check.silent == () and check.mos is not None and check.mos > 4.0, check
    assert check.agent_packets > 300 and check.caller_packets > 300, check
