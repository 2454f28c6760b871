"""One load step: SIPp as the carrier places N calls at a rate to one number, and what it saw.

The caller (``bench_caller.xml``) times INVITE to 200 OK (SIPp response time 1, one value per
call in its ``-trace_rtt`` file) and fails a call whose answer does not come within
``answer_timeout_ms``. Parsing and arithmetic are in :mod:`ivr.bench.stats`.
"""
from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ivr.bench.lab import BenchError, Ports
from ivr.bench.stats import parse_rtt, parse_stat_row
from ivr.logs import get_logger
from ivr.sipp import SCENARIOS, sipp_binary

log = get_logger("ivr.bench")


@dataclass(frozen=True)
class Load:
    """What SIPp reported for one step."""

    placed: int
    successful: int
    failed: int
    seconds: float
    latencies_ms: tuple[float, ...]
    returncode: int
    workdir: Path


def place(number: str, rate: float, calls: int, workdir: Path, ports: Ports, *,
          scenario: str = "bench_caller.xml", talk_ms: int = 200, answer_timeout_ms: int = 5000,
          caller: str = "13900000001", max_concurrent: int | None = None, timeout: float = 300,
          substitutions: dict[str, str] | None = None, keys: dict[str, str] | None = None) -> Load:
    """Place ``calls`` calls to ``number`` at ``rate`` calls/s and wait for the last to end.

    ``substitutions`` replace placeholders of the scenario (values SIPp cannot take as keywords,
    such as a timeout attribute); the filled-in copy is written to ``workdir``.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    stat_file = workdir / "stat.csv"
    scenario_file = SCENARIOS / scenario
    if substitutions:
        text = scenario_file.read_text(encoding="utf-8")
        for placeholder, value in substitutions.items():
            text = text.replace(placeholder, value)
        scenario_file = workdir / scenario
        scenario_file.write_text(text, encoding="utf-8")
    argv = [sipp_binary(), f"127.0.0.1:{ports.sip}", "-sf", str(scenario_file),
            "-s", number, "-key", "caller", caller, "-i", "127.0.0.1", "-p", str(ports.carrier),
            "-mp", str(30000 + (ports.carrier % 5000) * 4),
            "-m", str(calls), "-r", str(rate), "-d", str(talk_ms), "-recv_timeout", str(answer_timeout_ms),
            "-nostdin", "-trace_stat", "-stf", str(stat_file), "-fd", "1",
            "-trace_rtt", "-rtt_freq", "1", "-trace_err", "-error_file", str(workdir / "errors.log"),
            "-timeout", f"{int(timeout)}s", "-timeout_error"]
    for key, value in (keys or {}).items():
        argv += ["-key", key, value]
    # SIPp's default cap on simultaneous calls (3 x rate x -d) would slow the offered load down
    # exactly when Asterisk slows: the step must offer its rate whatever happens.
    argv += ["-l", str(max_concurrent or calls)]
    started = time.monotonic()
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, cwd=workdir, timeout=timeout + 30, check=False)
    except subprocess.TimeoutExpired:
        raise BenchError(f"SIPp calling {number} at {rate:g}/s did not finish "
                         f"within {timeout + 30:g} s") from None
    seconds = time.monotonic() - started
    (workdir / "sipp.out").write_bytes(done.stdout or b"")
    stats = parse_stat_row(_read(stat_file))
    rtt_files = sorted(workdir.glob(f"{Path(scenario).stem}_*_rtt.csv"))
    latencies = parse_rtt(_read(rtt_files[-1])) if rtt_files else []
    if done.returncode not in (0, 1) and not stats:
        raise BenchError(f"SIPp failed ({done.returncode}) calling {number}; see {workdir / 'sipp.out'}")
    placed = stats.get("OutgoingCall(C)", stats.get("TotalCallCreated", 0))
    result = Load(placed=placed, successful=stats.get("SuccessfulCall(C)", 0),
                  failed=stats.get("FailedCall(C)", 0), seconds=seconds,
                  latencies_ms=tuple(latencies), returncode=done.returncode, workdir=workdir)
    log.info("bench.step", number=number, rate=rate, placed=result.placed, successful=result.successful,
             failed=result.failed, seconds=round(seconds, 2))
    return result


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
