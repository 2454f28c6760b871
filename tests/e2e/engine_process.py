"""Running the real engine (``ivr serve``) as a child process for end-to-end tests.

The engine gets the lab's settings through IVR_* variables, logs to a file the test can read, and
is always stopped (SIGTERM, then SIGKILL) by the context manager.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from ivr.processes import stop_process
from ivr.settings import Settings

IVR = str(Path(sys.executable).with_name("ivr"))


def free_port() -> int:
    """A TCP port nothing listens on now (for the engine's console in a test)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def engine_env(settings: Settings, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "IVR_WEB_PORT": str(free_port()),
        "IVR_DATA_DIR": str(settings.data_dir),
        "IVR_RECORDINGS_DIR": str(settings.recordings_dir),
        "IVR_AMI_PORT": str(settings.ami_port),
        "IVR_AGI_PORT": str(settings.agi_port),
        "IVR_DATABASE_URL": database_url or settings.database_url,
        # missed calls are called back only where a test asks for it (test_surges_missed_e2e.py): a
        # callback nobody expects would ring another test's phones and agents
        "IVR_MISSED_AFTER": "3600",
    })
    env.update(extra)
    return env


class Engine:
    """A running ``ivr serve``; ``log()`` is what it has written so far."""

    def __init__(self, process: subprocess.Popen, log_path: Path) -> None:
        self.process, self.log_path = process, log_path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text: str, count: int = 1, timeout: float = 15) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log().count(text) >= count:
                return True
            if self.process.poll() is not None:
                raise RuntimeError(f"engine exited {self.process.returncode}:\n{self.log()[-3000:]}")
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        stop_process(self.process, grace=10)


@contextmanager
def running_engine(settings: Settings, log_path: Path, *args: str, database_url: str | None = None,
                   wait_ami: bool = True, **env: str):
    """``ivr serve ARGS`` until the block ends; waits until AGI listens and AMI has logged in."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a", encoding="utf-8") as log:
        process = subprocess.Popen([IVR, "serve", "--sweep-interval", "3600", *args],
                                   env=engine_env(settings, database_url, **env),
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    engine = Engine(process, log_path)
    try:
        if "ami" not in args:  # "--without ami" means no AMI part to wait for
            if wait_ami and not engine.wait_for("ami.resynced", timeout=20):
                raise RuntimeError(f"engine's AMI listener did not log in:\n{engine.log()[-3000:]}")
        if "agi" not in args and not engine.wait_for("engine.agi", timeout=20):
            raise RuntimeError(f"engine's FastAGI server did not start:\n{engine.log()[-3000:]}")
        yield engine
    finally:
        engine.stop()


def skip_queue_log_history(settings: Settings) -> None:
    """Start the engine's queue-log cursor at the end of the lab's queue log, as for an engine
    that has been running all along: calls of earlier tests are not this test's business."""
    import json

    from ivr.asterisk.layout import Layout

    queue_log = Layout.from_settings(settings).log / "queue_log"
    state = settings.data_dir / "ami" / "queue_log.offset"
    state.parent.mkdir(parents=True, exist_ok=True)
    if queue_log.exists():
        stat = queue_log.stat()
        state.write_text(json.dumps({"inode": stat.st_ino, "offset": stat.st_size}), encoding="utf-8")
    else:
        state.unlink(missing_ok=True)
