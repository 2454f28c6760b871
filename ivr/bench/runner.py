"""``ivr bench``: the whole benchmark in one run, start to finish, then the results file.

1. A fresh lab under ``var/bench/run``: Asterisk rendered from routing_rules.yaml plus
   ``ivr/bench/bench.conf``, the engine (``ivr serve``), SIPp agents logged in to their queues.
2. The load: the same calls placed three ways (static dialplan, engine FastAGI, classic AGI),
   taking turns at each rate of the ramp. Every step checks that its calls really took their way
   (the engine's and the script's own counts), so a way that silently fell to the fail-safe
   cannot look fast.
3. The surge on one dedicated line (the seed's water outage), judged from the queue log and the
   work orders in the engine's database.
4. Everything is stopped in ``finally``; the JSON goes to ``bench/results/<date>.json``.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import click

from ivr.asterisk import process, service
from ivr.asterisk.site import write_lab_trunks
from ivr.bench import capture, felt, lab, load, profile, report, surge, surge_informed
from ivr.bench.minimal_agi import MinimalServer
from ivr.bench.ramp import Ramp, plan_rates
from ivr.bench.stats import Latency, StepResult
from ivr.core.call_events import parse_queue_log_line
from ivr.logs import get_logger
from ivr.rules_file import load_rules
from ivr.settings import REPO_ROOT

log = get_logger("ivr.bench")

NUMBERS = {"static": "9912345", "minimal": "9712345", "engine": "12345", "classic": "9812345"}


@dataclass
class Config:
    rates: list[int] = field(default_factory=lambda: [50, 200, 400])
    ramp: list[int] = field(default_factory=lambda: [10, 20, 100, 300, 500, 600, 800, 1000, 1200, 1500])
    target_rate: int = 200
    step_seconds: float = 4.0
    talk_ms: int = 200
    answer_timeout_ms: int = 5000
    ways: list[str] = field(default_factory=lambda: ["static", "minimal", "engine", "classic"])
    surge: bool = True
    surge_line: str = "051380000304"
    surge_callers: int = 300
    surge_seconds: float = 60.0
    surge_patience_s: float = 45.0
    agent_talk_ms: int = 2000
    pop: bool = True          # the screen pop's delay, answer to page, all agents answering at once
    pop_rounds: int = 5
    workdir: Path = REPO_ROOT / "var" / "bench"
    results_dir: Path = REPO_ROOT / "bench" / "results"
    ports: lab.Ports = field(default_factory=lab.Ports)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["workdir"], out["results_dir"] = str(self.workdir), str(self.results_dir)
        return out


def _say(text: str) -> None:
    click.echo(text, err=True)


def _fresh(run_dir: Path) -> None:
    """Remove the previous run's folder, refusing when an Asterisk still runs on it."""
    layout_pid = run_dir / "data" / "asterisk" / "run" / "asterisk.pid"
    if layout_pid.exists():
        try:
            pid = int(layout_pid.read_text().strip())
            os.kill(pid, 0)
        except (ValueError, OSError):
            pass
        else:
            raise lab.BenchError(f"an Asterisk (pid {pid}) still runs on {run_dir}; stop it first "
                                 f"(IVR_DATA_DIR={run_dir / 'data'} ivr asterisk down)")
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)


def _route_lines(console_log: Path) -> int:
    """How many calls the classic script routed so far (its ``route.py decided`` lines)."""
    try:
        return console_log.read_text(errors="replace").count("route.py decided")
    except OSError:
        return 0


def _engine_routes(engine: lab.Engine) -> int:
    return int(engine.stats().get("scripts", {}).get("route", 0))


def _machine(deployment: service.Deployment) -> dict:
    try:
        sipp = subprocess.run(["sipp", "-v"], capture_output=True, text=True, timeout=10).stdout
        sipp_version = next((ln.strip() for ln in sipp.splitlines() if "SIPp v" in ln), "")
    except (OSError, subprocess.TimeoutExpired):
        sipp_version = ""
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "asterisk": deployment.install.version, "asterisk_kind": deployment.install.kind,
            "sipp": sipp_version, "load_average_at_end": [round(x, 2) for x in os.getloadavg()]}


