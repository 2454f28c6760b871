"""Agents on real softphones (Debian's baresip) against the real Asterisk, production profile.

Registration with digest auth over UDP, TCP and TLS (with SRTP); refusals (a wrong password, an
unknown user, a stranger's address) logged where the repository's fail2ban filter finds them;
the feature codes (log in, pause with a reason, resume, log out) seen in Asterisk's own queue
state; a citizen's call (SIPp as the carrier) answered on a softphone and transferred to a
department's own line (SIPp answering), blind by the phone's REFER and with the in-call keys
(blind, attended, three-way), each transfer on the work order made by the real engine; and toll
fraud: nothing from the carrier side, nor an agent, nor an impostor on the AGI port dials out
through the departments' trunk except the departments' lines.
"""
from __future__ import annotations

import threading
import time

import pytest

from e2e import softphone
from e2e.asterisk_lab import TinyFastAgi
from e2e.engine_process import running_engine, skip_queue_log_history
from e2e.phones_lab import AGI_PORT, STRANGER, STRANGER_PORT, PhonesLab
from fail2ban_filter import hosts

pytestmark = [pytest.mark.asterisk,
              pytest.mark.skipif(not softphone.available(),
                                 reason="baresip is not installed (make test installs it: tools/install-softphones.sh)")]


@pytest.fixture
def lab(phones_lab: PhonesLab):
    """The phones lab with every agent logged out before and after (membership persists)."""
    phones_lab.logout_all()
    try:
        yield phones_lab
    finally:
        phones_lab.logout_all()


def _feature(phone, code: str) -> None:
    """Dial a feature code and wait until Asterisk has played its notice and hung up."""
    before = len(phone.events)
    phone.dial(code)
    assert phone.wait_event("CALL_CLOSED", 15, after=before), phone.log()[-2000:]


def _member(lab: PhonesLab, queue: str, agent: str):
    return next((m for m in lab.members().get(queue, []) if m.agent == agent), None)


def test_softphones_register_with_digest_auth_over_udp_tcp_and_tls(lab):
    with lab.phone("agent1") as udp, lab.phone("agent2", transport="tcp") as tcp, \
            lab.phone("agent5", transport="tls") as tls:
        assert udp.registered() and tcp.registered() and tls.registered(), tls.log()[-2000:]
        # one contact each, qualified (OPTIONS answered); TCP and TLS ones are where their
        # connection comes from (rewrite_contact: calls go back over that connection)
        contacts = lab.cli("pjsip show contacts")
        for agent, address in (("agent1", "127.0.2.1"), ("agent2", "127.0.0.1"), ("agent5", "127.0.0.1")):
            rows = [row for row in contacts.splitlines() if f" {agent}/sip:" in row]
            assert len(rows) == 1 and f"@{address}:" in rows[0] and " Avail " in rows[0], contacts
        # The TLS phone insists on SRTP (mediaenc=srtp-mand): a call it sets up is encrypted.
        _feature(tls, "*71")
        assert any(e.get("type") == "CALL_ESTABLISHED" for e in tls.events), tls.log()[-2000:]
        assert "SRTP is Enabled" in tls.log() and "SRTP is Enabled" not in udp.log()
        assert _member(lab, "seat_environment", "agent5") is not None
    security = (lab.log_dir / "security.log").read_text()
    assert 'SecurityEvent="SuccessfulAuth"' in security and "IPV4/TLS/127.0.0.1/" in security


def test_a_wrong_password_an_unknown_user_and_a_stranger_are_refused_and_fail2ban_sees_them(lab):
    security, messages = lab.log_dir / "security.log", lab.log_dir / "messages.log"
    before = {path: len(hosts(path)) for path in (security, messages)}
    with lab.phone("agent6", password="not-the-password") as wrong, \
            lab.phone("agent7", user="mallory") as unknown, \
            lab.phone("agent3", address=STRANGER) as stranger:  # the right password, a wrong place
        assert not wrong.registered(timeout=4)
        assert not unknown.registered(timeout=1)
        assert not stranger.registered(timeout=1)
    with lab.department_line() as department:
        invite = lab.call("051380000401", host=STRANGER, port=STRANGER_PORT, timeout=10)
        assert not invite.ok and "403 Forbidden" in invite.output
        assert department.calls() == []
    new_security = hosts(security)[before[security]:]
    new_messages = hosts(messages)[before[messages]:]
    assert "127.0.2.6" in new_security      # ChallengeResponseFailed: agent6, wrong password
    assert "127.0.2.7" in new_security      # InvalidAccountID: mallory
    assert STRANGER in new_messages         # refused by the ACL: REGISTER and INVITE
    text = security.read_text()
    assert 'SecurityEvent="ChallengeResponseFailed"' in text and 'AccountID="agent6"' in text
    assert 'SecurityEvent="InvalidAccountID"' in text and 'AccountID="mallory"' in text


