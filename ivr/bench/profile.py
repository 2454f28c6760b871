"""Where the time goes under load: the engine sampled by py-spy, Asterisk's own task processors.

py-spy samples the engine's Python stacks from outside (no change to the engine, no slowdown of
note at 250 samples a second) for the whole ramp; the raw stacks are kept beside the run and
summed here into the functions that hold the most samples, on the stack (inclusive) and on top
(self). Asterisk's ``core show taskprocessors`` after the ramp says which of its queues backed
up (the highest ``Max Depth``): the other side of the FastAGI connection.
"""
from __future__ import annotations

import re
import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path

from ivr.logs import get_logger

log = get_logger("ivr.bench.profile")

RATE = 100   # samples per second


class Sampler:
    """``py-spy record`` on one process until :meth:`stop`; None-safe when py-spy is missing."""

    def __init__(self, pid: int, out: Path) -> None:
        self.pid, self.out = pid, out
        self.proc: subprocess.Popen | None = None
        self.why_not = ""

    def start(self) -> "Sampler":
        spy = shutil.which("py-spy") or str(Path(__import__("sys").executable).with_name("py-spy"))
        if not Path(spy).exists():
            self.why_not = "py-spy is not installed"
            return self
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([spy, "record", "-p", str(self.pid), "-r", str(RATE), "-f", "raw",
                                      "-o", str(self.out), "--nonblocking"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(self.out.with_suffix(".log"), "wb"))
        return self

    def stop(self) -> dict:
        if self.proc is None:
            return {"skipped": self.why_not or "not started"}
        self.proc.send_signal(signal.SIGINT)   # py-spy writes its file on SIGINT
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        try:
            return summarise(self.out.read_text(encoding="utf-8", errors="replace")) | {"raw": str(self.out)}
        except OSError as err:
            return {"skipped": f"py-spy wrote nothing ({err.strerror}); see {self.out.with_suffix('.log')}"}


def _function(frame: str) -> str:
    """``name (path/file.py:12)`` -> ``name (file.py)``: one entry per function, not per line."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.split(':')[0].rsplit('/', 1)[-1]})" if where else name


def summarise(raw: str, top: int = 15) -> dict:
    """py-spy's raw format (``frame;frame;... count`` per line) -> the heaviest functions."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_function(f) for f in stack.split(";")]
        own[frames[-1]] += n
        for name in set(frames):
            inclusive[name] += n

    def share(counter: Counter) -> list[dict]:
        return [{"function": k, "percent": round(100 * v / total, 1)} for k, v in counter.most_common(top)]
    return {"samples": total, "rate_hz": RATE, "inclusive": share(inclusive) if total else [],
            "self": share(own) if total else []}


# name, Processed, In Queue, Max Depth, Low water, High water[, Low time(us), High time(us)]
_ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)(?:\s+\d+){0,2}\s*$")


MANAGER_ROUTER = "stasis/m:manager:core"   # AMI's router: past 3,000 queued, PJSIP ignores new calls


def manager_depth(text: str) -> int | None:
    """The deepest queue of AMI's router in ``core show taskprocessors`` (None when not listed)."""
    depths = [r["max_depth"] for r in taskprocessors(text, top=10_000) if r["name"].startswith(MANAGER_ROUTER)]
    return max(depths) if depths else None


def taskprocessors(text: str, top: int = 10) -> list[dict]:
    """``core show taskprocessors``: the queues with the highest maximum depth."""
    rows = []
    for line in text.splitlines():
        m = _ROW.match(line.strip())
        if m:
            name, processed, in_queue, max_depth = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))
            rows.append({"name": name, "processed": processed, "in_queue": in_queue, "max_depth": max_depth})
    return sorted(rows, key=lambda r: (-r["max_depth"], -r["processed"]))[:top]
