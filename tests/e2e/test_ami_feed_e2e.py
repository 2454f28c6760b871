"""One AMI login per Asterisk for the whole engine, and a lost link resynchronises every part.

``ivr serve`` (intake, console, callbacks worker) is started against the real Asterisk through a
TCP relay the test can cut. Asterisk's own ``manager show connected`` lists one login of the
engine's account and none of the console's or the callbacks' (their Originate logs in only while
it is sent). The relay is cut and restored: the client logs in again and both the intake
(``CoreShowChannels`` and the queue log) and the console (``QueueStatus``) resynchronise.
"""
from __future__ import annotations

import time

import pytest

from e2e.asterisk_lab import Lab
from e2e.engine_process import running_engine, skip_queue_log_history
from e2e.tcp_proxy import TcpProxy
from ivr.asterisk import process, service
from ivr.asterisk.secrets import load as load_secrets
from ivr.asterisk.secrets import secrets_path

pytestmark = pytest.mark.asterisk


def logins(lab: Lab) -> dict[str, int]:
    """Asterisk's count of AMI logins per account (``manager show connected``)."""
    deployment = service.current(lab.settings)
    text = process.cli(deployment.install, deployment.layout, "manager show connected")
    secrets = load_secrets(secrets_path(lab.settings.data_dir))
    users = (secrets.ami_user, secrets.console_ami_user, secrets.callbacks_ami_user)
    return {user: sum(1 for line in text.splitlines() if line.split()[:1] == [user]) for user in users}


def test_one_login_serves_every_part_and_a_lost_link_resynchronises_each(clean_queues, tmp_path):
    lab = clean_queues
    skip_queue_log_history(lab.settings)
    secrets = load_secrets(secrets_path(lab.settings.data_dir))
    before = logins(lab)
    relay = TcpProxy((lab.settings.ami_host, lab.settings.ami_port)).restore()
    try:
        with running_engine(lab.settings, tmp_path / "engine.log", database_url=f"sqlite:///{tmp_path / 'db'}",
                            IVR_AMI_PORT=str(relay.port)) as engine:
            assert engine.wait_for("presence.resynced", timeout=20), engine.log()[-3000:]
            now = logins(lab)
            assert now[secrets.ami_user] - before[secrets.ami_user] == 1, now
            assert (now[secrets.console_ami_user], now[secrets.callbacks_ami_user]) == \
                (before[secrets.console_ami_user], before[secrets.callbacks_ami_user]), now
            relay.cut()                          # the link to Asterisk is lost ...
            time.sleep(0.5)
            relay.restore()                      # ... and comes back: one login again, every part caught up
            assert engine.wait_for("ami.resynced", count=2, timeout=30), engine.log()[-3000:]
            assert engine.wait_for("presence.resynced", count=2, timeout=30), engine.log()[-3000:]
            assert engine.log().count("ami.logged_in") == 2
    finally:
        relay.cut()
