"""The demo's pure part: the call plan, what each call should reach, and the verdict.

Takes the rules and the time as arguments; starts nothing (see :mod:`ivr.demo.runner`).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ivr.core.decision import Action, Decision, Mode
from ivr.core.routing import Call, decide
from ivr.core.rules import Line, Rules
from ivr.errors import IvrError
from ivr.logs import get_logger

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

    @property
    def web(self) -> int:
        return 8080 + self.offset

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
    linkedid: str = ""         # the call's id in Asterisk (its recording is <linkedid>.opus)
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

    Every order's recording must be listed in the manifest, present, unchanged and complete (as
    long as the call talked), and no other file may lie in the recordings folder: only calls
    answered by the centre's agents are recorded (a department's own line that takes a parallel
    call is the department's call).
    """
    with_recording = sum(1 for t in tickets if t.get("recording_sha256"))
    problems = [f"missing: {m}" for m in verify.get("missing", [])]
    problems += [f"altered: {a}" for a in verify.get("altered", [])]
    problems += [f"incomplete: {f}" for f in verify.get("flagged", [])]
    problems += [f"not listed: {u}" for u in verify.get("unlisted", []) + verify.get("leftovers", [])]
    problems += [str(p) for p in verify.get("problems", [])]
    if int(verify.get("checked", 0) or 0) < with_recording:
        problems.append(f"{verify.get('checked', 0)} recordings listed, {with_recording} work orders have one")
    return {"checked": int(verify.get("checked", 0) or 0), "work_orders_with_recording": with_recording,
            "problems": problems, "ok": not problems}


# --- the report in words ----------------------------------------------------------------------
