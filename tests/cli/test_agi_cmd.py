"""``ivr agi serve`` and ``ivr agi stats`` as an operator runs them: a real process on a port."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import RULES_FILE

IVR = [str(Path(sys.executable).parent / "ivr")]  # the console script `pip install` made


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(tmp_path: Path) -> dict:
    # debug: a line per routing decision, which these tests read
    return dict(os.environ, IVR_DATA_DIR=str(tmp_path), IVR_RULES=str(RULES_FILE), IVR_LOG_LEVEL="debug")


@pytest.fixture
def served(tmp_path):
    """A running `ivr agi serve` on a free port; stopped (SIGTERM, then kill) afterwards."""
    port = _free_port()
    proc = subprocess.Popen(IVR + ["agi", "serve", "--port", str(port),
                                   "--clock", "2026-03-10T10:00"],
                            env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stderr.read().decode())
                time.sleep(0.05)
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _route_call(port: int, extension: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"agi_network_script: route\nagi_uniqueid: 1.{extension}\n"
                     f"agi_extension: {extension}\n\n".encode())
        stream = sock.makefile("rb")
        first = stream.readline()
        sock.sendall(b"200 result=0\n")
        assert stream.readline() == b""  # closed after one command
        return first


def test_serve_routes_counts_and_stops_cleanly(served, tmp_path):
    proc, port = served
    assert _route_call(port, "12345").startswith(b'EXEC MSet "IVR_ACTION=queue,')
    assert b"IVR_MODE=dedicated" in _route_call(port, "80000301")
    stats_file = tmp_path / "agi-stats.json"
    deadline = time.monotonic() + 5
    def calls() -> int:
        if not stats_file.exists():
            return 0
        return json.loads(stats_file.read_text()).get("counters", {}).get("calls", 0)

    while calls() != 2:
        assert time.monotonic() < deadline, "stats file not updated"
        time.sleep(0.1)
    shown = subprocess.run(IVR + ["agi", "stats"], env=_env(tmp_path), capture_output=True,
                           text=True)
    assert shown.returncode == 0, shown.stderr
    assert "calls=2" in shown.stdout and "decision time: n=2" in shown.stdout
    as_json = json.loads(subprocess.run(IVR + ["agi", "stats", "--json"], env=_env(tmp_path),
                                        capture_output=True, text=True).stdout)
    assert as_json["scripts"] == {"route": 2}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    log = proc.stderr.read().decode()
    assert "route.decided" in log and "uniqueid=1.12345" in log and "agi.stopped" in log


def test_serve_refuses_a_bad_rules_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ncentre: {}\n", encoding="utf-8")
    result = subprocess.run(IVR + ["agi", "serve", "--rules", str(bad),
                                   "--port", str(_free_port())],
                            env=_env(tmp_path), capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert str(bad) in result.stderr and "problem" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_says_when_the_port_is_taken(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = subprocess.run(IVR + ["agi", "serve", "--port", str(busy.getsockname()[1])],
                                env=_env(tmp_path), capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "cannot listen on 127.0.0.1:" in result.stderr and "Traceback" not in result.stderr


def test_bad_clock_is_a_clear_error(tmp_path):
    result = subprocess.run(IVR + ["agi", "serve", "--clock", "yesterday",
                                   "--port", str(_free_port())],
                            env=_env(tmp_path), capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "'yesterday' is not an ISO time" in result.stderr


def test_stats_without_a_server(tmp_path):
    result = subprocess.run(IVR + ["agi", "stats"], env=_env(tmp_path), capture_output=True,
                            text=True)
    assert result.returncode == 1 and "no stats yet" in result.stderr
