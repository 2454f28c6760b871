"""The agents' softphones in the rendered configuration: digest auth, registration, the SIP ACL,
the lab's static contacts kept apart, TLS and SRTP, and what the departments' trunk may dial.

The production profile (no static contact: every agent registers) is pinned by its own golden
file, ``tests/golden/asterisk/production/pjsip.conf``; regenerate it like the others with
``IVR_UPDATE_GOLDEN=1``.
"""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess

import pytest

from support import REPO, RULES_FILE
from test_render import _input
from ivr.asterisk import tls
from ivr.asterisk.phones import Phones, load_phones, permitted_sources
from ivr.asterisk.render import render
from ivr.core.agent_phone import department_lines
from ivr.errors import AsteriskError
from ivr.rules_file import load_rules

GOLDEN = REPO / "tests" / "golden" / "asterisk" / "production"
CENTRE = Phones(networks=("10.12.0.0/16",), transports=("udp", "tcp", "tls"), tls_port=5061,
                srtp="required", qualify_frequency=30)


def _production(phones: Phones = CENTRE) -> dict[str, str]:
    inp = _input()
    return render(dataclasses.replace(inp, site=dataclasses.replace(inp.site, agent_contacts={}),
                                      phones=phones))


def _section(text: str, name: str, kind: str) -> str:
    """The body of ``[name]`` whose ``type`` is ``kind`` (PJSIP repeats names across types)."""
    for match in re.finditer(rf"(?ms)^\[{re.escape(name)}\]\n(.*?)(?=^\[|\Z)", text):
        if f"type = {kind}\n" in match.group(1):
            return match.group(1)
    raise AssertionError(f"no [{name}] of type {kind}")


