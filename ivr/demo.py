"""``ivr demo``: the whole engine on this machine, a burst of citizens' calls, and the verdict.

What ``make demo`` shows a visitor, with real parts only:

1. a fresh demo folder (``var/demo``): its own Asterisk runtime, ticket database and recordings;
2. Asterisk, started with the configuration rendered from routing_rules.yaml
   (:mod:`ivr.asterisk.service`, as ``ivr asterisk up``);
3. the engine, ``ivr serve``, run as two processes: the work-order part (AMI listener and
   deadline sweeps) and the routing part (FastAGI), so that routing can be stopped midway while
   work orders go on being recorded;
4. SIPp softphones answering for every agent of the rules and for the departments' own lines;
   the agents logged in to their queues;
5. a burst of calls placed by SIPp as the carrier: every line of the inventory at least once,
   several at a time, each from its own caller number. Where each call went is read from the
   caller channel's AMI Hangup event (IVR_REACHED, IVR_ANSWERED_BY, IVR_FAILSAFE) and compared
   with what the rules say: ``decide()`` at the engine's clock;
6. the fail-safe: the routing process is killed and a few more calls are placed; they must
   still reach a 12345 agent;
7. the work orders the answered calls created, their recordings verified, and the KPI report,
   read back with the staff's own commands (``ivr tickets list``, ``ivr recordings verify``,
   ``ivr report``).

The pure part (the call plan, what each call should reach, the verdict, the table) takes the
rules and the time as arguments; :func:`run` is the adapter that starts and stops processes.
Every process started here is stopped in ``finally`` blocks, Asterisk too unless asked to keep it.
"""
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
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from ivr.core.decision import Action, Decision, Mode
from ivr.core.routing import Call, decide
from ivr.core.rules import Line, Rules
from ivr.errors import IvrError
from ivr.logs import get_logger
from ivr.settings import REPO_ROOT, Settings

log = get_logger("ivr.demo")

DEFAULT_AT = "2020-06-01T10:00"   # a Monday morning of the sunset lines' three-month transition
MARKER = ".ivr-demo"              # marks a folder the demo may wipe
CARRIER_ENDPOINT = "carrier"      # trunks/carrier.yaml: the endpoint calls arrive on
DEPARTMENTS_ENDPOINT = "departments"
TALK_MS = 2000                    # how long a citizen talks once answered (after any prompts)
SOUND_MS_GUESS = 1700             # a prompt sound's length when its file cannot be measured
GSM_BYTES_PER_S = 1650            # 33-byte GSM frames, 50 a second
FAILSAFE_MODES = (Mode.MAIN, Mode.FORWARD, Mode.DEDICATED, Mode.PARALLEL, Mode.SUNSET)


class DemoError(IvrError):
    """The demo could not set itself up (a folder, a port, a process that did not start)."""


# --- ports ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ports:
    """The demo's loopback ports, all shifted by ``offset`` so two demos (or a demo and the
    end-to-end tests) never meet."""

    offset: int = 0

    @property
    def sip(self) -> int:
        return 5060 + self.offset

    @property
    def ami(self) -> int:
        return 5038 + self.offset

    @property
    def agi(self) -> int:
        return 4573 + self.offset

    @property
    def departments(self) -> int:
        return 5301 + self.offset

    def carrier(self, slot: int) -> int:
        return 5070 + self.offset + slot

    def agent(self, index: int) -> int:
        return 5101 + self.offset + index

    @property
    def rtp(self) -> tuple[int, int]:
        start = 10000 + 2 * self.offset
        return start, start + 1998


MAX_CONCURRENT = 20  # carrier ports 5070..5089 stay below the agents' 5101..


# --- the plan: pure ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PlannedCall:
    """One citizen's call of the demo, and where the rules say it must go."""

    seq: int
    phase: str                 # "burst" or "failsafe"
    dialled: str               # what the carrier dials
    caller: str                # a caller number used by this call only
    line: str                  # the rules' canonical number ("" when not in the rules)
    department: str            # department id
    department_name: str       # in English, for the table
    mode: str
    expected: str              # "queue:<id>", "dial:<number>" or "prompt_only"
    failsafe: bool             # True: expected through the dialplan's fail-safe (engine down)
    reason: str
    prompts: tuple[str, ...]
    resource: str              # what answers it: a queue id, "departments" or "" (nobody)


def caller_number(seq: int) -> str:
    """A distinct, obviously fictional mobile number per demo call (matches calls to events)."""
    return f"1390513{seq:04d}"


