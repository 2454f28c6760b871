"""The cluster's layout as data: ``trunks/cluster.yaml``, read and checked.

A site folder (``trunks/``, or ``IVR_TRUNKS``) says how Asterisk reaches the world; when the
centre runs on more than one machine, its ``cluster.yaml`` says where each piece is:

    cluster:
      kamailio: {address: 10.11.1.10, port: 5060}   # where the carrier sends citizens' calls
      dispatch: call_load                            # or weight
      nodes:
        - {name: node1, address: 10.11.1.11, weight: 1, max_calls: 200}
      database: postgresql+psycopg://ivr@10.11.1.5/ivr

The carrier's own addresses stay in ``carrier.yaml`` (``match``): in a cluster Kamailio takes
citizens' INVITEs from those only, and each node's carrier endpoint is identified as Kamailio's
address instead. Every problem is reported at once with its file, line and field, like the
other site files (:mod:`ivr.asterisk.site`).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from ivr.asterisk.site import SYSTEM_NAME, _Checker, _read
from ivr.core.rules_schema import Problem
from ivr.errors import ClusterError

LAYOUT_FILE = "cluster.yaml"
DISPATCH = {"call_load": 10, "weight": 9}  # the layout's word -> Kamailio dispatcher algorithm

SQLITE_REFUSED = (
    "SQLite cannot be a cluster's database: it is one file on one machine's disk, which the "
    "other machines cannot open, whose locks hold only between processes of that machine, and "
    "which goes down with that machine, taking the work orders with it. Name a PostgreSQL "
    "server every node and the centre reach, e.g. postgresql+psycopg://ivr@10.11.1.5/ivr "
    "(docs/cluster.md says how it is kept highly available)")


@dataclass(frozen=True)
class Node:
    """One Asterisk machine, with the routing part beside it."""

    name: str           # Asterisk's systemname: the prefix of its UNIQUEIDs and Linkedids
    address: str        # where it takes SIP (Kamailio sends the calls here)
    port: int = 5060
    weight: int = 1     # its share of the calls with dispatch: weight (relative to the others)
    max_calls: int = 0  # with dispatch: call_load, the most calls at once Kamailio sends it (0: no cap)

    @property
    def uri(self) -> str:
        return f"sip:{self.address}:{self.port}"


@dataclass(frozen=True)
class Cluster:
    """Kamailio in front, N Asterisk nodes, one PostgreSQL."""

    kamailio_address: str
    nodes: tuple[Node, ...]
    database_url: str
    kamailio_port: int = 5060
    dispatch: str = "call_load"
    probe_every: int = 1          # seconds between OPTIONS probes of each node
    down_after: int = 3           # silences in a row (probes or calls) that take a node out
    reply_timeout_ms: int = 1000  # a node silent this long for an INVITE: the next node is tried
    answer_timeout: int = 40      # seconds from a node's first reply to its answer (parallel lines ring)
    workers: int = 4              # Kamailio's UDP worker processes

    @property
    def algorithm(self) -> int:
        return DISPATCH[self.dispatch]

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise ClusterError(f"no node {name!r} in the cluster (nodes: "
                           f"{', '.join(n.name for n in self.nodes)})")

    def weights_percent(self) -> dict[str, int]:
        """Each node's weight as Kamailio's algorithm 9 wants it: whole percents adding up to 100
        (the remainder of the rounding goes to the heaviest nodes first)."""
        total = sum(n.weight for n in self.nodes)
        exact = {n.name: 100 * n.weight / total for n in self.nodes}
        shares = {name: max(1, int(value)) for name, value in exact.items()}
        order = sorted(exact, key=lambda name: (-(exact[name] - int(exact[name])), name))
        i = 0
        while sum(shares.values()) < 100:
            shares[order[i % len(order)]] += 1
            i += 1
        while sum(shares.values()) > 100:  # only when many tiny weights were raised to 1
            heaviest = max(shares, key=lambda name: (shares[name], name))
            shares[heaviest] -= 1
        return shares


def database_problem(url: str) -> str | None:
    """Why ``url`` cannot be a cluster's database (None: it can)."""
    scheme = url.split(":", 1)[0].lower()
    if scheme.startswith("sqlite"):
        return SQLITE_REFUSED
    if not scheme.startswith("postgresql"):
        return f"{url.split('@')[-1]!r} is not a PostgreSQL URL (postgresql+psycopg://user@host/db)"
    return None