def test_feature_codes_log_in_pause_with_a_reason_resume_and_log_out(lab):
    with lab.phone("agent8") as phone:
        assert phone.registered()
        _feature(phone, "*71")
        member = _member(lab, "seat_water", "agent8")
        assert member is not None and member.interface == "PJSIP/agent8" and not member.paused
        _feature(phone, "*733")
        member = _member(lab, "seat_water", "agent8")
        assert member.paused and member.pause_reason == "meeting"
        _feature(phone, "*734")
        assert _member(lab, "seat_water", "agent8").pause_reason == "after_call_work"
        _feature(phone, "*74")
        member = _member(lab, "seat_water", "agent8")
        assert not member.paused and member.pause_reason == ""
        _feature(phone, "*72")
        assert _member(lab, "seat_water", "agent8") is None


def _answer_and_transfer(lab, phone, department, database_url, tmp_path, caller, how) -> dict:
    """A citizen calls 12345; the agent answers on ``phone``, keys a digit, then ``how``
    (a callable on the phone) puts the citizen through; returns the call's work order."""
    _feature(phone, "*71")
    result = {}
    # The lab's Asterisk (and its queue log) is shared by the session: an engine starting on a new
    # database would otherwise take in the earlier tests' calls from the queue log, and their
    # transfer lines ("ledger.transfer") could pass for this call's before its own was recorded.
    skip_queue_log_history(lab.settings)
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=database_url) as engine:
        citizen = threading.Thread(target=lambda: result.update(call=lab.call(
            "12345", talk_ms=16000, caller=caller)))
        citizen.start()
        try:
            ringing = phone.wait_event("CALL_INCOMING", 20)
            assert ringing, phone.log()[-2000:]
            phone.accept()
            assert phone.wait_event("CALL_ESTABLISHED", 10)
            time.sleep(1.5)
            phone.keys("5")  # the agent keys a digit: DTMF reaches Asterisk and changes nothing
            how(phone)
            assert department.wait_for(1, timeout=15), department.calls()
        finally:
            citizen.join(60)
        assert result["call"].ok, result["call"].output[-2000:]
        # wait for this call's own order to show the transfer and the recording (not for a log
        # line, which another call could have written)
        orders = _order_settled(lab, database_url, caller)
        assert orders and _transferred_and_recorded(orders[0]), (orders, engine.log()[-4000:])
    assert len(orders) == 1, orders
    return orders[0]


def _transferred_and_recorded(order: dict) -> bool:
    return any(e["event"] == "transfer" for e in order["history"]) and bool(order["recording_sha256"])


