"""The end-to-end lab: ports, trunk files, SIPp parties, AMI event listener, a tiny FastAGI.

Shared by tests/e2e/conftest.py and the tests (importable as ``e2e.asterisk_lab``: setup.cfg puts tests/ on the path).
"""
from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


from ivr.ami import queues as ami
from ivr.asterisk.site import write_lab_trunks
from ivr.asterisk.secrets import load as load_secrets
from ivr.asterisk.secrets import secrets_path
from ivr.settings import Settings
from ivr.sipp import Party, place_calls

def _worker_index() -> int:
    """pytest-xdist's worker number (gw0, gw1, ...); 0 when the tests run in one process."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else 0


# IVR_E2E_PORT_OFFSET shifts every port, so two test runs on one machine never meet; each
# pytest-xdist worker has its own Asterisk, 300 ports further on (make test runs two).
WORKER_PORT_STEP = 300
_OFFSET = int(os.environ.get("IVR_E2E_PORT_OFFSET", "0")) + WORKER_PORT_STEP * _worker_index()
SIP_PORT = 5160 + _OFFSET
AMI_PORT = 5138 + _OFFSET
AGI_PORT = 4673 + _OFFSET
AGENT_PORT_BASE = 5200 + _OFFSET      # agentN answers on AGENT_PORT_BASE + N
# below the agents of the next offset (5301 + offset was agent1's port of offset + 100)
DEPARTMENT_PORT = 5290 + _OFFSET
CARRIER_PORT = 5170 + _OFFSET


def agent_port(agent_id: str) -> int:
    return AGENT_PORT_BASE + int(agent_id.removeprefix("agent"))


def write_trunks(folder: Path, sip_port: int, agent_ids) -> Path:
    """The repository's trunk files with the lab's ports moved for a test instance."""
    return write_lab_trunks(folder, sip_port=sip_port, rtp=(20000 + 20 * _OFFSET, 20000 + 20 * _OFFSET + 1998),
                            department_port=DEPARTMENT_PORT, agent_ports={a: agent_port(a) for a in agent_ids},
                            carrier_port=CARRIER_PORT)


def settings_for(base: Path, ami_port: int, agi_port: int) -> Settings:
    return Settings.from_env({
        "IVR_DATA_DIR": str(base / "var"),
        "IVR_RECORDINGS_DIR": str(base / "recordings"),
        "IVR_AMI_PORT": str(ami_port),
        "IVR_AGI_PORT": str(agi_port),
    })


@dataclass
class AmiEvents:
    """Hangup events of carrier channels, collected in a background thread (engine's account)."""

    host: str
    port: int
    user: str
    secret: str
    hangups: list[dict] = field(default_factory=list)
    connects: list[dict] = field(default_factory=list)   # AgentConnect: who answered, when (monotonic)
    joins: list[dict] = field(default_factory=list)      # QueueCallerJoin: a caller waits, when (monotonic)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _stop: asyncio.Event | None = None
    error: str = ""

    def start(self) -> "AmiEvents":
        self._thread = threading.Thread(target=self._run, name="ami-events", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self.error:
            raise RuntimeError(f"AMI event listener did not start: {self.error}")
        return self

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        session = ami.AmiClient(self.host, self.port, self.user, self.secret)
        session.manager.register_event("Hangup", self._on_hangup)
        session.manager.register_event("AgentConnect", self._on_connect)
        session.manager.register_event("QueueCallerJoin", self._on_join)
        try:
            async with session:
                self._ready.set()
                await self._stop.wait()
        except Exception as err:  # noqa: BLE001 - reported to the fixture
            self.error = str(err)
            self._ready.set()

    def _on_hangup(self, _manager, event) -> None:
        if str(event.get("Channel", "")).startswith("PJSIP/carrier-"):
            raw = event.get("ChanVariable") or []
            items = raw if isinstance(raw, list) else [raw]
            variables = dict(str(item).partition("=")[::2] for item in items)
            self.hangups.append({"channel": event.get("Channel"), "uniqueid": event.get("Uniqueid"),
                                 "cause": event.get("Cause"), "vars": variables})

    def _on_connect(self, _manager, event) -> None:
        self.connects.append({"at": time.monotonic(), "agent": event.get("MemberName"),
                              "linkedid": event.get("Linkedid"), "caller": event.get("CallerIDNum")})

    def _on_join(self, _manager, event) -> None:
        self.joins.append({"at": time.monotonic(), "queue": event.get("Queue"), "linkedid": event.get("Linkedid"),
                           "caller": event.get("CallerIDNum")})

    def wait_join(self, queue: str, after: int, timeout: float = 15) -> dict | None:
        """The first QueueCallerJoin of ``queue`` among those received after the first ``after``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [j for j in self.joins[after:] if j["queue"] == queue]
            if found:
                return found[0]
            time.sleep(0.005)
        return None

    def wait_connect(self, agent: str, after: int, timeout: float = 15) -> dict | None:
        """The first AgentConnect of ``agent`` among those received after the first ``after``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [c for c in self.connects[after:] if c["agent"] == agent]
            if found:
                return found[0]
            time.sleep(0.01)
        return None

    def wait_hangups(self, count: int, timeout: float = 10) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.hangups) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.hangups)

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread:
            self._thread.join(10)


