"""The classic AGI script's own cost and rate, measured the way Asterisk runs it, without Asterisk.

Asterisk runs ``agi_scripts/route.py`` as a new process per call: fork, exec, the AGI header on
the script's stdin, ``200 result=1`` to each command it writes, then it waits for the exit. This
harness does the same at a set rate for a set time (every call in a process of its own, as many at
once as the rate makes), and reports each call's time from the start of its process to its exit,
the CPU its process spent (user + system, from the kernel's accounting of the child), and the
calls that failed (no decision written, or a status other than 0). A rate is sustained when no
call failed and the calls ended about as fast as they were started (the box kept up).

``python -m ivr.bench.classic --rate 50 --seconds 10`` prints one line per rate; ``ivr bench``'s
``classic`` way places the same calls through a real Asterisk.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ivr.settings import REPO_ROOT

SCRIPT = REPO_ROOT / "agi_scripts" / "route.py"
HEADER = ("agi_request: {script}\nagi_channel: PJSIP/carrier-{n:08x}\nagi_language: en\nagi_type: PJSIP\n"
          "agi_uniqueid: 1700000000.{n}\nagi_version: 22.10.1\nagi_callerid: 13912345678\n"
          "agi_calleridname: unknown\nagi_callingpres: 0\nagi_callingani2: 0\nagi_callington: 0\n"
          "agi_callingtns: 0\nagi_dnid: 12345\nagi_rdnis: unknown\nagi_context: ivr-incoming\n"
          "agi_extension: 12345\nagi_priority: 8\nagi_enhanced: 0.0\nagi_accountcode: \n"
          "agi_threadid: 140000000000000\nagi_arg_1: 12345\n\n")


@dataclass(frozen=True)
class Step:
    rate: int
    seconds: float
    calls: int
    failed: int
    p50_ms: float
    p99_ms: float
    cpu_ms_per_call: float
    achieved_rate: float      # calls ended per second of the step
    sustained: bool

    def to_dict(self) -> dict:
        return asdict(self)


async def one_call(script: Path, n: int, env: dict[str, str]) -> tuple[float, bool]:
    """(seconds from the start of the process to its exit, decided?) for one call."""
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        str(script), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, env=env)
    proc.stdin.write(HEADER.format(script=script, n=n).encode())
    await proc.stdin.drain()
    commands = 0
    while line := await proc.stdout.readline():
        commands += 1
        proc.stdin.write(b"200 result=1\n")
        try:
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            break
    status = await proc.wait()
    return time.monotonic() - started, status == 0 and commands >= 12


async def step(rate: int, seconds: float, script: Path = SCRIPT, env: dict[str, str] | None = None) -> Step:
    """Start ``rate`` calls a second for ``seconds``; wait for them all; the figures."""
    env = dict(os.environ if env is None else env)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    total = max(1, int(rate * seconds))
    tasks = []
    for n in range(total):
        await asyncio.sleep(max(0.0, t0 + n / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one_call(script, n, env)))
    results = await asyncio.gather(*tasks)
    elapsed = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    times = sorted(r[0] * 1000 for r in results)
    failed = sum(1 for r in results if not r[1])
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    achieved = total / elapsed
    return Step(rate, seconds, total, failed, round(statistics.median(times), 1), round(p99, 1),
                round(cpu * 1000 / total, 1), round(achieved, 1),
                sustained=failed == 0 and achieved >= 0.9 * rate)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="10,50,100")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--script", type=Path, default=SCRIPT)
    args = parser.parse_args(argv)
    print(f"classic AGI script {args.script} (load average {os.getloadavg()[0]:.2f} at start, "
          f"{os.cpu_count()} CPUs)")
    for rate in (int(r) for r in args.rates.split(",")):
        s = asyncio.run(step(rate, args.seconds, args.script))
        print(f"  {s.rate:4d}/s x {s.seconds:g} s: {s.calls} calls, {s.failed} failed, "
              f"p50 {s.p50_ms} ms, p99 {s.p99_ms} ms, CPU {s.cpu_ms_per_call} ms a call, "
              f"{s.achieved_rate}/s ended: {'sustained' if s.sustained else 'NOT sustained'} "
              f"(load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
