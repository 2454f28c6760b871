"""What each side heard, on real calls: Asterisk's RTP figures per leg, a MOS, the silent side.

SIPp plays the carrier and the agents through the lab Asterisk with the engine running; the
streams are sip-tester's A-law speech, looped, cut short or with packets left out
(tests/e2e/rtp_pcap.py). The order's media check is read back as the console reads it.
"""
from __future__ import annotations

import time

import pytest

from e2e import rtp_pcap
from e2e.engine_process import running_engine, skip_queue_log_history
from ivr.store import open_store, policy_for
from ivr.web.media import media_marks

pytestmark = pytest.mark.asterisk


def media_after(lab, database_url: str, hangup: dict):
    store = open_store(database_url, policy_for(lab.rules))
    try:
        return store.media_of_call(hangup["uniqueid"])
    finally:
        store.close()


def wallboard_marks(lab, database_url: str) -> dict:
    """(kind, name) -> mark, as the wallboard's media part computes them."""
    store = open_store(database_url, policy_for(lab.rules))
    try:
        return {(m.kind, m.name): m for m in media_marks(store)}
    finally:
        store.close()


def one_call(lab, tmp_path, *, agent_behaviour: str = "answer", agent_audio=None, caller_audio=None,
             talk_ms: int = 8000, caller: str = "13911120001"):
    """One call to 12345 answered by agent1; (its media check, the engine's log)."""
    database_url = f"sqlite:///{tmp_path / 'tickets.sqlite3'}"
    skip_queue_log_history(lab.settings)
    lab.login("agent1")
    party = lab.agent("agent1", agent_behaviour)
    if agent_audio is not None:
        party.audio = agent_audio
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=database_url) as engine, party:
        from ivr.sipp import place_calls  # the carrier with a stream of the test's own
        from e2e.asterisk_lab import CARRIER_PORT, SIP_PORT
        before = len(lab.events.hangups)
        kwargs = {"audio": caller_audio} if caller_audio is not None else {}
        result = place_calls("12345", lab.workdir / "sipp", asterisk=("127.0.0.1", SIP_PORT), caller=caller,
                             talk_ms=talk_ms, local_port=CARRIER_PORT, timeout=60, **kwargs)
        assert result.ok, result.output[-2000:]
        hangup = lab.events.wait_hangups(before + 1)[before]
        deadline = time.monotonic() + 30
        while not any(word in engine.log() for word in ("ledger.media", "ledger.one_way_audio")):
            assert time.monotonic() < deadline, engine.log()[-3000:]
            time.sleep(0.1)
        check = media_after(lab, database_url, hangup)
        if check is not None:  # the figures measured, for the README
            print(f"media: mos {check.mos} (agent heard {check.agent_heard_mos}, caller heard "
                  f"{check.caller_heard_mos}) packets caller {check.caller_packets} lost {check.caller_lost}, "
                  f"agent {check.agent_packets} lost {check.agent_lost}, silent {check.silent}")
        return check, engine.log()


def test_an_agent_phone_sending_no_rtp_is_flagged_agent_side_silent(clean_queues, tmp_path):
    check, log = one_call(clean_queues, tmp_path, agent_behaviour="answer_silent")
    assert check is not None, log[-3000:]
    assert check.silent == ("agent",) and check.labels == ("坐席侧无声音",), check
    assert check.agent_packets == 0 and check.caller_packets > 100
    assert check.number and check.trunk and check.agent == "agent1"


def test_a_caller_whose_rtp_stops_halfway_is_flagged(clean_queues, tmp_path):
    caller = rtp_pcap.speech(tmp_path / "caller.pcap", 20, stop_after=4)
    agent = rtp_pcap.speech(tmp_path / "agent.pcap", 20)
    check, log = one_call(clean_queues, tmp_path, caller_audio=caller, agent_audio=agent, talk_ms=14000)
    assert check is not None, log[-3000:]
    assert check.silent == ("caller",) and check.labels == ("市民侧无声音",), check


def test_ten_percent_loss_scores_under_3_6(clean_queues, tmp_path):
    caller = rtp_pcap.speech(tmp_path / "caller.pcap", 20, drop_every=10)
    agent = rtp_pcap.speech(tmp_path / "agent.pcap", 20)
    check, log = one_call(clean_queues, tmp_path, caller_audio=caller, agent_audio=agent, talk_ms=14000)
    assert check is not None, log[-3000:]
    assert check.caller_lost and check.caller_lost / (check.caller_lost + check.caller_packets) > 0.05, check
    assert check.mos is not None and check.mos < 3.6 and check.poor, check
    assert check.silent == (), check
    marks = wallboard_marks(clean_queues, f"sqlite:///{tmp_path / 'tickets.sqlite3'}")
    assert marks[("agent", "agent1")].marked and marks[("trunk", check.trunk)].marked, marks


def test_a_clean_sipp_call_scores_above_4(clean_queues, tmp_path):
    caller = rtp_pcap.speech(tmp_path / "caller.pcap", 20)
    agent = rtp_pcap.speech(tmp_path / "agent.pcap", 20)
    check, log = one_call(clean_queues, tmp_path, caller_audio=caller, agent_audio=agent, talk_ms=10000)
    assert check is not None, log[-3000:]
    assert check.silent == () and check.mos > 4.0, check
    assert not any(m.marked for m in wallboard_marks(clean_queues, f"sqlite:///{tmp_path / 'tickets.sqlite3'}").values())