def _whole(c: _Checker, path: tuple, raw, default: int, low: int, high: int) -> int:
    """``raw`` (the text at ``path``) as a whole number from ``low`` to ``high``; ``default`` if absent."""
    if raw is None:
        return default
    if not (isinstance(raw, str) and raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
        c.add(path, f"{raw!r} is not a whole number from {low} to {high}")
        return default
    return int(raw)


_NODE_KEYS = {"name", "address", "port", "weight", "max_calls"}


def _node(c: _Checker, path: tuple, item) -> Node | None:
    """One item of ``nodes`` (the checker's paths stop at lists, so the item is given)."""
    if not isinstance(item, dict):
        c.add(path, "expected a mapping with name and address")
        return None
    for key in sorted(set(item) - _NODE_KEYS):
        c.add(path + (key,), f"unknown key (allowed: {', '.join(sorted(_NODE_KEYS))})")
    for key in ("name", "address"):
        if key not in item:
            c.add(path, f"missing key {key!r}")
    name, address = item.get("name"), item.get("address")
    if name is not None and not (isinstance(name, str) and SYSTEM_NAME.match(name)):
        c.add(path + ("name",), f"{name!r} is not a node name (a lower-case letter, then up to 15 "
                                "lower-case letters, digits or _: it becomes Asterisk's systemname)")
        name = None
    if address is not None:
        address = c.address(path + ("address",), address)
    port = _whole(c, path + ("port",), item.get("port"), 5060, 1, 65535)
    weight = _whole(c, path + ("weight",), item.get("weight"), 1, 1, 100)
    max_calls = _whole(c, path + ("max_calls",), item.get("max_calls"), 0, 0, 100000)
    return Node(name, address, port, weight, max_calls) if name and address else None


def _nodes(c: _Checker) -> list[Node]:
    raw = c.get(("cluster", "nodes"))
    if not isinstance(raw, list) or not raw:
        c.add(("cluster", "nodes"), "expected a list of nodes (name, address), at least one")
        return []
    nodes: list[Node] = []
    for i, item in enumerate(raw):
        path = ("cluster", "nodes", i)
        node = _node(c, path, item)
        if node is None:
            continue
        twin = next((j for j, other in enumerate(nodes) if other.name == node.name), None)
        if twin is not None:
            c.add(path + ("name",), f"node {node.name!r} is already named in nodes item {twin}")
            continue
        twin = next((j for j, other in enumerate(nodes)
                     if (other.address, other.port) == (node.address, node.port)), None)
        if twin is not None:
            c.add(path + ("address",), f"{node.address}:{node.port} is already nodes item {twin}'s")
            continue
        nodes.append(node)
    return nodes


def load_cluster(trunks_dir: Path | str) -> Cluster | None:
    """The layout in ``trunks_dir/cluster.yaml``; None when there is none (the site is one box).

    Raises ClusterError listing every problem, each with its file, line and field.
    """
    path = Path(trunks_dir) / LAYOUT_FILE
    if not path.exists():
        return None
    problems: list[Problem] = []
    src = _read(path, problems)
    if src is None:
        raise ClusterError(_message(path, problems))
    c = _Checker(src, problems)
    c.mapping((), {"cluster"}, {"cluster"})
    c.mapping(("cluster",), {"kamailio", "dispatch", "nodes", "database", "probe_every", "down_after",
                             "reply_timeout_ms", "answer_timeout", "workers"},
              {"kamailio", "nodes", "database"})
    c.mapping(("cluster", "kamailio"), {"address", "port"}, {"address"})
    raw = c.get(("cluster", "kamailio", "address"))
    kamailio = c.address(("cluster", "kamailio", "address"), raw) if raw is not None else None
    kamailio_port = c.port(("cluster", "kamailio", "port"), 5060)
    dispatch = c.get(("cluster", "dispatch")) or "call_load"
    if dispatch not in DISPATCH:
        c.add(("cluster", "dispatch"), f"{dispatch!r}: one of {', '.join(DISPATCH)}")
        dispatch = "call_load"
    nodes = _nodes(c)
    if kamailio and any(n.address == kamailio and n.port == kamailio_port for n in nodes):
        c.add(("cluster", "kamailio", "address"), f"{kamailio}:{kamailio_port} is also a node's")
    database = c.get(("cluster", "database"))
    if database is not None:
        why = database_problem(database) if isinstance(database, str) else "expected a database URL"
        if why:
            c.add(("cluster", "database"), why)
    limits = {"probe_every": (1, 1, 60), "down_after": (3, 1, 10), "reply_timeout_ms": (1000, 100, 10000),
              "answer_timeout": (40, 5, 300), "workers": (4, 1, 64)}
    timing = {key: _whole(c, ("cluster", key), c.get(("cluster", key)), *bounds)
              for key, bounds in limits.items()}
    if problems:
        raise ClusterError(_message(path, problems))
    return Cluster(kamailio_address=kamailio, nodes=tuple(nodes), database_url=database,
                   kamailio_port=kamailio_port, dispatch=dispatch, **timing)


def check_network(cluster: Cluster, carrier_match: tuple[str, ...]) -> list[str]:
    """Problems between the layout and the carrier's addresses (carrier.yaml ``match``): a node
    or Kamailio inside the carrier's networks would be taken for the carrier."""
    problems = []
    networks = [ipaddress.ip_network(m, strict=False) for m in carrier_match]
    for who, address in [("kamailio", cluster.kamailio_address)] + [(n.name, n.address) for n in cluster.nodes]:
        if any(ipaddress.ip_address(address) in net for net in networks):
            problems.append(f"{who}'s address {address} lies in the carrier's networks "
                            f"({', '.join(carrier_match)}): its SIP would be taken for citizens' calls")
    return problems


def _message(path: Path, problems: list[Problem]) -> str:
    lines = "\n".join(f"  {p}" for p in problems)
    return f"the cluster layout {path} has {len(problems)} problem(s):\n{lines}"
