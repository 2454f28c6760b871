"""The floor of any FastAGI design: read the header, set one variable, end (``ivr bench`` only).

Whatever a FastAGI engine does, Asterisk still opens a TCP connection per call, sends the
environment header, waits for a command and its reply and tears the connection down. This
server does exactly that and nothing else, on the same event loop as the engine (uvloop), so
the benchmark can tell what the connection itself costs (minimal over static) from what the
engine's own work costs (engine over minimal).

Run as ``python -m ivr.bench.minimal_agi PORT STATS_FILE``: it writes ``ready`` to the stats file
once listening, then the number of calls it served, about every second, so a step that silently
fell to the fail-safe is counted as misrouted, as for the engine.
"""
from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from ivr.bench.lab import BenchError
from ivr.processes import stop_process
from ivr.files import replace_file

# Asterisk's dialplan checks this variable: set, the call took this way; unset, the fail-safe.
VARIABLE = b"SET VARIABLE IVR_BENCH_MINIMAL 1\n"
HEADER_LIMIT = 64 * 1024


class Counter:
    calls = 0


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counter: Counter) -> None:
    try:
        async with asyncio.timeout(5):
            await reader.readuntil(b"\n\n")          # the environment header, ended by a blank line
            writer.write(VARIABLE)
            await reader.readline()                  # "200 result=1"
        counter.calls += 1
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


async def _write_stats(path: Path, counter: Counter) -> None:
    written = -1
    while True:
        if counter.calls != written:
            written = counter.calls
            replace_file(path, f"calls {written}\n")
        await asyncio.sleep(0.5)


async def main(port: int, stats: Path) -> None:
    counter = Counter()
    server = await asyncio.start_server(lambda r, w: _serve(r, w, counter), "127.0.0.1", port,
                                        backlog=512, limit=HEADER_LIMIT)
    stats.write_text("ready\n")
    async with server:
        await _write_stats(stats, counter)


def read_calls(stats: Path) -> int | None:
    """Calls served so far, from the stats file; None before the server is up."""
    try:
        text = stats.read_text()
    except OSError:
        return None
    head, _, value = text.strip().partition(" ")
    return int(value) if head == "calls" and value.isdigit() else (0 if head == "ready" else None)


class MinimalServer:
    """The minimal server as a child process of the benchmark."""

    def __init__(self, port: int, stats: Path, log_path: Path) -> None:
        self.port, self.stats, self.log_path = port, stats, log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 10) -> "MinimalServer":
        self.stats.unlink(missing_ok=True)
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "ivr.bench.minimal_agi", str(self.port),
                                          str(self.stats)], stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if read_calls(self.stats) is not None:
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise BenchError(f"the minimal FastAGI server did not start; see {self.log_path}")

    def calls(self) -> int:
        return read_calls(self.stats) or 0

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        stop_process(proc)


if __name__ == "__main__":  # pragma: no cover - started by the benchmark as its own process
    import uvloop

    uvloop.run(main(int(sys.argv[1]), Path(sys.argv[2])))
