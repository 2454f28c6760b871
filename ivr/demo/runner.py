"""The demo's adapter: the processes (Asterisk, the engine, SIPp) it starts, drives and stops."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ivr.core.rules import Rules
from ivr.demo.plan import (
    CARRIER_ENDPOINT,
    DEFAULT_AT,
    DEPARTMENTS_ENDPOINT,
    GSM_BYTES_PER_S,
    MARKER,
    MAX_CONCURRENT,
    SOUND_MS_GUESS,
    TALK_MS,
    DemoError,
    Outcome,
    PlannedCall,
    Ports,
    call_record,
    check_recordings,
    check_tickets,
    plan_burst,
    plan_failsafe,
    staffed_queues,
)
from ivr.errors import IvrError
from ivr.settings import REPO_ROOT, Settings


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


def write_trunks(folder: Path, ports: Ports, agent_ids: Iterable[str]) -> Path:
    """The repository's trunk files with the demo's ports, and a static contact per agent."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "trunks" / "carrier.yaml", folder / "carrier.yaml")
    departments = yaml.safe_load((REPO_ROOT / "trunks" / "departments.yaml").read_text(encoding="utf-8"))
    departments[DEPARTMENTS_ENDPOINT]["contact"] = f"sip:127.0.0.1:{ports.departments}"
    (folder / "departments.yaml").write_text(yaml.safe_dump(departments), encoding="utf-8")
    start, end = ports.rtp
    lab = {"sip": {"bind": "127.0.0.1", "port": ports.sip}, "rtp": {"start": start, "end": end},
           "agents": {a: f"sip:{a}@127.0.0.1:{ports.agent(i)}" for i, a in enumerate(agent_ids)}}
    (folder / "lab.yaml").write_text(yaml.safe_dump(lab), encoding="utf-8")
    return folder


def demo_env(settings: Settings) -> dict[str, str]:
    """The IVR_* environment that points a child ``ivr`` at the demo's folder and ports."""
    env = dict(os.environ)
    env.update({"IVR_DATA_DIR": str(settings.data_dir), "IVR_RECORDINGS_DIR": str(settings.recordings_dir),
                "IVR_DATABASE_URL": settings.database_url, "IVR_RULES": str(settings.rules_path),
                "IVR_AMI_PORT": str(settings.ami_port), "IVR_AGI_PORT": str(settings.agi_port)})
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
        from ivr.asterisk.ami import AmiSession
        from ivr.asterisk.secrets import load, secrets_path

        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        secrets = load(secrets_path(self.settings.data_dir))
        session = AmiSession(self.settings.ami_host, self.settings.ami_port, secrets.ami_user, secrets.ami_secret)
        session._manager.register_event("Hangup", self._on_hangup)
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
    """How long the prompts play: measured from the GSM sound files, else a guess per sound."""
    total = 0
    for name in prompts:
        size = next((f.stat().st_size for d in sounds_dirs for f in [d / f"{name}.gsm"] if f.is_file()), None)
        total += SOUND_MS_GUESS if size is None else int(size * 1000 / GSM_BYTES_PER_S)
    return total


def sounds_dirs(settings: Settings) -> list[Path]:
    """The language folders of the Asterisk's sounds, as this host sees them."""
    from ivr.asterisk.install import locate

    try:
        install = locate(settings.asterisk_cache)
    except IvrError:
        return []
    base = install.host_path(install.data_dir) / "sounds"
    return sorted(p for p in base.glob("*") if p.is_dir()) if base.is_dir() else []


@dataclass
class Options:
    at: str = DEFAULT_AT
    calls: int | None = None
    concurrency: int = 6
    kill_engine_midway: bool = True
    keep_running: bool = False
    data_dir: Path = field(default_factory=lambda: REPO_ROOT / "var" / "demo")
    port_offset: int = 0
    rules_file: Path | None = None


