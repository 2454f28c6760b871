"""``/phone/ws``: the browser phone's SIP over WebSocket, relayed to Asterisk on loopback.

Asterisk's HTTP server upgrades a WebSocket whatever its ``Origin`` (``res_http_websocket.c``
and ``main/http.c`` read no such header): reachable from a browser, any web page an agent has
open could open it and speak SIP. So Asterisk's WebSocket listens on loopback only
(``http.conf``), and a browser reaches it through this relay, which opens it only

1. for a page of the console's own origin: the upgrade's ``Origin`` must be the scheme and host
   the browser used to reach the console (a browser sets ``Origin`` itself; a page elsewhere
   cannot forge it), and
2. for a logged-in agent whose phone ``trunks/phones.yaml`` lists under ``webrtc`` (the same
   signed session as the pages; a user disabled or whose password changed is cut off at the
   next check, every :data:`RECHECK_S` seconds).

Anything else is refused before the upgrade (HTTP 403). Then SIP frames are copied both ways
unchanged; Asterisk still challenges the agent's digest password. Media (ICE, DTLS-SRTP) goes
between the browser and Asterisk directly, not through here.
"""
from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import websockets
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from ivr.asterisk.phones import RELAY_HOST, load_phones
from ivr.asterisk.service import trunks_dir
from ivr.core.staff import Role
from ivr.logs import get_logger
from ivr.web.auth import current_user

log = get_logger("ivr.web.phone")

RECHECK_S = 3.0           # seconds between checks that the agent may still use the phone
MAX_FRAME = 64 * 1024     # bytes: a SIP message is a few kB
REFUSED = 1008            # WebSocket close code "policy violation" (before accept: HTTP 403)


def same_origin(websocket: WebSocket) -> bool:
    """True when the upgrade's ``Origin`` is the console itself, as the browser reached it."""
    origin = websocket.headers.get("origin", "")
    host = websocket.headers.get("host", "")
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    parts = urlsplit(origin)
    return bool(host) and parts.scheme == scheme and parts.netloc.lower() == host.lower() \
        and origin == f"{parts.scheme}://{parts.netloc}"


async def _agent_phone(websocket: WebSocket) -> str | None:
    """The browser phone of the logged-in agent on this connection, or None."""
    user = await current_user(websocket)  # type: ignore[arg-type] - it reads the scope and the app only
    if user is None or user.role is not Role.AGENT or not user.phone:
        return None
    phones = await asyncio.get_running_loop().run_in_executor(None, load_phones, trunks_dir())
    return user.phone if user.phone in phones.webrtc else None


async def relay(websocket: WebSocket) -> None:
    phone = await _agent_phone(websocket) if same_origin(websocket) else None
    bound = log.bind(phone=phone, client=websocket.client.host if websocket.client else "")
    if phone is None:
        bound.warning("phone.relay_refused", origin=websocket.headers.get("origin", ""))
        await websocket.close(code=REFUSED)
        return
    port = load_phones(trunks_dir()).http_port
    try:
        asterisk = await websockets.connect(f"ws://{RELAY_HOST}:{port}/ws", subprotocols=["sip"],
                                            origin=None, open_timeout=5, max_size=MAX_FRAME,
                                            ping_interval=None)
    except (OSError, asyncio.TimeoutError, websockets.InvalidHandshake) as err:
        bound.error("phone.asterisk_unreachable", port=port, error=str(err) or type(err).__name__)
        await websocket.close(code=1011)
        return
    await websocket.accept(subprotocol="sip")
    bound.info("phone.relay_opened")
    tasks = [asyncio.create_task(_browser_to_asterisk(websocket, asterisk)),
             asyncio.create_task(_asterisk_to_browser(asterisk, websocket)),
             asyncio.create_task(_still_allowed(websocket, phone))]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asterisk.close()
        bound.info("phone.relay_closed")
        try:
            await websocket.close()
        except RuntimeError:  # already closed by the browser
            pass


async def _browser_to_asterisk(websocket: WebSocket, asterisk) -> None:
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("text") if message.get("text") is not None else message.get("bytes")
            if data is None or len(data) > MAX_FRAME:
                return
            await asterisk.send(data)
    except (WebSocketDisconnect, websockets.ConnectionClosed):
        return


async def _asterisk_to_browser(asterisk, websocket: WebSocket) -> None:
    try:
        async for data in asterisk:
            if isinstance(data, bytes):
                await websocket.send_bytes(data)
            else:
                await websocket.send_text(data)
    except (WebSocketDisconnect, websockets.ConnectionClosed, RuntimeError):
        return


async def _still_allowed(websocket: WebSocket, phone: str) -> None:
    while True:
        await asyncio.sleep(RECHECK_S)
        if await _agent_phone(websocket) != phone:
            log.warning("phone.relay_revoked", phone=phone)
            return


routes = [WebSocketRoute("/phone/ws", relay)]