def _order_settled(lab, database_url: str, caller: str, timeout: float = 30) -> list[dict]:
    """The orders of ``caller``, once one shows its transfer and recording (or at ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        orders = [t for t in lab.tickets(database_url) if t["caller"] == caller]
        if (orders and _transferred_and_recorded(orders[0])) or time.monotonic() > deadline:
            return orders
        time.sleep(0.5)


def test_a_citizen_answered_on_a_softphone_is_transferred_by_refer_and_the_order_says_so(lab, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'tickets.sqlite3'}"
    with lab.phone("agent3") as phone, lab.department_line() as department:
        assert phone.registered()
        order = _answer_and_transfer(lab, phone, department, database_url, tmp_path, "13944440001",
                                     lambda p: p.transfer("80002401"))
    assert [c.dialled for c in department.answered()] == ["051380002401"]
    assert department.answered()[0].caller == "13944440001"  # the citizen, not the agent
    assert (order["agent"], order["queue"], order["line"], order["status"]) == ("agent3", "q12345", "12345", "received")
    assert order["recording_sha256"] and order["recording_size"] > 1000
    moves = [e for e in order["history"] if e["event"] == "transfer"]
    assert len(moves) == 1
    assert moves[0]["actor"] == "agent3"
    assert moves[0]["data"] == {"to": "051380002401", "department": "justice", "kind": "blind",
                                "dialled": "80002401"}


@pytest.mark.parametrize("keys, kind", [("##80002403", "blind"), ("*280002403", "attended"),
                                        ("*280002403", "threeway")])
def test_transfers_with_the_in_call_keys_are_on_the_order(lab, tmp_path, keys, kind):
    database_url = f"sqlite:///{tmp_path / 'tickets.sqlite3'}"

    def how(phone):
        phone.keys(keys)
        if kind == "blind":
            return
        assert department.wait_for(1, timeout=15)  # the agent speaks to the library first
        time.sleep(1)
        if kind == "threeway":
            phone.keys("*3")   # all three together; the agent then leaves the call
            time.sleep(2)
        phone.hangup()         # hanging up hands the citizen over

    caller = {"blind": "13944440002", "attended": "13944440003", "threeway": "13944440004"}[kind]
    with lab.phone("agent4") as phone, lab.department_line() as department:
        assert phone.registered()
        order = _answer_and_transfer(lab, phone, department, database_url, tmp_path, caller, how)
    moves = [e for e in order["history"] if e["event"] == "transfer"]
    assert [(m["data"]["to"], m["data"]["department"], m["data"]["kind"], m["actor"]) for m in moves] == \
        [("051380002403", "library", kind, "agent4")]
    assert [c.dialled for c in department.answered()] == ["051380002403"]


@pytest.mark.parametrize("number", ["0099123456789", "051380002401", "80002401", "+19005550100",
                                    "*71", "*7180002401", "9011441234567", "0513800024019", "00"])
def test_nothing_from_the_carrier_side_dials_out_through_the_departments_trunk(lab, tmp_path, number):
    """Whatever the carrier delivers, the call stays inside: a dialable number is routed by the
    engine to 12345 (nobody is logged in, so the citizen waits in the queue and hangs up), the
    agents' feature codes do not exist on the carrier's side (404); no department line rings."""
    database_url = f"sqlite:///{tmp_path / 'tickets.sqlite3'}"
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=database_url), \
            lab.department_line() as department:
        result = lab.call(number, talk_ms=1500)
        if number.startswith("*"):
            assert not result.ok and "SIP/2.0 404 Not Found" in result.output
        else:
            assert result.ok, result.output[-2000:]
        time.sleep(0.5)
        assert department.calls() == []


@pytest.mark.parametrize("destination", ["0099123456789", "051380002401&PJSIP/0099123@departments",
                                         "9011441234567", "051380000401"])
def test_an_impostor_on_the_agi_port_cannot_dial_out_either(lab, destination):
    """The dialplan dials only a department line the rules name, whatever the AGI answer says."""
    decision = {"IVR_ACTION": "dial", "IVR_DESTINATION": destination, "IVR_DIAL_TIMEOUT": "5",
                "IVR_FALLBACK_QUEUE": "q12345"}
    with TinyFastAgi(AGI_PORT, decision), lab.department_line() as department:
        result = lab.call("051380000401", talk_ms=1500)
        assert result.ok, result.output[-2000:]  # answered by the 12345 queue instead
        time.sleep(0.5)
        assert department.calls() == []
    with TinyFastAgi(AGI_PORT, dict(decision, IVR_DESTINATION="051380002401")), \
            lab.department_line() as department:
        lab.call("051380000401", talk_ms=1500)
        assert [c.dialled for c in department.answered()] == ["051380002401"]  # the real one rings


def test_an_agent_can_call_a_department_line_and_nothing_else(lab):
    with lab.phone("agent2") as phone, lab.department_line() as department:
        assert phone.registered()
        for number in ("0099123456789", "13900000001", "12345", "051380000401"):
            before = len(phone.events)
            phone.dial(number)
            closed = phone.wait_event("CALL_CLOSED", 15, after=before)
            assert closed, phone.log()[-2000:]
        assert department.calls() == []
        before = len(phone.events)
        phone.dial("80002402")
        assert department.wait_for(1, timeout=10)
        assert phone.wait_event("CALL_ESTABLISHED", 10, after=before)
        phone.hangup()
    assert [c.dialled for c in department.answered()] == ["051380002402"]
