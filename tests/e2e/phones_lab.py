"""A second lab Asterisk in the production profile: every agent registers from a real softphone.

Unlike the SIPp lab (static contacts, everybody on 127.0.0.1), here each party has a loopback
address of its own, so Asterisk can tell them apart by source address as it would at a centre:

    127.0.0.1      Asterisk (SIP udp/tcp, TLS, AMI); softphones' TCP/TLS connections come from it
    127.0.0.2      the carrier (SIPp placing citizens' calls)
    127.0.0.3      the departments' own lines (SIPp answering)
    127.0.2.N      agentN's baresip softphone (the softphones' network, with 127.0.0.1)
    127.0.9.9      a stranger: nobody permitted it

agent7's phone is the browser (``webrtc``): Asterisk's HTTP server (SIP over WebSocket) listens on
127.0.0.1:HTTP_PORT, for the console's relay (tests/e2e/test_sip_identity_e2e.py).

Its own ports (the lab's offset applies), data folder and trunk files written here as a centre
would write them: no static contact in lab.yaml, phones.yaml with udp, tcp and tls (SRTP
optional, so one lab serves phones of every kind).
"""
from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from e2e.asterisk_lab import _OFFSET, settings_for, with_session
from e2e.engine_process import IVR, engine_env
from e2e.softphone import Softphone
from ivr.asterisk import process, service
from ivr.ami import queues as ami
from ivr.asterisk.secrets import load as load_secrets
from ivr.asterisk.secrets import secrets_path
from ivr.asterisk.tls import tls_folder
from ivr.rules_file import load_rules
from ivr.settings import Settings
from ivr.sipp import CarrierResult, Party, place_calls

AMI_PORT = 4740 + _OFFSET
AGI_PORT = 4741 + _OFFSET
SIP_PORT = 4742 + _OFFSET
TLS_PORT = 4743 + _OFFSET
DEPARTMENT_PORT = 4744 + _OFFSET
CARRIER_PORT = 4745 + _OFFSET
STRANGER_PORT = 4746 + _OFFSET
HTTP_PORT = 4747 + _OFFSET
BROWSER_AGENT = "agent7"   # the softphone tests use agent7's address only, never its endpoint
CARRIER, DEPARTMENTS, STRANGER = "127.0.0.2", "127.0.0.3", "127.0.9.9"


def write_centre_trunks(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "carrier.yaml").write_text(f"carrier:\n  match: [{CARRIER}]\n  codecs: [alaw, ulaw]\n")
    (folder / "departments.yaml").write_text(
        f"departments:\n  contact: sip:{DEPARTMENTS}:{DEPARTMENT_PORT}\n  codecs: [alaw, ulaw]\n")
    rtp = 20000 + 20 * _OFFSET + 1000
    (folder / "lab.yaml").write_text(f"sip:\n  bind: 127.0.0.1\n  port: {SIP_PORT}\n"
                                     f"rtp:\n  start: {rtp}\n  end: {rtp + 998}\n")
    (folder / "phones.yaml").write_text(
        "phones:\n  networks: [127.0.0.1/32, 127.0.2.0/24]\n  transports: [udp, tcp, tls]\n"
        f"  tls_port: {TLS_PORT}\n  srtp: optional\n  qualify_frequency: 10\n"
        f"  webrtc: [{BROWSER_AGENT}]\n  http_port: {HTTP_PORT}\n")
    return folder


@dataclass
class PhonesLab:
    settings: Settings
    trunks: Path
    workdir: Path
    rules: object

    @property
    def secrets(self):
        return load_secrets(secrets_path(self.settings.data_dir))

    @property
    def log_dir(self) -> Path:
        return self.settings.data_dir.resolve() / "asterisk" / "log"

    def phone(self, agent_id: str, *, transport: str = "udp", password: str | None = None,
              user: str | None = None, address: str | None = None) -> Softphone:
        """agentN's softphone on 127.0.2.N (not started: use it in a ``with``)."""
        n = int(agent_id.removeprefix("agent"))
        tls = transport == "tls"
        return Softphone(self.workdir / f"phone-{agent_id}-{transport}-{user or ''}",
                         user=user or agent_id,
                         password=self.secrets.agent_passwords[agent_id] if password is None else password,
                         server=("127.0.0.1", TLS_PORT if tls else SIP_PORT),
                         address=address or f"127.0.2.{n}", sip_port=4750 + n + _OFFSET,
                         ctrl_port=4760 + n + _OFFSET, transport=transport, srtp=tls,
                         ca_file=tls_folder(self.settings.data_dir) / "asterisk.crt" if tls else None)

    def department_line(self, behaviour: str = "answer") -> Party:
        return Party(f"department-{behaviour}", DEPARTMENT_PORT, self.workdir / "sipp",
                     behaviour=behaviour, host=DEPARTMENTS)

    def call(self, number: str, *, talk_ms: int = 3000, caller: str = "13900000001",
             host: str = CARRIER, port: int = CARRIER_PORT, timeout: float = 60) -> CarrierResult:
        return place_calls(number, self.workdir / "sipp", asterisk=("127.0.0.1", SIP_PORT), caller=caller,
                           talk_ms=talk_ms, local_port=port, local_host=host, timeout=timeout)

    def members(self) -> dict[str, list[ami.Member]]:
        """Queue -> its members, as Asterisk reports them (QueueStatus)."""
        states = asyncio.run(with_session(self.settings, ami.queue_states))
        return {s.queue: list(s.members) for s in states}

    def cli(self, command: str) -> str:
        deployment = service.current(self.settings)
        return process.cli(deployment.install, deployment.layout, command)

    def logout_all(self) -> None:
        async def run(session):
            for agent_id in self.rules.agents:
                await ami.logout(session, self.rules, agent_id)
        asyncio.run(with_session(self.settings, run))

    def tickets(self, database_url: str) -> list[dict]:
        done = subprocess.run([IVR, "tickets", "list", "--json", "--limit", "1000"],
                              env=engine_env(self.settings, database_url), capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture(scope="session")
def phones_lab(tmp_path_factory) -> Iterator[PhonesLab]:
    """The production-profile Asterisk for the session, stopped at the end."""
    base = tmp_path_factory.mktemp("phones")
    settings = settings_for(base, AMI_PORT, AGI_PORT)
    trunks = write_centre_trunks(base / "trunks")
    try:
        service.up(settings, trunks)
        yield PhonesLab(settings, trunks, base, load_rules(settings.rules_path))
    finally:
        service.down(settings)
