"""Work orders from real answered calls: Asterisk, SIPp, the engine (`ivr serve`), SQLite and PostgreSQL.

Each test places real calls through the lab Asterisk and reads the work orders back with the
staff CLI (`ivr tickets list --json`, `ivr report --json`, `ivr recordings verify`), as a
supervisor would.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from e2e.engine_process import IVR, engine_env, running_engine, skip_queue_log_history
from support import pg_schema

pytestmark = pytest.mark.asterisk


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """An empty ticket database of each kind (PostgreSQL: a schema of its own, dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tickets.sqlite3'}"
        return
    with pg_schema(request.getfixturevalue("pg_server").url, prefix="ivr_e2e") as url:
        yield url


@pytest.fixture
def staff(clean_queues, database_url, tmp_path):
    """Runs the staff CLI against the engine's database; returns parsed JSON when asked."""
    lab = clean_queues
    skip_queue_log_history(lab.settings)
    env = engine_env(lab.settings, database_url)

    def run(*args: str, parse: bool = True):
        done = subprocess.run([IVR, *args], env=env, capture_output=True, text=True, timeout=60)
        if parse:
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout)
        return done
    return run


def tickets_for(staff, caller: str) -> list[dict]:
    return [t for t in staff("tickets", "list", "--json", "--limit", "1000") if t["caller"] == caller]


def test_answered_main_line_call_creates_one_ticket_with_a_verified_recording(clean_queues, database_url, staff, tmp_path):
    lab = clean_queues
    lab.login("agent1")
    caller = "13911110001"
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=database_url) as engine, \
            lab.agent("agent1") as agent1:
        result, hangup = lab.call("12345", talk_ms=6000, caller=caller)
        assert result.ok, result.output[-2000:]
        assert [c.dialled for c in agent1.wait_for(1, timeout=5)] == ["agent1"]
        assert engine.wait_for("ledger.recording", timeout=10), engine.log()[-3000:]
    tickets = tickets_for(staff, caller)
    assert len(tickets) == 1, tickets
    ticket = tickets[0]
    assert (ticket["line"], ticket["department"], ticket["mode"]) == ("12345", "centre", "main")
    assert (ticket["queue"], ticket["agent"], ticket["status"]) == ("q12345", "agent1", "received")
    assert ticket["linkedid"] == hangup["uniqueid"]
    assert ticket["number"].startswith("12345-")
    recording = Path(ticket["recording_path"])
    assert recording == Path(hangup["vars"]["IVR_RECORDING"]) and recording.exists()
    import hashlib
    assert ticket["recording_sha256"] == hashlib.sha256(recording.read_bytes()).hexdigest()
    assert ticket["recording_size"] == recording.stat().st_size > 4000
    # The manifest vouches for this call's file. (Other tests' calls, made with no engine running,
    # left files the manifest rightly calls unlisted: they are not this test's business.)
    verify = json.loads(staff("recordings", "verify", "--json", parse=False).stdout)
    ours = str(recording.relative_to(lab.settings.recordings_dir))
    assert verify["checked"] >= 1
    assert all(ours not in verify[kind] for kind in ("missing", "altered", "unlisted")), verify
    recording.write_bytes(recording.read_bytes()[:-10])  # an auditor's nightmare: a cut recording
    verify = staff("recordings", "verify", "--json", parse=False)
    assert verify.returncode == 1
    assert any(line.startswith(f"{ours}:") for line in json.loads(verify.stdout)["altered"])


def test_answered_dedicated_seat_call_creates_one_ticket_for_its_department(clean_queues, database_url, staff, tmp_path):
    lab = clean_queues
    lab.login("agent1", "agent8")
    caller = "13911110002"
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=database_url) as engine, \
            lab.agent("agent8") as seat, lab.agent("agent1") as general:
        result, _ = lab.call("0513-80000304", talk_ms=4000, caller=caller)
        assert result.ok, result.output[-2000:]
        assert [c.dialled for c in seat.wait_for(1, timeout=5)] == ["agent8"]
        assert general.calls() == []
        assert engine.wait_for("ledger.recording", timeout=10), engine.log()[-3000:]
    tickets = tickets_for(staff, caller)
    assert len(tickets) == 1, tickets
    t = tickets[0]
    assert (t["line"], t["department"], t["mode"], t["queue"], t["agent"]) == \
        ("051380000304", "water", "dedicated", "seat_water", "agent8")
    assert t["recording_sha256"] and Path(t["recording_path"]).exists()


def test_abandoned_call_makes_no_ticket_but_counts_against_the_connection_rate(clean_queues, database_url, staff, tmp_path):
    lab = clean_queues  # nobody logged in: the caller waits in q12345, then gives up
    caller = "13911110003"
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=database_url) as engine:
        result, hangup = lab.call("12345", talk_ms=5000, caller=caller)  # the greeting (3 s), then waits
        assert result.ok, result.output[-2000:]
        assert hangup["vars"].get("IVR_REACHED", "") == ""
        assert engine.wait_for("kind=Abandoned", timeout=10) or engine.wait_for("Abandoned", timeout=1), engine.log()[-3000:]
        lab.login("agent1")
        with lab.agent("agent1"):
            answered, _ = lab.call("12345", talk_ms=6000, caller="13911110004")
            assert answered.ok
            assert engine.wait_for("ledger.recording", timeout=10), engine.log()[-4000:]
    assert tickets_for(staff, caller) == []
    report = staff("report", "--json")
    total = report["total"] if "total" in report else report
    assert json.dumps(total)  # the report is JSON
    text_report = json.dumps(report)
    assert '"abandoned": 1' in text_report and '"answered": 1' in text_report, text_report[:2000]


