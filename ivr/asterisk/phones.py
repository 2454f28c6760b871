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
      http_port: 8088               # Asterisk's HTTP server for them, on loopback: SIP over
                                    # WebSocket at /ws, reached only through the console

Without the file no agent can register (the lab's static contacts still work).

Who may speak as whom. Asterisk finds a request's endpoint by its source address first (the
carrier, ``identify``), then by its From user, which only the agents' endpoints accept (each then
proves it with its digest password). Identification by address is sound only if no one else sends
from the carrier's addresses: :func:`identity_problems` refuses a softphones' network, or the
console's relay of the browser phones (:data:`CONSOLE_RELAY`), that covers one of them.
Asterisk's HTTP server checks no ``Origin``: its WebSocket is bound to loopback and reached only
through the console's ``/phone/ws``, which checks the Origin and the agent's session
(:mod:`ivr.web.phone_relay`).
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
# Where the console's relay of the browser phones reaches Asterisk's WebSocket from (and where
# Asterisk's HTTP server listens): the browser phones' endpoints accept SIP from here only.
CONSOLE_RELAY = "127.0.0.1/32"
RELAY_HOST = "127.0.0.1"


@dataclass(frozen=True)
class Phones:
    networks: tuple[str, ...] = ()          # source networks softphones may use
    transports: tuple[str, ...] = ("udp",)
    tls_port: int = 5061
    srtp: str = "off"
    qualify_frequency: int = 30
    webrtc: tuple[str, ...] = ()            # agents whose phone is the browser (WebRTC)
    http_port: int = 8088                   # Asterisk's HTTP server (ws) for them, on loopback

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
        if c.get(("phones", "https_port")) is not None:
            c.add(("phones", "https_port"), "no longer used: browser phones reach Asterisk through the "
                  "console (wss when the console is served over https); remove it")
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
    departments' trunk (its in-dialog BYEs), the lab's static contacts, the softphones, and the
    console's relay when an agent's phone is the browser."""
    found: list[str] = list(site.carrier.match)
    contacts = [site.departments.contact] + [c for _, c in sorted(site.agent_contacts.items())]
    found += [host for host in map(contact_host, contacts) if host]
    found += list(phones.networks)
    if phones.webrtc:
        found.append(CONSOLE_RELAY)
    return list(dict.fromkeys(found))


def identity_problems(site: Site, phones: Phones) -> list[str]:
    """Why the carrier could not be told apart by its address: a softphones' network (or the
    console's relay of the browser phones) that covers one of the carrier's addresses would let
    an agent's phone, or any page in an agent's browser, send citizens' calls as the carrier."""
    others = [(net, "trunks/phones.yaml networks") for net in phones.networks]
    if phones.webrtc:
        others.append((CONSOLE_RELAY, "the console's relay of the browser phones (phones.yaml webrtc)"))
    problems = []
    for carrier in site.carrier.match:
        for net, what in others:
            if ipaddress.ip_network(carrier).overlaps(ipaddress.ip_network(net)):
                problems.append(f"trunks/carrier.yaml match {carrier} overlaps {net} ({what}): "
                                "SIP from there would be taken for the carrier's citizens' calls")
    return problems


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