def test_production_profile_matches_golden_file():
    text = _production()["pjsip.conf"]
    golden = GOLDEN / "pjsip.conf"
    if os.environ.get("IVR_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_every_agent_authenticates_registers_one_contact_and_is_qualified():
    text = _production()["pjsip.conf"]
    rules = load_rules(RULES_FILE)
    for agent in rules.agents.values():
        endpoint = _section(text, agent.id, "endpoint")
        assert f"auth = {agent.id}-auth\n" in endpoint
        assert "context = ivr-agent\n" in endpoint
        assert "transport =" not in endpoint  # the registered contact's transport is used
        assert "deny = 0.0.0.0/0.0.0.0\npermit = 10.12.0.0/16\n" in endpoint
        assert "contact_deny = 0.0.0.0/0.0.0.0\ncontact_permit = 10.12.0.0/16\n" in endpoint
        assert "media_encryption = sdes\nmedia_encryption_optimistic = no\n" in endpoint
        assert f"set_var = IVR_AGENT_QUEUES={'&'.join(agent.queues)}\n" in endpoint
        assert "set_var = TRANSFER_CONTEXT=ivr-department-lines\n" in endpoint
        aor = _section(text, agent.id, "aor")
        assert "max_contacts = 1\n" in aor and "remove_existing = yes\n" in aor
        assert "qualify_frequency = 30\n" in aor and "contact =" not in aor
    assert "LAB ONLY" not in text


def test_lab_contacts_are_rendered_apart_and_only_from_their_own_address():
    text = render(_input())["pjsip.conf"]
    lab = text[text.index("; --- LAB ONLY"):]
    for n in range(1, 9):
        assert f"contact = sip:agent{n}@127.0.0.1:510{n}\n" in lab
    endpoint = _section(text, "agent1", "endpoint")
    assert "transport = transport-udp\n" in endpoint and "permit = 127.0.0.1/32\n" in endpoint
    assert "qualify_frequency" not in _section(text, "agent1", "aor")


def test_transports_tls_and_the_acl():
    text = _production()["pjsip.conf"]
    assert "[transport-tcp]\ntype = transport\nprotocol = tcp\nbind = 127.0.0.1:5060\n" in text
    tls_section = _section(text, "transport-tls", "transport")
    assert "bind = 127.0.0.1:5061\n" in tls_section
    assert "cert_file = /var/lib/ivr-12345/asterisk/etc/keys/asterisk.crt\n" in tls_section
    acl = _section(text, "acl-sources", "acl")
    assert re.findall(r"(?m)^(deny|permit) = (.*)$", acl) == [
        ("deny", "0.0.0.0/0.0.0.0"), ("permit", "127.0.0.1/32"), ("permit", "10.12.0.0/16")]
    udp_only = _production(Phones(networks=("10.12.0.0/16",)))["pjsip.conf"]
    assert "transport-tcp" not in udp_only and "transport-tls" not in udp_only
    assert "media_encryption" not in udp_only


def test_passwords_stay_in_the_secret_file():
    files = _production()
    assert "TEST-SECRET" not in files["pjsip.conf"]
    assert "password = TEST-SECRET-agent5\n" in files["pjsip_secrets.conf"]


def test_permitted_sources_name_the_departments_trunk_and_lab_contacts_once():
    site = _input().site
    site = dataclasses.replace(site, departments=dataclasses.replace(site.departments, contact="sip:10.9.0.5:5060"),
                               agent_contacts={"agent1": "sip:agent1@127.0.0.3:5101",
                                               "agent2": "sip:agent2@pbx.example:5102"})
    assert permitted_sources(site, CENTRE) == ["127.0.0.1/32", "10.9.0.5/32", "127.0.0.3/32", "10.12.0.0/16"]


def test_the_shipped_phones_file_reads():
    phones = load_phones(REPO / "trunks")
    assert phones.networks == ("10.12.0.0/16",) and phones.transports == ("udp", "tcp")
    assert phones.srtp == "off" and not phones.tls
    assert load_phones(REPO / "no-such-folder") == Phones()


@pytest.mark.parametrize("text, expected", [
    ("phones:\n  networks: [lan]\n", "phones.yaml:2: phones.networks.0: 'lan' is not an IP address or network"),
    ("phones:\n  transports: [udp, sctp]\n", "phones.yaml:2: phones.transports.1: unknown transport 'sctp'"),
    ("phones:\n  srtp: required\n", "phones.yaml:2: phones.srtp: SRTP keys (SDES) travel in the signalling"),
    ("phones:\n  srtp: maybe\n", "phones.yaml:2: phones.srtp: 'maybe': expected one of off, optional, required"),
    ("phones:\n  qualify_frequency: 1\n", "phones.yaml:2: phones.qualify_frequency: '1': expected seconds"),
    ("phones:\n  tls_port: 70000\n", "phones.yaml:2: phones.tls_port: '70000' is not a port number"),
    ("phones:\n  password: x\n", "phones.yaml:2: phones.password: unknown key"),
])
def test_bad_phones_file_is_reported_with_line_and_field(tmp_path, text, expected):
    (tmp_path / "phones.yaml").write_text(text)
    with pytest.raises(AsteriskError) as err:
        load_phones(tmp_path)
    assert expected in str(err.value)


def test_the_departments_trunk_dials_only_the_departments_own_lines():
    """Toll fraud, in the configuration: the only Dial()s through the departments' trunk are the
    parallel call (a checked line) and [ivr-department-call], reached only from the rendered
    [ivr-department-lines], whose extensions are exactly the rules' department lines."""
    rules = load_rules(RULES_FILE)
    files = render(_input())
    library = {p.name: p.read_text() for p in (REPO / "dialplan").glob("*.conf")}
    dials = sorted((name, line.strip()) for name, text in library.items() for line in text.splitlines()
                   if "@departments" in line)
    assert dials == [("agent.conf", "same = n,Dial(PJSIP/${IVR_DESTINATION}@departments,60)"),
                     ("dial.conf", "same = n(dial),Dial(PJSIP/${IVR_DESTINATION}@departments,"
                                   "${IVR_DIAL_TIMEOUT},U(ivr-answered^dial:${IVR_DESTINATION}))")]
    assert "@departments" not in files["extensions.conf"]
    assert "Gosub(ivr-department-call" not in "".join(library.values())
    text = files["extensions.conf"]
    block = text[text.index("[ivr-department-lines]"):text.index("[ivr-agent-codes]")]
    canonical = set(re.findall(r"(?m)^exten = (\d+),1,Gosub\(ivr-department-call,s,1\(\1\)\)$", block))
    assert canonical == set(department_lines(rules)) and len(canonical) == 14
    others = re.findall(r"(?m)^exten = ([^,]+),1,Goto\((\d+),1\)$", block)
    assert {target for _, target in others} == canonical and len(others) == 3 * 14
    assert len(re.findall(r"(?m)^exten = ", block)) == 4 * 14  # no pattern, nothing else


def test_certificate_is_made_once_with_a_private_key(tmp_path):
    cert, key = tls.ensure_certificate(tmp_path / "tls", "127.0.0.1")
    assert key.stat().st_mode & 0o777 == 0o600 and (tmp_path / "tls").stat().st_mode & 0o777 == 0o700
    text = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-text"], capture_output=True,
                          text=True, check=True).stdout
    assert "IP Address:127.0.0.1" in text
    again = tls.ensure_certificate(tmp_path / "tls", "127.0.0.1")
    assert again == (cert, key) and cert.read_bytes() == again[0].read_bytes()
    installed = tls.install(cert, key, tmp_path / "etc")
    assert [p.name for p in installed] == ["asterisk.crt", "asterisk.key"]
    assert installed[1].stat().st_mode & 0o777 == 0o600