def test_ami_cut_while_calls_are_answered_still_leaves_one_ticket_per_call(clean_queues, tmp_path, database_url, staff):
    """The AMI listener runs apart from routing; it is killed while calls are answered, then
    started again: its resync (queue log, CoreShowChannels) finds the answers it missed."""
    lab = clean_queues
    lab.login("agent1", "agent2")
    routing_log, listener_log = tmp_path / "routing.log", tmp_path / "listener.log"
    callers = [f"139222200{n:02d}" for n in range(4)]
    with running_engine(lab.settings, routing_log, "--without", "ami", "--without", "scheduler",
                        database_url=database_url, wait_ami=False), \
            lab.agent("agent1") as agent1, lab.agent("agent2") as agent2:
        with running_engine(lab.settings, listener_log, "--without", "agi", "--without", "scheduler",
                            database_url=database_url) as listener:
            first, _ = lab.call("12345", talk_ms=6000, caller=callers[0])
            assert first.ok and listener.wait_for("ledger.recording", timeout=10)
            listener.process.kill()  # the AMI connection is cut; calls go on being answered
            listener.process.wait(5)
            for caller in callers[1:3]:
                result, _ = lab.call("12345", talk_ms=6000, caller=caller)
                assert result.ok, result.output[-2000:]
        with running_engine(lab.settings, listener_log, "--without", "agi", "--without", "scheduler",
                            database_url=database_url) as listener:
            assert listener.wait_for("ami.resynced", count=2, timeout=20)
            last, _ = lab.call("12345", talk_ms=6000, caller=callers[3])
            assert last.ok
            assert listener.wait_for("ledger.recording", count=4, timeout=15), listener.log()[-3000:]
        assert len(agent1.calls()) + len(agent2.calls()) == 4  # every call was answered
    tickets = [t for t in staff("tickets", "list", "--json", "--limit", "1000") if t["caller"] in callers]
    assert sorted(t["caller"] for t in tickets) == callers  # exactly one each
    assert all(t["recording_sha256"] for t in tickets)
    assert len({t["linkedid"] for t in tickets}) == 4


def test_a_rating_keyed_by_the_caller_lands_on_the_ticket(clean_queues, database_url, staff, tmp_path):
    """The agent hangs up first; the caller hears the rating prompt and presses 4 (RFC 2833)."""
    lab = clean_queues
    lab.login("agent1")
    caller = "13911110005"
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=database_url) as engine, \
            lab.agent("agent1", behaviour="answer_hangup") as agent1:
        result, hangup = lab.call("0513-80000102", talk_ms=6000, caller=caller, rating=4, timeout=40)
        assert result.ok, result.output[-2000:]
        assert [c.dialled for c in agent1.wait_for(1, timeout=5)] == ["agent1"]
        assert engine.wait_for("ticket.rated", timeout=10), engine.log()[-4000:]
    tickets = tickets_for(staff, caller)
    assert len(tickets) == 1
    ticket = tickets[0]
    assert (ticket["department"], ticket["mode"], ticket["rating"]) == ("transport", "forward", 4)
    assert any(e["event"] == "rate" and e["actor"] == "citizen" for e in ticket["history"])


@pytest.mark.postgres
def test_answers_during_a_database_outage_are_spooled_then_become_tickets(clean_queues, pg_server,
                                                                          tmp_path):
    """The engine reaches PostgreSQL through a relay the test cuts: calls answered meanwhile are
    spooled to a file and become work orders once the database is back."""
    from e2e.tcp_proxy import TcpProxy

    lab = clean_queues
    skip_queue_log_history(lab.settings)
    lab.login("agent1", "agent2")  # two agents: one may still be in wrap-up from the last call
    proxy = TcpProxy(pg_server.address()).restore()
    callers = ["13933330001", "13933330002", "13933330003"]
    try:
        relayed = pg_server.via("127.0.0.1", proxy.port)
        with pg_schema(pg_server.url, prefix="ivr_e2e", relay=relayed) as url:
            with running_engine(lab.settings, tmp_path / "engine.log", database_url=url) as engine, \
                    lab.agent("agent1") as agent1, lab.agent("agent2") as agent2:
                first, _ = lab.call("12345", talk_ms=6000, caller=callers[0])
                assert first.ok and engine.wait_for("ledger.recording", timeout=10)
                proxy.cut()
                for caller in callers[1:]:
                    result, _ = lab.call("12345", talk_ms=6000, caller=caller)
                    assert result.ok, result.output[-2000:]
                assert len(agent1.calls()) + len(agent2.calls()) == 3  # every call reached an agent
                assert engine.wait_for("intake.database_down", timeout=15), engine.log()[-4000:]
                proxy.restore()
                assert engine.wait_for("intake.database_back", timeout=30), engine.log()
                assert engine.wait_for("ledger.recording", count=3, timeout=15), engine.log()
            done = subprocess.run([IVR, "tickets", "list", "--json"], env=engine_env(lab.settings, url),
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            tickets = [t for t in json.loads(done.stdout) if t["caller"] in callers]
            assert sorted(t["caller"] for t in tickets) == callers
            assert all(t["recording_sha256"] for t in tickets)
            from ivr.spool import Spool
            assert not Spool(lab.settings.data_dir / "ami" / "spool").pending()
    finally:
        proxy.cut()