@dataclass
class Lab:
    settings: Settings
    trunks: Path
    workdir: Path
    events: AmiEvents
    rules: object

    def party(self, name: str, port: int, behaviour: str = "answer") -> Party:
        return Party(name, port, self.workdir / "sipp", behaviour=behaviour)

    def agent(self, agent_id: str, behaviour: str = "answer") -> Party:
        return self.party(agent_id, agent_port(agent_id), behaviour)

    def department_line(self, behaviour: str = "answer") -> Party:
        return self.party(f"department-{behaviour}", DEPARTMENT_PORT, behaviour)

    def call(self, number: str, talk_ms: int = 2500, caller: str = "13900000001", timeout: float = 30,
             rating: int | None = None):
        """Place one carrier call; return (SIPp result, the caller channel's Hangup event).
        With ``rating`` the caller presses that key ``talk_ms`` after the answer (see place_calls)."""
        before = len(self.events.hangups)
        result = place_calls(number, self.workdir / "sipp", asterisk=("127.0.0.1", SIP_PORT),
                             caller=caller, talk_ms=talk_ms, local_port=CARRIER_PORT, timeout=timeout,
                             rating=rating)
        hangups = self.events.wait_hangups(before + 1)
        return result, (hangups[before] if len(hangups) > before else None)

    def login(self, *agent_ids: str) -> None:
        asyncio.run(with_session(self.settings, lambda s: _each(s, self.rules, agent_ids, ami.login)))

    def logout(self, *agent_ids: str) -> None:
        asyncio.run(with_session(self.settings, lambda s: _each(s, self.rules, agent_ids, ami.logout)))


async def _each(session, rules, agent_ids, fn):
    for agent_id in agent_ids:
        await fn(session, rules, agent_id)


async def with_session(settings: Settings, fn):
    secrets = load_secrets(secrets_path(settings.data_dir))
    async with ami.AmiClient(settings.ami_host, settings.ami_port, secrets.ami_user,
                              secrets.ami_secret) as session:
        return await fn(session)


def listening(port: int) -> bool:
    """True when a TCP server accepts connections on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class TinyFastAgi:
    """A minimal real FastAGI peer for dialplan tests: answers every `route` with fixed variables.

    It speaks the protocol (reads the agi_* header, sends SET VARIABLE, reads each 200 reply),
    standing in for the engine's server when a test wants a given decision, independent of the
    routing rules and the clock.
    """

    def __init__(self, port: int, variables: dict[str, str]) -> None:
        import socketserver

        self.variables = variables
        self.requests: list[dict[str, str]] = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                header = {}
                while True:
                    line = self.rfile.readline(4096).decode("utf-8", "replace").strip()
                    if not line:
                        break
                    key, _, value = line.partition(":")
                    header[key.strip()] = value.strip()
                outer.requests.append(header)
                if not header.get("agi_network_script", "").startswith("route"):
                    return
                for name, value in outer.variables.items():
                    self.wfile.write(f'SET VARIABLE {name} "{value}"\n'.encode())
                    self.rfile.readline(4096)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "TinyFastAgi":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
