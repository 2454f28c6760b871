"""``ivr serve``'s two processes, kept running: routing and the centre (:data:`ivr.engine.PROCESSES`).

Routing shares nothing with SQL, the console and the callbacks but the disk: not the event loop,
not the GIL, not the imports (:mod:`ivr.engine`). This supervisor starts ``ivr serve --parts
routing`` and ``ivr serve --parts centre`` as children, writing to its own stdout, and restarts a
child that exits (logged, with its status), after a pause that doubles while it keeps failing
fast. A child that refuses a database newer than its code (exit 78) is not retried: the
supervisor stops the other and exits 78, as the service unit expects. A stop (SIGTERM, SIGINT)
is passed to both children, which stop in order; a child still up after ``grace`` is killed.

Each child dies with the supervisor (``PR_SET_PDEATHSIG``), so a supervisor killed outright
leaves no routing part holding the FastAGI port.
"""
from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import sys
import time
from collections.abc import Sequence

from ivr.logs import get_logger

log = get_logger("ivr.supervisor")

EXIT_SCHEMA_TOO_NEW = 78          # the same status as ivr.cli's: never restarted
FAST_FAILURE_S = 10.0             # a child that dies sooner than this after its start failed fast
GIVE_UP_AFTER = 5                 # fast failures in a row before the supervisor gives up
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def child_argv(process: str, passthrough: Sequence[str]) -> list[str]:
    """The command line of one child: this Python, ``ivr serve --parts PROCESS`` and the options."""
    return [sys.executable, "-m", "ivr", "serve", "--parts", process, *passthrough]


class Child:
    """One supervised process: its command, the running process, how it has been failing."""

    def __init__(self, name: str, argv: list[str]) -> None:
        self.name, self.argv = name, argv
        self.process: asyncio.subprocess.Process | None = None
        self.started_at = 0.0
        self.fast_failures = 0
        self.restarts = 0

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
        self.process = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.DEVNULL, env=env, preexec_fn=_die_with_parent)
        self.started_at = time.monotonic()
        log.info("serve.part_started", part=self.name, pid=self.process.pid, restarts=self.restarts)

    def pause(self) -> float:
        """Seconds to wait before the next start: 0.5 s, doubling with each fast failure, at most 30 s."""
        return min(30.0, 0.5 * 2 ** max(0, self.fast_failures - 1))


async def supervise(children: Sequence[Child], stop: asyncio.Event, grace: float = 25.0) -> int:
    """Run ``children`` until ``stop`` is set (exit 0) or one cannot be kept up (its status)."""
    for child in children:
        await child.start()
    status = 0
    try:
        while not stop.is_set():
            waits = {asyncio.ensure_future(c.process.wait()): c for c in children}
            stopping = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait([*waits, stopping], return_when=asyncio.FIRST_COMPLETED)
            for future in waits:
                future.cancel()
            stopping.cancel()
            if stop.is_set():
                break
            for future in done:
                if future not in waits:
                    continue
                child = waits[future]
                code = child.process.returncode
                lived = time.monotonic() - child.started_at
                log.error("serve.part_died", part=child.name, pid=child.process.pid, status=code,
                          lived_s=round(lived, 1))
                if code == EXIT_SCHEMA_TOO_NEW:
                    return EXIT_SCHEMA_TOO_NEW
                child.fast_failures = child.fast_failures + 1 if lived < FAST_FAILURE_S else 0
                if child.fast_failures >= GIVE_UP_AFTER:
                    log.error("serve.part_given_up", part=child.name, failures=child.fast_failures)
                    return code or 1
                try:
                    await asyncio.wait_for(stop.wait(), child.pause())
                    break
                except TimeoutError:
                    pass
                child.restarts += 1
                await child.start()
                log.warning("serve.part_restarted", part=child.name, pid=child.process.pid, restarts=child.restarts)
    finally:
        await _stop_all(children, grace)
    return status


async def _stop_all(children: Sequence[Child], grace: float) -> None:
    running = [c for c in children if c.process is not None and c.process.returncode is None]
    for child in running:
        try:
            child.process.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
    for child in running:
        try:
            await asyncio.wait_for(child.process.wait(), grace)
        except TimeoutError:
            log.error("serve.part_killed", part=child.name, pid=child.process.pid, grace_s=grace)
            child.process.kill()
            await child.process.wait()
        log.info("serve.part_stopped", part=child.name, status=child.process.returncode)


async def run(processes: dict[str, list[str]], grace: float = 25.0) -> int:
    """Supervise ``processes`` (name -> argv) until SIGINT/SIGTERM; returns the exit status."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return await supervise([Child(name, argv) for name, argv in processes.items()], stop, grace)
