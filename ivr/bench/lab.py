"""The benchmark's own telephony lab: an Asterisk, the engine and SIPp agents on private ports.

Everything lives under ``var/bench`` (its own data folder, runtime folder, trunks, SQLite
database, logs) and on ports of its own (SIP 6460, AMI 6438, FastAGI 6973, agents 6500+N,
carrier 6470, RTP 40000-44998; the end-to-end tests use 5160.. and, shifted, 5460..), so a
benchmark never meets a developer's instance or a test run.

Three ways into the same queue (``ivr/bench/bench.conf``) need one extra thing from Asterisk: the
classic AGI script is a Python process Asterisk starts itself; a system Asterisk runs it as it is. The Debian sid root has no Python, so there the benchmark starts Asterisk in its mount
namespace with two more folders bind-mounted at their own paths: the repository (scripts,
virtualenv, data folder) and the interpreter's installation (``sys.base_prefix``). When that
interpreter lives in ``/usr`` it cannot be mounted over the root's own ``/usr``: the classic
way is then reported as unavailable, never faked.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ivr.asterisk import ami, process, service
from ivr.asterisk.layout import Layout
from ivr.asterisk.secrets import load as load_secrets
from ivr.asterisk.secrets import secrets_path
from ivr.errors import AsteriskError, IvrError
from ivr.logs import get_logger
from ivr.processes import stop_process
from ivr.settings import REPO_ROOT, Settings
from ivr.sipp import SCENARIOS, sipp_binary
from ivr import data_folder

log = get_logger("ivr.bench")

BENCH_DIALPLAN = Path(__file__).resolve().parent / "bench.conf"  # not in dialplan/: never deployed
ROUTE_SCRIPT = REPO_ROOT / "agi_scripts" / "route.py"
IVR = str(Path(sys.executable).with_name("ivr"))


class BenchError(IvrError):
    """The benchmark's lab could not be set up or run."""


@dataclass(frozen=True)
class Ports:
    """The lab's ports; none of them is a default or an end-to-end test port."""

    sip: int = 6460
    ami: int = 6438
    agi: int = 6973
    minimal_agi: int = 6974         # the floor of any FastAGI design (ivr/bench/minimal_agi.py)
    carrier: int = 6470
    web: int = 6480                 # the engine's staff console (the screen-pop figure reads it)
    agent_base: int = 6500          # agentN answers on agent_base + N
    department: int = 6499          # nothing answers there: the load never dials a department
    rtp_start: int = 40000
    rtp_end: int = 44998

    def agent(self, agent_id: str) -> int:
        return self.agent_base + int(agent_id.removeprefix("agent"))

    def check_free(self, agent_ids) -> None:
        """Refuse to start when another program holds one of the lab's ports (say which)."""
        udp = [("SIP", self.sip), ("carrier SIPp", self.carrier)]
        udp += [(f"agent {a} SIPp", self.agent(a)) for a in sorted(agent_ids)]
        tcp = [("AMI", self.ami), ("FastAGI", self.agi), ("minimal FastAGI", self.minimal_agi),
               ("staff console", self.web)]
        for kind, ports in ((socket.SOCK_DGRAM, udp), (socket.SOCK_STREAM, tcp)):
            for what, port in ports:
                with socket.socket(socket.AF_INET, kind) as probe:
                    if kind == socket.SOCK_STREAM:
                        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    try:
                        probe.bind(("127.0.0.1", port))
                    except OSError as err:
                        raise BenchError(f"the benchmark's {what} port 127.0.0.1:{port} is taken "
                                         f"({err.strerror}); see `ss -lntup | grep {port}`") from None


def bench_settings(base: Path, ports: Ports) -> Settings:
    """Settings of the lab: its own data folder under ``base`` and its own ports."""
    return Settings.from_env({
        "IVR_RULES": str(Settings.from_env().rules_path.resolve()),
        "IVR_DATA_DIR": str(base / "data"),
        "IVR_RECORDINGS_DIR": str(base / "recordings"),
        "IVR_AMI_PORT": str(ports.ami),
        "IVR_AGI_PORT": str(ports.agi),
        "IVR_WEB_PORT": str(ports.web),
        "IVR_ASTERISK_CACHE": os.environ.get("IVR_ASTERISK_CACHE", "/var/cache/ivr-12345"),
    })


def settings_env(settings: Settings) -> dict[str, str]:
    """The IVR_* variables that give a child process (engine, AGI script) the lab's settings."""
    return {
        "IVR_RULES": str(settings.rules_path),
        "IVR_DATA_DIR": str(settings.data_dir),
        "IVR_RECORDINGS_DIR": str(settings.recordings_dir),
        "IVR_DATABASE_URL": settings.database_url,
        "IVR_AMI_PORT": str(settings.ami_port),
        "IVR_AGI_PORT": str(settings.agi_port),
        "IVR_WEB_PORT": str(settings.web_port),
        "IVR_ASTERISK_CACHE": str(settings.asterisk_cache),
    }


