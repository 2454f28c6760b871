"""The agents' softphones (the production profile), read from ``trunks/phones.yaml``.

An agent with no static contact in ``lab.yaml`` has a softphone that registers: its endpoint
authenticates with digest (a per-agent password generated at deploy time, see
:mod:`ivr.asterisk.secrets`), accepts requests only from the networks named here, keeps one
contact, and is qualified (OPTIONS) so a phone that went away stops being offered calls.

Everything else is refused before it is even identified: Asterisk's global ACL lets through
only the carrier's addresses, the departments' trunk, the lab's static contacts and these
networks (:func:`permitted_sources`); a refused request is a ``FailedACL`` security event.

``phones.yaml``::

    phones:
      networks: [10.12.0.0/16]      # where the softphones are (the agents' LAN)
      transports: [udp, tcp, tls]   # tls: signalling over TLS with a certificate made at deploy
      tls_port: 5061
      srtp: required                # off | optional | required (SDES keys travel only over TLS)
      qualify_frequency: 30         # seconds between OPTIONS to each registered phone
      webrtc: [agent4]              # agents whose phone is the browser (the console's /phone)
      http_port: 8088               # Asterisk's HTTP server for them: SIP over WebSocket at /ws
      https_port: 8089              # the same over TLS (wss), with tls in transports

Without the file no agent can register (the lab's static contacts still work).
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from ivr.asterisk.site import Site, _Checker, _read
from ivr.core.rules_schema import Problem
from ivr.errors import AsteriskError

TRANSPORTS = ("udp", "tcp", "tls")
SRTP = ("off", "optional", "required")
_AGENT_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Phones:
    networks: tuple[str, ...] = ()          # source networks softphones may use
    transports: tuple[str, ...] = ("udp",)
    tls_port: int = 5061
    srtp: str = "off"
    qualify_frequency: int = 30
    webrtc: tuple[str, ...] = ()            # agents whose phone is the browser (WebRTC)
    http_port: int = 8088                   # Asterisk's HTTP server (ws) for them
    https_port: int = 8089                  # and over TLS (wss)

    @property
    def tls(self) -> bool:
        return "tls" in self.transports


def load_phones(trunks_dir: Path | str, agent_ids: set[str] | None = None) -> Phones:
    """``phones.yaml`` of ``trunks_dir`` (defaults when absent); AsteriskError with every problem.
    ``agent_ids`` (from the rules) lets a browser phone for an unknown agent be caught."""
    path = Path(trunks_dir) / "phones.yaml"
    if not path.exists():
        return Phones()
    problems: list[Problem] = []
    src = _read(path, problems)
    kw: dict = {}
    if src:
        c = _Checker(src, problems)
        c.mapping((), {"phones"}, {"phones"})
        c.mapping(("phones",), {"networks", "transports", "tls_port", "srtp", "qualify_frequency",
                                "webrtc", "http_port", "https_port"})
        nets = c.get(("phones", "networks")) or []
        if not isinstance(nets, list):
            c.add(("phones", "networks"), "expected a list of networks, e.g. [10.12.0.0/16]")
            nets = []
        kw["networks"] = tuple(n for i, raw in enumerate(nets)
                               if (n := c.address(("phones", "networks", i), raw, network=True)))
        transports = c.get(("phones", "transports")) or ["udp"]
        if not isinstance(transports, list) or not transports:
            c.add(("phones", "transports"), f"expected a list of transports ({', '.join(TRANSPORTS)})")
            transports = ["udp"]
        for i, name in enumerate(transports):
            if name not in TRANSPORTS:
                c.add(("phones", "transports", i), f"unknown transport {name!r} (known: {', '.join(TRANSPORTS)})")
        kw["transports"] = tuple(t for t in TRANSPORTS if t in transports)
        kw["tls_port"] = c.port(("phones", "tls_port"), 5061)
        srtp = c.get(("phones", "srtp")) or "off"
        if srtp not in SRTP:
            c.add(("phones", "srtp"), f"{srtp!r}: expected one of {', '.join(SRTP)}")
        elif srtp != "off" and "tls" not in kw["transports"]:
            c.add(("phones", "srtp"), "SRTP keys (SDES) travel in the signalling: add tls to transports")
        kw["srtp"] = srtp if srtp in SRTP else "off"
        qualify = c.get(("phones", "qualify_frequency")) or "30"
        if not (isinstance(qualify, str) and qualify.isdigit() and 5 <= int(qualify) <= 3600):
            c.add(("phones", "qualify_frequency"), f"{qualify!r}: expected seconds from 5 to 3600")
            qualify = "30"
        kw["qualify_frequency"] = int(qualify)
        kw["webrtc"] = _browser_agents(c, agent_ids)
        kw["http_port"] = c.port(("phones", "http_port"), 8088)
        kw["https_port"] = c.port(("phones", "https_port"), 8089)
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise AsteriskError(f"{path} has {len(problems)} problem(s):\n{lines}")
    return Phones(**kw)


def _browser_agents(c: _Checker, agent_ids: set[str] | None) -> tuple[str, ...]:
    raw = c.get(("phones", "webrtc")) or []
    if not isinstance(raw, list):
        c.add(("phones", "webrtc"), "expected a list of agent ids, e.g. [agent4]")
        return ()
    found = []
    for i, agent in enumerate(raw):
        if not (isinstance(agent, str) and _AGENT_ID.match(agent)):
            c.add(("phones", "webrtc", i), f"{agent!r} is not an agent id")
        elif agent_ids is not None and agent not in agent_ids:
            c.add(("phones", "webrtc", i), f"no agent {agent!r} in the routing rules")
        else:
            found.append(agent)
    return tuple(dict.fromkeys(found))


def permitted_sources(site: Site, phones: Phones) -> list[str]:
    """Every network Asterisk accepts SIP requests from, in a stable order: the carrier, the
    departments' trunk (its in-dialog BYEs), the lab's static contacts, the softphones."""
    found: list[str] = list(site.carrier.match)
    contacts = [site.departments.contact] + [c for _, c in sorted(site.agent_contacts.items())]
    found += [host for host in map(contact_host, contacts) if host]
    found += list(phones.networks)
    return list(dict.fromkeys(found))


def contact_host(contact: str) -> str:
    """The address of a lab agent's static contact, as an ACL entry (or "" for a host name)."""
    host = (contact or "").removeprefix("sip:").rpartition("@")[2].split(":")[0]
    try:
        return str(ipaddress.ip_network(host))
    except ValueError:
        return ""  # a host name: Asterisk's ACL takes addresses only


def phone_sheets(rules, site: Site, phones: Phones, passwords: dict[str, str]) -> list[dict]:
    """What each agent types into a softphone: server, user, password, transports; or, for an
    agent the lab answers for with SIPp, its static contact (it does not register)."""
    transports = [f"{t} {site.sip_bind}:{phones.tls_port if t == 'tls' else site.sip_port}"
                  for t in phones.transports]
    sheets = []
    for agent in rules.agents.values():
        sheet = {"agent": agent.id, "name": agent.name, "queues": list(agent.queues)}
        if agent.id in site.agent_contacts:
            sheet["lab_contact"] = site.agent_contacts[agent.id]
        else:
            sheet.update(server=site.sip_bind, port=site.sip_port, user=agent.id,
                         password=passwords.get(agent.id, ""), transports=transports,
                         srtp=phones.srtp if phones.tls else "off", networks=list(phones.networks))
        sheets.append(sheet)
    return sheets
