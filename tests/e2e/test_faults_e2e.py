"""Faults and abuse with the real Asterisk, SIPp and the engine: a stalled engine, a forged rating,
an orderly stop, private files, failed AMI logins, one clock.

Each test states what a caller or a work order must get whatever goes wrong, and prints the
figure a person would ask about (how long a caller waited).
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

from e2e.asterisk_lab import AGI_PORT, AMI_PORT
from e2e.engine_process import IVR, engine_env, running_engine, skip_queue_log_history
from ivr.asterisk.layout import Layout
from ivr.lifecycle import parts

pytestmark = pytest.mark.asterisk


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tickets.sqlite3'}"


def tickets(lab, url: str) -> list[dict]:
    done = subprocess.run([IVR, "tickets", "list", "--json", "--limit", "1000"],
                          env=engine_env(lab.settings, url), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_stalled_engine_sends_callers_to_12345_within_seconds(clean_queues, sqlite_url, tmp_path):
    """The engine is frozen (SIGSTOP: a long GC, a swap storm, a deadlock look the same to
    Asterisk): its port still accepts connections, and nothing answers. Callers must still reach
    the general 12345 queue, after IVR_AGI_TIMEOUT (3 s), not after the stall."""
    lab = clean_queues
    lab.login("agent1")
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=sqlite_url) as engine, \
            lab.agent("agent1") as agent1:
        # routing is a process of its own under `ivr serve`: it is the one Asterisk waits on
        [routing] = [p.pid for p in parts.running(lab.settings.data_dir) if p.part == "routing"]
        os.kill(routing, signal.SIGSTOP)
        try:
            waits = []
            for number in ("12345", "051380000301"):  # the main line and a dedicated seat line
                # the caller is answered by the fail-safe (its greeting, then the queue): the time
                # to that answer is the time spent in silence with the frozen engine
                result, hangup = lab.call(number, talk_ms=5000, timeout=30)
                assert result.ok, result.output[-2000:]
                waited = result.seconds - 5.0
                waits.append(waited)
                print(f"\nstalled engine: a caller to {number} waited {waited:.1f} s in silence, then heard "
                      f"the greeting and reached the 12345 agents (IVR_AGI_TIMEOUT {lab.settings.agi_timeout:g} s)")
                assert hangup["vars"].get("IVR_FAILSAFE") == "1"
                assert hangup["vars"].get("IVR_ANSWERED_BY") == "agent1"
                assert waited < lab.settings.agi_timeout + 3
            assert len(agent1.wait_for(2, timeout=5)) == 2
        finally:
            os.kill(routing, signal.SIGCONT)


def _forge_rating(linkedid: str, rating: str) -> bytes:
    """What a stranger on the machine can send: a FastAGI header asking for a script ``rate``."""
    header = (f"agi_network: yes\nagi_network_script: rate\nagi_request: agi://127.0.0.1/rate\n"
              f"agi_channel: PJSIP/carrier-00000001\nagi_uniqueid: {linkedid}\nagi_arg_1: {rating}\n"
              f"agi_arg_2: {linkedid}\n\n")
    with socket.create_connection(("127.0.0.1", AGI_PORT), timeout=5) as conn:
        conn.sendall(header.encode())
        conn.settimeout(3)
        received = b""
        try:
            while chunk := conn.recv(4096):
                received += chunk
        except OSError:
            pass
    return received


def test_a_forged_rating_is_not_believed_and_the_callers_is(clean_queues, sqlite_url, tmp_path):
    """While the citizen is still on the line, a stranger speaks FastAGI to the engine asking to
    rate the call 1; the citizen then presses 4. The order holds 4, from the caller's own call.
    The engine runs on a pretend clock: the order and the rating both carry the pretend date."""
    lab = clean_queues
    skip_queue_log_history(lab.settings)
    lab.login("agent1")
    caller = "13911110077"
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=sqlite_url,
                        IVR_CLOCK="2020-06-01T10:00:00+08:00") as engine, \
            lab.agent("agent1", behaviour="answer_hangup"):
        outcome: dict = {}
        call = threading.Thread(target=lambda: outcome.update(
            zip(("result", "hangup"), lab.call("0513-80000102", talk_ms=6000, caller=caller, rating=4,
                                               timeout=40))))
        call.start()
        assert engine.wait_for("ledger.ticket", timeout=15), engine.log()[-3000:]
        [line] = [l for l in engine.log().splitlines() if "ledger.ticket" in l]
        linkedid = re.search(r"linkedid=(\S+)", line).group(1)
        number = re.search(r"number=(12345-\d{8}-\d{6})", line).group(1)
        for key in (linkedid, number):
            assert _forge_rating(key, "1") == b""  # nothing is said to a stranger, nothing is done
        call.join(60)
        assert outcome["result"].ok, outcome["result"].output[-2000:]
        assert engine.wait_for("ticket.rated", timeout=10), engine.log()[-4000:]
    [ticket] = [t for t in tickets(lab, sqlite_url) if t["caller"] == caller]
    assert ticket["rating"] == 4
    assert [e["data"].get("source") for e in ticket["history"] if e["event"] == "rate"] == ["ivr"]
    assert ticket["created_at"].startswith("2020-06-01T10:0") and ticket["rated_at"].startswith("2020-06-01T10:0")


def test_a_stop_is_orderly_and_exits_0(clean_queues, sqlite_url, tmp_path):
    """SIGTERM (systemd's stop, Ctrl-C's sibling): the facts received are on disk and applied,
    the database is closed, and the exit status says all went well."""
    lab = clean_queues
    skip_queue_log_history(lab.settings)
    lab.login("agent1", "agent2")  # two: one may still be in wrap-up from the last test
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=sqlite_url) as engine, \
            lab.agent("agent1"), lab.agent("agent2"):
        result, _ = lab.call("12345", talk_ms=6000, caller="13911110078")
        assert result.ok
        assert engine.wait_for("ledger.ticket", timeout=10)
        started = time.monotonic()
        engine.process.send_signal(signal.SIGTERM)
        code = engine.process.wait(30)
        print(f"\nstop took {time.monotonic() - started:.1f} s, exit status {code}")
        log = engine.log()
        assert code == 0, log[-4000:]
        assert "engine.stopped" in log and "Traceback" not in log and "internal error" not in log
    status = json.loads((lab.settings.data_dir / "ami" / "intake.json").read_text())
    assert status["state"] == "stopped" and status["written"] >= status["applied"] > 0
    assert [t["caller"] for t in tickets(lab, sqlite_url)].count("13911110078") == 1


def test_citizens_data_is_not_readable_by_other_users(clean_queues, sqlite_url, tmp_path):
    """Recordings, the manifest, the database, the spool, Asterisk's logs and queue log."""
    lab = clean_queues
    skip_queue_log_history(lab.settings)
    lab.login("agent1", "agent2")
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=sqlite_url) as engine, \
            lab.agent("agent1"), lab.agent("agent2"):
        _, hangup = lab.call("12345", talk_ms=6000, caller="13911110079")
        assert engine.wait_for("ledger.recording", timeout=15), engine.log()[-3000:]
    recording = Path(hangup["vars"]["IVR_RECORDING"])
    layout = Layout.from_settings(lab.settings)
    for folder in (lab.settings.data_dir, lab.settings.recordings_dir):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o007 == 0, folder
    private = [recording, recording.parent, lab.settings.recordings_dir / "manifest.jsonl",
               Path(sqlite_url.removeprefix("sqlite:///")), layout.log / "queue_log",
               layout.log / "messages.log", lab.settings.data_dir / "ami" / "spool"]
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) & 0o007 == 0, f"{path} is readable by others"


def test_failed_ami_logins_are_security_events(lab):
    """Wrong AMI passwords are written to Asterisk's security log (one line each, with the
    remote address), where fail2ban and the auditors look."""
    log_file = Layout.from_settings(lab.settings).log / "security.log"
    before = log_file.read_text(errors="replace").count("InvalidPassword") if log_file.exists() else 0
    for attempt in range(20):
        with socket.create_connection(("127.0.0.1", AMI_PORT), timeout=5) as conn:
            conn.recv(100)  # banner
            conn.sendall(f"Action: Login\r\nUsername: ivr-engine\r\nSecret: guess{attempt}\r\n\r\n".encode())
            conn.settimeout(5)
            assert b"Authentication failed" in conn.recv(1000)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = log_file.read_text(errors="replace") if log_file.exists() else ""
        if text.count("InvalidPassword") >= before + 20:
            break
        time.sleep(0.2)
    assert text.count("InvalidPassword") >= before + 20, text[-2000:]
    assert "RemoteAddress=\"IPV4/TCP/127.0.0.1/" in text
