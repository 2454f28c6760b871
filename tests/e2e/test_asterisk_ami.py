"""The engine's AMI account: generated at deploy time, works, and can do only what it needs."""
from __future__ import annotations

import asyncio
import socket

import pytest

from e2e.asterisk_lab import AMI_PORT
from ivr.ami import queues as ami
from ivr.asterisk.secrets import load as load_secrets
from ivr.asterisk.secrets import secrets_path
from ivr.errors import AsteriskError

pytestmark = pytest.mark.asterisk


def _run(lab, fn, secret: str | None = None):
    secrets = load_secrets(secrets_path(lab.settings.data_dir))

    async def main():
        async with ami.AmiClient("127.0.0.1", AMI_PORT, secrets.ami_user,
                                  secret if secret is not None else secrets.ami_secret) as session:
            return await fn(session)

    return asyncio.run(main())


def test_secrets_are_private_and_not_in_the_repository(lab):
    path = secrets_path(lab.settings.data_dir)
    assert path.stat().st_mode & 0o077 == 0
    assert path.parent.stat().st_mode & 0o077 == 0
    secret = load_secrets(path).ami_secret
    assert len(secret) >= 24
    for name in ("manager_secrets.conf", "pjsip_secrets.conf"):
        assert (lab.settings.data_dir / "asterisk" / "etc" / name).stat().st_mode & 0o077 == 0


def test_login_and_queue_membership(clean_queues):
    lab = clean_queues
    lab.login("agent5", "agent1")
    states = {s.queue: s for s in _run(lab, ami.queue_states)}
    assert set(states) == set(lab.rules.queues)
    assert [m.agent for m in states["seat_environment"].members] == ["agent5"]
    assert [m.interface for m in states["q12345"].members] == ["PJSIP/agent1"]
    assert _run(lab, lambda s: ami.login(s, lab.rules, "agent5")) == [("seat_environment", "already logged in")]
    assert _run(lab, lambda s: ami.logout(s, lab.rules, "agent5")) == [("seat_environment", "logged out")]
    assert _run(lab, lambda s: ami.logout(s, lab.rules, "agent5")) == [("seat_environment", "was not logged in")]


# Originate belongs to the callbacks' account alone (tests/e2e/test_ami_privilege_e2e.py).
@pytest.mark.parametrize("action", [
    {"Action": "Command", "Command": "core show channels"},
    {"Action": "Setvar", "Variable": "IVR_X", "Value": "1"},   # class call: write not granted
    {"Action": "Reload"},
], ids=["command", "setvar", "reload"])
def test_account_has_least_privilege(lab, action):
    resp = _run(lab, lambda s: s.action(action, as_list=False))
    assert resp.get("Response") == "Error"
    assert "permission denied" in str(resp.get("Message", "")).lower()


def test_wrong_secret_is_refused(lab):
    with pytest.raises(AsteriskError, match="refused the engine's login"):
        _run(lab, ami.queue_states, secret="not-the-secret")


def test_ami_listens_on_loopback_only(lab):
    addresses = {a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    addresses.discard("127.0.0.1")
    addresses = {a for a in addresses if not a.startswith("127.")}
    for address in addresses:
        with socket.socket() as probe:
            probe.settimeout(1)
            assert probe.connect_ex((address, AMI_PORT)) != 0