def dialled_form(line: Line, index: int, area_code: str) -> str:
    """The number as the carrier delivers it: mostly canonical, sometimes local or +86 forms,
    to show that every form reaches the same line."""
    number = line.number
    if not number.startswith(area_code) or len(number) <= len(area_code):
        return number
    if index % 5 == 3:
        return number[len(area_code):]
    if index % 7 == 5:
        return "+86" + number[1:]
    return number


def unknown_number(rules: Rules) -> str:
    """A county number in the fictional block that no line of the rules uses."""
    for tail in range(9999, 0, -1):
        candidate = f"{rules.centre.area_code}8000{tail:04d}"
        if rules.line(candidate) is None:
            return candidate
    raise DemoError("no free fictional number left for the unknown-number call")


def staffed_queues(rules: Rules) -> dict[str, int]:
    """Queue id -> how many of the rules' agents log in to it (the demo logs them all in)."""
    counts: Counter[str] = Counter()
    for agent in rules.agents.values():
        counts.update(agent.queues)
    return dict(counts)


def expectation(decision: Decision, staffed: dict[str, int]) -> tuple[str, str]:
    """(expected target, resource) for a decision, given which queues have agents.

    A dedicated seat with nobody logged in overflows at once: the rules send its callers to the
    overflow queue, so that is where the call is expected.
    """
    if decision.action is Action.DIAL:
        return f"dial:{decision.destination}", DEPARTMENTS_ENDPOINT
    if decision.action is Action.PROMPT_ONLY:
        return "prompt_only", ""
    queue = decision.queue or ""
    if not staffed.get(queue) and decision.overflow_queue:
        queue = decision.overflow_queue
    return f"queue:{queue}", queue


def _planned(seq: int, phase: str, dialled: str, decision: Decision, rules: Rules,
             staffed: dict[str, int], failsafe: bool = False) -> PlannedCall:
    department = rules.departments.get(decision.department)
    if failsafe:  # the engine is down: the dialplan's fail-safe plays the greeting, then 12345
        resource = rules.centre.general_queue
        expected, reason = f"queue:{resource}", "engine stopped: the dialplan's fail-safe"
        prompts = rules.prompts.get("greeting", ())
    else:
        expected, resource = expectation(decision, staffed)
        reason, prompts = decision.reason, decision.prompts
    known = decision.mode is not Mode.UNKNOWN
    return PlannedCall(
        seq=seq, phase=phase, dialled=dialled, caller=caller_number(seq),
        line=decision.line if known else "", department=decision.department,
        department_name=(department.name_en if department and known else "(not in the rules)"),
        mode=decision.mode.value, expected=expected, failsafe=failsafe, reason=reason,
        prompts=tuple(prompts), resource=resource)


def plan_burst(rules: Rules, at: datetime, calls: int | None = None) -> list[PlannedCall]:
    """Every line of the inventory once, then a number not in the rules, then more rounds of the
    inventory until ``calls`` calls (default: one round)."""
    staffed = staffed_queues(rules)
    round_: list[tuple[str, Decision]] = []
    for index, line in enumerate(rules.lines.values()):
        dialled = dialled_form(line, index, rules.centre.area_code)
        round_.append((dialled, decide(Call(line=dialled), rules, at)))
    unknown = unknown_number(rules)
    round_.append((unknown, decide(Call(line=unknown), rules, at)))
    total = len(round_) if calls is None else calls
    out = []
    for seq in range(1, total + 1):
        dialled, decision = round_[(seq - 1) % len(round_)]
        out.append(_planned(seq, "burst", dialled, decision, rules, staffed))
    return out


def plan_failsafe(rules: Rules, at: datetime, first_seq: int) -> list[PlannedCall]:
    """One call per mode (the first line of each) for when the routing engine is down."""
    staffed = staffed_queues(rules)
    out = []
    for mode in FAILSAFE_MODES:
        line = next((ln for ln in rules.lines.values() if ln.mode is mode), None)
        if line is None:
            continue
        decision = decide(Call(line=line.number), rules, at)
        out.append(_planned(first_seq + len(out), "failsafe", line.number, decision, rules, staffed,
                            failsafe=True))
    return out


# --- what happened: pure ----------------------------------------------------------------------

