"""What the agents saw and what callers heard, for the routing end-to-end tests: the Dial events
on Asterisk's AMI (which party each call rang) and the prompts Asterisk played (from its verbose
log). Apart from test_routing_e2e.py only for length."""
from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator

import pytest
from e2e.asterisk_lab import Lab

from ivr.asterisk import process
from ivr.ami import queues as ami
from ivr.asterisk.install import locate
from ivr.asterisk.layout import Layout
from ivr.asterisk.secrets import load as load_secrets
from ivr.asterisk.secrets import secrets_path

# --- what the agents saw ------------------------------------------------------------------------

class DialEvents:
    """DialBegin and Hangup events of every channel, collected in a background thread.

    The lab's listener keeps only the caller channel's variables; the caller name an agent's
    phone shows is on the agent's channel (DialBegin's DestConnectedLineName: the From display
    name of the INVITE the softphone receives), so this listener keeps whole events.
    """

    def __init__(self, lab: Lab) -> None:
        self.settings = lab.settings
        self.events: list[dict] = []
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self.error = ""

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        secrets = load_secrets(secrets_path(self.settings.data_dir))
        session = ami.AmiClient(self.settings.ami_host, self.settings.ami_port, secrets.ami_user,
                                 secrets.ami_secret)
        for name in ("DialBegin", "Hangup"):
            session.manager.register_event(name, lambda _m, event: self.events.append(dict(event)))
        try:
            async with session:
                self._ready.set()
                await self._stop.wait()
        except Exception as err:  # noqa: BLE001 - reported by start()
            self.error = str(err)
            self._ready.set()

    def start(self) -> DialEvents:
        self._thread.start()
        if not self._ready.wait(10) or self.error:
            raise RuntimeError(f"AMI listener did not start: {self.error}")
        return self

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def dials_to(self, agent_id: str) -> list[dict]:
        return [e for e in self.events if e.get("Event") == "DialBegin"
                and str(e.get("DestChannel", "")).startswith(f"PJSIP/{agent_id}-")]


@pytest.fixture(scope="module")
def dial_events(lab: Lab) -> Iterator[DialEvents]:
    events = DialEvents(lab).start()
    try:
        yield events
    finally:
        events.stop()


class Playbacks:
    """What Asterisk played to callers: a temporary verbose log channel of the lab Asterisk.

    The engine's AMI account cannot read dialplan events, so the prompts are read from the
    Asterisk's own verbose log ("Playing 'ss-noservice.gsm'") through its CLI.
    """

    def __init__(self, lab: Lab) -> None:
        self.install = locate(lab.settings.asterisk_cache)
        self.layout = Layout.from_settings(lab.settings)
        self.path = self.layout.log / "e2e-routing-verbose.log"

    def cli(self, command: str) -> str:
        return process.cli(self.install, self.layout, command)

    def start(self) -> Playbacks:
        self.path.unlink(missing_ok=True)
        self.cli(f"logger add channel {self.path} verbose(3)")
        return self

    def stop(self) -> None:
        self.cli(f"logger remove channel {self.path}")

    def mark(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def played_since(self, mark: int) -> list[str]:
        """Sound names played since ``mark``, in order."""
        with self.path.open("rb") as log:
            log.seek(mark)
            text = log.read().decode("utf-8", "replace")
        return re.findall(r"Playing '([^']+?)\.[a-z0-9]+' \(language", text)


@pytest.fixture(scope="module")
def playbacks(lab: Lab) -> Iterator[Playbacks]:
    watcher = Playbacks(lab).start()
    try:
        yield watcher
    finally:
        watcher.stop()
