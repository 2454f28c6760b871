"""``ivr serve`` under systemd's notification protocol: READY=1 only once FastAGI answers, then
WATCHDOG=1 at a third of WatchdogSec while it does; a stopped process sends none (systemd then
restarts it). The notification socket is the test's own."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ivr.processes import stop_process
from support import REPO

IVR = str(Path(sys.executable).with_name("ivr"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def messages(receiver: socket.socket, seconds: float) -> list[bytes]:
    got, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        receiver.settimeout(left)
        try:
            got.append(receiver.recv(4096))
        except TimeoutError:
            break
    return got


def test_ready_and_keepalives_follow_the_routing_part(tmp_path):
    shutil.copyfile(REPO / "routing_rules.yaml", tmp_path / "routing_rules.yaml")
    port = free_port()
    inbox = tmp_path / "notify"
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(inbox))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("IVR_")},
           "IVR_DATA_DIR": str(tmp_path / "data"), "IVR_RECORDINGS_DIR": str(tmp_path / "rec"),
           "IVR_RULES": str(tmp_path / "routing_rules.yaml"), "IVR_AGI_PORT": str(port),
           "NOTIFY_SOCKET": str(inbox), "WATCHDOG_USEC": "900000"}
    with open(tmp_path / "engine.log", "w") as log:
        engine = subprocess.Popen([IVR, "serve", "--without", "ami", "--without", "scheduler", "--without", "web",
                                   "--without", "callbacks"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline, got = time.monotonic() + 30, []
        while time.monotonic() < deadline and not any(m.startswith(b"READY=1") for m in got):
            got += messages(receiver, 0.5)
        ready = next(i for i, m in enumerate(got) if m.startswith(b"READY=1"))
        assert got[ready].startswith(b"READY=1\nSTATUS=routing answers on 127.0.0.1:")
        assert all(m.startswith(b"STATUS=routing does not answer") for m in got[:ready])  # while starting
        assert messages(receiver, 1.5).count(b"WATCHDOG=1") >= 3  # every 0.3 s
        engine.send_signal(signal.SIGSTOP)
        try:
            messages(receiver, 0.5)  # what was on its way
            assert messages(receiver, 1.5) == []
        finally:
            engine.send_signal(signal.SIGCONT)
        assert b"WATCHDOG=1" in messages(receiver, 2)
    finally:
        stop_process(engine, grace=10)
        receiver.close()
    assert engine.returncode == 0