@dataclass
class Outcome:
    """What one call did, from SIPp (the carrier) and the caller channel's Hangup event."""

    carrier_ok: bool = False
    carrier_detail: str = ""
    hangup_seen: bool = False
    reached: str = ""          # IVR_REACHED: "queue:<id>" / "dial:<number>" / "" (nobody answered)
    answered_by: str = ""      # IVR_ANSWERED_BY: an agent id, or "departments"
    failsafe: bool = False     # IVR_FAILSAFE = 1
    mode_seen: str = ""        # IVR_MODE as the engine set it ("" when the engine did not answer)
    linkedid: str = ""         # the call's id in Asterisk (its recording is <linkedid>.wav)
    seconds: float = 0.0


def is_ok(call: PlannedCall, outcome: Outcome) -> bool:
    """Did the call go where the rules say (and through the fail-safe exactly when expected)?"""
    if not outcome.hangup_seen:
        return False
    if call.expected == "prompt_only":
        return outcome.reached == "" and not outcome.failsafe
    return (outcome.carrier_ok and outcome.reached == call.expected
            and outcome.failsafe == call.failsafe)


def describe_target(target: str, rules: Rules, answered_by: str = "") -> str:
    """A target in words: "12345 agents (agent2)", "department's own line 051380002401"."""
    kind, _, name = target.partition(":")
    who = f" ({answered_by})" if answered_by and answered_by != DEPARTMENTS_ENDPOINT else ""
    if kind == "queue":
        if name == rules.centre.general_queue:
            return f"12345 agents{who}"
        return f"{name} queue{who}"
    if kind == "dial":
        return f"department's own line {name}"
    if kind == "prompt_only":
        return "announcement only, then hang up"
    return "nobody answered"


def describe_reached(outcome: Outcome, rules: Rules) -> str:
    if not outcome.hangup_seen:
        return "unknown (no hang-up seen)"
    text = describe_target(outcome.reached or "-", rules, outcome.answered_by)
    return f"fail-safe -> {text}" if outcome.failsafe else text


def describe_expected(call: PlannedCall, rules: Rules) -> str:
    text = describe_target(call.expected, rules)
    return f"fail-safe -> {text}" if call.failsafe else text


def call_record(call: PlannedCall, outcome: Outcome, rules: Rules) -> dict[str, Any]:
    """One row of the result, JSON-ready."""
    return {"seq": call.seq, "phase": call.phase, "number": call.dialled, "caller": call.caller,
            "line": call.line, "department": call.department, "department_name": call.department_name,
            "mode": call.mode, "expected": call.expected, "expected_failsafe": call.failsafe,
            "expected_text": describe_expected(call, rules), "reason": call.reason,
            "linkedid": outcome.linkedid, "reached": outcome.reached, "answered_by": outcome.answered_by,
            "failsafe": outcome.failsafe, "reached_text": describe_reached(outcome, rules),
            "carrier_ok": outcome.carrier_ok, "carrier_detail": outcome.carrier_detail,
            "seconds": round(outcome.seconds, 1), "ok": is_ok(call, outcome)}


def check_tickets(calls: list[dict], tickets: list[dict]) -> list[dict]:
    """Per call answered by an agent: its one work order, the agent, the recording's checksum.

    Calls answered by a department's own line, or by nobody, must have no work order.
    """
    by_caller: dict[str, list[dict]] = {}
    for ticket in tickets:
        by_caller.setdefault(str(ticket.get("caller", "")), []).append(ticket)
    out = []
    for call in calls:
        found = by_caller.get(call["caller"], [])
        wanted = call["reached"].startswith("queue:")
        problems = []
        if wanted and len(found) != 1:
            problems.append(f"{len(found)} work orders for an answered call")
        if not wanted and found:
            problems.append("a work order for a call no agent answered")
        ticket = found[0] if found else {}
        if wanted and ticket:
            if ticket.get("agent") != call["answered_by"]:
                problems.append(f"agent {ticket.get('agent')!r}, but {call['answered_by']!r} answered")
            if not ticket.get("recording_sha256"):
                problems.append("no recording checksum")
        if wanted or found:
            out.append({"caller": call["caller"], "number": ticket.get("number", ""),
                        "line": ticket.get("line", call["line"]), "department": ticket.get("department", ""),
                        "mode": ticket.get("mode", ""), "agent": ticket.get("agent", ""),
                        "recording": ticket.get("recording_path") or "",
                        "recording_sha256": ticket.get("recording_sha256") or "",
                        "recording_size": ticket.get("recording_size"),
                        "ok": not problems, "problems": problems})
    return out