class Bench:
    """One run: the lab's parts, the ramp, the surge."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.run_dir = config.workdir / "run"
        self.ports = config.ports
        self.ways = list(config.ways)
        self.notes: dict[str, str] = {}

    # --- set-up -----------------------------------------------------------------------------
    def _prepare(self) -> None:
        _fresh(self.run_dir)
        self.settings = lab.bench_settings(self.run_dir, self.ports)
        self.rules = load_rules(self.settings.rules_path)
        trunks = write_lab_trunks(self.run_dir / "trunks", sip_port=self.ports.sip,
                                  rtp=(self.ports.rtp_start, self.ports.rtp_end),
                                  department_port=self.ports.department,
                                  agent_ports={a: self.ports.agent(a) for a in self.rules.agents},
                                  carrier_port=surge_informed.callback_port(self.ports))
        self.deployment, _ = service.prepare(self.settings, trunks)
        lab.install_bench_dialplan(self.deployment.layout.etc, minimal_port=self.ports.minimal_agi)
        from ivr.prompts import ensure_stand_ins

        ensure_stand_ins(self.deployment.layout, self.rules)  # the greeting callers hear, as deployed
        self.binds: tuple[Path, ...] = ()
        if self.deployment.install.chrooted and "classic" in self.ways:
            self.binds, why = lab.python_binds()
            if why:
                self.ways.remove("classic")
                self.notes["classic"] = why
        line = self.rules.lines.get(self.config.surge_line)
        surge_queues = {self.rules.centre.general_queue}
        if line is not None and line.queue:
            surge_queues |= {line.queue, line.overflow_queue or self.rules.centre.general_queue}
        self.agent_ids = sorted(a.id for a in self.rules.agents.values() if set(a.queues) & surge_queues)

    def run(self) -> dict:
        started = datetime.now(timezone.utc)
        t0 = time.monotonic()
        self._prepare()
        agents = engine = None
        self.minimal: MinimalServer | None = None
        asterisk_pid = None
        self.wire: lab.Capture | None = None
        self.ports.check_free(self.agent_ids)
        try:
            agents = lab.Agents(self.agent_ids, self.ports, self.run_dir / "agents",
                                self.config.agent_talk_ms).start()
            env = {**os.environ, **lab.settings_env(self.settings)}
            asterisk_pid = lab.start_asterisk(self.deployment, self.binds, env)
            engine = lab.Engine(self.settings, self.run_dir / "engine.log").start()
            if "minimal" in self.ways:
                self.minimal = MinimalServer(self.ports.minimal_agi, self.run_dir / "minimal-agi.stats",
                                             self.run_dir / "minimal-agi.log").start()
            try:
                self.wire = lab.Capture(self.ports.carrier, self.run_dir / "wire.txt").start()
            except lab.BenchError as err:
                self.notes["clock"] = f"{err}; latencies are SIPp's (clock step of several ms)"
                _say(f"no packet capture ({err}): using SIPp's response times")
            lab.login_agents(self.settings, self.rules, self.agent_ids)
            _say(f"lab up: Asterisk {self.deployment.install.version} ({self.deployment.install.kind}), "
                 f"engine pid {engine.pid}, agents {', '.join(self.agent_ids)}")
            start_memory = lab.memory_kb(engine.routing_pid)
            self._warm_up(engine)
            agi_cpu_doc = self._agi_cpu(engine)
            ramp = self._ramp(engine)
            taskprocessors = profile.taskprocessors(
                process.cli(self.deployment.install, self.deployment.layout, "core show taskprocessors", timeout=30))
            # sampled apart from the ramp: a sampler takes CPU the measured steps must not lose
            sampler = profile.Sampler(engine.routing_pid, self.run_dir / "engine-profile.txt").start()
            try:
                self._step(engine, "engine", rate=self.config.target_rate,
                           calls=int(self.config.target_rate * self.config.step_seconds * 2), tag="profile")
            finally:
                profile_doc = sampler.stop()
            profile_doc["load"] = f"engine way at {self.config.target_rate}/s for {self.config.step_seconds * 2:g} s"
            profile_doc["asterisk_taskprocessors"] = taskprocessors
            stats = engine.stats()
            memory = lab.memory_kb(engine.routing_pid)
            memory["start_vmrss"] = start_memory.get("vmrss")
            engine_doc = {"decision_us": _timing(stats.get("decision", {})),
                          "session_us": _timing(stats.get("session", {})),
                          "memory_kb": memory, "counters": stats.get("counters", {}),
                          "outcomes": stats.get("outcomes", {}), "cpu_per_session": agi_cpu_doc,
                          "asterisk_memory_kb": lab.memory_kb(asterisk_pid)}
            surge_doc = self._surge(agents) if self.config.surge else {"skipped": "--no-surge"}
            pop_doc = self._pop() if self.config.pop else {"skipped": "--no-pop"}
            recordings_doc = self._recordings()
        finally:
            if self.wire is not None:
                self.wire.stop()
            if engine is not None:
                engine.stop()
            if self.minimal is not None:
                self.minimal.stop()
            try:
                process.stop(self.deployment.install, self.deployment.layout)
            except Exception as err:  # noqa: BLE001 - the other parts must still be stopped
                log.error("bench.asterisk_stop_failed", error=str(err))
            if agents is not None:
                agents.stop()
        config = self.config.to_dict() | {"ways_run": self.ways, "notes": self.notes}
        return report.document(ramp=ramp, rates=self.config.rates, target_rate=self.config.target_rate,
                               config=config, machine=_machine(self.deployment), engine=engine_doc,
                               surge=surge_doc, pop=pop_doc, recordings=recordings_doc, profile=profile_doc,
                               started=started.isoformat(timespec="seconds"),
                               seconds=time.monotonic() - t0)

    def _agi_cpu(self, engine: lab.Engine) -> dict:
        return felt.agi_cpu(self, engine)

    def _recordings(self) -> dict:
        return felt.recordings(self)

    def _pop(self) -> dict:
        return felt.pop_rounds(self)

    # --- load -------------------------------------------------------------------------------
    def _warm_up(self, engine: lab.Engine) -> None:
        """A few calls each way at 2/s: caches warm, and each way checked to route as it should."""
        for way in list(self.ways):
            result = self._step(engine, way, rate=2, calls=4, tag="warmup")
            if not result.passed:
                detail = (f"warm-up: {result.failed} failed, {result.misrouted} not routed by this way "
                          f"of {result.expected}; see {self.run_dir / 'steps'}")
                if way == "classic":
                    self.ways.remove(way)
                    self.notes[way] = detail
                    _say(f"classic AGI way left out: {detail}")
                else:
                    raise lab.BenchError(f"{report.WAYS[way]}: {detail}")

    def _ramp(self, engine: lab.Engine) -> Ramp:
        rates = plan_rates(self.config.rates, self.config.ramp)
        ramp = Ramp(self.ways, rates)
        for index, rate, order in ramp.schedule():
            for way in order:
                if not ramp.should_run(way, rate):
                    continue
                calls = max(1, int(round(rate * self.config.step_seconds)))
                result = self._step(engine, way, rate=rate, calls=calls, tag=f"{index:02d}")
                ramp.record(result)
                lat = result.latency
                _say(f"  {way:<8} {rate:>5}/s  placed {result.placed:>5}  lost {result.lost:>4}  "
                     f"p50 {lat.p50} ms  p99 {lat.p99} ms")
        return ramp

    def _step(self, engine: lab.Engine, way: str, *, rate: int, calls: int, tag: str) -> StepResult:
        lab.settle(self.deployment)
        time.sleep(1.0)
        before = self._routed(engine, way)
        if self.wire is not None:
            self.wire.take()  # whatever came before this step is not its business
        loaded = load.place(NUMBERS[way], rate, calls, self.run_dir / "steps" / f"{tag}-{way}-{rate}",
                            self.ports, talk_ms=self.config.talk_ms,
                            answer_timeout_ms=self.config.answer_timeout_ms)
        lab.settle(self.deployment)
        time.sleep(1.2 if way in ("engine", "minimal") else 0.2)  # both write their counts every second
        routed = self._routed(engine, way) - before if before is not None else None
        misrouted = 0 if routed is None else max(0, loaded.successful - routed)
        note = "" if routed is None else f"routed by this way: {routed}"
        sipp_latency = Latency.of(loaded.latencies_ms)
        latency, clock = sipp_latency, "sipp"
        if self.wire is not None:
            wire = capture.answer_times(capture.parse_lines(self.wire.take()))
            if len(wire) >= loaded.successful:
                latency, clock = Latency.of(wire.values()), "wire"
            else:
                note += f"; capture saw {len(wire)} answers of {loaded.successful}: SIPp's clock used"
        return StepResult(way=way, rate=rate, placed=loaded.placed, answered=loaded.successful,
                          failed=loaded.failed, misrouted=misrouted, expected=calls,
                          latency=latency, seconds=loaded.seconds, note=note.lstrip("; "),
                          latency_sipp=sipp_latency, clock=clock)

    def _routed(self, engine: lab.Engine, way: str) -> int | None:
        if way == "engine":
            return _engine_routes(engine)
        if way == "classic":
            return _route_lines(self.deployment.layout.console_log)
        if way == "minimal" and self.minimal is not None:
            return self.minimal.calls()
        return None

    # --- surge ------------------------------------------------------------------------------
    def _surge(self, agents: lab.Agents) -> dict:
        c = self.config
        lab.settle(self.deployment)
        time.sleep(c.agent_talk_ms / 1000 + 6)  # agents' wrap-up after the load's calls
        qlog = lab.queue_log(self.deployment.layout)
        offset = qlog.stat().st_size if qlog.exists() else 0
        answered_before = sum(len(v) for v in agents.answered().values())
        rate = c.surge_callers / c.surge_seconds
        _say(f"surge: {c.surge_callers} callers to {c.surge_line} over {c.surge_seconds:g} s "
             f"(patience {c.surge_patience_s:g} s)")
        loaded = load.place(c.surge_line, rate, c.surge_callers, self.run_dir / "steps" / "surge",
                            self.ports, scenario="bench_surge_caller.xml",
                            answer_timeout_ms=10_000, caller="13900000002",
                            timeout=c.surge_seconds + c.surge_patience_s + 120,
                            substitutions={"@PATIENCE_MS@": str(int(c.surge_patience_s * 1000))})
        lab.wait_idle(self.deployment, timeout=120)
        time.sleep(3)  # the engine's AMI listener writes the last work orders
        with qlog.open("rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", errors="replace")
        entries = [e for e in map(parse_queue_log_line, text.splitlines()) if e is not None]
        call_paths = surge.paths(entries, self.config.surge_line)
        agent_answers = sum(len(v) for v in agents.answered().values()) - answered_before
        verdict = surge.judge(c.surge_callers, loaded.placed, loaded.failed, call_paths,
                              self._ticket_linkedids(),
                              agent_answers)
        return {"line": c.surge_line, "callers": c.surge_callers, "seconds": c.surge_seconds,
                "patience_s": c.surge_patience_s, "agents": self.agent_ids,
                "agent_talk_ms": c.agent_talk_ms,
                "answer_latency_ms": Latency.of(loaded.latencies_ms).to_dict(),
                "verdict": verdict.to_dict(),
                "both_ways": surge_informed.both_ways(self, entries, loaded.placed)}

    def _ticket_linkedids(self) -> list[str]:
        from ivr.store import open_store, policy_for

        store = open_store(self.settings.database_url, policy_for(self.rules), migrate=False)
        try:
            return [t.linkedid for t in store.list(limit=1_000_000)]
        finally:
            store.close()


def _timing(snapshot: dict) -> dict:
    return {k: snapshot.get(k) for k in ("count", "mean_us", "p50_us", "p90_us", "p99_us", "max_us")}


def write_results(doc: dict, results_dir: Path) -> Path:
    """``results_dir/<date>.json`` (a second run the same day gets the time appended)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    day = doc["started"][:10]
    path = results_dir / f"{day}.json"
    if path.exists():
        path = results_dir / f"{doc['started'][:19].replace(':', '')}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
