"""Start, stop and inspect one Asterisk running on a runtime folder (see :mod:`.layout`).

In the sid root, Asterisk runs in a private mount namespace (``unshare --mount``) where the
runtime folder and the recordings folder are bind-mounted into the root at their own paths,
and the engine's own prompts (``<runtime>/sounds/hotline``) at ``<astdatadir>/sounds/hotline``,
where Asterisk looks for the sound name ``hotline/...`` (:mod:`ivr.prompts`).
The mounts live exactly as long as that Asterisk: nothing is left mounted after a crash, and
deleting the root can never reach through a mount into the host's recordings. CLI clients
(``asterisk -rx``) get the same view in a short-lived namespace of their own.
"""
from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ivr.asterisk.install import Install
from ivr.asterisk.layout import SOUNDS_NAMESPACE, Layout
from ivr.errors import AsteriskError
from ivr.logs import get_logger
from ivr.permissions import PRIVATE_UMASK

log = get_logger("ivr.asterisk")

# Inside the new mount namespace: bind the folders in (each given as a host folder and where the
# root shows it), mount /proc, become Asterisk (same pid).
_NAMESPACE_SCRIPT = r"""
set -e
root=$1; shift
while [ "$1" != "--" ]; do
    mkdir -p "$root$2"
    mount --bind "$1" "$root$2"
    shift 2
done
shift
mount -t proc proc "$root/proc" 2>/dev/null || true
exec chroot "$root" "$@"
"""


@dataclass(frozen=True)
class Status:
    running: bool
    pid: int | None = None
    uptime_s: int | None = None
    last_reload_s: int | None = None
    version: str = ""
    active_calls: int | None = None
    kind: str = ""
    config: str = ""
    detail: str = ""


def _argv(install: Install, layout: Layout, binds: tuple[Path | tuple[Path, str], ...], *args: str) -> list[str]:
    """argv running the asterisk binary with ``args``, seeing each of ``binds`` (a folder, or a
    folder and the path it takes inside the root) at its own path or the one given."""
    if not install.chrooted:
        return [install.binary, *args]
    pairs = [str(part) for bind in binds for part in (bind if isinstance(bind, tuple) else (bind, bind))]
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", _NAMESPACE_SCRIPT,
            "ivr-asterisk", str(install.root), *pairs, "--", install.binary, *args]


def _own_sounds(install: Install, layout: Layout) -> tuple[Path, str]:
    """The engine's prompts folder and where Asterisk looks for ``hotline/...`` names."""
    return layout.sounds / SOUNDS_NAMESPACE, f"{install.data_dir}/sounds/{SOUNDS_NAMESPACE}"