def check_recordings(verify: dict, calls: list[dict], tickets: list[dict]) -> dict[str, Any]:
    """The work orders' recordings, from ``ivr recordings verify --json``.

    Every order's recording must be listed in the manifest, present and unchanged, and no other
    file may lie in the recordings folder: only calls answered by the centre's agents are
    recorded (a department's own line that takes a parallel call is the department's call).
    """
    with_recording = sum(1 for t in tickets if t.get("recording_sha256"))
    problems = [f"missing: {m}" for m in verify.get("missing", [])]
    problems += [f"altered: {a}" for a in verify.get("altered", [])]
    problems += [f"not listed: {u}" for u in verify.get("unlisted", [])]
    problems += [str(p) for p in verify.get("problems", [])]
    if int(verify.get("checked", 0) or 0) < with_recording:
        problems.append(f"{verify.get('checked', 0)} recordings listed, {with_recording} work orders have one")
    return {"checked": int(verify.get("checked", 0) or 0), "work_orders_with_recording": with_recording,
            "problems": problems, "ok": not problems}


# --- the report in words ----------------------------------------------------------------------

def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_text(result: dict[str, Any]) -> list[str]:
    """The result as lines a visitor can read."""
    lines = [f"The calls (the engine's clock: {result['at']}; each row is one citizen's call):", ""]
    header = f"  {'#':>3}  {'number dialled':<15} {'department':<26} {'mode':<9} {'reached':<40} {'the rules say':<40} result"
    lines += [header, "  " + "-" * (len(header) - 2)]
    phase = None
    for c in result["calls"]:
        if c["phase"] != phase:
            phase = c["phase"]
            if phase == "failsafe":
                lines.append("  -- the routing engine is now stopped (killed): these calls must still reach 12345 --")
        lines.append(f"  {c['seq']:>3}  {c['number']:<15} {_cut(c['department_name'], 26):<26} {c['mode']:<9} "
                     f"{_cut(c['reached_text'], 40):<40} {_cut(c['expected_text'], 40):<40} "
                     f"{'OK' if c['ok'] else 'MISMATCH'}")
    ok_calls = sum(c["ok"] for c in result["calls"])
    lines += ["", f"  {ok_calls} of {len(result['calls'])} calls went where the rules say."]
    bad = [c for c in result["calls"] if not c["ok"]]
    for c in bad:
        lines.append(f"  MISMATCH #{c['seq']} {c['number']}: reached {c['reached_text']!r}, "
                     f"expected {c['expected_text']!r} ({c['carrier_detail'] or 'carrier call completed'})")
    tickets = result["tickets"]
    lines += ["", f"Work orders created when an agent answered ({len(tickets)}):", ""]
    if tickets:
        lines.append(f"  {'work order':<22} {'caller':<12} {'line':<13} {'department':<20} {'agent':<8} {'recording':<28} check")
        for t in tickets:
            rec = f"{(t['recording_size'] or 0) // 1000} kB, sha256 {t['recording_sha256'][:8]}" if t["recording_sha256"] else "none"
            lines.append(f"  {t['number']:<22} {t['caller']:<12} {t['line']:<13} {_cut(t['department'], 20):<20} "
                         f"{t['agent']:<8} {rec:<28} {'OK' if t['ok'] else '; '.join(t['problems'])}")
    rec = result["recordings_check"]
    verdict = "all present and unchanged" if rec["ok"] else "PROBLEMS: " + "; ".join(rec["problems"])
    lines += ["", (f"Recordings (ivr recordings verify): {rec['checked']} work-order recording(s) checked "
                  f"against the manifest's checksums: {verdict}")]
    total = (result.get("report") or {}).get("total") or {}
    if total:
        offered = (f"  calls offered to 12345: {total.get('offered')}, answered {total.get('answered')}, "
                   f"abandoned {total.get('abandoned')}: connection rate {_pct(total.get('connection_rate'))}")
        orders = (f"  work orders received: {total.get('received')}, answered on the spot "
                  f"{total.get('on_the_spot')}, dispatched {total.get('dispatched')}")
        lines += ["", "KPI report of the demo's calls (ivr report):", offered, orders,
                  "  (calls answered by a department's own line are not 12345's and are not counted)"]
    lines += ["", "VERDICT: " + ("every call went where the rules say; every answered call has its "
                                  "work order and verified recording" if result["ok"] else
                                  "PROBLEMS FOUND (see MISMATCH and the checks above)")]
    return lines


# --- the adapter: processes -------------------------------------------------------------------

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
    from ivr.agi.clock import parse_clock
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


def to_json(result: dict[str, Any]) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2, default=str)


