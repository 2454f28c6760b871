"""The lab's own layout: N nodes on a private subnet that exists only inside its namespaces.

``ivr cluster up --nodes N`` writes this layout as the lab's ``cluster.yaml`` and runs what
it reads back, so the lab and a real site go through the same checks and rendering.
"""
from __future__ import annotations

import ipaddress

import yaml

from ivr.cluster.layout import Cluster, Node
from ivr.errors import ClusterError

SUBNET = ipaddress.ip_network("10.200.0.0/24")   # nothing outside the lab's namespaces has it
KAMAILIO_HOST, CARRIER_HOST, FIRST_NODE_HOST = 2, 100, 11
# the PostgreSQL the tests use on these machines (the centre's parts, next, use the lab's database)
LAB_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def generated_layout(nodes: int, database_url: str) -> tuple[Cluster, str]:
    """A layout of ``nodes`` nodes on the lab's subnet, and the carrier's address."""
    if not 1 <= nodes <= 20:
        raise ClusterError(f"--nodes {nodes}: from 1 to 20")
    host = lambda n: str(SUBNET.network_address + n)  # noqa: E731
    cluster = Cluster(kamailio_address=host(KAMAILIO_HOST), database_url=database_url,
                      nodes=tuple(Node(f"node{i}", host(FIRST_NODE_HOST + i - 1)) for i in range(1, nodes + 1)))
    return cluster, host(CARRIER_HOST)


def layout_yaml(cluster: Cluster) -> str:
    """``cluster`` written as a ``cluster.yaml`` (:func:`ivr.cluster.layout.load_cluster` reads it back)."""
    data = {"cluster": {
        "kamailio": {"address": cluster.kamailio_address, "port": cluster.kamailio_port},
        "dispatch": cluster.dispatch, "probe_every": cluster.probe_every, "down_after": cluster.down_after,
        "reply_timeout_ms": cluster.reply_timeout_ms, "answer_timeout": cluster.answer_timeout,
        "workers": cluster.workers,
        "nodes": [{"name": n.name, "address": n.address, "port": n.port, "weight": n.weight,
                   "max_calls": n.max_calls} for n in cluster.nodes],
        "database": cluster.database_url}}
    return "# The cluster's lab (ivr cluster up): generated, read back like any layout.\n" + yaml.safe_dump(
        data, sort_keys=False)


def covering_prefix(addresses: list[str]) -> int:
    """The longest prefix whose network holds every address (the lab's one LAN)."""
    ips = [ipaddress.ip_address(a) for a in addresses]
    for prefix in range(30, 7, -1):
        network = ipaddress.ip_network(f"{ips[0]}/{prefix}", strict=False)
        if all(ip in network for ip in ips):
            return prefix
    raise ClusterError(f"the addresses {', '.join(addresses)} share no network of /8 or longer")
