"""The cluster's lab on one machine: Kamailio and N Asterisk nodes, each in a network namespace.

``ivr cluster up`` builds, in order: a bridge in a namespace of its own; a namespace per machine
joined to it (Kamailio, every node, the carrier); the layout's files (the lab's site with its
``cluster.yaml``, each node's site files, Kamailio's configuration checked with ``kamailio -c``);
every node's Asterisk, started by the project's own ``ivr asterisk up`` inside the node's
namespace (which runs it in its own mount namespace in the sid root), its agents logged in with
``ivr agents login --all`` and answered by one SIPp per node on the node's loopback; Kamailio
last, so its first probes find the nodes up.

Each node's AMI and FastAGI ports stay on the node's own loopback (its namespace): nodes never
meet on a port. The lab keeps its files in ``<IVR_DATA_DIR>/cluster/<lab>/``. ``down`` finds
everything by name (namespaces ``ivrc-<lab>-*`` and the processes in them), so it also cleans up
after a crashed ``up``; it leaves the files (logs) for reading.
"""
from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ivr.asterisk import process, service
from ivr.asterisk.layout import Layout
from ivr.asterisk.site import write_lab_trunks
from ivr.cluster import deploy, kamailio, netns
from ivr.cluster.layout import LAYOUT_FILE, Cluster, load_cluster
from ivr.cluster.plan import LAB_DATABASE, covering_prefix, generated_layout, layout_yaml
from ivr.cluster.nodes import NodeHome, carrier_networks
from ivr.errors import ClusterError
from ivr.logs import get_logger
from ivr.rules_file import load_rules
from ivr.settings import Settings
from ivr.sipp import AUDIO, SCENARIOS, _hex_ip, sipp_binary

log = get_logger("ivr.cluster")

IVR = str(Path(sys.executable).with_name("ivr"))
AGENTS_PORT = 5100       # one SIPp per node answers for every agent there (on the node's loopback)
CARRIER_PORT = 5070


@dataclass(frozen=True)
class LabFiles:
    """The lab's folder and what lives in it."""

    folder: Path

    @property
    def site(self) -> Path:
        return self.folder / "site"

    @property
    def kamailio(self) -> Path:
        return self.folder / "kamailio"

    @property
    def kamailio_log(self) -> Path:
        return self.kamailio / "kamailio.log"

    @property
    def kamailio_paths(self) -> kamailio.Paths:
        return kamailio.Paths.under(self.kamailio)

    @property
    def centre(self) -> Path:
        """The centre's data (its Asterisk secrets, the prompts made once)."""
        return self.folder / "centre"

    @property
    def sipp(self) -> Path:
        return self.folder / "sipp"

    @property
    def carrier_file(self) -> Path:
        return self.folder / "carrier-address"

    def node(self, name: str) -> NodeHome:
        return NodeHome(self.folder / "nodes" / name)

    def agents_log(self, node: str) -> Path:
        return self.sipp / f"{node}-agents.calls.log"


