"""``ivr agents phones``: what an agent types into a softphone, from the rendered deployment."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support import REPO

IVR = str(Path(sys.executable).with_name("ivr"))


def run(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, IVR_DATA_DIR=str(tmp_path / "var"))
    return subprocess.run([IVR, *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=60)


def centre_trunks(tmp_path) -> Path:
    """The repository's trunks as a centre has them: no lab contacts, every agent registers."""
    folder = tmp_path / "trunks"
    folder.mkdir()
    for name in ("carrier.yaml", "departments.yaml", "phones.yaml"):
        (folder / name).write_text((REPO / "trunks" / name).read_text())
    (folder / "lab.yaml").write_text("sip:\n  bind: 10.12.0.5\n  port: 5060\n")
    return folder


def test_phones_prints_server_user_password_and_transport_for_each_agent(tmp_path):
    trunks = centre_trunks(tmp_path)
    assert run(tmp_path, "render", "--trunks", str(trunks)).returncode == 0
    secrets = json.loads((tmp_path / "var" / "secrets" / "asterisk.json").read_text())
    out = run(tmp_path, "agents", "phones", "agent5", "--trunks", str(trunks))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "agent5 (Ecology and Environment seat; queues seat_environment)" in text
    assert "  server         10.12.0.5\n" in text and "  user           agent5\n" in text
    assert f"  password       {secrets['agents']['agent5']}\n" in text
    assert "  transport      udp 10.12.0.5:5060; tcp 10.12.0.5:5060\n" in text
    assert "*733 pause: meeting" in text and "## blind transfer" in text
    assert "agent1" not in text
    sheet = json.loads(run(tmp_path, "agents", "phones", "--json", "--trunks", str(trunks)).stdout)
    assert len(sheet["phones"]) == 8 and all(p["password"] for p in sheet["phones"])
    assert sheet["phones"][0]["networks"] == ["10.12.0.0/16"]


def test_lab_agents_are_shown_as_lab_contacts_and_an_unknown_agent_is_refused(tmp_path):
    assert run(tmp_path, "render").returncode == 0  # the repository's trunks: the lab profile
    out = run(tmp_path, "agents", "phones", "agent1")
    assert "lab only: SIPp answers at sip:agent1@127.0.0.1:5101 (no registration)" in out.stdout
    refused = run(tmp_path, "agents", "phones", "agent99")
    assert refused.returncode == 2 and "no agent agent99" in refused.stderr
    assert "Traceback" not in refused.stderr
