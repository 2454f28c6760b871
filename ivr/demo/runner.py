"""The demo's adapter: the processes (Asterisk, the engine, SIPp) it starts, drives and stops."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from ivr.asterisk.site import write_lab_trunks
from ivr.core.rules import Rules
from ivr.demo.desk_plan import plan_desk
from ivr.demo.plan import (
    DEFAULT_AT,
    DEPARTMENTS_ENDPOINT,
    MAX_CONCURRENT,
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
from ivr.demo.parts import (Child, HangupWatch, demo_env, ivr_command, port_open, prepare_folder,
                             prompt_ms, sounds_dirs, udp_free)
from ivr.settings import REPO_ROOT, Settings


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
        "IVR_AMI_PORT": str(ports.ami), "IVR_AGI_PORT": str(ports.agi), "IVR_WEB_PORT": str(ports.web),
        "IVR_ASTERISK_CACHE": os.environ.get("IVR_ASTERISK_CACHE", "/var/cache/ivr-12345"),
    })
    burst = plan_burst(rules, at, options.calls)
    failsafe = plan_failsafe(rules, at, len(burst) + 1) if options.kill_engine_midway else []
    env = demo_env(settings)
    ivr = ivr_command()

    if service.status(settings).running:  # a demo kept running last time: stop it first
        service.down(settings)
    prepare_folder(folder)
    for port, what in ((ports.ami, "AMI"), (ports.agi, "FastAGI"), (ports.web, "staff console")):
        if port_open(port):
            raise DemoError(f"TCP port {port} ({what}) is taken: stop what listens there, or use --port-offset")
    udp = [(ports.sip, "Asterisk SIP"), (ports.departments, "departments' lines")]
    udp += [(ports.agent(i), a) for i, a in enumerate(rules.agents)]
    udp += [(ports.carrier(slot), "carrier") for slot in range(min(options.concurrency, MAX_CONCURRENT))]
    for port, what in udp:
        if not udp_free(port):
            raise DemoError(f"UDP port {port} ({what}) is taken: stop what uses it, or use --port-offset")
    trunks = write_lab_trunks(folder / "trunks", sip_port=ports.sip, rtp=ports.rtp,
                              department_port=ports.departments,
                              agent_ports={a: ports.agent(i) for i, a in enumerate(rules.agents)})
    sipp_dir = folder / "sipp"
    children: list[Child] = []
    parties: list[Party] = []
    watch: HangupWatch | None = None
    asterisk_started = False
    kept: list[int] = []  # processes left running (--keep-running)
    stamp = time.monotonic()

    def step(text: str) -> None:
        progress(f"[{time.monotonic() - stamp:5.1f} s] {text}")

    try:
        step(f"Starting Asterisk (SIP 127.0.0.1:{ports.sip}) with the configuration rendered from {rules_path.name}")
        asterisk_started = True
        service.up(settings, trunks)
        watch = HangupWatch(settings).start()

        step(f"Starting the engine: the centre (`ivr serve --parts centre`: work orders, the staff console, "
             f"callbacks; console http://127.0.0.1:{ports.web}/)")
        listener = Child("work-order engine", [*ivr, "serve", "--parts", "centre", "--clock", options.at,
                                               "--sweep-interval", "3600"], env, folder / "engine-orders.log")
        children.append(listener)
        listener.wait_until(lambda: "ami.resync" in listener.log(), "AMI login")
        step(f"Starting the engine: routing (`ivr serve --parts routing`, "
             f"FastAGI port {ports.agi}, clock {at.isoformat()})")
        routing_argv = [*ivr, "serve", "--parts", "routing", "--port", str(ports.agi), "--clock", options.at]
        routing = Child("routing engine", routing_argv, env, folder / "engine-routing.log")
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
        step(f"The agents write each order down at the desk (http://127.0.0.1:{ports.web}/desk), as a person "
             "does: log in, open the order, fill the form, save")
        accounts = create_accounts(ivr, env, rules, tickets)
        listener.wait_until(lambda: "web.listening" in listener.log(), "the staff console")
        desk = work_the_desk(f"http://127.0.0.1:{ports.web}", accounts, plan_desk(tickets, rules))
        step(f"  {sum(d['outcome'] == 'close' for d in desk)} answered on the spot, "
             f"{sum(d['outcome'] == 'dispatch' for d in desk)} dispatched to their units")
        step("Verifying the recordings with `ivr recordings verify`")
        verify = _cli_json(ivr, env, "recordings", "verify", "--json", allow_fail=True)
        step("KPI report with `ivr report`")
        report = _cli_json(ivr, env, "report", "--json")
        if options.keep_running and failsafe:
            step("Starting the routing engine again, for the calls you make next")
            routing = Child("routing engine", routing_argv, env, folder / "engine-routing.log")
            children.append(routing)
            routing.wait_until(lambda: port_open(ports.agi), "FastAGI port open")
    finally:
        if watch is not None:
            watch.stop()
        for party in parties:
            party.stop()
        for child in reversed(children):
            if not options.keep_running or child.process.poll() is not None:
                child.stop()
            else:
                kept.append(child.process.pid)
        if asterisk_started and not options.keep_running:
            service.down(settings)

    calls_ok = all(r["ok"] for r in records)
    tickets_ok = all(t["ok"] for t in checked)
    recordings = check_recordings(verify, records, checked)
    recordings_ok = recordings["ok"]
    desk_ok = bool(desk) and all(d["ok"] for d in desk)
    return {"at": at.isoformat(), "rules": str(rules_path), "data_dir": str(folder),
            "asterisk_kept_running": options.keep_running, "kept_pids": kept,
            "calls": records, "tickets": checked, "recordings": verify, "desk": desk,
            "console": {"url": f"http://127.0.0.1:{ports.web}/", "kept_running": options.keep_running,
                        "accounts": [{"name": name, "password": password if options.keep_running else None}
                                     for name, password in accounts.items()]},
            "recordings_check": recordings, "report": report,
            "checks": {"calls": calls_ok, "tickets": tickets_ok, "recordings": recordings_ok, "desk": desk_ok},
            "ok": calls_ok and tickets_ok and recordings_ok and desk_ok,
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


def create_accounts(ivr: list[str], env: dict[str, str], rules: Rules, tickets: list[dict]) -> dict[str, str]:
    """A staff login for every agent that answered (and a supervisor), made with ``ivr users add``
    as an admin would, each with a new random password: {name: password}."""
    import secrets

    from ivr.demo.desk_plan import account_name

    wanted = [(account_name(a), "agent", a) for a in sorted({t["agent"] for t in tickets if t.get("agent")})]
    wanted.append(("demo-supervisor", "supervisor", None))
    accounts = {}
    for name, role, phone in wanted:
        password = secrets.token_urlsafe(9)
        argv = [*ivr, "users", "add", name, "--role", role, "--password-stdin"]
        if phone:
            argv += ["--phone", phone]
        done = subprocess.run(argv, input=password + "\n", env=env, capture_output=True, text=True,
                              timeout=60, check=False)
        if done.returncode != 0:
            raise DemoError(f"`ivr users add {name}` failed: {done.stderr.strip()[-500:]}")
        accounts[name] = password
    return accounts


def work_the_desk(base_url: str, accounts: dict[str, str], steps: list) -> list[dict]:
    """Each agent logs in to the console and completes its orders; one record per order."""
    from ivr.demo.desk_client import DeskClient
    from ivr.demo.desk_plan import account_name

    out = []
    clients: dict[str, DeskClient] = {}
    for step in steps:
        name = account_name(step.agent)
        record = {"number": step.number, "agent": step.agent, "login": name, "outcome": step.outcome,
                  "unit": step.unit, "ok": False, "message": ""}
        try:
            if name not in clients:
                client = DeskClient(base_url)
                client.log_in(name, accounts[name])
                clients[name] = client
            record["message"] = clients[name].complete(step)
            record["ok"] = True
        except (DemoError, KeyError) as err:
            record["message"] = str(err)
        out.append(record)
    return out
