"""``ivr cluster status``: each node as the dispatcher sees it, and as its Asterisk says it is.

For every node: Kamailio's view (``kamcmd dispatcher.list``: AP active and probed, IP inactive
and probed, and the calls the call-load algorithm counts on it), its Asterisk (running, pid),
the rules version it holds (the ``IVR_RULES_SHA256`` dialplan global, read back the way
``ivr rules status`` reads it), its agents (``queue show``: logged in, free) and its calls
(``core show channels count``). The parsers are pure and tested on captured output.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from ivr import dialplan_variables as dv
from ivr.asterisk import process, service
from ivr.cluster import kamailio, netns
from ivr.cluster.lab import ClusterLab
from ivr.errors import AsteriskError, ClusterError

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_MEMBER = re.compile(r"^\s+(\S+) \((?:PJSIP|SIP|Local)/[^)]*\)(?P<rest>.*)$")
_GLOBAL = re.compile(rf"(?m)^\s*{dv.RULES_SHA256}=([0-9a-f]*)\s*$")
_CALLS = re.compile(r"(?m)^(\d+) active calls?")


def parse_agents(queue_show: str) -> dict[str, str]:
    """Every agent logged in to some queue and its state (``free``, ``busy``, ``paused``,
    ``unavailable``), from ``queue show``; an agent in several queues counts once, busiest state."""
    rank = {"free": 0, "paused": 1, "busy": 2, "unavailable": 3}
    agents: dict[str, str] = {}
    for line in _ANSI.sub("", queue_show).splitlines():
        match = _MEMBER.match(line)
        if not match:
            continue
        rest = match.group("rest")
        if "(Unavailable)" in rest or "(Invalid)" in rest:
            state = "unavailable"
        elif "(paused" in rest:
            state = "paused"
        elif "(Not in use)" in rest:
            state = "free"
        else:
            state = "busy"
        agent = match.group(1)
        if rank[state] >= rank.get(agents.get(agent, "free"), 0):
            agents[agent] = state
    return agents


def parse_rules_version(globals_text: str) -> str:
    found = _GLOBAL.search(globals_text)
    return found.group(1) if found else ""


def parse_calls(count_text: str) -> int | None:
    found = _CALLS.search(count_text)
    return int(found.group(1)) if found else None


@dataclass
class NodeStatus:
    name: str
    address: str
    dispatcher: str = "?"          # Kamailio's flags for it: AP, IP, TP, ...
    dispatcher_load: int | None = None
    asterisk_pid: int | None = None
    rules_version: str = ""
    agents: dict[str, str] = field(default_factory=dict)
    calls: int | None = None
    link: str = "up"
    detail: str = ""

    @property
    def free_agents(self) -> int:
        return sum(1 for state in self.agents.values() if state == "free")


@dataclass
class ClusterStatus:
    lab: str
    kamailio: str
    kamailio_pid: int | None
    namespaces: list[str]
    nodes: list[NodeStatus]
    detail: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _link(lab: ClusterLab, node: str) -> str:
    import subprocess

    done = subprocess.run(["ip", "-n", lab.namespace(node), "-o", "link", "show", "eth0"],
                          capture_output=True, text=True, check=False, timeout=10)
    if done.returncode != 0:
        return "none"
    return "up" if ",UP" in done.stdout.split(">")[0] else "cut"


def node_status(lab: ClusterLab, name: str, address: str) -> NodeStatus:
    """What the node's Asterisk says (over its control socket: no network needed)."""
    state = NodeStatus(name=name, address=address, link=_link(lab, name))
    deployment = service.current(lab.node_settings(name))
    if deployment is None:
        state.detail = "no Asterisk installed"
        return state
    state.asterisk_pid = process.running_pid(deployment.layout)
    if state.asterisk_pid is None:
        state.detail = "Asterisk not running"
        return state
    try:
        state.rules_version = parse_rules_version(process.cli(deployment.install, deployment.layout,
                                                              "dialplan show globals", timeout=10))
        state.agents = parse_agents(process.cli(deployment.install, deployment.layout, "queue show", timeout=10))
        state.calls = parse_calls(process.cli(deployment.install, deployment.layout,
                                              "core show channels count", timeout=10))
    except AsteriskError as err:
        state.detail = f"Asterisk not answering: {err}"
    return state


def read_status(lab: ClusterLab) -> ClusterStatus:
    cluster = lab.cluster()
    namespaces = netns.existing(lab.name)
    pid = lab.kamailio_pid()
    view: dict[str, kamailio.Destination] = {}
    detail = ""
    if pid is not None:
        try:
            view = {d.uri: d for d in kamailio.dispatcher_view(lab.files.kamailio_paths.ctl_socket)}
        except ClusterError as err:
            detail = str(err)
    nodes = []
    for node in cluster.nodes:
        state = node_status(lab, node.name, f"{node.address}:{node.port}") if namespaces else \
            NodeStatus(node.name, f"{node.address}:{node.port}", link="none", detail="lab down")
        seen = view.get(node.uri)
        if seen is not None:
            state.dispatcher, state.dispatcher_load = seen.flags, seen.load
        nodes.append(state)
    front = f"{cluster.kamailio_address}:{cluster.kamailio_port}"
    return ClusterStatus(lab=lab.name, kamailio=front, kamailio_pid=pid, namespaces=namespaces,
                         nodes=nodes, detail=detail)


DISPATCHER_WORDS = {"A": "active", "I": "inactive", "T": "trying", "D": "disabled"}


def table(status: ClusterStatus) -> list[str]:
    """The status as the command prints it."""
    front = f"running, pid {status.kamailio_pid}" if status.kamailio_pid else "not running"
    lines = [f"cluster lab {status.lab}: Kamailio {status.kamailio} {front}; "
             f"{len(status.namespaces)} namespace(s)"]
    if status.detail:
        lines.append(f"  {status.detail}")
    lines.append(f"  {'node':<8} {'address':<18} {'dispatcher':<14} {'link':<5} {'asterisk':<12} "
                 f"{'rules':<10} {'agents':<16} calls")
    for node in status.nodes:
        word = DISPATCHER_WORDS.get(node.dispatcher[:1], "")
        seen = f"{node.dispatcher} {word}".strip()
        asterisk = f"pid {node.asterisk_pid}" if node.asterisk_pid else "down"
        agents = f"{len(node.agents)} in, {node.free_agents} free" if node.asterisk_pid else "-"
        calls = "-" if node.calls is None else str(node.calls)
        lines.append(f"  {node.name:<8} {node.address:<18} {seen:<14} {node.link:<5} {asterisk:<12} "
                     f"{(node.rules_version[:8] or '-'):<10} {agents:<16} {calls}"
                     + (f"  ({node.detail})" if node.detail else ""))
    return lines
