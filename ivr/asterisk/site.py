"""The telephony site around the rules: trunks and lab contacts, read from ``trunks/*.yaml``.

routing_rules.yaml says *where calls go*; these files say *how Asterisk reaches the world*:

- ``carrier.yaml``: the carrier trunk, a PJSIP peer matched by source address (type=identify).
- ``departments.yaml``: the outbound trunk to departments' own lines (parallel destinations).
- ``lab.yaml`` (the site file): SIP and RTP listening addresses, this Asterisk's name
  (``system_name``, its own on every node of a cluster: :mod:`ivr.cluster`), and static agent
  contacts so SIPp can answer for agents. A production site leaves ``agents`` empty: softphones
  register.

Every problem is reported with its file, line and field, all at once.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ivr.core.rules_schema import Problem
from ivr.core.yaml_source import Source, YamlSyntaxError, parse
from ivr.errors import AsteriskError

CODECS = ("alaw", "ulaw", "gsm", "g722", "opus")
REPO_TRUNKS = Path(__file__).resolve().parent.parent.parent / "trunks"
_SIP_URI = re.compile(r"^sip:(?:[A-Za-z0-9_.+\-]+@)?[A-Za-z0-9.\-]+(?::\d{1,5})?$")
_ENDPOINT_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Asterisk's systemname: the prefix of every UNIQUEID and Linkedid it makes (docs/cluster.md)
SYSTEM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,15}$")


@dataclass(frozen=True)
class Carrier:
    match: tuple[str, ...]              # source addresses/networks of the carrier's signalling
    codecs: tuple[str, ...] = ("alaw", "ulaw")
    callback: str | None = None         # sip:host:port the carrier takes outgoing calls at (callbacks)


@dataclass(frozen=True)
class DepartmentsTrunk:
    contact: str                        # sip:host:port the departments' lines are reached at
    codecs: tuple[str, ...] = ("alaw", "ulaw")


@dataclass(frozen=True)
class Site:
    carrier: Carrier
    departments: DepartmentsTrunk
    sip_bind: str = "127.0.0.1"
    sip_port: int = 5060
    rtp_start: int = 10000
    rtp_end: int = 20000
    agent_contacts: dict[str, str] = field(default_factory=dict)  # agent id -> static contact
    system_name: str = "ivr12345"       # asterisk.conf systemname: each node of a cluster its own


class _Checker:
    """Collects problems with their lines while reading one file."""

    def __init__(self, source: Source, problems: list[Problem]) -> None:
        self.source, self.problems = source, problems

    def add(self, path: tuple, message: str) -> None:
        where = ".".join(str(p) for p in path)
        self.problems.append(Problem(self.source.name, self.source.line_of(path), where, message))

    def mapping(self, path: tuple, allowed: set[str], required: set[str] = frozenset()) -> dict:
        node = self.get(path)
        if node is None:
            node = {}
        if not isinstance(node, dict):
            self.add(path, "expected a mapping of keys")
            return {}
        for key in node:
            if key not in allowed:
                self.add(path + (key,), f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for key in sorted(required - set(node)):
            self.add(path, f"missing key {key!r}")
        return node

    def get(self, path: tuple):
        node = self.source.data
        for part in path:
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def port(self, path: tuple, default: int) -> int:
        raw = self.get(path)
        if raw is None:
            return default
        if not (isinstance(raw, str) and raw.isdigit() and 1 <= int(raw) <= 65535):
            self.add(path, f"{raw!r} is not a port number (1..65535)")
            return default
        return int(raw)

    def address(self, path: tuple, raw, network: bool = False) -> str | None:
        try:
            value = ipaddress.ip_network(raw, strict=False) if network else ipaddress.ip_address(raw)
        except (TypeError, ValueError):
            self.add(path, f"{raw!r} is not an IP {'address or network' if network else 'address'}")
            return None
        return str(value)

    def codecs(self, path: tuple) -> tuple[str, ...]:
        raw = self.get(path)
        if raw is None:
            return ("alaw", "ulaw")
        if not isinstance(raw, list) or not raw:
            self.add(path, "expected a non-empty list of codecs")
            return ("alaw", "ulaw")
        out = []
        for i, codec in enumerate(raw):
            if codec not in CODECS:
                self.add(path + (i,), f"unknown codec {codec!r} (known: {', '.join(CODECS)})")
            else:
                out.append(codec)
        return tuple(out) or ("alaw", "ulaw")

    def contact(self, path: tuple) -> str | None:
        raw = self.get(path)
        if not isinstance(raw, str) or not _SIP_URI.match(raw):
            self.add(path, f"{raw!r} is not a SIP contact like sip:host:port or sip:user@host:port")
            return None
        return raw


def _read(path: Path, problems: list[Problem]) -> Source | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem(str(path), 1, "", "file missing"))
        return None
    except (OSError, UnicodeDecodeError) as err:
        problems.append(Problem(str(path), 1, "", f"cannot read the file: {err}"))
        return None
    try:
        source = parse(text, str(path))
    except YamlSyntaxError as err:
        problems.append(Problem(str(path), err.line, "", str(err)))
        return None
    for dup_path, line, first in source.duplicates:
        problems.append(Problem(str(path), line, ".".join(map(str, dup_path)),
                                f"duplicate key (first written on line {first})"))
    if not isinstance(source.data, dict):
        problems.append(Problem(str(path), 1, "", "expected a mapping at the top of the file"))
        return None
    return source


def load_site(trunks_dir: Path | str, agent_ids: set[str] | None = None) -> Site:
    """Read ``carrier.yaml``, ``departments.yaml`` and ``lab.yaml`` from ``trunks_dir``.

    ``agent_ids`` (from the rules) lets lab contacts for unknown agents be caught. Raises
    AsteriskError listing every problem, each with file, line and field.
    """
    trunks_dir = Path(trunks_dir)
    problems: list[Problem] = []

    src = _read(trunks_dir / "carrier.yaml", problems)
    match: list[str] = []
    callback: str | None = None
    carrier_codecs: tuple[str, ...] = ("alaw", "ulaw")
    if src:
        c = _Checker(src, problems)
        c.mapping((), {"carrier"}, {"carrier"})
        node = c.mapping(("carrier",), {"match", "codecs", "callback"}, {"match"})
        raw = node.get("match")
        items = raw if isinstance(raw, list) else [raw] if raw is not None else []
        if raw is not None and not items:
            c.add(("carrier", "match"), "expected at least one address")
        for i, item in enumerate(items):
            path = ("carrier", "match", i) if isinstance(raw, list) else ("carrier", "match")
            value = c.address(path, item, network=True)
            if value:
                match.append(value)
        carrier_codecs = c.codecs(("carrier", "codecs"))
        if c.get(("carrier", "callback")) is not None:
            callback = c.contact(("carrier", "callback"))
    carrier = Carrier(match=tuple(match), codecs=carrier_codecs, callback=callback)

    src = _read(trunks_dir / "departments.yaml", problems)
    contact, dep_codecs = None, ("alaw", "ulaw")
    if src:
        c = _Checker(src, problems)
        c.mapping((), {"departments"}, {"departments"})
        c.mapping(("departments",), {"contact", "codecs"}, {"contact"})
        if c.get(("departments", "contact")) is not None:
            contact = c.contact(("departments", "contact"))
        dep_codecs = c.codecs(("departments", "codecs"))
    departments = DepartmentsTrunk(contact=contact or "sip:127.0.0.1:5301", codecs=dep_codecs)

    site_kw: dict = {}
    lab = trunks_dir / "lab.yaml"
    if lab.exists():
        src = _read(lab, problems)
        if src:
            c = _Checker(src, problems)
            c.mapping((), {"sip", "rtp", "agents", "system_name"})
            c.mapping(("sip",), {"bind", "port"})
            c.mapping(("rtp",), {"start", "end"})
            bind = c.get(("sip", "bind"))
            if bind is not None:
                site_kw["sip_bind"] = c.address(("sip", "bind"), bind) or "127.0.0.1"
            site_kw["sip_port"] = c.port(("sip", "port"), 5060)
            site_kw["rtp_start"] = c.port(("rtp", "start"), 10000)
            site_kw["rtp_end"] = c.port(("rtp", "end"), 20000)
            if site_kw["rtp_start"] >= site_kw["rtp_end"]:
                c.add(("rtp",), "start must be below end")
            name = c.get(("system_name",))
            if name is not None:
                if isinstance(name, str) and SYSTEM_NAME.match(name):
                    site_kw["system_name"] = name
                else:
                    c.add(("system_name",), f"{name!r} is not a system name (a lower-case letter, "
                                            "then up to 15 lower-case letters, digits or _)")
            agents = c.get(("agents",)) or {}
            if not isinstance(agents, dict):
                c.add(("agents",), "expected a mapping of agent id to sip: contact")
                agents = {}
            contacts: dict[str, str] = {}
            for agent, _ in agents.items():
                path = ("agents", agent)
                if not _ENDPOINT_ID.match(agent):
                    c.add(path, "agent ids are lower-case letters, digits and _")
                    continue
                if agent_ids is not None and agent not in agent_ids:
                    c.add(path, f"no agent {agent!r} in the routing rules")
                    continue
                value = c.contact(path)
                if value:
                    contacts[agent] = value
            site_kw["agent_contacts"] = contacts

    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise AsteriskError(f"the trunk files in {trunks_dir} have {len(problems)} problem(s):\n{lines}")
    return Site(carrier=carrier, departments=departments, **site_kw)


def write_lab_trunks(folder: Path, *, sip_port: int, rtp: tuple[int, int], department_port: int,
                     agent_ports: Mapping[str, int], source: Path | None = None,
                     tls_port: int | None = None, carrier_port: int | None = None,
                     carrier_match: tuple[str, ...] | None = None) -> Path:
    """Trunk files for an Asterisk on loopback played by SIPp (tests, the demo, the benchmark):
    the repository's carrier trunk and softphones' settings as they are, its departments' trunk
    pointed at the SIPp standing in for the departments' lines, and a ``lab.yaml`` with the SIP
    and RTP ports and a static contact per agent (``agent_ports``: agent id -> the SIPp port
    answering for it; agents left out register from softphones). Softphones get TLS only with a
    ``tls_port`` of the lab's own (the repository's 5061 is a machine-wide default).
    ``carrier_match``: where the lab's carrier calls from (the cluster's lab: its own namespace)."""
    import yaml

    source = Path(source) if source else REPO_TRUNKS
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    carrier = yaml.safe_load((source / "carrier.yaml").read_text(encoding="utf-8"))
    if carrier_port is not None:  # the SIPp standing in for citizens' phones answers callbacks there
        carrier["carrier"]["callback"] = f"sip:127.0.0.1:{int(carrier_port)}"
    if carrier_match is not None:
        carrier["carrier"]["match"] = list(carrier_match)
    (folder / "carrier.yaml").write_text(yaml.safe_dump(carrier, allow_unicode=True), encoding="utf-8")
    if (source / "phones.yaml").exists():
        phones = yaml.safe_load((source / "phones.yaml").read_text(encoding="utf-8"))
        settings = phones["phones"]
        if tls_port is None:
            settings["transports"] = [t for t in settings.get("transports", ["udp"]) if t != "tls"]
            settings["srtp"] = "off"
        else:
            settings["tls_port"] = int(tls_port)
        (folder / "phones.yaml").write_text(yaml.safe_dump(phones), encoding="utf-8")
    departments = yaml.safe_load((source / "departments.yaml").read_text(encoding="utf-8"))
    departments["departments"]["contact"] = f"sip:127.0.0.1:{int(department_port)}"
    (folder / "departments.yaml").write_text(yaml.safe_dump(departments), encoding="utf-8")
    lab = {"sip": {"bind": "127.0.0.1", "port": int(sip_port)},
           "rtp": {"start": int(rtp[0]), "end": int(rtp[1])},
           "agents": {a: f"sip:{a}@127.0.0.1:{int(p)}" for a, p in sorted(agent_ports.items())}}
    (folder / "lab.yaml").write_text(yaml.safe_dump(lab), encoding="utf-8")
    return folder
