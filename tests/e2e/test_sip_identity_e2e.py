"""Only the carrier's addresses speak as the carrier; only the console's own pages reach the
WebSocket; neither SIP nor HTTP names Asterisk's build. With the real Asterisk (the production
profile's lab: the carrier on 127.0.0.2, softphones on 127.0.2.N, agent7's phone the browser)
and the real console relaying the browser phone's WebSocket.

An impostor on the agents' network sends an INVITE with ``From: carrier`` and no password, over
UDP, TCP and WebSocket: each is refused (a challenge nobody can answer: 401, or 403), never
answered 100 / 200 and routed as a citizen's call. The carrier's own address still places calls.
"""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest
import websockets
from websockets.sync.client import connect

from e2e.phones_lab import BROWSER_AGENT, CARRIER, HTTP_PORT, SIP_PORT, PhonesLab
from e2e.sip_wire import Wire, invite
from web.helpers import FAST, NOW, PASSWORD
from web.live_server import live_console

pytestmark = pytest.mark.asterisk

IMPOSTOR = "127.0.2.9"   # on the softphones' network (trunks/phones.yaml networks)
ASTERISK = ("127.0.0.1", SIP_PORT)
ASTERISK_WS = f"ws://127.0.0.1:{HTTP_PORT}/ws"
REFUSED = {401, 403}


def _assert_refused(responses, how: str) -> None:
    codes = [r.status for r in responses]
    assert codes and codes[-1] in REFUSED, f"{how}: {codes}"
    assert all(c >= 400 for c in codes), f"{how}: the impostor got {codes}"   # no 100 Trying, no 200


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_from_carrier_without_a_password_from_the_agents_network_is_refused(phones_lab: PhonesLab, transport):
    with Wire(transport, ASTERISK, source=IMPOSTOR) as wire:
        _assert_refused(invite(wire, "12345"), f"{transport} from {IMPOSTOR}")
    # nor from the machine itself (where the console's relay and TCP softphones come from)
    with Wire(transport, ASTERISK, source="127.0.0.1") as wire:
        _assert_refused(invite(wire, "051380000401"), f"{transport} from 127.0.0.1")
    # the departments' trunk and a lab agent are nobody either: no password, no address of theirs
    for who in ("departments", BROWSER_AGENT):
        with Wire(transport, ASTERISK, source=IMPOSTOR) as wire:
            _assert_refused(invite(wire, "12345", from_user=who), f"{transport} as {who}")


def test_from_carrier_over_asterisks_own_websocket_is_refused(phones_lab: PhonesLab):
    with Wire("WS", ASTERISK, ws_url=ASTERISK_WS) as wire:
        _assert_refused(invite(wire, "12345"), "WS on loopback")


def test_the_carriers_own_address_still_places_citizens_calls(phones_lab: PhonesLab):
    result = phones_lab.call("12345", talk_ms=500, caller="13977770001", host=CARRIER, timeout=30)
    assert result.ok, result.output[-2000:]   # answered (the fail-safe's greeting: no engine here)


def test_sip_and_http_name_the_service_not_asterisks_build(phones_lab: PhonesLab):
    with Wire("UDP", ASTERISK, source=CARRIER) as wire:
        [*_, final] = invite(wire, "0000")   # the carrier, a number nobody has: a final response
    assert final.headers.get("server") == "ivr-12345", final.raw
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}/nothing-here", timeout=5)
    except urllib.error.HTTPError as reply:   # 404: nothing is served but the WebSocket
        assert reply.code == 404 and reply.headers.get("Server") == "ivr-12345"
    else:
        pytest.fail("Asterisk's HTTP server served a page")


def _refused_upgrade(url: str, headers: dict) -> int:
    try:
        with connect(url, subprotocols=["sip"], additional_headers=headers, open_timeout=5):
            return 101
    except websockets.InvalidStatus as err:
        return err.response.status_code


@pytest.fixture
def console(phones_lab: PhonesLab, tmp_path, monkeypatch):
    """The real console on this lab's trunks, with agent7 (the browser phone) able to log in."""
    from ivr.store import open_store, policy_for
    from ivr.store.users import UserStore

    monkeypatch.setenv("IVR_TRUNKS", str(phones_lab.trunks))
    store = open_store(f"sqlite:///{tmp_path / 'console.sqlite3'}", policy_for(phones_lab.rules))
    UserStore(store.engine, FAST).add("qian", "agent", PASSWORD, NOW, phone=BROWSER_AGENT,
                                      agents=set(phones_lab.rules.agents))
    try:
        with live_console(phones_lab.settings, store, phones_lab.rules, lambda: NOW) as server:
            yield server
    finally:
        store.close()


def _session_cookie(base: str) -> str:
    import httpx2 as httpx

    with httpx.Client(base_url=base) as client:
        page = client.get("/login").text
        token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"username": "qian", "password": PASSWORD, "csrf": token})
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def test_the_websocket_opens_only_for_the_consoles_own_page_and_its_agent(console):
    url = console.url.replace("http://", "ws://") + "/phone/ws"
    cookie = _session_cookie(console.url)
    own = {"Origin": console.url, "Cookie": cookie}
    # a page elsewhere, open in the agent's browser (it sends the agent's cookie): refused
    assert _refused_upgrade(url, {"Origin": "http://evil.example", "Cookie": cookie}) == 403
    assert _refused_upgrade(url, {"Cookie": cookie}) == 403            # no Origin: no page of ours
    assert _refused_upgrade(url, {"Origin": console.url}) == 403       # nobody logged in
    # the agent's own page: relayed to the real Asterisk, which still wants the digest password
    with Wire("WS", ASTERISK, ws_url=url, ws_headers=own) as wire:
        _assert_refused(invite(wire, "12345"), "WS through the console as the carrier")
    with Wire("WS", ASTERISK, ws_url=url, ws_headers=own) as wire:
        _assert_refused(invite(wire, "12345", from_user=BROWSER_AGENT), "WS through the console, no password")
