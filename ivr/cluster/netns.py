"""Network namespaces: several machines on one, for the cluster's lab (root only).

Every namespace the lab makes is named ``ivrc-<lab>-<part>``: a ``lan`` namespace holding the
bridge ``br0``, and one namespace per machine (Kamailio, each node, the carrier) joined to the
bridge by a veth pair made inside the two namespaces (``eth0`` on the machine's side), so the
host's own network never sees an interface, an address or a packet of the lab. Addresses exist
only inside the namespaces; no route leads out.

Teardown needs no record of what was made: the namespaces are found by their prefix, their
processes by ``ip netns pids``, and a namespace deleted takes its interfaces with it.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from ivr.asterisk.process import _alive as alive  # a zombie child of ours counts as gone
from ivr.errors import ClusterError
from ivr.logs import get_logger

log = get_logger("ivr.cluster")

PREFIX = "ivrc-"
RUN_NETNS = Path("/run/netns")
_LAB = re.compile(r"^[a-z0-9]{1,12}$")


def check_lab_name(lab: str) -> str:
    if not _LAB.match(lab):
        raise ClusterError(f"lab name {lab!r}: 1 to 12 lower-case letters or digits")
    return lab


def name(lab: str, part: str) -> str:
    """The namespace of ``part`` (``lan``, ``kamailio``, a node's name, ``carrier``) in ``lab``."""
    return f"{PREFIX}{check_lab_name(lab)}-{part}"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    argv = ["ip", *args]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ClusterError(f"`{' '.join(argv)}` failed: {err}") from None
    if check and done.returncode != 0:
        raise ClusterError(f"`{' '.join(argv)}` failed: {(done.stderr or done.stdout).strip()}")
    return done


def require_root() -> None:
    if os.geteuid() != 0:
        raise ClusterError("the cluster's lab makes network namespaces: run it as root")


def existing(lab: str) -> list[str]:
    """The namespaces of ``lab`` that exist now."""
    start = f"{PREFIX}{check_lab_name(lab)}-"
    try:
        return sorted(p.name for p in RUN_NETNS.iterdir() if p.name.startswith(start))
    except FileNotFoundError:
        return []


def add(namespace: str) -> None:
    _ip("netns", "add", namespace)
    _ip("-n", namespace, "link", "set", "lo", "up")


def make_bridge(lan: str) -> None:
    """The lab's switch: ``br0`` in a namespace of its own."""
    add(lan)
    _ip("-n", lan, "link", "add", "br0", "type", "bridge")
    _ip("-n", lan, "link", "set", "br0", "up")


def plug(namespace: str, lan: str, port: str, address: str, prefix: int) -> None:
    """Join ``namespace`` to the bridge of ``lan`` with ``address/prefix`` on its ``eth0``."""
    _ip("-n", namespace, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", lan)
    _ip("-n", namespace, "addr", "add", f"{address}/{prefix}", "dev", "eth0")
    _ip("-n", namespace, "link", "set", "eth0", "up")
    _ip("-n", lan, "link", "set", port, "master", "br0")
    _ip("-n", lan, "link", "set", port, "up")


def set_link(namespace: str, up: bool) -> None:
    """Cut (or restore) the machine's cable: its ``eth0`` down or up."""
    _ip("-n", namespace, "link", "set", "eth0", "up" if up else "down")


def exec_argv(namespace: str, argv: list[str]) -> list[str]:
    """``argv`` run inside ``namespace``."""
    return ["ip", "netns", "exec", namespace, *argv]


def pids(namespace: str) -> list[int]:
    """Every process whose network is ``namespace``."""
    done = _ip("netns", "pids", namespace, check=False)
    return [int(p) for p in done.stdout.split() if p.isdigit()]


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def stop_processes(namespace: str, grace: float = 5.0) -> int:
    """SIGTERM every process of ``namespace``, SIGKILL after ``grace`` s, until none is left:
    a process dying may start others there (Asterisk compressing a recording as a call ends),
    so the namespace is looked at again each round. Returns how many were stopped."""
    seen: set[int] = set()
    started = time.monotonic()
    while True:
        found = [p for p in pids(namespace) if alive(p)]
        if not found:
            return len(seen)
        waited = time.monotonic() - started
        if waited > 3 * grace:
            raise ClusterError(f"processes in namespace {namespace} survive SIGKILL: "
                               + "; ".join(f"{p} {_command(p)}" for p in found))
        sig = signal.SIGTERM if waited < grace else signal.SIGKILL
        for pid in found:
            seen.add(pid)
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


def delete(namespace: str) -> None:
    stop_processes(namespace)
    _ip("netns", "delete", namespace, check=False)
    if (RUN_NETNS / namespace).exists():
        raise ClusterError(f"namespace {namespace} could not be deleted (`ip netns delete {namespace}`)")


def delete_lab(lab: str) -> list[str]:
    """Every namespace of ``lab`` and every process in them, gone; returns the namespaces."""
    found = existing(lab)
    # the machines first, the switch last
    for namespace in sorted(found, key=lambda n: n.endswith("-lan")):
        delete(namespace)
        log.info("cluster.namespace_deleted", namespace=namespace)
    return found
