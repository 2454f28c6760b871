"""Citizens' calls through the cluster's front, and what became of each.

:class:`Carrier` is SIPp playing the carrier inside the lab's carrier namespace
(``cluster_call.xml``): a steady load of calls to Kamailio, in the background while a test or
the demo breaks a node. Two records say what happened, read back by pure parsers:

- the carrier's own log (:func:`read_calls`): each call's INVITE, the node whose 200 OK answered
  it (the Contact's address) and whether its BYE was answered;
- Kamailio's log (:func:`read_front`): where each INVITE was sent first, every retry on the next
  node, a node found silent, and the dispatcher marking nodes down and up again.
"""
from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from ivr.cluster import netns
from ivr.errors import ClusterError
from ivr.processes import stop_process
from ivr.sipp import SCENARIOS, sipp_binary

CARRIER_PORT = 5070


@dataclass
class CallRecord:
    """One citizen's call as the carrier saw it (times: seconds since the epoch)."""

    call_id: str
    invited_at: float
    answered_at: float | None = None
    node: str = ""                  # the address of the node whose 200 OK answered
    ended_at: float | None = None   # the BYE was answered: the call ended normally

    @property
    def outcome(self) -> str:
        """``ended``; ``cut`` (answered, then lost: its BYE went unanswered); ``failed`` (never
        answered: the caller heard an error or nothing)."""
        if self.answered_at is None:
            return "failed"
        return "ended" if self.ended_at is not None else "cut"


def read_calls(text: str) -> dict[str, CallRecord]:
    """The carrier's ``-log_file`` lines (see cluster_call.xml) as one record per Call-ID."""
    calls: dict[str, CallRecord] = {}
    for line in text.splitlines():
        parts = line.split()
        try:
            if parts[:1] == ["invite"] and len(parts) >= 5:
                calls[parts[1]] = CallRecord(parts[1], float(parts[4]))
            elif parts[:1] == ["answered"] and len(parts) >= 6 and parts[1] in calls:
                calls[parts[1]].node, calls[parts[1]].answered_at = parts[2], float(parts[5])
            elif parts[:1] == ["ended"] and len(parts) >= 5 and parts[1] in calls:
                calls[parts[1]].ended_at = float(parts[4])
        except ValueError:
            continue
    return calls


_FRONT = re.compile(r"ivr-(?P<kind>dispatch|retry|node-silent|no-more-nodes|no-node|every-node-out|node-down|node-up)"
                    r"(?: callid=(?P<callid>\S+))?(?: node=(?:sip:)?(?P<node>[0-9.]+)(?::\d+)?)? at=(?P<at>[0-9.]+)")


@dataclass
class FrontEvent:
    kind: str       # dispatch, retry, node-silent, no-more-nodes, no-node, every-node-out, node-down, node-up
    at: float
    call_id: str = ""
    node: str = ""  # a node's address


@dataclass
class FrontLog:
    """What Kamailio said it did, in order."""

    events: list[FrontEvent] = field(default_factory=list)

    def tries(self, call_id: str) -> list[FrontEvent]:
        """The nodes an INVITE was sent to, first and then each retry."""
        return [e for e in self.events if e.call_id == call_id and e.kind in ("dispatch", "every-node-out", "retry")]

    def first_node(self, call_id: str) -> str:
        tries = self.tries(call_id)
        return tries[0].node if tries else ""

    def marks(self, node: str, kind: str) -> list[float]:
        """When ``node`` was found silent (``node-silent``) or marked ``node-down`` / ``node-up``."""
        return [e.at for e in self.events if e.node == node and e.kind == kind]


def read_front(text: str) -> FrontLog:
    log = FrontLog()
    for line in text.splitlines():
        match = _FRONT.search(line)
        if match:
            log.events.append(FrontEvent(match["kind"], float(match["at"]), match["callid"] or "",
                                         match["node"] or ""))
    return log


class Carrier:
    """SIPp as the carrier in the lab's carrier namespace, placing ``calls`` calls at ``rate``
    per second to ``number`` through Kamailio (``front``), each ``talk_ms`` long, in the
    background. ``answer_timeout_ms`` fails a call whose answer (or any reply) is that late.
    The benchmark also sends from Kamailio's own namespace straight to a node (``port``)."""

    def __init__(self, namespace: str, carrier_address: str, front: tuple[str, int], workdir: Path, *,
                 number: str = "12345", calls: int = 10, rate: float = 2.0, talk_ms: int = 3000,
                 caller: str = "13900000001", timeout: float = 120, port: int = CARRIER_PORT,
                 answer_timeout_ms: int | None = None) -> None:
        self.namespace, self.address, self.front = namespace, carrier_address, front
        self.workdir = Path(workdir)
        self.number, self.calls, self.rate, self.talk_ms = number, calls, rate, talk_ms
        self.caller, self.timeout, self.port, self.answer_timeout_ms = caller, timeout, port, answer_timeout_ms
        self.tag = f"carrier-{int(time.time() * 1000)}"
        self.log_file = self.workdir / f"{self.tag}.calls.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Carrier":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_file.write_text("")
        argv = [sipp_binary(), f"{self.front[0]}:{self.front[1]}", "-sf", str(SCENARIOS / "cluster_call.xml"),
                "-s", self.number, "-key", "caller", self.caller, "-i", self.address,
                "-p", str(self.port), "-m", str(self.calls), "-r", str(self.rate),
                "-l", str(self.calls), "-d", str(self.talk_ms), "-nostdin",
                "-trace_logs", "-log_file", str(self.log_file),
                "-trace_stat", "-stf", str(self.workdir / f"{self.tag}.stat.csv"),
                "-trace_err", "-error_file", str(self.workdir / f"{self.tag}.errors.log"),
                "-timeout", f"{int(self.timeout)}s", "-timeout_error"]
        if self.answer_timeout_ms:
            argv += ["-recv_timeout", str(int(self.answer_timeout_ms))]
        with (self.workdir / f"{self.tag}.sipp.out").open("wb") as out:
            self.proc = subprocess.Popen(netns.exec_argv(self.namespace, argv), stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT, cwd=self.workdir,
                                         start_new_session=True)
        return self

    def records(self) -> dict[str, CallRecord]:
        return read_calls(self.log_file.read_text(errors="replace"))

    def wait_invites(self, count: int, timeout: float = 60) -> bool:
        """Wait until ``count`` INVITEs have been sent (the load is under way)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.records()) >= count:
                return True
            if self.proc is not None and self.proc.poll() is not None:
                return len(self.records()) >= count
            time.sleep(0.05)
        return False

    def wait(self) -> int:
        """Wait for the last call to end (SIPp gives up on a call after ``timeout`` s)."""
        if self.proc is None:
            raise ClusterError("the carrier was not started")
        try:
            return self.proc.wait(timeout=self.timeout + 30)
        except subprocess.TimeoutExpired:
            self.stop()
            raise ClusterError(f"the carrier's SIPp did not finish within {self.timeout + 30:g} s") from None

    def stop(self) -> None:
        stop_process(self.proc)

    def __enter__(self) -> "Carrier":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