def cli(install: Install, layout: Layout, command: str, timeout: float = 15) -> str:
    """Run one CLI ``command`` on the running Asterisk (``asterisk -rx``) and return its output."""
    argv = _argv(install, layout, (layout.runtime,), "-C", str(layout.config_file), "-rx", command)
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise AsteriskError(f"`asterisk -rx '{command}'` did not answer within {timeout:g} s") from None
    except OSError as err:
        raise AsteriskError(f"cannot run {argv[0]}: {err.strerror}") from None
    text = (out.stdout or "") + (out.stderr or "")
    if out.returncode != 0 or "Unable to connect to remote asterisk" in text:
        raise AsteriskError(f"`asterisk -rx '{command}'` failed: {text.strip() or out.returncode}")
    return out.stdout


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie child of ours is reaped and counts as gone)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def _is_ours(pid: int, layout: Layout) -> bool:
    """True when ``pid`` is an Asterisk started on this runtime folder (not a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(b"asterisk" in part for part in cmdline) and str(layout.config_file).encode() in cmdline


def running_pid(layout: Layout) -> int | None:
    """The pid of the Asterisk running on ``layout``, from its pid file, or None."""
    try:
        pid = int(layout.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) and _is_ours(pid, layout) else None


def _check_free(host: str, port: int, kind: int, what: str) -> None:
    with socket.socket(socket.AF_INET, kind) as probe:
        if kind == socket.SOCK_STREAM:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise AsteriskError(f"{what} port {host}:{port} is already in use by another program "
                                    "(another Asterisk? `ivr asterisk status`, `ss -lunpt`)") from None
            raise AsteriskError(f"cannot use {what} address {host}:{port}: {err.strerror}") from None


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start(install: Install, layout: Layout, sip: tuple[str, int], ami: tuple[str, int],
          timeout: float = 60) -> Status:
    """Start Asterisk on ``layout`` (already rendered) and wait until it is fully booted.

    Idempotent: an Asterisk already running on this layout is left as it is.
    """
    pid = running_pid(layout)
    if pid:
        log.info("asterisk.already_running", pid=pid)
        return status(install, layout)
    layout.create()
    _check_free(sip[0], sip[1], socket.SOCK_DGRAM, "SIP")
    _check_free(ami[0], ami[1], socket.SOCK_STREAM, "AMI")
    for stale in (layout.pid_file, layout.control_socket):
        stale.unlink(missing_ok=True)
    argv = _argv(install, layout, (layout.runtime, layout.recordings, _own_sounds(install, layout)),
                 "-f", "-C", str(layout.config_file))
    started = time.monotonic()
    with open(layout.console_log, "ab") as console:
        try:
            # umask: recordings, logs and the queue log are private to the engine's user and group
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=console,
                                    stderr=subprocess.STDOUT, start_new_session=True, close_fds=True,
                                    umask=PRIVATE_UMASK)
        except OSError as err:
            raise AsteriskError(f"cannot start Asterisk ({argv[0]}): {err.strerror}") from None
    log.info("asterisk.starting", pid=proc.pid, kind=install.kind, config=str(layout.config_file))
    deadline = started + timeout
    last_error = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AsteriskError(f"Asterisk exited at start (status {proc.returncode}); last lines of "
                                f"{layout.console_log}:\n{_tail(layout.console_log)}")
        if layout.control_socket.exists():
            try:
                cli(install, layout, "core waitfullybooted", timeout=max(1.0, deadline - time.monotonic()))
                break
            except AsteriskError as err:
                last_error = str(err)
        time.sleep(0.1)
    else:
        _kill(proc.pid)
        raise AsteriskError(f"Asterisk did not finish booting within {timeout:g} s ({last_error}); "
                            f"see {layout.console_log} and {layout.log / 'messages.log'}")
    log.info("asterisk.up", pid=proc.pid, seconds=round(time.monotonic() - started, 2))
    return status(install, layout)


def _kill(pid: int, grace: float = 5) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.05)


def stop(install: Install, layout: Layout, timeout: float = 15) -> bool:
    """Stop the Asterisk of ``layout``: ``core stop now``, then SIGTERM, then SIGKILL.

    Returns False when none was running. Its mounts go with it (private namespace).
    """
    pid = running_pid(layout)
    if pid is None:
        return False
    try:
        cli(install, layout, "core stop now", timeout=timeout)
    except AsteriskError as err:
        log.warning("asterisk.stop_command_failed", pid=pid, error=str(err))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        log.warning("asterisk.killing", pid=pid)
        _kill(pid)
    if _alive(pid):
        raise AsteriskError(f"Asterisk (pid {pid}) does not stop, even with SIGKILL")
    layout.control_socket.unlink(missing_ok=True)
    layout.pid_file.unlink(missing_ok=True)
    log.info("asterisk.down", pid=pid)
    return True


def _seconds(text: str, label: str) -> int | None:
    for line in text.splitlines():
        if line.startswith(label):
            try:
                return int(line.split(":", 1)[1].strip())
            except (IndexError, ValueError):
                return None
    return None


def status(install: Install, layout: Layout) -> Status:
    """Whether Asterisk runs on ``layout``, and its pid, uptime, version and active calls."""
    pid = running_pid(layout)
    common = {"kind": install.kind, "config": str(layout.config_file)}
    if pid is None:
        return Status(running=False, **common)
    try:
        uptime = cli(install, layout, "core show uptime seconds")
        version = cli(install, layout, "core show version").strip()
        calls = cli(install, layout, "core show channels count")
    except AsteriskError as err:
        return Status(running=True, pid=pid, detail=f"running but not answering: {err}", **common)
    active = None
    for line in calls.splitlines():
        if "active call" in line:
            try:
                active = int(line.split()[0])
            except (IndexError, ValueError):
                pass
    return Status(running=True, pid=pid, uptime_s=_seconds(uptime, "System uptime"),
                  last_reload_s=_seconds(uptime, "Last reload"), version=version,
                  active_calls=active, **common)
