"""The demo's moving parts: the child processes it starts and the AMI watch of its calls.

Each is stopped by its owner in a ``finally`` block; nothing here decides anything about calls
(that is :mod:`ivr.demo.plan`)."""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ivr.demo.plan import CARRIER_ENDPOINT, GSM_BYTES_PER_S, MARKER, SOUND_MS_GUESS, DemoError
from ivr.errors import IvrError
from ivr.settings import Settings


def ivr_command() -> list[str]:
    """How to run this installation's ``ivr`` command in a child process."""
    script = Path(sys.executable).with_name("ivr")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from ivr.cli import main; sys.exit(main())"]


def prepare_folder(folder: Path) -> None:
    """Empty the demo folder for a fresh run; refuse a folder the demo did not make."""
    folder = folder.resolve()
    if folder.exists() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise DemoError(f"{folder} is not empty and was not made by `ivr demo`: choose another --data-dir")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by `ivr demo`; emptied at each run\n", encoding="utf-8")


def demo_env(settings: Settings) -> dict[str, str]:
    """The IVR_* environment that points a child ``ivr`` at the demo's folder and ports."""
    env = dict(os.environ)
    env.update({"IVR_DATA_DIR": str(settings.data_dir), "IVR_RECORDINGS_DIR": str(settings.recordings_dir),
                "IVR_DATABASE_URL": settings.database_url, "IVR_RULES": str(settings.rules_path),
                "IVR_AMI_PORT": str(settings.ami_port), "IVR_AGI_PORT": str(settings.agi_port),
                "IVR_WEB_PORT": str(settings.web_port)})
    env.pop("IVR_CLOCK", None)
    return env


def udp_free(port: int) -> bool:
    """True when nothing holds UDP 127.0.0.1:port (Asterisk's SIP, a SIPp party)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Child:
    """One ``ivr serve`` child process with its own log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name, self.log_path = name, log_path
        with log_path.open("a", encoding="utf-8") as out:
            self.process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None:
                raise DemoError(f"{self.name} exited ({self.process.returncode}) before {what}; "
                                f"its log {self.log_path}:\n{self.log()[-2000:]}")
            if time.monotonic() > deadline:
                raise DemoError(f"{self.name}: no {what} within {timeout:g} s; see {self.log_path}")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


class HangupWatch:
    """The caller channels' Hangup events, by caller number, collected in a background thread
    with the engine's AMI account (manager.conf channelvars carry the IVR_* variables)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.by_caller: dict[str, dict[str, str]] = {}
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="demo-ami",
                                        daemon=True)
        self.error = ""

    async def _main(self) -> None:
        from ivr.ami.client import AmiClient
        from ivr.asterisk.secrets import load, secrets_path

        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        secrets = load(secrets_path(self.settings.data_dir))
        session = AmiClient(self.settings.ami_host, self.settings.ami_port, secrets.ami_user, secrets.ami_secret)
        session.manager.register_event("Hangup", self._on_hangup)
        try:
            async with session:
                self._ready.set()
                await self._stop.wait()
        except Exception as err:  # noqa: BLE001 - reported by start()
            self.error = str(err) or type(err).__name__
            self._ready.set()

    def _on_hangup(self, _manager, event) -> None:
        if not str(event.get("Channel", "")).startswith(f"PJSIP/{CARRIER_ENDPOINT}-"):
            return
        raw = event.get("ChanVariable") or []
        items = raw if isinstance(raw, list) else [raw]
        variables = dict(str(item).partition("=")[::2] for item in items)
        variables["linkedid"] = str(event.get("Linkedid") or event.get("Uniqueid") or "")
        self.by_caller[str(event.get("CallerIDNum", ""))] = variables

    def start(self) -> HangupWatch:
        self._thread.start()
        if not self._ready.wait(15) or self.error:
            raise DemoError(f"cannot listen to Asterisk's events (AMI port {self.settings.ami_port}): {self.error}")
        return self

    def wait_for(self, callers: Iterable[str], timeout: float = 10) -> None:
        wanted = set(callers)
        deadline = time.monotonic() + timeout
        while not wanted <= set(self.by_caller) and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def prompt_ms(prompts: Iterable[str], sounds_dirs: list[Path]) -> int:
    """How long the prompts play: measured from the GSM sound files or the engine's own WAV
    prompts (8 kHz, 16-bit), else a guess per sound."""
    from ivr.prompts.library import wav_seconds

    total = 0
    for name in prompts:
        found = next((f for d in sounds_dirs for ext in ("gsm", "wav") for f in [d / f"{name}.{ext}"]
                      if f.is_file()), None)
        if found is None:
            total += SOUND_MS_GUESS
        elif found.suffix == ".wav":
            total += int(wav_seconds(found) * 1000)
        else:
            total += int(found.stat().st_size * 1000 / GSM_BYTES_PER_S)
    return total


def sounds_dirs(settings: Settings) -> list[Path]:
    """The engine's own prompts (hotline/...), then the language folders of the Asterisk's
    sounds, as this host sees them."""
    from ivr.asterisk.install import locate
    from ivr.asterisk.layout import Layout

    own = [Layout.from_settings(settings).sounds]
    try:
        install = locate(settings.asterisk_cache)
    except IvrError:
        return own
    base = install.host_path(install.data_dir) / "sounds"
    return own + (sorted(p for p in base.glob("*") if p.is_dir()) if base.is_dir() else [])
