"""SIP-level failover, end to end: Kamailio in front of three real Asterisk nodes, each in a network
namespace of its own, under a steady load of calls from SIPp playing the carrier.

The nodes run the project's rendered configuration with no routing part beside them (it comes
with the process split): every call takes the fail-safe path of the dialplan, FastAGI refused on
the node's loopback, to the general queue, where SIPp agents answer on the node's loopback.
The carrier's 200 OK is Asterisk's answer; its Contact names the node.

One node's Asterisk is frozen, an INVITE is sent to it, then it is killed (``kill -9``): that
INVITE was in flight at the moment of death. Separately another node's link is cut. Each time:
every call begun after the fault is answered and ends normally, the INVITEs the dead node never
answered are retried on another node, new calls stop going to it within 5 s, the calls it was
carrying are counted and printed; then it comes back and takes calls again with nothing else
restarted. Root only (network namespaces); the lab is taken down even when a test fails.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from support import REPO
from ivr.cluster import kamailio, netns
from ivr.cluster.calls import Carrier, read_front
from ivr.cluster.failover import judge
from ivr.cluster.lab import ClusterLab
from ivr.rules_file import load_rules
from ivr.settings import Settings
from ivr.sipp import sipp_binary

pytestmark = pytest.mark.asterisk

OFFSET = int(os.environ.get("IVR_E2E_PORT_OFFSET", "0"))
IVR = str(Path(sys.executable).with_name("ivr"))
STRANGER = REPO / "tests" / "fixtures" / "cluster" / "stranger_invite.xml"


def _settings(base: Path) -> Settings:
    return Settings.from_env({"IVR_DATA_DIR": str(base / "var"), "IVR_RECORDINGS_DIR": str(base / "rec")})


@pytest.fixture(scope="module")
def lab():
    netns.require_root()
    base = Path(tempfile.mkdtemp(prefix="ivrc-"))  # short: Asterisk's control socket path
    cluster_lab = ClusterLab(_settings(base), f"e{OFFSET}")
    cluster_lab.down()  # an earlier run of this lab that was killed
    try:
        cluster_lab.up(nodes=3)
        yield cluster_lab
    finally:
        try:
            cluster_lab.down()
            assert netns.existing(cluster_lab.name) == []
        finally:
            shutil.rmtree(base, ignore_errors=True)


def _carrier(lab: ClusterLab, **kw) -> Carrier:
    cluster = lab.cluster()
    return Carrier(lab.namespace("carrier"), lab.carrier_address(),
                   (cluster.kamailio_address, cluster.kamailio_port), lab.files.sipp, **kw)


def _front(lab: ClusterLab):
    return read_front(lab.files.kamailio_log.read_text(errors="replace"))


def _pids(lab: ClusterLab) -> dict[str, int | None]:
    found = {node.name: lab.asterisk_pid(node.name) for node in lab.cluster().nodes}
    found["kamailio"] = lab.kamailio_pid()
    return found


def _wait_state(lab: ClusterLab, node: str, active: bool, timeout: float = 60) -> bool:
    uri = lab.cluster().node(node).uri
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = {d.uri: d for d in kamailio.dispatcher_view(lab.files.kamailio_paths.ctl_socket)}
        if uri in seen and seen[uri].active == active:
            return True
        time.sleep(0.2)
    return False


def _takes_calls_again(lab: ClusterLab, node: str, before: dict[str, int | None], restarted: str | None) -> None:
    """The node back in the dispatcher's list and answering calls; nothing else restarted."""
    assert _wait_state(lab, node, active=True), f"{node} never became active again"
    with _carrier(lab, calls=15, rate=5, talk_ms=1000) as carrier:
        carrier.wait()
    records = carrier.records()
    address = lab.cluster().node(node).address
    assert {r.outcome for r in records.values()} == {"ended"}, records
    assert sum(1 for r in records.values() if r.node == address) >= 1, "the node took no call back"
    after = _pids(lab)
    for part, pid in before.items():
        if part != restarted:
            assert after[part] == pid, f"{part} was restarted ({pid} -> {after[part]})"


def test_status_shows_every_node_as_the_dispatcher_sees_it(lab):
    env = {**os.environ, "IVR_DATA_DIR": str(lab.settings.data_dir)}
    shown = subprocess.run([IVR, "cluster", "status", "--name", lab.name], capture_output=True, text=True,
                           env=env, check=False, timeout=60)
    print(shown.stdout)
    done = subprocess.run([IVR, "cluster", "status", "--name", lab.name, "--json"], capture_output=True,
                          text=True, env=env, check=False, timeout=60)
    assert done.returncode == 0 and shown.returncode == 0, done.stderr
    state = json.loads(done.stdout)
    sha = load_rules(lab.settings.rules_path).sha256
    assert state["kamailio_pid"] and len(state["namespaces"]) == 6 and len(state["nodes"]) == 3
    for node in state["nodes"]:
        assert node["dispatcher"] == "AP" and node["asterisk_pid"] and node["link"] == "up"
        assert node["rules_version"] == sha
        assert len(node["agents"]) == 8 and node["calls"] == 0
        assert f"{node['name']:<8} {node['address']:<18} AP active" in shown.stdout


