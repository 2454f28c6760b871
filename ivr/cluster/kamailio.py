"""Kamailio in front of the nodes: its configuration rendered from the layout, checked, and read.

:func:`render` is a pure function of the layout, the carrier's networks and the paths Kamailio
uses (golden-tested like :mod:`ivr.asterisk.render`). :func:`check` runs ``kamailio -c`` on a
rendered file. :func:`dispatcher_view` asks a running Kamailio (``kamcmd dispatcher.list``)
how it sees each node, parsed by :func:`parse_dispatcher_list`.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ivr.cluster.layout import Cluster
from ivr.errors import ClusterError

TEMPLATES = "templates/kamailio"
FILES = ("kamailio.cfg", "dispatcher.list")
BANNER = "Rendered by `ivr cluster` from trunks/cluster.yaml and carrier.yaml: edit those, not this file."
INSTALL_HINT = "install it with: bash tools/install-kamailio.sh"


@dataclass(frozen=True)
class Paths:
    """Where a running Kamailio finds its list and puts its control socket."""

    dispatcher_list: Path
    ctl_socket: Path

    @classmethod
    def under(cls, folder: Path) -> "Paths":
        folder = Path(folder)
        return cls(dispatcher_list=folder / "dispatcher.list", ctl_socket=folder / "kamailio_ctl")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("ivr", TEMPLATES),
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True, autoescape=False)


def render(cluster: Cluster, carrier_networks: tuple[str, ...], paths: Paths, *,
           log_stderr: bool = False, log_calls: bool = False) -> dict[str, str]:
    """``kamailio.cfg`` and ``dispatcher.list`` for ``cluster``.

    ``carrier_networks`` (carrier.yaml ``match``) are the only sources that may start a call.
    ``log_stderr`` logs to stderr (the lab's Kamailio, in the foreground) instead of syslog;
    ``log_calls`` adds a line per INVITE dispatched (the failover test reads them).
    """
    if not carrier_networks:
        raise ClusterError("carrier.yaml names no carrier address: Kamailio would take calls from nobody")
    percent = cluster.weights_percent()
    nodes = [{"uri": n.uri, "name": n.name, "percent": percent[n.name], "max_calls": n.max_calls}
             for n in cluster.nodes]
    context = {"banner": BANNER, "cluster": cluster, "carrier_networks": list(carrier_networks),
               "paths": paths, "nodes": nodes, "log_stderr": log_stderr, "log_calls": log_calls,
               "log_level": 2}
    env = _environment()
    return {name: env.get_template(f"{name}.j2").render(context) for name in FILES}


def write(files: dict[str, str], folder: Path) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = folder / name
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written


def binary(name: str = "kamailio") -> str:
    found = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    if not found:
        raise ClusterError(f"{name} is not installed: {INSTALL_HINT}")
    return found


def check(config: Path) -> str:
    """Run ``kamailio -c`` on ``config``; return its verdict, or raise with the lines it gave."""
    try:
        done = subprocess.run([binary(), "-c", "-f", str(config)], capture_output=True, text=True,
                              timeout=60, check=False)
    except subprocess.TimeoutExpired:
        raise ClusterError(f"`kamailio -c -f {config}` did not finish within 60 s") from None
    text = (done.stdout or "") + (done.stderr or "")
    if done.returncode != 0 or "config file ok" not in text:
        lines = [ln for ln in text.splitlines() if "ERROR" in ln or "CRITICAL" in ln] or text.splitlines()[-10:]
        raise ClusterError(f"kamailio refuses {config}:\n  " + "\n  ".join(lines))
    return "config file ok"


def kamcmd(ctl_socket: Path, *args: str, timeout: float = 10) -> str:
    """One RPC to a running Kamailio over its control socket (``kamcmd``)."""
    argv = [binary("kamcmd"), "-s", f"unix:{ctl_socket}", *args]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ClusterError(f"`kamcmd {' '.join(args)}` did not answer within {timeout:g} s") from None
    if done.returncode != 0:
        raise ClusterError(f"`kamcmd {' '.join(args)}` failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout


@dataclass(frozen=True)
class Destination:
    """One node as the dispatcher sees it."""

    uri: str
    flags: str      # AP active and probed, IP inactive and probed, TP trying, DX disabled ...
    duid: str = ""
    load: int | None = None  # calls the call-load algorithm counts on it now (RUNTIME DLGLOAD)

    @property
    def active(self) -> bool:
        return self.flags.startswith("A")

    @property
    def state(self) -> str:
        return {"A": "active", "I": "inactive", "T": "trying", "D": "disabled"}.get(self.flags[:1], self.flags)



def parse_dispatcher_list(text: str) -> list[Destination]:
    """The destinations of ``kamcmd dispatcher.list`` output, in order."""
    out = []
    for block in re.split(r"\bDEST:\s*\{", text)[1:]:
        uri = re.search(r"URI:\s*(\S+)", block)
        flags = re.search(r"FLAGS:\s*(\S+)", block)
        duid = re.search(r"DUID:\s*(\S+)", block)
        load = re.search(r"DLGLOAD:\s*(\d+)", block)
        if uri and flags:
            out.append(Destination(uri.group(1), flags.group(1), duid.group(1) if duid else "",
                                   int(load.group(1)) if load else None))
    return out


def dispatcher_view(ctl_socket: Path) -> list[Destination]:
    """How the running Kamailio sees each node now."""
    return parse_dispatcher_list(kamcmd(ctl_socket, "dispatcher.list"))
