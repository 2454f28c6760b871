"""CPU time a FastAGI server spends per call, measured without Asterisk.

A client speaking Asterisk's side of FastAGI (the environment header of a call to 12345, then
``200 result=1`` to every command) opens sessions at a set concurrency; the server's CPU time
(user + system, from /proc) over the sessions, divided by their number, is its cost per call.
Run against the engine and the minimal server of :mod:`ivr.bench.minimal_agi`, it says what the
engine's own work costs per call, on a figure that the machine's other load barely moves (CPU
time, not elapsed time).
"""
from __future__ import annotations

import asyncio
import os
import time
from dataclasses import asdict, dataclass

HEADER = ("agi_network: yes\nagi_network_script: {script}\nagi_request: agi://127.0.0.1/{script}\n"
          "agi_channel: PJSIP/carrier-{n:08x}\nagi_language: en\nagi_type: PJSIP\n"
          "agi_uniqueid: 1700000000.{n}\nagi_version: 22.10.1\nagi_callerid: 13912345678\n"
          "agi_calleridname: unknown\nagi_callingpres: 0\nagi_callingani2: 0\nagi_callington: 0\n"
          "agi_callingtns: 0\nagi_dnid: 12345\nagi_rdnis: unknown\nagi_context: ivr-incoming\n"
          "agi_extension: s\nagi_priority: 8\nagi_enhanced: 0.0\nagi_accountcode: \n"
          "agi_threadid: 140000000000000\nagi_arg_1: 12345\n\n")


@dataclass(frozen=True)
class Cost:
    sessions: int
    commands_per_session: float
    cpu_us_per_session: float
    sessions_per_second: float

    def to_dict(self) -> dict:
        return asdict(self)


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (fields 14 and 15 of /proc/PID/stat)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _session(port: int, script: str, n: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(HEADER.format(script=script, n=n).encode())
    commands = 0
    try:
        async with asyncio.timeout(10):
            while await reader.readline():
                commands += 1
                writer.write(b"200 result=1\n")
    finally:
        writer.close()
    return commands


async def _run(port: int, script: str, pid: int, sessions: int, concurrency: int) -> Cost:
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> int:
        async with gate:
            return await _session(port, script, n)

    await asyncio.gather(*(one(n) for n in range(min(200, sessions))))   # warm: caches, imports
    cpu0, t0 = process_cpu_s(pid), time.monotonic()
    done = await asyncio.gather(*(one(n) for n in range(sessions)))
    cpu1, t1 = process_cpu_s(pid), time.monotonic()
    return Cost(sessions=sessions, commands_per_session=round(sum(done) / sessions, 2),
                cpu_us_per_session=round(1e6 * (cpu1 - cpu0) / sessions, 1),
                sessions_per_second=round(sessions / (t1 - t0), 1))


def measure(port: int, script: str, pid: int, sessions: int = 3000, concurrency: int = 20) -> Cost:
    """The server on ``port`` (process ``pid``) answering ``sessions`` calls of ``script``."""
    return asyncio.run(_run(port, script, pid, sessions, concurrency))