def install_bench_dialplan(etc: Path, route_script: Path = ROUTE_SCRIPT, minimal_port: int = 6974) -> Path:
    """Copy ``ivr/bench/bench.conf`` beside the rendered files and include it from extensions.conf.

    Only the lab's rendering gets it: the committed templates do not know about the benchmark.
    """
    text = (BENCH_DIALPLAN.read_text(encoding="utf-8").replace("@ROUTE_SCRIPT@", str(route_script))
            .replace("@MINIMAL_PORT@", str(minimal_port)))
    target = etc / "dialplan" / "bench.conf"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    extensions = etc / "extensions.conf"
    rendered = extensions.read_text(encoding="utf-8")
    include = '#include "dialplan/bench.conf"\n'
    if include not in rendered:
        extensions.write_text(rendered.rstrip("\n") + "\n\n; ivr bench only\n" + include, encoding="utf-8")
    return target


def python_binds() -> tuple[tuple[Path, ...], str]:
    """Folders a chrooted Asterisk must see to run the classic AGI script with this Python.

    Returns (folders, "") or ((), why the classic way cannot run in the sid root).
    """
    home = Path(sys.base_prefix).resolve()
    if home == Path("/usr") or home == Path("/"):
        return (), (f"the Python running the benchmark is installed in {home}, which cannot be "
                    "mounted into the sid root; run it from a virtualenv of a Python outside /usr "
                    "(e.g. pyenv) or on a machine with a system Asterisk")
    binds = [REPO_ROOT.resolve(), home]
    venv = Path(sys.prefix).resolve()
    if not venv.is_relative_to(REPO_ROOT.resolve()) and venv != home:
        binds.append(venv)
    return tuple(binds), ""


def start_asterisk(deployment: service.Deployment, extra_binds: tuple[Path, ...], env: dict[str, str],
                   timeout: float = 60) -> int:
    """Start the lab's Asterisk (foreground, own session), seeing ``extra_binds`` when chrooted.

    Like :func:`ivr.asterisk.process.start`, plus folders and environment for the classic AGI
    script; stopped with :func:`ivr.asterisk.process.stop`. Returns its pid.
    """
    install, layout = deployment.install, deployment.layout
    if process.running_pid(layout):
        raise BenchError(f"an Asterisk already runs on {layout.runtime}: `IVR_DATA_DIR="
                         f"{deployment.settings.data_dir} ivr asterisk down` first")
    layout.create()
    for stale in (layout.pid_file, layout.control_socket):
        stale.unlink(missing_ok=True)
    # the engine's own prompts where Asterisk looks for hotline/... (as ivr asterisk up does)
    binds = ((layout.runtime, layout.recordings, process._own_sounds(install, layout), *extra_binds)
             if install.chrooted else ())
    argv = process._argv(install, layout, binds, "-f", "-C", str(layout.config_file))
    with open(layout.console_log, "ab") as console:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"Asterisk exited at start ({proc.returncode}); see {layout.console_log}")
        if layout.control_socket.exists():
            try:
                process.cli(install, layout, "core waitfullybooted",
                            timeout=max(1.0, deadline - time.monotonic()))
                log.info("bench.asterisk_up", pid=proc.pid, kind=install.kind)
                return proc.pid
            except AsteriskError:
                pass
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    raise BenchError(f"Asterisk did not boot within {timeout:g} s; see {layout.console_log}")


def active_calls(deployment: service.Deployment) -> int:
    """Calls Asterisk has up now (``core show channels count``)."""
    text = process.cli(deployment.install, deployment.layout, "core show channels count", timeout=10)
    for line in text.splitlines():
        if "active channel" in line:
            return int(line.split()[0])
    raise BenchError(f"unexpected `core show channels count` output: {text!r}")


