"""Stopping the child processes the engine's tools start (SIPp parties, engine, capture)."""
from __future__ import annotations

import signal
import subprocess


def stop_process(proc: subprocess.Popen | None, grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds: a child never outlives its owner."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
