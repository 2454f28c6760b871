"""The cluster's readers, on output captured from the real lab (Kamailio 5.6.3, Asterisk 22.10.1,
SIPp 3.6.1): kamcmd's dispatcher list, Asterisk's queue show, the carrier's and Kamailio's logs."""
from __future__ import annotations

from support import REPO
from ivr.cluster.calls import read_calls, read_front
from ivr.cluster.kamailio import parse_dispatcher_list
from ivr.cluster.status import parse_agents, parse_calls, parse_rules_version

FIXTURES = REPO / "tests" / "fixtures" / "cluster"


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_the_dispatchers_view_of_each_node():
    seen = parse_dispatcher_list(_fixture("dispatcher_list.txt"))
    assert [(d.uri, d.flags, d.duid) for d in seen] == [("sip:10.200.0.12:5060", "IP", "node2"),
                                                        ("sip:10.200.0.11:5060", "AP", "node1")]
    assert [d.state for d in seen] == ["inactive", "active"] and seen[1].active and not seen[0].active
    assert seen[0].load == 0
    assert parse_dispatcher_list("") == [] and parse_dispatcher_list("DEST: {\n URI: x\n}") == []


def test_agents_and_their_states_from_queue_show():
    agents = parse_agents(_fixture("queue_show.txt"))
    assert agents == {"agent1": "busy", "agent2": "busy", "agent3": "busy", "agent4": "paused",
                      "agent5": "free", "agent6": "free", "agent7": "free", "agent8": "free"}
    assert parse_agents("q12345 has 0 calls\n   No Members\n") == {}


def test_calls_and_rules_version():
    assert parse_calls(_fixture("core_show_channels_count.txt")) == 3
    assert parse_calls("garbage") is None
    assert parse_rules_version(_fixture("dialplan_show_globals.txt")) == (
        "b4b4795f056d583373bc6a7e7e4a9a07ec599b29b1b380d0420e46bc1468d11a")
    assert parse_rules_version("   IVR_RULES_SHA256=\n") == "" and parse_rules_version("") == ""


def test_what_became_of_each_call_at_the_carrier():
    calls = read_calls(_fixture("carrier.calls.log"))
    assert len(calls) == 9
    retried = calls["2-23641@10.200.0.100"]
    assert retried.node == "10.200.0.12" and retried.outcome == "ended"
    assert 0.99 < retried.answered_at - retried.invited_at < 1.01  # one reply timeout on the frozen node
    assert {c.outcome for c in calls.values()} == {"ended"}
    cut = read_calls("invite a 2026-01-01\t00:00:00.0\t10.0\nanswered a 10.0.0.1 d t 10.5\n"
                     "invite b d t 11.0\nnonsense line\nended zz d t 12\n")
    assert [cut["a"].outcome, cut["b"].outcome] == ["cut", "failed"]


def test_what_kamailio_did_with_each_invite():
    front = read_front(_fixture("kamailio.log"))
    assert [(e.kind, e.node) for e in front.tries("2-23641@10.200.0.100")] == [
        ("dispatch", "10.200.0.11"), ("retry", "10.200.0.12")]
    assert front.first_node("1-23006@10.200.0.100") == "10.200.0.12"
    assert front.first_node("unknown") == ""
    assert front.marks("10.200.0.11", "node-silent") == [1796410469.606682]
    assert front.marks("10.200.0.11", "node-down") == [1796410469.044144]
    assert front.marks("10.200.0.11", "node-up") == [1796410470.631748]
    assert front.marks("10.200.0.12", "node-down") == [1796410415.981878]
