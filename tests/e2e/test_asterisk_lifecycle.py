"""`ivr asterisk up | status | down` on an instance of its own (its own data folder and ports)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from e2e.asterisk_lab import settings_for, write_trunks
from ivr.asterisk import service
from ivr.asterisk.process import running_pid
from ivr.asterisk.layout import Layout
from ivr.rules_file import load_rules

pytestmark = pytest.mark.asterisk

SIP_PORT, AMI_PORT, AGI_PORT = 5260, 5238, 4773


def ivr(env: dict, *args: str) -> subprocess.CompletedProcess:
    # the installed console script, as an admin runs it
    return subprocess.run([str(Path(sys.executable).parent / "ivr"), *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def _mounts_under(path: Path) -> list[str]:
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        return [line.split()[1] for line in mounts if str(path) in line.split()[1]]


def test_up_status_down(tmp_path):
    settings = settings_for(tmp_path, AMI_PORT, AGI_PORT)
    trunks = write_trunks(tmp_path / "trunks", SIP_PORT, load_rules(settings.rules_path).agents)
    env = {**os.environ, "IVR_DATA_DIR": str(settings.data_dir),
           "IVR_RECORDINGS_DIR": str(settings.recordings_dir), "IVR_AMI_PORT": str(AMI_PORT),
           "IVR_AGI_PORT": str(AGI_PORT), "IVR_TRUNKS": str(trunks)}
    layout = Layout.from_settings(settings)
    try:
        down_before = ivr(env, "asterisk", "status")
        assert down_before.returncode == 3 and "not running" in down_before.stdout

        up = ivr(env, "asterisk", "up")
        assert up.returncode == 0, up.stderr
        pid = running_pid(layout)
        assert pid and f"pid {pid}" in up.stdout

        status = ivr(env, "asterisk", "status")
        assert status.returncode == 0, status.stderr
        assert f"running: pid {pid}" in status.stdout and "Asterisk 2" in status.stdout

        again = ivr(env, "asterisk", "up")  # idempotent: the same process
        assert again.returncode == 0 and running_pid(layout) == pid

        # the configuration Asterisk runs is the rendered one, from the runtime folder
        assert (layout.etc / "extensions.conf").is_file()
        assert oct((layout.etc / "manager_secrets.conf").stat().st_mode & 0o777) == "0o600"

        down = ivr(env, "asterisk", "down")
        assert down.returncode == 0 and "asterisk stopped" in down.stdout
        assert not Path(f"/proc/{pid}").exists() or running_pid(layout) is None
        assert ivr(env, "asterisk", "status").returncode == 3
        assert "was not running" in ivr(env, "asterisk", "down").stdout
        # the bind mounts lived in Asterisk's private namespace: none is left anywhere
        assert _mounts_under(settings.data_dir) == []
    finally:
        service.down(settings)


def test_up_refuses_a_port_in_use(tmp_path):
    import socket

    settings = settings_for(tmp_path, AMI_PORT, AGI_PORT)
    trunks = write_trunks(tmp_path / "trunks", SIP_PORT, load_rules(settings.rules_path).agents)
    env = {**os.environ, "IVR_DATA_DIR": str(settings.data_dir),
           "IVR_RECORDINGS_DIR": str(settings.recordings_dir), "IVR_AMI_PORT": str(AMI_PORT),
           "IVR_TRUNKS": str(trunks)}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", SIP_PORT))
        try:
            result = ivr(env, "asterisk", "up")
        finally:
            service.down(settings)
    assert result.returncode == 1
    assert f"SIP port 127.0.0.1:{SIP_PORT} is already in use" in result.stderr
    assert "Traceback" not in result.stderr
