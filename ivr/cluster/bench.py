"""``ivr bench cluster``: what the dispatcher costs, and what more nodes give on this machine.

A lab of three nodes (:mod:`ivr.cluster.lab`, Kamailio logging no line per call) takes the same
load four ways, the ways taking turns at each rate of the ramp (:mod:`ivr.bench.ramp`):

    direct   the carrier straight to node1 (SIPp sending from Kamailio's own address, so the
             node takes it as the carrier: the path with the proxy removed)
    front1   through Kamailio, only node1 in its list (the others disabled with kamcmd)
    front2   through Kamailio to node1 and node2
    front3   through Kamailio to all three

Each call is the fail-safe path of the node's dialplan (no routing part beside it yet): the
greeting, cut short by the caller's BYE after ``talk_ms``. A step passes when every call was
answered and ended (:func:`ivr.cluster.calls.read_calls`); a way's highest rate is the highest
rate up to which every step passed. Beside the rates, the CPU time Kamailio's processes and the
nodes' Asterisks spent per call (``/proc/<pid>/stat``): a figure the machine's other load
barely moves, from which the capacity of separate machines is modelled (README).
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ivr.bench.lab import settle
from ivr.bench.ramp import Ramp, plan_rates
from ivr.bench.stats import Latency, StepResult
from ivr.asterisk import service
from ivr.cluster import kamailio, netns
from ivr.cluster.calls import Carrier
from ivr.cluster.lab import ClusterLab
from ivr.logs import get_logger
from ivr.settings import REPO_ROOT, Settings

log = get_logger("ivr.cluster")

WAYS = ("direct", "front1", "front2", "front3")
DIRECT_PORT = 5080  # SIPp's port in Kamailio's namespace, beside Kamailio's 5060


@dataclass
class Config:
    rates: list[int] = field(default_factory=lambda: [50, 100, 150, 200, 300, 400])
    step_seconds: float = 5.0
    talk_ms: int = 200
    answer_timeout_ms: int = 5000
    lab: str = "bench"
    results_dir: Path = REPO_ROOT / "bench" / "results"


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, IndexError, ValueError):
        return 0


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


class CpuMeter:
    """CPU seconds Kamailio's processes and the nodes' Asterisks spend between two readings."""

    def __init__(self, lab: ClusterLab) -> None:
        self.lab = lab
        self.hz = os.sysconf("SC_CLK_TCK")

    def read(self) -> dict[str, int]:
        ticks = {"kamailio": sum(_ticks(p) for p in netns.pids(self.lab.namespace("kamailio"))
                                 if _comm(p) == "kamailio")}
        ticks["asterisk"] = sum(_ticks(pid) for node in self.lab.cluster().nodes
                                if (pid := self.lab.asterisk_pid(node.name)))
        return ticks

    def spent(self, before: dict[str, int]) -> dict[str, float]:
        now = self.read()
        return {part: (now[part] - before[part]) / self.hz for part in now}

    def idle(self, seconds: float = 5.0) -> dict[str, float]:
        """CPU seconds per second spent with no call (probes, timers): taken off each step."""
        before = self.read()
        time.sleep(seconds)
        return {part: spent / seconds for part, spent in self.spent(before).items()}


def set_nodes(lab: ClusterLab, count: int) -> None:
    """Only the first ``count`` nodes in Kamailio's lists (the others disabled, not probed), in
    the calls' set and in the last resort's."""
    ctl = lab.files.kamailio_paths.ctl_socket
    for i, node in enumerate(lab.cluster().nodes):
        kamailio.kamcmd(ctl, "dispatcher.set_state", "ap" if i < count else "d", "1", node.uri)
        kamailio.kamcmd(ctl, "dispatcher.set_state", "a" if i < count else "d", "2", node.uri)


def step(lab: ClusterLab, config: Config, way: str, rate: int, meter: CpuMeter,
         idle: dict[str, float]) -> tuple[StepResult, dict]:
    """One way at one rate: the calls placed, what became of them, the CPU spent above idle."""
    cluster = lab.cluster()
    calls = max(1, int(round(rate * config.step_seconds)))
    common = {"calls": calls, "rate": rate, "talk_ms": config.talk_ms, "timeout": 60 + config.step_seconds,
              "answer_timeout_ms": config.answer_timeout_ms}
    workdir = lab.files.sipp / "bench" / f"{way}-{rate}"
    if way == "direct":
        node1 = cluster.nodes[0]
        carrier = Carrier(lab.namespace("kamailio"), cluster.kamailio_address, (node1.address, node1.port),
                          workdir, port=DIRECT_PORT, **common)
    else:
        set_nodes(lab, int(way.removeprefix("front")))
        carrier = Carrier(lab.namespace("carrier"), lab.carrier_address(),
                          (cluster.kamailio_address, cluster.kamailio_port), workdir, **common)
    before = meter.read()
    started = time.monotonic()
    with carrier:
        carrier.wait()
    seconds = time.monotonic() - started
    raw = meter.spent(before)
    cpu = {part: max(0.0, spent - idle[part] * seconds) for part, spent in raw.items()}
    records = carrier.records()
    ended = [r for r in records.values() if r.outcome == "ended"]
    latencies = [1000 * (r.answered_at - r.invited_at) for r in ended]
    result = StepResult(way=way, rate=rate, placed=len(records), answered=len(ended),
                        failed=len(records) - len(ended), misrouted=0, expected=calls,
                        latency=Latency.of(latencies), seconds=seconds, clock="sipp")
    per_call = {part: round(1000 * spent / max(1, len(records)), 3) for part, spent in cpu.items()}
    log.info("cluster.bench_step", way=way, rate=rate, placed=len(records), ended=len(ended),
             cpu_ms_per_call=per_call)
    return result, {"way": way, "rate": rate, "cpu_seconds": cpu, "cpu_seconds_raw": raw,
                    "cpu_ms_per_call": per_call}


def _settle(lab: ClusterLab) -> None:
    for node in lab.cluster().nodes:
        settle(service.current(lab.node_settings(node.name)), timeout=60)


def run(settings: Settings, config: Config) -> dict:
    """Bring the lab up, run the ramp, take the lab down; the results as a JSON-ready dict."""
    lab = ClusterLab(settings, config.lab)
    lab.down()
    load_before = os.getloadavg()
    lab.up(nodes=3, log_calls=False)
    ramp = Ramp(list(WAYS), plan_rates(config.rates, []))
    cpu: list[dict] = []
    try:
        meter = CpuMeter(lab)
        idle = meter.idle()
        for _, rate, ways in ramp.schedule():
            for way in ways:
                if not ramp.should_run(way, rate):
                    continue
                result, spent = step(lab, config, way, rate, meter, idle)
                ramp.record(result)
                cpu.append(spent)
                _settle(lab)
    finally:
        lab.down()
    return {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cores": os.cpu_count(), "load_before": [round(x, 2) for x in load_before],
                        "load_after": [round(x, 2) for x in os.getloadavg()]},
            "config": {"rates": config.rates, "step_seconds": config.step_seconds, "talk_ms": config.talk_ms,
                       "answer_timeout_ms": config.answer_timeout_ms},
            "steps": [r.to_dict() for r in ramp.results],
            "highest": {way: ramp.highest_sustained(way) for way in WAYS},
            "ceiling_reached": {way: ramp.ceiling_reached(way) for way in WAYS},
            "cpu_idle_per_second": idle, "cpu": cpu}


def write_results(doc: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{datetime.now().strftime('%Y-%m-%dT%H%M%S')}-cluster.json"
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