def test_only_the_carrier_starts_a_call(lab):
    """An INVITE to Kamailio from a node's address, and one from the carrier straight to a node,
    are both refused with 403: Kamailio takes calls from the carrier only, nodes from Kamailio only."""
    cluster = lab.cluster()
    node1, node3 = cluster.node("node1"), cluster.node("node3")
    for part, source, target in (("node3", node3.address, (cluster.kamailio_address, cluster.kamailio_port)),
                                 ("carrier", lab.carrier_address(), (node1.address, node1.port))):
        argv = netns.exec_argv(lab.namespace(part), [
            sipp_binary(), f"{target[0]}:{target[1]}", "-sf", str(STRANGER), "-i", source, "-p", "5999",
            "-m", "1", "-nostdin", "-timeout", "20s", "-timeout_error"])
        done = subprocess.run(argv, capture_output=True, text=True, cwd=lab.files.sipp, timeout=60, check=False)
        assert done.returncode == 0, f"{part} -> {target}: not refused with 403\n{done.stdout[-2000:]}"


def test_calls_go_on_when_every_node_is_out(lab):
    """Every node taken out of the calls' set (as a machine too loaded to answer probes in time
    would be): the last resort, every node in turn, still answers the callers."""
    ctl = lab.files.kamailio_paths.ctl_socket
    seen = len(_front(lab).events)
    kamailio.kamcmd(ctl, "dispatcher.set_state", "d", "1", "all")  # disabled: not probed, stays out
    try:
        with _carrier(lab, calls=6, rate=3, talk_ms=500) as carrier:
            carrier.wait()
    finally:
        kamailio.kamcmd(ctl, "dispatcher.set_state", "ap", "1", "all")
    records = carrier.records()
    assert {r.outcome for r in records.values()} == {"ended"}, records
    assert len({r.node for r in records.values()}) >= 2  # in turn over the nodes
    out = [e for e in _front(lab).events[seen:] if e.kind == "every-node-out"]
    assert len(out) == 6
    for node in lab.cluster().nodes:
        assert _wait_state(lab, node.name, active=True)


def test_a_node_killed_under_load(lab):
    before = _pids(lab)
    dead = lab.cluster().node("node1")
    with _carrier(lab, calls=70, rate=5, talk_ms=3000) as carrier:
        assert carrier.wait_invites(15), "the load did not start"
        seen = len(_front(lab).events)
        frozen_at = time.time()
        lab.signal_asterisk("node1", signal.SIGSTOP)
        deadline = time.monotonic() + 30
        in_flight = None
        while in_flight is None and time.monotonic() < deadline:
            sent = [e for e in _front(lab).events[seen:] if e.kind == "dispatch" and e.node == dead.address]
            in_flight = sent[0].call_id if sent else None
            time.sleep(0.02)
        killed = lab.kill_node("node1")
        assert in_flight, "no INVITE reached the frozen node"
        carrier.wait()
    report = judge(carrier.records(), _front(lab), dead.address, frozen_at)
    print(f"\nkill -9 of node1's Asterisk (pid {killed}), frozen first so an INVITE was in flight:")
    print("\n".join(report.lines()))
    assert report.calls == 70 and report.after > 0
    assert in_flight in report.retried, "the INVITE in flight at the death was not retried elsewhere"
    assert report.held, (report.failed_after, report.failed_other, report.stranded)
    assert report.switch_seconds <= 5.0
    lab.start_node("node1")
    _takes_calls_again(lab, "node1", before, restarted="node1")


def test_a_node_cut_off_under_load(lab):
    before = _pids(lab)
    dead = lab.cluster().node("node2")
    try:
        with _carrier(lab, calls=60, rate=5, talk_ms=3000) as carrier:
            assert carrier.wait_invites(15), "the load did not start"
            cut_at = time.time()
            lab.cut_link("node2")
            carrier.wait()
    finally:
        lab.cut_link("node2", up=True)
    report = judge(carrier.records(), _front(lab), dead.address, cut_at)
    print("\nnode2's link cut:")
    print("\n".join(report.lines()))
    assert report.calls == 60 and report.after > 0
    assert report.held, (report.failed_after, report.failed_other, report.stranded)
    assert report.switch_seconds <= 5.0
    _takes_calls_again(lab, "node2", before, restarted=None)


def test_down_after_a_crashed_up_leaves_nothing(tmp_path):
    """`ivr cluster up` killed mid-way (a node's Asterisk already running): `down` removes every
    namespace, process and mount of that lab."""
    netns.require_root()
    base = Path(tempfile.mkdtemp(prefix="ivrc-"))
    name = f"c{OFFSET}"
    env = {**os.environ, "IVR_DATA_DIR": str(base / "var")}
    crashed = ClusterLab(_settings(base), name)
    try:
        up = subprocess.Popen([IVR, "cluster", "up", "--nodes", "2", "--name", name], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and up.poll() is None:
            try:
                if crashed.asterisk_pid("node1"):
                    break
            except Exception:  # noqa: BLE001 - the lab's files are still being written
                pass
            time.sleep(0.1)
        up.kill()
        up.wait()
        assert netns.existing(name), "the crash came too late or too early to leave anything behind"
        left = [p for ns in netns.existing(name) for p in netns.pids(ns)]
        done = subprocess.run([IVR, "cluster", "down", "--name", name], env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        assert netns.existing(name) == []
        assert not [p for p in left if netns.alive(p)], "processes of the lab survived down"
        mounts = Path("/proc/mounts").read_text()
        assert str(base) not in mounts and f"ivrc-{name}-" not in mounts
    finally:
        try:
            crashed.down()
        finally:
            shutil.rmtree(base, ignore_errors=True)
