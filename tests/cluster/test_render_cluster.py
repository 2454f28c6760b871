"""The cluster's files rendered from the shipped example layout, against golden files, and
checked by Kamailio itself (`kamailio -c`; Debian's package, tools/install-kamailio.sh).

After an intended change, regenerate with ``IVR_UPDATE_GOLDEN=1 pytest tests/cluster`` and
review the diff.
"""
from __future__ import annotations

import dataclasses
import os
import re
import shutil
from pathlib import Path

import pytest

from support import REPO, RULES_FILE
from ivr.asterisk.install import DEBIAN_LAYOUT
from ivr.asterisk.layout import Layout
from ivr.asterisk.phones import load_phones
from ivr.asterisk.render import RenderInput, render
from ivr.asterisk.secrets import Secrets
from ivr.asterisk.site import load_site
from ivr.cluster import kamailio
from ivr.cluster.deploy import PRODUCTION
from ivr.cluster.layout import load_cluster
from ivr.cluster.nodes import carrier_networks, write_node_site
from ivr.errors import ClusterError
from ivr.rules_file import load_rules

GOLDEN = REPO / "tests" / "golden" / "cluster"


@pytest.fixture
def site(tmp_path) -> Path:
    """The repository's site folder with the example layout in force."""
    folder = tmp_path / "site"
    shutil.copytree(REPO / "trunks", folder)
    shutil.copyfile(folder / "cluster.yaml.example", folder / "cluster.yaml")
    return folder


def _golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("IVR_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"{name} differs from {golden}"


@pytest.mark.parametrize("name", kamailio.FILES)
def test_kamailio_files_match_golden(site, name):
    files = kamailio.render(load_cluster(site), carrier_networks(site), PRODUCTION)
    _golden(f"kamailio/{name}", files[name])


def test_kamailio_accepts_its_rendered_configuration(site, tmp_path):
    """`kamailio -c` on every variant: call load and weight, lab logging on and off."""
    cluster = load_cluster(site)
    for variant in (cluster, dataclasses.replace(cluster, dispatch="weight")):
        for lab in (False, True):
            out = tmp_path / f"{variant.dispatch}-{lab}"
            files = kamailio.render(variant, ("10.20.0.0/16", "127.0.0.1/32"), kamailio.Paths.under(out),
                                    log_stderr=lab, log_calls=lab)
            assert kamailio.check(kamailio.write(files, out)[0]) == "config file ok"


def test_kamailio_check_names_what_it_refuses(tmp_path):
    bad = tmp_path / "kamailio.cfg"
    bad.write_text('#!KAMAILIO\nloadmodule "no_such_module.so"\nrequest_route { exit; }\n')
    with pytest.raises(ClusterError) as err:
        kamailio.check(bad)
    assert "kamailio refuses" in str(err.value) and "no_such_module" in str(err.value)


def test_what_the_front_promises(site):
    cluster = load_cluster(site)
    cfg, listed = (kamailio.render(cluster, ("192.0.2.0/24",), PRODUCTION)[name] for name in kamailio.FILES)
    # probing: every node flagged 8, OPTIONS every second, only 2xx alive (never Kamailio's own 408)
    assert all(line.split()[2] == "8" for line in listed.splitlines() if line.startswith("1 "))
    assert 'modparam("dispatcher", "ds_ping_reply_codes", "class=2")' in cfg
    assert not re.search(r"ping_reply_codes.*(408|class=4)", cfg) and 'modparam("dispatcher", "ds_probing_mode", 1)' in cfg
    # call load: algorithm 10, a duid and maxload per node, the hash table it needs
    assert 'ds_select_dst("1", "10")' in cfg and 'modparam("dispatcher", "ds_hash_size", 9)' in cfg
    assert re.findall(r"duid=(node\d);weight=\d+;maxload=300", listed) == ["node1", "node2", "node3"]
    # the next node on silence or 5xx, soon enough
    assert 'modparam("tm", "fr_timer", 1000)' in cfg and "ds_next_dst()" in cfg
    assert 't_check_status("5[0-9][0-9]")' in cfg and "t_branch_timeout()" in cfg
    assert "record_route();" in cfg
    # a node out after 3 silences in a row; with every node out, every node in turn rather than an error
    assert 'modparam("dispatcher", "ds_probing_threshold", 3)' in cfg and 'ds_mark_dst("tp")' in cfg
    assert 'ds_select_dst("2", "4")' in cfg
    assert len(re.findall(r"(?m)^2 sip:10\.11\.1\.1[123]:5060 0 0 duid=node[123]$", listed)) == 3
    # only the carrier's addresses start calls
    assert 'is_in_subnet("$si", "192.0.2.0/24")' in cfg and 'sl_send_reply("403", "Forbidden")' in cfg
    weight = kamailio.render(dataclasses.replace(cluster, dispatch="weight"), ("192.0.2.0/24",), PRODUCTION)
    assert 'ds_select_dst("1", "9")' in weight["kamailio.cfg"] and "ds_hash_size" not in weight["kamailio.cfg"]
    assert [int(w) for w in re.findall(r"weight=(\d+)", weight["dispatcher.list"])] == [34, 33, 33]


def test_no_carrier_address_no_front(site):
    with pytest.raises(ClusterError, match="names no carrier address"):
        kamailio.render(load_cluster(site), (), PRODUCTION)


@pytest.mark.parametrize("name", ("asterisk.conf", "pjsip.conf"))
def test_each_node_renders_its_own_asterisk(site, tmp_path, name):
    """node2's configuration: its systemname, its SIP address, Kamailio as the carrier."""
    cluster = load_cluster(site)
    rules = dataclasses.replace(load_rules(RULES_FILE), sha256="0" * 63 + "1")
    trunks = write_node_site(site, cluster, cluster.node("node2"), tmp_path / "node2")
    node_site = load_site(trunks, set(rules.agents))
    assert node_site.system_name == "node2" and node_site.sip_bind == "10.11.1.12"
    assert node_site.carrier.match == ("10.11.1.10/32",)
    secrets = Secrets(ami_user="ivr-engine", ami_secret="TEST-AMI-SECRET",
                      agent_passwords={a: f"TEST-SECRET-{a}" for a in rules.agents},
                      console_ami_secret="TEST-AMI-SECRET-console")
    layout = Layout(runtime=Path("/var/lib/ivr-12345/asterisk"), recordings=Path("/srv/ivr-12345/recordings"))
    files = render(RenderInput(rules=rules, site=node_site, secrets=secrets, install=DEBIAN_LAYOUT,
                               layout=layout, phones=load_phones(trunks)))
    _golden(f"node2/{name}", files[name])


def test_a_bad_system_name_is_refused_with_its_line(tmp_path):
    folder = tmp_path / "site"
    shutil.copytree(REPO / "trunks", folder)
    (folder / "lab.yaml").write_text("sip: {bind: 127.0.0.1}\nsystem_name: Node 1\n")
    with pytest.raises(Exception) as err:
        load_site(folder)
    assert "lab.yaml:2: system_name: 'Node 1' is not a system name" in str(err.value)