def wait_idle(deployment: service.Deployment, timeout: float = 60) -> bool:
    """Wait until Asterisk has no channel up; False when some are still up after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if active_calls(deployment) == 0:
            return True
        time.sleep(0.25)
    return False


def settle(deployment: service.Deployment, timeout: float = 120) -> None:
    """Wait for the calls of a saturated step to drain; hang up what is left after ``timeout``.

    Raises BenchError only when Asterisk cannot be brought back to no calls at all.
    """
    if wait_idle(deployment, timeout):
        return
    log.warning("bench.hanging_up_leftovers", calls=active_calls(deployment))
    process.cli(deployment.install, deployment.layout, "channel request hangup all", timeout=30)
    if not wait_idle(deployment, 60):
        raise BenchError(f"Asterisk still has {active_calls(deployment)} channel(s) up after "
                         f"{timeout:g} s and a hang-up of all channels")


def memory_kb(pid: int) -> dict[str, int]:
    """Resident memory of ``pid`` now and at its peak, in KiB (from /proc/PID/status)."""
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key.lower()] = int(value.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return out


class Agents:
    """One SIPp uas per agent (``bench_agent.xml``): answers at once, talks, hangs up."""

    def __init__(self, agent_ids, ports: Ports, workdir: Path, talk_ms: int) -> None:
        self.agent_ids, self.ports, self.workdir, self.talk_ms = sorted(agent_ids), ports, workdir, talk_ms
        self.procs: dict[str, subprocess.Popen] = {}

    def log_file(self, agent_id: str) -> Path:
        return self.workdir / f"{agent_id}.calls.log"

    def start(self) -> "Agents":
        self.workdir.mkdir(parents=True, exist_ok=True)
        for agent_id in self.agent_ids:
            port = self.ports.agent(agent_id)
            self.log_file(agent_id).write_text("")
            argv = [sipp_binary(), "-sf", str(SCENARIOS / "bench_agent.xml"), "-i", "127.0.0.1",
                    "-p", str(port), "-mp", str(30000 + (port % 5000) * 4), "-d", str(self.talk_ms),
                    "-nostdin", "-trace_logs",
                    "-log_file", str(self.log_file(agent_id)),
                    "-trace_err", "-error_file", str(self.workdir / f"{agent_id}.errors.log")]
            out = open(self.workdir / f"{agent_id}.sipp.out", "wb")
            try:
                self.procs[agent_id] = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                                        stderr=subprocess.STDOUT, cwd=self.workdir,
                                                        start_new_session=True)
            finally:
                out.close()
        time.sleep(0.5)
        for agent_id, proc in self.procs.items():
            if proc.poll() is not None:
                raise BenchError(f"SIPp agent {agent_id} exited at start; see "
                                 f"{self.workdir / (agent_id + '.sipp.out')}")
        return self

    def answered(self) -> dict[str, list[str]]:
        """Call-IDs each agent answered so far."""
        out: dict[str, list[str]] = {}
        for agent_id in self.agent_ids:
            try:
                lines = self.log_file(agent_id).read_text(errors="replace").splitlines()
            except OSError:
                lines = []
            out[agent_id] = [ln.split()[1] for ln in lines
                             if ln.startswith("answered ") and len(ln.split()) > 1]
        return out

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.procs.clear()


class Engine:
    """``ivr serve`` (FastAGI + AMI listener + scheduler + console) as a child process of the
    benchmark."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.settings, self.log_path = settings, log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "Engine":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **settings_env(self.settings)}
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen([IVR, "serve", "--sweep-interval", "3600"], env=env,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_path.read_text(errors="replace")
            if "engine.agi" in text and "engine.ami" in text:
                return self
            if self.proc.poll() is not None:
                raise BenchError(f"the engine exited at start ({self.proc.returncode}); "
                                 f"see {self.log_path}")
            time.sleep(0.1)
        self.stop()
        raise BenchError(f"the engine did not start within {timeout:g} s; see {self.log_path}")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def routing_pid(self) -> int | None:
        """The routing process's pid (``ivr serve`` supervises it): where routing's CPU is."""
        from ivr.lifecycle import parts
        found = [p.pid for p in parts.running(self.settings.data_dir) if p.part == "routing"]
        return found[-1] if found else self.pid

    def stats(self) -> dict:
        """The FastAGI server's counters and timings (written every second to agi-stats.json)."""
        import json

        path = data_folder.agi_stats(self.settings.data_dir)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        stop_process(proc, grace=15)


class Capture:
    """The wire clock (:mod:`ivr.bench.capture`) as a child process, one file for the whole run."""

    def __init__(self, port: int, path: Path) -> None:
        self.port, self.path = port, path
        self.proc: subprocess.Popen | None = None
        self._offset = 0

    def start(self, timeout: float = 5) -> "Capture":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("")
        err = self.path.with_suffix(".err")
        with err.open("wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "ivr.bench.capture", str(self.port),
                                          str(self.path)], stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.path.read_text(errors="replace").startswith("ready"):
                self._offset = self.path.stat().st_size
                return self
            if self.proc.poll() is not None:
                why = err.read_text(errors="replace").strip()
                raise BenchError(f"the packet capture did not start: {why}")
            time.sleep(0.05)
        self.stop()
        raise BenchError("the packet capture did not start within 5 s")

    def take(self) -> str:
        """What was captured since the last call (the lines of one step)."""
        with self.path.open("r", encoding="ascii", errors="replace") as f:
            f.seek(self._offset)
            text = f.read()
        # keep a trailing partial line for next time
        cut = text.rfind("\n") + 1
        self._offset += len(text[:cut].encode("ascii", "replace"))
        return text[:cut]

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        stop_process(proc)


def login_agents(settings: Settings, rules, agent_ids) -> None:
    """Put the agents in their queues (dynamic members, over AMI with the engine's account)."""
    secrets = load_secrets(secrets_path(settings.data_dir))

    async def run() -> None:
        async with ami.AmiSession(settings.ami_host, settings.ami_port, secrets.ami_user,
                                  secrets.ami_secret) as session:
            for agent_id in agent_ids:
                await ami.login(session, rules, agent_id)

    asyncio.run(run())


def queue_log(layout: Layout) -> Path:
    return layout.log / "queue_log"
