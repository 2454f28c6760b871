"""systemd's watchdog for the routing part, kept honest: "alive" means FastAGI answers.

Under ``ivr-engine.service`` (``Type=notify``, ``WatchdogSec=``) systemd gives ``ivr serve`` a
notification socket (``NOTIFY_SOCKET``) and the watchdog's period (``WATCHDOG_USEC``). A thread
here connects to the engine's own FastAGI port every third of that period and runs the
``selfcheck`` script (:func:`ivr.agi.handlers.selfcheck`): the header read and parsed, a routing
decision made with the rules in force, a command written and its reply read. Only when that round
trip completes within the time limit is ``WATCHDOG=1`` sent (and ``READY=1`` the first time, so
``systemctl start`` returns once routing answers). A frozen event loop, a server that no longer
accepts, a handler that hangs: no notification, and systemd restarts the engine after
``WatchdogSec``. Meanwhile Asterisk's fail-safe takes the calls to the 12345 queue.

Nothing happens without ``NOTIFY_SOCKET`` (the engine started by hand, or by the tests).
"""
from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Mapping

from ivr.logs import get_logger

log = get_logger("ivr.watchdog")
SCRIPT = "selfcheck"
READY_INTERVAL_S = 2.0   # how often to try before the first success when systemd set no watchdog


def notify(message: str, env: Mapping[str, str] | None = None) -> bool:
    """Send ``message`` to systemd's notification socket; False when there is none or it fails."""
    env = os.environ if env is None else env
    address = env.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # an abstract socket
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
        return True
    except OSError as err:
        log.warning("watchdog.notify_failed", error=str(err))
        return False


def watchdog_period(env: Mapping[str, str] | None = None) -> float | None:
    """WatchdogSec in seconds when systemd asks this process for keep-alives, else None."""
    env = os.environ if env is None else env
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1e6


def self_check(host: str, port: int, timeout: float) -> None:
    """One FastAGI round trip with the ``selfcheck`` script; OSError (or TimeoutError) when the
    server does not carry it through within ``timeout`` seconds."""
    header = (f"agi_network: yes\nagi_network_script: {SCRIPT}\nagi_request: agi://{host}:{port}/{SCRIPT}\n"
              f"agi_channel: {SCRIPT}\nagi_uniqueid: {SCRIPT}-{os.getpid()}\n\n").encode("ascii")
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(header)
        received = b""
        while b"\n" not in received:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = sock.recv(4096)
            if not chunk:
                raise ConnectionError("the FastAGI server closed before sending the self-check's command")
            received += chunk
        if not received.startswith(b"NOOP"):
            raise ConnectionError(f"the FastAGI server sent {received[:40]!r} instead of the self-check's NOOP")
        sock.sendall(b"200 result=0\n")
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        if sock.recv(4096) != b"":
            raise ConnectionError("the FastAGI server sent more than the self-check asks for")


class Watchdog(threading.Thread):
    """Notifies systemd after each successful self-check, until :meth:`stop`."""

    def __init__(self, host: str, port: int, period: float | None, env: Mapping[str, str] | None = None,
                 check: Callable[[str, int, float], None] = self_check) -> None:
        super().__init__(name="watchdog", daemon=True)
        self.host, self.port, self.env, self.check = host, port, env, check
        self.interval = period / 3 if period else READY_INTERVAL_S
        self.keepalive = period is not None
        self.ready = False
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            self.once()
            if self.ready and not self.keepalive:
                return  # systemd wants READY=1 only
            self._stop.wait(self.interval)

    def once(self) -> bool:
        """One self-check, and the notification it earns; True when it passed."""
        try:
            self.check(self.host, self.port, self.interval)
        except OSError as err:  # before the first success: routing is still starting
            (log.warning if self.ready else log.debug)("watchdog.self_check_failed", host=self.host, port=self.port,
                                                       error=str(err) or type(err).__name__)
            notify(f"STATUS=routing does not answer on {self.host}:{self.port}: {err}", self.env)
            return False
        if not self.ready:
            self.ready = notify(f"READY=1\nSTATUS=routing answers on {self.host}:{self.port}", self.env)
            log.info("watchdog.ready", host=self.host, port=self.port, keepalive_s=self.interval if self.keepalive else None)
        if self.keepalive:
            notify("WATCHDOG=1", self.env)
        return True

    def stop(self) -> None:
        self._stop.set()
        notify("STOPPING=1", self.env)


def start_for_systemd(host: str, port: int, env: Mapping[str, str] | None = None) -> Watchdog | None:
    """Start the watchdog when systemd gave a notification socket; None otherwise."""
    env = os.environ if env is None else env
    if not env.get("NOTIFY_SOCKET"):
        return None
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    watchdog = Watchdog(target, port, watchdog_period(env), env)
    watchdog.start()
    return watchdog
