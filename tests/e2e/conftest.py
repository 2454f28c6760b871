"""End-to-end fixtures: a real Asterisk (started by the project's own code), SIPp parties, AMI.

One Asterisk serves the whole session, on its own data folder and ports (SIP 5160, AMI 5138,
FastAGI 4673) so it never meets a developer's instance on the defaults. It is stopped at the
end and every process started here is cleaned up in ``finally`` blocks.

Which party a call reached is asserted twice, independently: the SIPp party that answered
(its log of answered calls) and the caller channel's IVR_REACHED / IVR_ANSWERED_BY, read from
the AMI Hangup event (manager.conf channelvars) received with the engine's own AMI account.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from e2e.asterisk_lab import (AGI_PORT, AMI_PORT, SIP_PORT, AmiEvents, Lab, TinyFastAgi, listening,
                          settings_for, write_trunks)
from e2e.phones_lab import phones_lab  # noqa: F401 - the production-profile lab (softphones)
from ivr.asterisk import service
from ivr.asterisk.secrets import load as load_secrets
from ivr.asterisk.secrets import secrets_path
from ivr.rules_file import load_rules


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """A running Asterisk for the session, with the engine's AMI account listening to events."""
    base = tmp_path_factory.mktemp("e2e")
    settings = settings_for(base, AMI_PORT, AGI_PORT)
    rules = load_rules(settings.rules_path)
    trunks = write_trunks(base / "trunks", SIP_PORT, rules.agents)
    events = None
    try:
        service.up(settings, trunks)
        secrets = load_secrets(secrets_path(settings.data_dir))
        events = AmiEvents(settings.ami_host, settings.ami_port, secrets.ami_user, secrets.ami_secret).start()
        yield Lab(settings, trunks, base, events, rules)
    finally:
        if events:
            events.stop()
        service.down(settings)
        assert not service.status(settings).running


@pytest.fixture
def clean_queues(lab: Lab) -> Iterator[Lab]:
    """Every agent logged out before and after the test (membership persists in astdb)."""
    lab.logout(*lab.rules.agents)
    try:
        yield lab
    finally:
        lab.logout(*lab.rules.agents)


@pytest.fixture
def no_agi_server() -> None:
    """The FastAGI port must be closed: the engine is 'down' for the fail-safe tests."""
    if listening(AGI_PORT):
        pytest.fail(f"something listens on the test FastAGI port {AGI_PORT}")


@pytest.fixture
def fastagi(no_agi_server):
    """Factory: ``with fastagi({...}) as agi:`` runs a TinyFastAgi on the test AGI port."""
    return lambda variables: TinyFastAgi(AGI_PORT, variables)
