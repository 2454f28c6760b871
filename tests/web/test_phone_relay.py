"""``/phone/ws``: the console relays the browser phone's SIP to Asterisk's WebSocket on loopback,
only for a page of the console's own origin and a logged-in agent whose phone is the browser.

A real WebSocket server on loopback stands in for Asterisk's (it echoes what it receives and
records the upgrade it was asked for); the end-to-end proof with the real Asterisk is in
tests/e2e/test_sip_identity_e2e.py and test_webrtc_e2e.py."""
from __future__ import annotations

import asyncio
import threading

import pytest
import websockets
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from support import REPO
from web.helpers import log_in

ORIGIN = {"origin": "http://testserver"}


class EchoAsterisk:
    """A WebSocket server on 127.0.0.1 speaking subprotocol "sip": echoes every frame."""

    def __init__(self) -> None:
        self.upgrades: list[dict] = []
        self.port = 0
        self._ready = threading.Event()
        self._stop: asyncio.Future | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        async def echo(connection) -> None:
            self.upgrades.append({"subprotocol": connection.subprotocol,
                                  "origin": connection.request.headers.get("Origin")})
            async for message in connection:
                if message == "HANG UP":   # Asterisk closing the WebSocket
                    await connection.close()
                    return
                await connection.send(message)

        self._stop = asyncio.get_running_loop().create_future()
        self._loop = asyncio.get_running_loop()
        async with websockets.serve(echo, "127.0.0.1", 0, subprotocols=["sip"]) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop

    def __enter__(self) -> "EchoAsterisk":
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(5)


@pytest.fixture
def asterisk(tmp_path, monkeypatch):
    """Trunks where agent1's phone is the browser, its Asterisk WebSocket the echo server."""
    with EchoAsterisk() as server:
        trunks = tmp_path / "trunks"
        trunks.mkdir()
        for name in ("carrier.yaml", "departments.yaml"):
            (trunks / name).write_text((REPO / "trunks" / name).read_text())
        (trunks / "phones.yaml").write_text(
            f"phones:\n  networks: [10.12.0.0/16]\n  webrtc: [agent1]\n  http_port: {server.port}\n")
        monkeypatch.setenv("IVR_TRUNKS", str(trunks))
        yield server


def _refused(client: TestClient, headers: dict) -> bool:
    try:
        with client.websocket_connect("/phone/ws", headers=headers, subprotocols=["sip"]) as ws:
            ws.send_text("REGISTER sip:x SIP/2.0\r\n\r\n")
            ws.receive_text()
    except WebSocketDisconnect as closed:
        return closed.code == 1008
    except Exception as err:  # noqa: BLE001 - a denial response before the upgrade
        return "403" in str(getattr(err, "status_code", err)) or "Denial" in type(err).__name__
    return False


def test_the_agents_own_page_is_relayed_both_ways(client, asterisk):
    log_in(client, "li")   # agent1: the browser phone
    with client.websocket_connect("/phone/ws", headers=ORIGIN, subprotocols=["sip"]) as ws:
        assert ws.accepted_subprotocol == "sip"
        ws.send_text("REGISTER sip:10.12.0.5 SIP/2.0\r\n\r\n")
        assert ws.receive_text() == "REGISTER sip:10.12.0.5 SIP/2.0\r\n\r\n"
        ws.send_text("HANG UP")   # Asterisk ends it: the browser's socket is closed too
        assert ws.receive()["type"] == "websocket.close"
    assert asterisk.upgrades == [{"subprotocol": "sip", "origin": None}]


@pytest.mark.parametrize("origin", [
    "http://evil.example", "https://testserver", "http://testserver.evil.example", "null",
    "http://testserver/path",
])
def test_a_foreign_origin_is_refused_before_the_upgrade(client, asterisk, origin):
    log_in(client, "li")
    assert _refused(client, {"origin": origin})
    assert _refused(client, {})   # no Origin at all: not a page of the console
    assert asterisk.upgrades == []


def test_nobody_logged_in_and_an_agent_on_a_softphone_are_refused(client, asterisk):
    assert _refused(client, ORIGIN)
    log_in(client, "zhao")   # agent2: a softphone, not the browser
    assert _refused(client, ORIGIN)
    assert asterisk.upgrades == []


def test_a_supervisor_is_refused(client, asterisk):
    log_in(client, "wang")
    assert _refused(client, ORIGIN)
    assert asterisk.upgrades == []