class Burst:
    """Places planned calls several at a time, never more at once than there are free parties to
    answer them (agents of the call's queue, counting their wrap-up time), so each call shows
    where routing sends it rather than how long a queue is."""

    def __init__(self, rules: Rules, ports: Ports, settings: Settings, workdir: Path,
                 concurrency: int, sounds: list[Path]) -> None:
        self.rules, self.ports, self.settings, self.workdir = rules, ports, settings, workdir
        self.concurrency = max(1, min(concurrency, MAX_CONCURRENT))
        self.sounds = sounds
        self.capacity = dict(staffed_queues(rules))
        self.capacity[DEPARTMENTS_ENDPOINT] = self.concurrency
        self.capacity[""] = self.concurrency
        self.busy: Counter[str] = Counter()          # parties of each resource in a call or wrap-up
        self.releases: list[tuple[float, str]] = []  # (when, resource) a party becomes free again

    def talk_ms(self, call: PlannedCall) -> int:
        """How long the citizen stays on: the prompts, then TALK_MS with the agent."""
        return prompt_ms(call.prompts, self.sounds) + TALK_MS

    def _one(self, call: PlannedCall, slot: int) -> Outcome:
        from ivr.sipp import place_calls

        talk = self.talk_ms(call)
        started = time.monotonic()
        try:
            result = place_calls(call.dialled, self.workdir, asterisk=("127.0.0.1", self.ports.sip),
                                 caller=call.caller, talk_ms=talk, local_port=self.ports.carrier(slot),
                                 timeout=talk / 1000 + 45)
        except IvrError as err:
            return Outcome(carrier_ok=False, carrier_detail=str(err), seconds=time.monotonic() - started)
        detail = "" if result.ok else f"SIPp: {result.successful} completed, {result.failed} failed (exit {result.returncode})"
        return Outcome(carrier_ok=result.ok, carrier_detail=detail, seconds=time.monotonic() - started)

    def run(self, calls: list[PlannedCall], progress: Callable[[str], None]) -> dict[int, Outcome]:
        """Place ``calls``; the longest first, so the burst ends sooner (the table keeps its order)."""
        pending = sorted(calls, key=lambda c: -self.talk_ms(c))
        busy, releases = self.busy, self.releases
        slots = list(range(self.concurrency))
        running: dict[Future, tuple[PlannedCall, int]] = {}
        outcomes: dict[int, Outcome] = {}
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="demo-call") as pool:
            while pending or running:
                now = time.monotonic()
                for item in [r for r in releases if r[0] <= now]:
                    releases.remove(item)
                    busy[item[1]] -= 1
                for call in list(pending):
                    if not slots:
                        break
                    if busy[call.resource] >= max(1, self.capacity.get(call.resource, 1)):
                        continue
                    pending.remove(call)
                    busy[call.resource] += 1
                    slot = slots.pop(0)
                    running[pool.submit(self._one, call, slot)] = (call, slot)
                    progress(f"  calling {call.dialled:<15} from {call.caller} ({call.mode})")
                    time.sleep(0.1)  # a burst, not one instant: Asterisk sees them one by one
                if not running:
                    time.sleep(0.05)
                    continue
                done, _ = wait(list(running), timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    call, slot = running.pop(future)
                    outcomes[call.seq] = future.result()
                    slots.append(slot)
                    queue = self.rules.queues.get(call.resource)
                    wrapup = (queue.wrapup_time + 1.0) if queue else 0.0
                    releases.append((time.monotonic() + wrapup, call.resource))
        return outcomes


def run(options: Options, progress: Callable[[str], None]) -> dict[str, Any]:
    """Run the whole demo; return the result (calls, tickets, recordings, report, ok)."""
    from ivr import logs
    from ivr.clock import parse_clock
    from ivr.asterisk import ami, service
    from ivr.asterisk.secrets import load, secrets_path
    from ivr.rules_file import load_rules
    from ivr.sipp import Party

    logs.configure(level=40)  # errors only: the demo prints its own story
    ports = Ports(options.port_offset)
    rules_path = options.rules_file or Settings.from_env().rules_path
    rules = load_rules(rules_path)
    at = parse_clock(options.at, rules.centre.timezone)
    folder = Path(options.data_dir).resolve()
    settings = Settings.from_env({
        "IVR_RULES": str(rules_path), "IVR_DATA_DIR": str(folder),
        "IVR_RECORDINGS_DIR": str(folder / "recordings"),
        "IVR_DATABASE_URL": f"sqlite:///{folder / 'tickets.sqlite3'}",
        "IVR_AMI_PORT": str(ports.ami), "IVR_AGI_PORT": str(ports.agi),
        "IVR_ASTERISK_CACHE": os.environ.get("IVR_ASTERISK_CACHE", "/var/cache/ivr-12345"),
    })
    burst = plan_burst(rules, at, options.calls)
    failsafe = plan_failsafe(rules, at, len(burst) + 1) if options.kill_engine_midway else []
    env = demo_env(settings)
    ivr = ivr_command()

    if service.status(settings).running:  # a demo kept running last time: stop it first
        service.down(settings)
    prepare_folder(folder)
    for port, what in ((ports.ami, "AMI"), (ports.agi, "FastAGI")):
        if port_open(port):
            raise DemoError(f"TCP port {port} ({what}) is taken: stop what listens there, or use --port-offset")
    udp = [(ports.sip, "Asterisk SIP"), (ports.departments, "departments' lines")]
    udp += [(ports.agent(i), a) for i, a in enumerate(rules.agents)]
    udp += [(ports.carrier(slot), "carrier") for slot in range(min(options.concurrency, MAX_CONCURRENT))]
    for port, what in udp:
        if not udp_free(port):
            raise DemoError(f"UDP port {port} ({what}) is taken: stop what uses it, or use --port-offset")
    trunks = write_trunks(folder / "trunks", ports, rules.agents)
    sipp_dir = folder / "sipp"
    children: list[Child] = []
    parties: list[Party] = []
    watch: HangupWatch | None = None
    asterisk_started = False
    stamp = time.monotonic()

    def step(text: str) -> None:
        progress(f"[{time.monotonic() - stamp:5.1f} s] {text}")

    try:
        step(f"Starting Asterisk (SIP 127.0.0.1:{ports.sip}) with the configuration rendered from {rules_path.name}")
        asterisk_started = True
        service.up(settings, trunks)
        watch = HangupWatch(settings).start()

        step("Starting the engine: the work-order part (`ivr serve --without agi`)")
        listener = Child("work-order engine", [*ivr, "serve", "--without", "agi", "--clock", options.at,
                                               "--sweep-interval", "3600"], env, folder / "engine-orders.log")
        children.append(listener)
        listener.wait_until(lambda: "ami.resync" in listener.log(), "AMI login")
        step(f"Starting the engine: the routing part (`ivr serve --without ami --without scheduler`, "
             f"FastAGI port {ports.agi}, clock {at.isoformat()})")
        routing = Child("routing engine", [*ivr, "serve", "--without", "ami", "--without", "scheduler",
                                           "--port", str(ports.agi), "--clock", options.at],
                        env, folder / "engine-routing.log")
        children.append(routing)
        routing.wait_until(lambda: port_open(ports.agi), "FastAGI port open")

        step(f"Starting SIPp softphones for {len(rules.agents)} agents and the departments' own lines")
        for index, agent_id in enumerate(rules.agents):
            parties.append(Party(agent_id, ports.agent(index), sipp_dir).start())
        parties.append(Party("departments", ports.departments, sipp_dir).start())

        async def login_all() -> None:
            secrets = load(secrets_path(settings.data_dir))
            async with ami.AmiSession(settings.ami_host, settings.ami_port, secrets.ami_user,
                                      secrets.ami_secret) as session:
                for agent_id in rules.agents:
                    await ami.login(session, rules, agent_id)
        asyncio.run(login_all())
        step("Agents logged in: " + ", ".join(f"{a.id} -> {'/'.join(a.queues)}" for a in rules.agents.values()))

        sounds = sounds_dirs(settings)
        placer = Burst(rules, ports, settings, sipp_dir / "carrier", options.concurrency, sounds)
        step(f"Placing {len(burst)} calls, up to {placer.concurrency} at a time")
        outcomes = placer.run(burst, progress)
        if failsafe:
            step("Killing the routing engine (SIGKILL): Asterisk now gets no answer from it")
            routing.stop(signal.SIGKILL)
            if port_open(ports.agi):
                raise DemoError(f"the FastAGI port {ports.agi} still answers after the routing engine was killed")
            step(f"Placing {len(failsafe)} calls with the routing engine down")
            outcomes.update(placer.run(failsafe, progress))

        planned = burst + failsafe
        watch.wait_for([c.caller for c in planned])
        records = []
        for call in planned:
            outcome = outcomes.get(call.seq, Outcome(carrier_detail="not placed"))
            variables = watch.by_caller.get(call.caller)
            if variables is not None:
                outcome.hangup_seen = True
                outcome.reached = variables.get("IVR_REACHED", "")
                outcome.answered_by = variables.get("IVR_ANSWERED_BY", "")
                outcome.failsafe = variables.get("IVR_FAILSAFE", "") == "1"
                outcome.mode_seen = variables.get("IVR_MODE", "")
                outcome.linkedid = variables.get("linkedid", "")
            records.append(call_record(call, outcome, rules))

        step("Reading the work orders back with `ivr tickets list`")
        tickets = _wait_for_tickets(ivr, env, records)
        checked = check_tickets(records, tickets)
        step("Verifying the recordings with `ivr recordings verify`")
        verify = _cli_json(ivr, env, "recordings", "verify", "--json", allow_fail=True)
        step("KPI report with `ivr report`")
        report = _cli_json(ivr, env, "report", "--json")
    finally:
        if watch is not None:
            watch.stop()
        for party in parties:
            party.stop()
        for child in reversed(children):
            child.stop()
        if asterisk_started and not options.keep_running:
            service.down(settings)

    calls_ok = all(r["ok"] for r in records)
    tickets_ok = all(t["ok"] for t in checked)
    recordings = check_recordings(verify, records, checked)
    recordings_ok = recordings["ok"]
    return {"at": at.isoformat(), "rules": str(rules_path), "data_dir": str(folder),
            "asterisk_kept_running": options.keep_running,
            "calls": records, "tickets": checked, "recordings": verify,
            "recordings_check": recordings, "report": report,
            "checks": {"calls": calls_ok, "tickets": tickets_ok, "recordings": recordings_ok},
            "ok": calls_ok and tickets_ok and recordings_ok,
            "seconds": round(time.monotonic() - stamp, 1)}


def _cli_json(ivr: list[str], env: dict[str, str], *args: str, allow_fail: bool = False) -> Any:
    done = subprocess.run([*ivr, *args], env=env, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0 and not (allow_fail and done.stdout.strip()):
        raise DemoError(f"`ivr {' '.join(args)}` failed ({done.returncode}): {done.stderr.strip()[-1000:]}")
    try:
        return json.loads(done.stdout)
    except ValueError:
        raise DemoError(f"`ivr {' '.join(args)}` printed no JSON: {done.stdout[-500:]}") from None


def _wait_for_tickets(ivr: list[str], env: dict[str, str], records: list[dict], timeout: float = 20) -> list[dict]:
    """The work orders, once every agent-answered call has one with its recording attached
    (the listener finishes an order when the call's recording is complete), or at the timeout."""
    wanted = {r["caller"] for r in records if r["reached"].startswith("queue:")}
    deadline = time.monotonic() + timeout
    while True:
        tickets = _cli_json(ivr, env, "tickets", "list", "--json", "--limit", "10000")
        done = {t.get("caller") for t in tickets if t.get("recording_sha256")}
        if wanted <= done or time.monotonic() > deadline:
            return tickets
        time.sleep(1)