def _with_carrier(match: tuple[str, ...], phones: Phones) -> dict[str, str]:
    inp = _input()
    site = dataclasses.replace(inp.site, agent_contacts={},
                               carrier=dataclasses.replace(inp.site.carrier, match=match))
    return render(dataclasses.replace(inp, site=site, phones=phones))


def test_a_browser_phone_is_a_webrtc_endpoint_reached_only_through_the_console():
    files = _with_carrier(("10.20.0.1",), dataclasses.replace(CENTRE, webrtc=("agent4",)))
    text = files["pjsip.conf"]
    browser = _section(text, "agent4", "endpoint")
    assert "webrtc = yes\nrewrite_contact = yes\n" in browser
    assert "contact_deny" not in browser and "media_encryption" not in browser  # DTLS-SRTP instead
    # its SIP comes only from the console's relay on loopback, never from the agents' LAN
    assert "deny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.1/32\n" in browser and "10.12.0.0/16" not in browser
    assert "identify_by = username\n" in browser
    assert "webrtc" not in _section(text, "agent3", "endpoint")
    assert "[transport-ws]\ntype = transport\nprotocol = ws\n" in text and "[transport-wss]" not in text
    assert "permit = 127.0.0.1/32\n" in _section(text, "acl-sources", "acl")
    http = files["http.conf"]
    assert "enabled = yes\nbindaddr = 127.0.0.1\nbindport = 8088\n" in http and "tls" not in http
    assert "[/ws]\ntype = restriction\ndeny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.1/32\n" in http
    assert "servername = ivr-12345\n" in http and "enable_status = no\n" in http
    assert "enabled = no" in _production()["http.conf"] and "transport-ws" not in _production()["pjsip.conf"]


def test_only_the_carriers_addresses_speak_as_the_carrier():
    text = _production()["pjsip.conf"]
    assert "endpoint_identifier_order = ip,username\n" in text
    for name in ("carrier", "departments"):
        assert "\nidentify_by = ip\n" in _section(text, name, "endpoint"), name
    assert "[departments]\ntype = identify" not in text   # it takes no calls: never identified
    for agent in ("agent1", "agent8"):   # softphones: their From user, then their password
        section = _section(text, agent, "endpoint")
        assert "identify_by = username\n" in section and f"auth = {agent}-auth\n" in section
    lab = _section(render(_input())["pjsip.conf"], "agent1", "endpoint")   # SIPp answers, never calls
    assert "identify_by = ip\n" in lab


@pytest.mark.parametrize("match, phones, overlap", [
    (("10.12.3.4",), CENTRE, "10.12.0.0/16"),   # a softphone's address
    (("127.0.0.1",), dataclasses.replace(CENTRE, webrtc=("agent4",)), "127.0.0.1/32"),   # the console's relay
])
def test_a_carrier_address_others_send_from_is_refused(match, phones, overlap):
    with pytest.raises(AsteriskError) as err:
        _with_carrier(match, phones)
    assert f"overlaps {overlap}" in str(err.value) and "taken for the carrier" in str(err.value)


@pytest.mark.parametrize("text, expected", [
    ("phones:\n  webrtc: agent4\n", "phones.yaml:2: phones.webrtc: expected a list of agent ids"),
    ("phones:\n  webrtc: [Agent 4]\n", "phones.yaml:2: phones.webrtc.0: 'Agent 4' is not an agent id"),
    ("phones:\n  webrtc: [agent99]\n", "phones.yaml:2: phones.webrtc.0: no agent 'agent99' in the routing rules"),
    ("phones:\n  http_port: web\n", "phones.yaml:2: phones.http_port: 'web' is not a port number"),
    ("phones:\n  https_port: 8089\n", "phones.yaml:2: phones.https_port: no longer used"),
])
def test_bad_browser_phones_are_reported(tmp_path, text, expected):
    (tmp_path / "phones.yaml").write_text(text)
    with pytest.raises(AsteriskError) as err:
        load_phones(tmp_path, {f"agent{i}" for i in range(1, 9)})
    assert expected in str(err.value)
