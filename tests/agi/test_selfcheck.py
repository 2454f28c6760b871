"""The watchdog's round trip with the real FastAGI server and its ``selfcheck`` script: it passes
while the server reads, decides and writes, and fails while the server's event loop is stuck, so
systemd hears "alive" only when routing would answer a call."""
from __future__ import annotations

import socket
import time

import pytest

from ivr.agi.handlers import HANDLERS, AgiContext, StaticRules
from ivr.ops.watchdog import Watchdog, self_check


@pytest.fixture
def server(agi_server, shipped_rules):
    return agi_server(HANDLERS, AgiContext(rules=StaticRules(shipped_rules)))


def test_the_round_trip_passes_and_is_not_a_routing_decision(server):
    self_check("127.0.0.1", server.port, timeout=2)
    stats = server.snapshot()
    assert stats["scripts"] == {"selfcheck": 1} and stats["outcomes"] == {"ok": 1}
    assert stats["decision"]["count"] == 0  # the routing latency figures are the callers' alone


def test_a_stuck_event_loop_fails_the_round_trip_and_earns_no_keepalive(server, tmp_path):
    inbox = tmp_path / "notify"
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(inbox))
    receiver.settimeout(2)
    try:
        watchdog = Watchdog("127.0.0.1", server.port, period=1.5, env={"NOTIFY_SOCKET": str(inbox)})
        assert watchdog.once() is True
        assert receiver.recv(4096).startswith(b"READY=1") and receiver.recv(4096) == b"WATCHDOG=1"
        server.loop.call_soon_threadsafe(time.sleep, 1.5)  # a handler that blocks the loop
        time.sleep(0.05)
        assert watchdog.once() is False
        assert receiver.recv(4096).startswith(b"STATUS=routing does not answer")
        time.sleep(1.5)
        assert watchdog.once() is True and receiver.recv(4096) == b"WATCHDOG=1"
    finally:
        receiver.close()


def test_a_server_that_accepts_but_never_answers_is_not_alive(tmp_path):
    with socket.socket() as frozen:
        frozen.bind(("127.0.0.1", 0))
        frozen.listen()
        with pytest.raises(OSError):
            self_check("127.0.0.1", frozen.getsockname()[1], timeout=0.3)
