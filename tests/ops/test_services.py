"""The service files: the repository's templates filled in with this machine's paths, accepted by
``systemd-analyze verify`` and ``logrotate -d`` (when installed), every command they run one that
``ivr`` takes, and the services' settings private."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.errors import IvrError
from ivr.ops import services
from ivr.settings import Settings
from support import REPO

IVR = str(Path(sys.executable).with_name("ivr"))


@pytest.fixture
def installed(tmp_path) -> Path:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("IVR_")},
           "IVR_DATA_DIR": str(tmp_path / "data"), "IVR_RECORDINGS_DIR": str(tmp_path / "rec"),
           "IVR_DATABASE_URL": 'postgresql+psycopg://ivr:pa"ss\\word@127.0.0.1/ivr', "IVR_CLOCK": "2020-06-01T10:00",
           "IVR_WEB_PORT": "8090"}
    done = subprocess.run([IVR, "service", "install", "--root", str(tmp_path / "root"), "--no-enable"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "then, as root on the machine: systemctl daemon-reload" in done.stdout
    return tmp_path


def unit(root: Path, name: str) -> str:
    return (root / "root/etc/systemd/system" / name).read_text()


def test_systemd_accepts_the_units(installed):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd): the units cannot be checked here")
    paths = [str(installed / "root/etc/systemd/system" / name) for name in services.UNITS]
    done = subprocess.run(["systemd-analyze", "verify", *paths], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_logrotate_accepts_its_file(installed):
    if shutil.which("logrotate") is None:
        pytest.skip("logrotate is not installed (Debian package logrotate): its file cannot be checked here")
    conf = installed / "root/etc/logrotate.d/ivr-12345"
    done = subprocess.run(["logrotate", "-d", "-s", str(installed / "state"), str(conf)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and "error" not in (done.stdout + done.stderr).lower(), done.stderr
    assert f"rotating pattern: {installed / 'data/asterisk/log/messages.log'}" in done.stderr


def test_every_command_the_services_run_is_one_ivr_takes(installed):
    commands = [line.split("=", 1)[1] for name in services.UNITS for line in unit(installed, name).splitlines()
                if line.startswith(("ExecStart=", "ExecReload=", "ExecStop="))]
    rotate = (installed / "root/etc/logrotate.d/ivr-12345").read_text()
    commands.append(re.search(r"postrotate\n\s+(.*) \|\| true", rotate).group(1))
    assert len(commands) == 5 and not any("@" in c for c in commands)
    for command in commands:
        argv = shlex.split(command)
        argv = argv[argv.index(IVR):]  # after `env VAR=...`
        done = subprocess.run([*argv, "--help"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (command, done.stderr)


def test_the_units_name_this_machines_paths_and_the_settings_stay_private(installed):
    engine = unit(installed, "ivr-engine.service")
    assert f"ExecStart={IVR} serve --json-logs" in engine and "WatchdogSec=30" in engine
    assert "RestartPreventExitStatus=78" in engine and "Type=notify" in engine
    assert f"ReadWritePaths=-{installed / 'data'} -{installed / 'rec'} -{REPO}" in engine
    asterisk = unit(installed, "ivr-asterisk.service")
    assert f"PIDFile={installed / 'data'}/asterisk/run/asterisk.pid" in asterisk
    env_file = installed / "root/etc/ivr-12345/ivr.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    lines = env_file.read_text().splitlines()
    assert f'IVR_DATA_DIR="{installed / "data"}"' in lines and 'IVR_WEB_PORT="8090"' in lines
    assert 'IVR_DATABASE_URL="postgresql+psycopg://ivr:pa\\"ss\\\\word@127.0.0.1/ivr"' in lines
    assert not any(line.startswith("IVR_CLOCK") for line in lines)  # a pretend clock stays out


def test_a_template_with_a_name_left_unfilled_is_refused():
    with pytest.raises(IvrError, match="x.service: no value for @NOPE@"):
        services.fill("ExecStart=@IVR@ @NOPE@", {"IVR": "/bin/ivr"}, "x.service")
    assert services.files(Settings.from_env({}), REPO / "trunks", {})  # the shipped ones fill in