class ClusterLab:
    """One lab, named ``name`` (its namespaces are ``ivrc-<name>-*``)."""

    def __init__(self, settings: Settings, name: str = "lab", folder: Path | None = None) -> None:
        self.settings, self.name = settings, netns.check_lab_name(name)
        self.files = LabFiles(Path(folder) if folder else Path(settings.data_dir).resolve() / "cluster" / name)

    # --- what the lab is -------------------------------------------------------------------
    def cluster(self) -> Cluster:
        found = load_cluster(self.files.site)
        if found is None:
            raise ClusterError(f"no cluster lab {self.name!r} here ({self.files.site / LAYOUT_FILE} "
                               "missing): `ivr cluster up` first")
        return found

    def namespace(self, part: str) -> str:
        return netns.name(self.name, part)

    def node_settings(self, node: str) -> Settings:
        return self.files.node(node).settings(self.settings, self.cluster())

    def carrier_address(self) -> str:
        return self.files.carrier_file.read_text().strip()

    # --- up --------------------------------------------------------------------------------
    def up(self, nodes: int = 3, site: Path | None = None, database_url: str | None = None,
           log_calls: bool = True) -> Cluster:
        """Build the lab: from ``site`` (a site folder with a cluster.yaml) or ``nodes`` generated.
        ``log_calls``: Kamailio logs each INVITE it dispatches (what the failover test reads;
        the benchmark leaves it out)."""
        netns.require_root()
        if netns.existing(self.name):
            raise ClusterError(f"cluster lab {self.name!r} is already up (namespaces "
                               f"{', '.join(netns.existing(self.name))}): `ivr cluster down` first")
        cluster, carrier = self._write_site(nodes, site, database_url or LAB_DATABASE)
        try:
            self._build_network(cluster, carrier)
            self._render(cluster, log_calls)
            for node in cluster.nodes:
                self.start_node(node.name)
            self.start_kamailio()
        except BaseException:
            log.error("cluster.up_failed", lab=self.name)
            self.down()
            raise
        return cluster

    def _write_site(self, nodes: int, site: Path | None, database_url: str) -> tuple[Cluster, str]:
        if self.files.folder.exists():
            shutil.rmtree(self.files.folder)
        self.files.folder.mkdir(parents=True)
        if site is not None:
            cluster = load_cluster(site)
            if cluster is None:
                raise ClusterError(f"{Path(site) / LAYOUT_FILE} is missing: the site is one box")
            shutil.copytree(site, self.files.site)
            first = ipaddress.ip_network(carrier_networks(site)[0], strict=False)
            carrier = str(first.network_address if first.num_addresses == 1 else first.network_address + 1)
        else:
            cluster, carrier = generated_layout(nodes, database_url)
            rules = load_rules(self.settings.rules_path)
            write_lab_trunks(self.files.site, sip_port=5060, rtp=(10000, 20000), department_port=5301,
                             agent_ports={a: AGENTS_PORT for a in rules.agents},
                             carrier_port=CARRIER_PORT, carrier_match=(carrier,))
            (self.files.site / LAYOUT_FILE).write_text(layout_yaml(cluster), encoding="utf-8")
            cluster = self.cluster()  # read back: the lab runs what the file says
        self.files.carrier_file.write_text(carrier + "\n")
        return cluster, carrier

    def _build_network(self, cluster: Cluster, carrier: str) -> None:
        machines = [("kamailio", cluster.kamailio_address), ("carrier", carrier)]
        machines += [(n.name, n.address) for n in cluster.nodes]
        prefix = covering_prefix([address for _, address in machines])
        lan = self.namespace("lan")
        netns.make_bridge(lan)
        for i, (part, address) in enumerate(machines):
            namespace = self.namespace(part)
            netns.add(namespace)
            netns.plug(namespace, lan, f"p{i}", address, prefix)
        log.info("cluster.network_up", lab=self.name, machines=len(machines), prefix=prefix)

    def _render(self, cluster: Cluster, log_calls: bool) -> None:
        homes = {n.name: self.files.node(n.name) for n in cluster.nodes}
        deploy.prepare(self.settings, self.files.site, self.files.kamailio, self.files.kamailio_paths,
                       homes, self.files.centre, lab=True, log_calls=log_calls)
        self._prompts(load_rules(self.settings.rules_path), list(homes.values()))

    def _prompts(self, rules, homes: list[NodeHome]) -> None:
        """The stand-in prompts made once for the lab, copied to every node (espeak-ng is slow)."""
        from ivr.prompts import ensure_stand_ins

        made = Layout(runtime=self.files.centre / "asterisk", recordings=self.files.centre / "recordings")
        ensure_stand_ins(made, rules)
        for home in homes:
            if made.sounds.exists():
                shutil.copytree(made.sounds, home.data / "asterisk" / "sounds", dirs_exist_ok=True)

    # --- the parts -------------------------------------------------------------------------
    def _run_in(self, part: str, argv: list[str], env: dict[str, str] | None = None,
                timeout: float = 120) -> str:
        full = netns.exec_argv(self.namespace(part), argv)
        try:
            done = subprocess.run(full, capture_output=True, text=True, timeout=timeout, check=False,
                                  env={**os.environ, **(env or {})})
        except subprocess.TimeoutExpired:
            raise ClusterError(f"`{' '.join(argv)}` in {part} did not finish within {timeout:g} s") from None
        if done.returncode != 0:
            raise ClusterError(f"`{' '.join(argv)}` in {part} failed ({done.returncode}): "
                               f"{(done.stderr or done.stdout).strip()}")
        return done.stdout

    def _spawn_in(self, part: str, argv: list[str], out: Path, env: dict[str, str] | None = None) -> int:
        """Start ``argv`` in ``part``'s namespace in the background (its own session); its pid."""
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("ab") as sink:
            proc = subprocess.Popen(netns.exec_argv(self.namespace(part), argv), stdin=subprocess.DEVNULL,
                                    stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
                                    env={**os.environ, **(env or {})}, cwd=out.parent)
        return proc.pid  # `ip netns exec` execs the command: the same pid

    def start_node(self, node: str) -> None:
        """The node's Asterisk (``ivr asterisk up`` in its namespace), its agents logged in and
        answered by SIPp on its loopback. Nothing else in the lab is touched."""
        cluster = self.cluster()
        cluster.node(node)
        env = self.files.node(node).env(self.settings, cluster)
        self._run_in(node, [IVR, "asterisk", "up"], env)
        self._run_in(node, [IVR, "agents", "login", "--all"], env, timeout=60)
        self._start_agents(node)
        log.info("cluster.node_up", lab=self.name, node=node)

    def _start_agents(self, node: str) -> None:
        self.files.agents_log(node).parent.mkdir(parents=True, exist_ok=True)
        self.files.agents_log(node).write_text("")
        argv = [sipp_binary(), "-sf", str(SCENARIOS / "answer.xml"), "-i", "127.0.0.1",
                "-p", str(AGENTS_PORT), "-mp", "30400", "-key", "pcap", str(AUDIO), "-nostdin",
                "-trace_logs", "-log_file", str(self.files.agents_log(node)),
                "-trace_err", "-error_file", str(self.files.sipp / f"{node}-agents.errors.log")]
        pid = self._spawn_in(node, argv, self.files.sipp / f"{node}-agents.sipp.out")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _udp_bound(pid, "127.0.0.1", AGENTS_PORT):
                return
            if not netns.alive(pid):
                raise ClusterError(f"the agents' SIPp of {node} exited at start; see "
                                   f"{self.files.sipp / (node + '-agents.sipp.out')}")
            time.sleep(0.05)
        raise ClusterError(f"the agents' SIPp of {node} did not bind 127.0.0.1:{AGENTS_PORT} within 10 s")

    def start_kamailio(self, timeout: float = 30) -> int:
        paths = self.files.kamailio_paths
        paths.ctl_socket.unlink(missing_ok=True)
        argv = [kamailio.binary(), "-f", str(self.files.kamailio / "kamailio.cfg"), "-DD", "-E",
                "-P", str(self.files.kamailio / "kamailio.pid"), "-m", "64", "-M", "8"]
        pid = self._spawn_in("kamailio", argv, self.files.kamailio_log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not netns.alive(pid):
                raise ClusterError(f"Kamailio exited at start; see {self.files.kamailio_log}")
            if paths.ctl_socket.exists():
                try:
                    kamailio.kamcmd(paths.ctl_socket, "core.version", timeout=5)
                    log.info("cluster.kamailio_up", lab=self.name, pid=pid)
                    return pid
                except ClusterError:
                    pass
            time.sleep(0.1)
        raise ClusterError(f"Kamailio did not answer on {paths.ctl_socket} within {timeout:g} s; "
                           f"see {self.files.kamailio_log}")

    # --- faults (the failover test and the demo) -------------------------------------------
    def asterisk_pid(self, node: str) -> int | None:
        return process.running_pid(service.current(self.node_settings(node)).layout)

    def kamailio_pid(self) -> int | None:
        try:
            pid = int((self.files.kamailio / "kamailio.pid").read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if netns.alive(pid) else None

    def signal_asterisk(self, node: str, sig: int) -> int:
        """Send ``sig`` (SIGKILL: the machine dies; SIGSTOP: it freezes) to the node's Asterisk."""
        pid = self.asterisk_pid(node)
        if pid is None:
            raise ClusterError(f"node {node}'s Asterisk is not running")
        os.kill(pid, sig)
        return pid

    def kill_node(self, node: str) -> int:
        """``kill -9`` the node's Asterisk; its agents' SIPp goes too (a dead machine's phones are
        no use). Returns the Asterisk's pid."""
        pid = self.signal_asterisk(node, signal.SIGKILL)
        for other in netns.pids(self.namespace(node)):
            if other != pid:
                os.kill(other, signal.SIGKILL)
        return pid

    def cut_link(self, node: str, up: bool = False) -> None:
        netns.set_link(self.namespace(node), up)

    # --- down ------------------------------------------------------------------------------
    def down(self) -> list[str]:
        """Every process and namespace of the lab gone (also after a crash); files kept."""
        netns.require_root()
        gone = netns.delete_lab(self.name)
        for node_dir in (self.files.folder / "nodes").glob("*"):
            layout = Layout.from_settings(Settings.from_env({"IVR_DATA_DIR": str(node_dir / "data")}))
            for stale in (layout.pid_file, layout.control_socket):
                stale.unlink(missing_ok=True)
        self.files.kamailio_paths.ctl_socket.unlink(missing_ok=True)
        return gone


def _udp_bound(pid: int, host: str, port: int) -> bool:
    """True when ``host:port`` is bound in the network namespace of ``pid`` (its /proc view)."""
    want = f"{_hex_ip(host)}:{port:04X}"
    try:
        rows = Path(f"/proc/{pid}/net/udp").read_text().splitlines()[1:]
    except OSError:
        return False
    return any(len(r.split()) > 1 and r.split()[1] == want for r in rows)

