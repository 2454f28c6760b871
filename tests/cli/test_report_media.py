"""``ivr report`` has each agent phone's and each trunk's calls with their estimated MOS, the poor
ones and those with a side silent, in words and in JSON."""
from __future__ import annotations

import json

from cli.test_tickets_cmd import T0, _fresh_logging, env, ivr, store, taken_in  # noqa: F401 - fixtures
from ivr.core.media_quality import LegFigures, call_quality
from ivr.core.one_way import OneWay


def test_report_per_agent_phone_and_per_trunk(capsys, env, store):
    for n, (lost, silent) in enumerate(((100, ()), (0, ("agent",)), (0, ()))):
        linkedid = f"1591000000.{n + 1}"
        taken_in(store, linkedid, T0)
        caller = LegFigures("caller", "carrier", received=1000 - lost, sent=1000, lost_in=lost)
        agent = LegFigures("agent", "agent1", received=1000, sent=1000 - lost)
        store.save_media(linkedid, at=T0, agent="agent1", trunk="carrier", caller=caller, agent_leg=agent,
                         quality=call_quality(caller, agent), one_way=OneWay(silent, ""))
    code, out, _ = ivr(capsys, "report", "--from", "2020-06-01", "--to", "2020-06-01", "--json")
    assert code == 0
    media = json.loads(out)["media"]
    assert media["agent"]["agent1"]["calls"] == 3 and media["agent"]["agent1"]["poor"] == 1
    assert media["trunk"]["carrier"]["silent"] == 1 and media["trunk"]["carrier"]["min_mos"] == 3.4
    code, out, _ = ivr(capsys, "report", "--from", "2020-06-01", "--to", "2020-06-01")
    assert "per agent phone:" in out and "per trunk (the carrier's side):" in out
    assert [line.split() for line in out.splitlines() if line.strip().startswith("agent1")][-1] == \
        ["agent1", "3", "3", "4.07", "3.40", "1", "1"]


def test_tickets_show_has_the_calls_media(capsys, env, store):
    number = taken_in(store, "1591000000.9", T0)
    code, out, _ = ivr(capsys, "tickets", "show", number, "--json")
    assert code == 0 and json.loads(out)["media"] is None
    caller = LegFigures("caller", "carrier", received=900, sent=1000, lost_in=100)
    agent = LegFigures("agent", "agent2", received=0, sent=900)
    store.save_media("1591000000.9", at=T0, agent="agent2", trunk="carrier", caller=caller, agent_leg=agent,
                     quality=call_quality(caller, agent), one_way=OneWay(("agent",), "agent side silent"))
    code, out, _ = ivr(capsys, "tickets", "show", number, "--json")
    media = json.loads(out)["media"]
    assert media["silent"] == ["agent"] and media["poor"] and media["agent_packets"] == 0
    code, out, _ = ivr(capsys, "tickets", "show", number)
    assert "media          MOS 3.40 (agent heard 3.40, caller heard 4.40) poor; 坐席侧无声音" in out


def test_recordings_one_way_judges_any_pair_of_direction_files(capsys, env, tmp_path):
    from audio import make_wav

    recording = tmp_path / "2020" / "x.opus"
    make_wav(tmp_path / "2020" / "x.agent.wav", 8.0, tone=False)
    make_wav(tmp_path / "2020" / "x.citizen.wav", 8.0)
    code, out, _ = ivr(capsys, "recordings", "one-way", str(recording), "--json")
    assert code == 1 and json.loads(out)["labels"] == ["坐席侧无声音"]
    make_wav(tmp_path / "a.wav", 8.0)
    code, out, _ = ivr(capsys, "recordings", "one-way", str(tmp_path / "a.wav"), str(tmp_path / "a.wav"))
    assert code == 0 and out.startswith("both sides heard")
