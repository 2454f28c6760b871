"""Each node's own site files and settings, derived from the centre's site and the layout.

A node is the single-box engine's Asterisk with three differences, all in its site files
(``trunks/`` of that node), so ``ivr asterisk up`` renders and runs it unchanged:

- ``lab.yaml`` ``system_name``: the node's name, Asterisk's ``systemname``: every UNIQUEID and
  Linkedid it makes starts with it (``node1-1764...``), so two nodes never make the same one;
- ``lab.yaml`` ``sip.bind``/``sip.port``: the node's own address, where Kamailio sends calls;
- ``carrier.yaml`` ``match``: Kamailio's address. The node takes citizens' calls from Kamailio
  only; Kamailio takes them from the carrier's addresses only (:mod:`ivr.cluster.kamailio`).

The Asterisk secrets (AMI accounts, agents' SIP passwords) are the centre's, one set copied to
every node: an agent's phone keeps its password whichever node it registers to.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from ivr.asterisk.secrets import Secrets, load_or_create, secrets_path
from ivr.asterisk.site import load_site
from ivr.cluster.layout import LAYOUT_FILE, Cluster, Node
from ivr.errors import ClusterError
from ivr.settings import Settings

SITE_FILES = ("carrier.yaml", "departments.yaml", "phones.yaml", "lab.yaml")


def _load(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, yaml.YAMLError) as err:
        raise ClusterError(f"cannot read {path}: {err}") from None
    return data if isinstance(data, dict) else {}


def write_node_site(site_dir: Path, cluster: Cluster, node: Node, out: Path) -> Path:
    """The site files of ``node`` in ``out``: the centre's (``site_dir``) with the node's name,
    address and Kamailio as the carrier. Checked by loading them as ``ivr asterisk up`` will."""
    site_dir, out = Path(site_dir), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in SITE_FILES:
        if (site_dir / name).exists() and name not in ("carrier.yaml", "lab.yaml"):
            shutil.copyfile(site_dir / name, out / name)
    carrier = _load(site_dir / "carrier.yaml")
    carrier.setdefault("carrier", {})["match"] = [cluster.kamailio_address]
    (out / "carrier.yaml").write_text(
        "# Rendered by `ivr cluster` for node " + node.name + ": the carrier's calls come through "
        "Kamailio.\n" + yaml.safe_dump(carrier, allow_unicode=True), encoding="utf-8")
    lab = _load(site_dir / "lab.yaml")
    lab.setdefault("sip", {}).update({"bind": node.address, "port": node.port})
    lab["system_name"] = node.name
    (out / "lab.yaml").write_text(
        f"# Rendered by `ivr cluster` for node {node.name}: its name, its address.\n"
        + yaml.safe_dump(lab, allow_unicode=True), encoding="utf-8")
    load_site(out)  # the same checks `ivr asterisk up` makes, before anything starts
    return out


def carrier_networks(site_dir: Path) -> tuple[str, ...]:
    """The carrier's addresses (carrier.yaml ``match``): the only sources Kamailio takes calls from."""
    return load_site(site_dir).carrier.match


@dataclass(frozen=True)
class NodeHome:
    """Where one node keeps its files on the machine that runs it (or in the lab's folder)."""

    folder: Path

    @property
    def trunks(self) -> Path:
        return self.folder / "trunks"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def recordings(self) -> Path:
        return self.folder / "recordings"

    def env(self, settings: Settings, cluster: Cluster) -> dict[str, str]:
        """The IVR_* settings of the node's own processes (``ivr asterisk up``, ``ivr agents``):
        its folders, its site, the centre's rules and the cluster's database. AMI and FastAGI
        stay on the node's loopback: in its own network namespace (the lab) or machine, they
        are the node's alone."""
        return {"IVR_DATA_DIR": str(self.data), "IVR_RECORDINGS_DIR": str(self.recordings),
                "IVR_TRUNKS": str(self.trunks), "IVR_RULES": str(Path(settings.rules_path).resolve()),
                "IVR_DATABASE_URL": cluster.database_url,
                "IVR_ASTERISK_CACHE": str(settings.asterisk_cache),
                "IVR_AMI_HOST": "127.0.0.1", "IVR_AMI_PORT": "5038",
                "IVR_AGI_HOST": "127.0.0.1", "IVR_AGI_PORT": "4573"}

    def settings(self, settings: Settings, cluster: Cluster) -> Settings:
        return Settings.from_env(self.env(settings, cluster))


def share_secrets(centre_data: Path, homes: list[NodeHome], agent_ids) -> Secrets:
    """The centre's Asterisk secrets (made once), copied to every node's data folder (0600)."""
    source = secrets_path(centre_data)
    secrets = load_or_create(source, agent_ids)
    for home in homes:
        target = secrets_path(home.data)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.parent.chmod(0o700)
        shutil.copyfile(source, target)
        target.chmod(0o600)
    return secrets


def layout_file(site_dir: Path) -> Path:
    return Path(site_dir) / LAYOUT_FILE
