"""Routing in a process of its own: ``ivr serve --parts routing`` answers FastAGI with no SQL and
no console imported, and ``ivr serve`` restarts a part that dies (the real command, as a child)."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ivr.ops.watchdog import self_check
from ivr.processes import stop_process
from support import REPO

IVR = str(Path(sys.executable).with_name("ivr"))
CENTRE_ONLY = ("sqlalchemy", "alembic", "ivr.store", "ivr.web", "starlette", "uvicorn", "panoramisk",
               "apscheduler", "ivr.ami")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def env_for(tmp_path: Path, port: int) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("IVR_") and k != "NOTIFY_SOCKET"},
            "IVR_DATA_DIR": str(tmp_path / "data"), "IVR_RECORDINGS_DIR": str(tmp_path / "rec"),
            "IVR_RULES": str(REPO / "routing_rules.yaml"), "IVR_AGI_PORT": str(port),
            # a database that cannot be reached: routing must not care
            "IVR_DATABASE_URL": "postgresql+psycopg://nobody:x@127.0.0.1:1/none"}


def answers(port: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            self_check("127.0.0.1", port, 2.0)
            return True
        except OSError:
            time.sleep(0.1)
    return False


def test_the_routing_process_imports_no_sql_and_no_console(tmp_path):
    port = free_port()
    with open(tmp_path / "imports.log", "w") as err, open(tmp_path / "engine.log", "w") as out:
        routing = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "ivr", "serve", "--parts", "routing"],
                                   env=env_for(tmp_path, port), stdout=out, stderr=err)
    try:
        assert answers(port), (tmp_path / "engine.log").read_text()
    finally:
        stop_process(routing, grace=10)
    assert routing.returncode == 0
    imported = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \| +([\w.]+)$",
                              (tmp_path / "imports.log").read_text(), re.M))
    assert "ivr.agi.server" in imported and "ivr.agi.notice_board" in imported
    leaked = sorted(m for m in imported if any(m == c or m.startswith(c + ".") for c in CENTRE_ONLY))
    assert not leaked, f"the routing process imported {leaked}"


def test_serve_restarts_a_part_that_dies_and_stops_cleanly(tmp_path):
    port = free_port()
    log_path = tmp_path / "engine.log"
    with open(log_path, "w") as log:
        engine = subprocess.Popen([IVR, "serve", *(a for p in ("ami", "scheduler", "web", "callbacks")
                                                   for a in ("--without", p))],
                                  env=env_for(tmp_path, port), stdout=log, stderr=subprocess.STDOUT)
    try:
        assert answers(port), log_path.read_text()
        [first] = re.findall(r"serve\.part_started\s+part=routing pid=(\d+)", log_path.read_text())
        os.kill(int(first), signal.SIGKILL)
        assert answers(port), log_path.read_text()
        text = log_path.read_text()
        assert re.search(rf"serve\.part_died\s+.*part=routing pid={first} status=-9", text), text
        [second] = re.findall(r"serve\.part_restarted\s+part=routing pid=(\d+)", text)
        assert second != first
    finally:
        stop_process(engine, grace=15)
    assert engine.returncode == 0
    assert "serve.part_stopped" in log_path.read_text()
    try:
        os.kill(int(second), 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive, "the routing part outlived ``ivr serve``"
