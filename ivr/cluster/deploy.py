"""The layout made into files: Kamailio's and every node's, for real machines or the lab.

``ivr cluster render --out DIR`` writes:

    DIR/kamailio/kamailio.cfg, dispatcher.list   for /etc/kamailio/ on Kamailio's machine
    DIR/nodes/<node>/trunks/                     the node's site files (IVR_TRUNKS there)
    DIR/nodes/<node>/data/secrets/asterisk.json  the centre's Asterisk secrets (0600), the same on every node
    DIR/nodes/<node>/asterisk/                   the Asterisk configuration `ivr asterisk up` renders
                                                 there, for review (it renders its own at start)

The lab (:mod:`ivr.cluster.lab`) makes the same files through :func:`prepare`, with Kamailio's
paths in the lab's folder and its log on stderr.
"""
from __future__ import annotations

from pathlib import Path

from ivr.asterisk import service
from ivr.cluster import kamailio
from ivr.cluster.layout import LAYOUT_FILE, Cluster, check_network, load_cluster
from ivr.cluster.nodes import NodeHome, carrier_networks, share_secrets, write_node_site
from ivr.errors import ClusterError
from ivr.rules_file import load_rules
from ivr.settings import Settings

# Where Debian's kamailio package looks (its service reads /etc/kamailio/kamailio.cfg)
PRODUCTION = kamailio.Paths(dispatcher_list=Path("/etc/kamailio/dispatcher.list"),
                            ctl_socket=Path("/run/kamailio/kamailio_ctl"))


def read_layout(site: Path) -> Cluster:
    """The site's layout, checked against its carrier's addresses."""
    cluster = load_cluster(site)
    if cluster is None:
        raise ClusterError(f"{Path(site) / LAYOUT_FILE} is missing: the site is one box "
                           "(copy trunks/cluster.yaml.example there and edit it)")
    problems = check_network(cluster, carrier_networks(site))
    if problems:
        raise ClusterError(f"{Path(site) / LAYOUT_FILE}: " + "; ".join(problems))
    return cluster


def prepare(settings: Settings, site: Path, kamailio_dir: Path, paths: kamailio.Paths,
            homes: dict[str, NodeHome], centre_data: Path, *, lab: bool = False,
            log_calls: bool = False, check: bool = True) -> tuple[Cluster, Path]:
    """Kamailio's files (checked with ``kamailio -c`` when ``check``), the centre's secrets (kept
    in ``centre_data``, made once) copied to every node, and every node's site files.
    ``lab``: Kamailio logs to stderr; ``log_calls``: a line for each INVITE it dispatches."""
    cluster = read_layout(site)
    files = kamailio.render(cluster, carrier_networks(site), paths, log_stderr=lab, log_calls=log_calls)
    config = kamailio.write(files, kamailio_dir)[0]
    if check:
        kamailio.check(config)
    rules = load_rules(settings.rules_path)
    share_secrets(centre_data, list(homes.values()), rules.agents)
    for node in cluster.nodes:
        write_node_site(site, cluster, node, homes[node.name].trunks)
    return cluster, config


def render_all(settings: Settings, site: Path, out: Path) -> list[str]:
    """``ivr cluster render``: every file of the layout under ``out``; what was written, in words."""
    out = Path(out)
    cluster = read_layout(site)
    homes = {n.name: NodeHome(out / "nodes" / n.name) for n in cluster.nodes}
    try:
        kamailio.binary()
        checked = True
    except ClusterError:
        checked = False
    _, config = prepare(settings, site, out / "kamailio", PRODUCTION, homes, settings.data_dir,
                        check=checked)
    lines = [f"kamailio: {config} and {config.with_name('dispatcher.list')} "
             + ("(kamailio -c: config file ok)" if checked else
                f"(not checked: kamailio is not installed; {kamailio.INSTALL_HINT})")]
    rules = load_rules(settings.rules_path)
    for node in cluster.nodes:
        home = homes[node.name]
        deployment, written = service.prepare(home.settings(settings, cluster), home.trunks,
                                              out=home.folder / "asterisk", require_asterisk=False,
                                              rules=rules)
        lines.append(f"{node.name}: {node.address}:{node.port}, systemname {node.name}; site files in "
                     f"{home.trunks}; {len(written)} Asterisk files in {home.folder / 'asterisk'}")
    lines.append(f"database: {cluster.database_url.split('@')[-1]} (every node and the centre's parts)")
    return lines
