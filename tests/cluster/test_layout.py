"""trunks/cluster.yaml: read, checked with every problem at once, SQLite refused with why."""
from __future__ import annotations

import shutil

import pytest

from support import REPO
from ivr.cluster.layout import SQLITE_REFUSED, Cluster, Node, check_network, database_problem, load_cluster
from ivr.errors import ClusterError

EXAMPLE = REPO / "trunks" / "cluster.yaml.example"


def _site(tmp_path, text: str):
    (tmp_path / "cluster.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_the_shipped_example_reads_back(tmp_path):
    shutil.copyfile(EXAMPLE, tmp_path / "cluster.yaml")
    cluster = load_cluster(tmp_path)
    assert cluster.kamailio_address == "10.11.1.10" and cluster.kamailio_port == 5060
    assert [n.name for n in cluster.nodes] == ["node1", "node2", "node3"]
    assert cluster.nodes[0] == Node("node1", "10.11.1.11", 5060, 1, 300)
    assert cluster.algorithm == 10 and cluster.database_url.startswith("postgresql+psycopg://")
    assert check_network(cluster, ("127.0.0.1",)) == []


def test_no_file_is_one_box(tmp_path):
    assert load_cluster(tmp_path) is None


def test_sqlite_is_refused_with_the_reason(tmp_path):
    site = _site(tmp_path, """cluster:
  kamailio: {address: 10.0.0.2}
  nodes: [{name: node1, address: 10.0.0.11}]
  database: sqlite:///var/ivr.sqlite3
""")
    with pytest.raises(ClusterError) as err:
        load_cluster(site)
    text = str(err.value)
    assert "cluster.yaml:4: cluster.database" in text
    assert "one file on one machine" in text and "PostgreSQL" in text
    assert database_problem("sqlite:///x") == SQLITE_REFUSED
    assert database_problem("mysql://h/db") and database_problem("postgresql://h/db") is None


def test_every_problem_is_named_with_its_line(tmp_path):
    site = _site(tmp_path, """cluster:
  kamailio: {address: 10.0.0.300}
  dispatch: random
  probe_every: 0
  nodes:
    - {name: Node-1, address: 10.0.0.11}
    - {name: node2, address: 10.0.0.12, weight: 0, colour: red}
    - {name: node2, address: 10.0.0.13}
    - {name: node4, address: 10.0.0.12}
    - {address: 10.0.0.15}
  database: postgresql+psycopg://ivr@10.0.0.5/ivr
""")
    with pytest.raises(ClusterError) as err:
        load_cluster(site)
    text = str(err.value)
    for expected in ("cluster.yaml:2: cluster.kamailio.address: '10.0.0.300' is not an IP address",
                     "cluster.yaml:3: cluster.dispatch: 'random': one of call_load, weight",
                     "cluster.yaml:4: cluster.probe_every: '0' is not a whole number from 1 to 60",
                     "cluster.yaml:6: cluster.nodes.0.name: 'Node-1' is not a node name",
                     "cluster.yaml:7: cluster.nodes.1.weight: '0' is not a whole number from 1 to 100",
                     "cluster.yaml:7: cluster.nodes.1.colour: unknown key",
                     "cluster.yaml:8: cluster.nodes.2.name: node 'node2' is already named",
                     "cluster.yaml:9: cluster.nodes.3.address: 10.0.0.12:5060 is already nodes item",
                     "cluster.yaml:10: cluster.nodes.4: missing key 'name'"):
        assert expected in text, text


def test_hostile_yaml_is_a_problem_not_a_traceback(tmp_path):
    for text in ("cluster: [", "cluster: {kamailio: &a {address: 1.2.3.4}, nodes: *a}", "- 1\n- 2"):
        with pytest.raises(ClusterError):
            load_cluster(_site(tmp_path, text))


def test_weights_become_whole_percents_adding_up_to_100():
    def share(*weights):
        nodes = tuple(Node(f"n{i}", f"10.0.0.{i + 1}", weight=w) for i, w in enumerate(weights))
        return list(Cluster("10.0.0.100", nodes, "postgresql://h/db").weights_percent().values())

    assert share(1, 1, 1) == [34, 33, 33]
    assert share(1, 2) == [33, 67]
    assert share(5) == [100]
    assert sum(share(*[1] * 7)) == 100
    assert sum(share(100, 1, 1)) == 100 and min(share(100, 1, 1)) >= 1


def test_a_node_in_the_carriers_network_is_refused():
    cluster = Cluster("10.1.0.2", (Node("node1", "10.2.0.11"),), "postgresql://h/db")
    assert check_network(cluster, ("10.1.0.0/16",))[0].startswith("kamailio's address 10.1.0.2 lies in")
    assert "node1's address" in check_network(cluster, ("10.2.0.0/24",))[0]


def test_the_labs_generated_layout_reads_back(tmp_path):
    from ivr.cluster.plan import covering_prefix, generated_layout, layout_yaml

    cluster, carrier = generated_layout(3, "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    (tmp_path / "cluster.yaml").write_text(layout_yaml(cluster), encoding="utf-8")
    assert load_cluster(tmp_path) == cluster
    assert [n.address for n in cluster.nodes] == ["10.200.0.11", "10.200.0.12", "10.200.0.13"]
    assert carrier == "10.200.0.100" and cluster.kamailio_address == "10.200.0.2"
    assert covering_prefix(["10.200.0.2", "10.200.0.100", "10.200.0.13"]) == 25
    assert covering_prefix(["10.12.1.10", "10.12.9.1"]) == 20
    with pytest.raises(ClusterError):
        generated_layout(0, "postgresql://h/db")
    with pytest.raises(ClusterError):
        covering_prefix(["10.0.0.1", "11.0.0.1"])
