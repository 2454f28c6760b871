"""Hand-made SIP requests on the wire, from a chosen source address, over UDP, TCP or WebSocket:
what an impostor on the agents' network would send (no SIP stack between the test and Asterisk).

:func:`invite` sends one INVITE and returns every response received until a final one (or the
timeout), as (status code, headers). A 2xx is acknowledged and hung up at once, so a test that
fails (the old configuration answering an impostor) leaves no call behind.
"""
from __future__ import annotations

import socket
import time
import uuid
from dataclasses import dataclass, field

SDP = ("v=0\r\no=- 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
       "m=audio {rtp} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n")


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    raw: str = ""


def request(method: str, uri: str, *, transport: str, host: str, port: int, from_user: str,
            to_user: str, call_id: str, cseq: int = 1, body: str = "", tag: str = "", branch: str = "",
            to_tag: str = "") -> str:
    """One SIP request's text (CRLF line ends, Content-Length right)."""
    via_host = "impostor.invalid" if transport in ("WS", "WSS") else f"{host}:{port}"
    lines = [f"{method} {uri} SIP/2.0",
             f"Via: SIP/2.0/{transport} {via_host};branch=z9hG4bK{branch or uuid.uuid4().hex[:16]};rport",
             "Max-Forwards: 70",
             f'From: "{from_user}" <sip:{from_user}@{host}>;tag={tag or uuid.uuid4().hex[:10]}',
             f"To: <{uri}>" + (f";tag={to_tag}" if to_tag else ""),
             f"Call-ID: {call_id}",
             f"CSeq: {cseq} {method}",
             f"Contact: <sip:{from_user}@{via_host};transport={transport.lower()}>",
             "User-Agent: impostor"]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body.encode())}")
    return "\r\n".join(lines) + "\r\n\r\n" + body


def parse(text: str) -> Response | None:
    head = text.split("\r\n\r\n", 1)[0].split("\r\n")
    if not head or not head[0].startswith("SIP/2.0 "):
        return None
    headers: dict[str, str] = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    return Response(int(head[0].split()[1]), headers, text)


class Wire:
    """One connection (or UDP socket) to Asterisk from ``source`` (an address of this machine)."""

    def __init__(self, transport: str, asterisk: tuple[str, int], source: str = "127.0.0.1",
                 ws_url: str = "", ws_headers: dict | None = None) -> None:
        self.transport, self.asterisk = transport.upper(), asterisk
        self.buffer = ""
        if self.transport == "WS":
            from websockets.sync.client import connect

            self._ws = connect(ws_url, subprotocols=["sip"], additional_headers=ws_headers or {},
                               open_timeout=5)
            self.ws = self._ws.__enter__()
            self.host, self.port = "impostor.invalid", 0
            return
        kind = socket.SOCK_DGRAM if self.transport == "UDP" else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.bind((source, 0))
        self.host, self.port = self.sock.getsockname()
        if self.transport == "TCP":
            self.sock.settimeout(5)
            self.sock.connect(asterisk)

    def send(self, text: str) -> None:
        if self.transport == "WS":
            self.ws.send(text)
        elif self.transport == "UDP":
            self.sock.sendto(text.encode(), self.asterisk)
        else:
            self.sock.sendall(text.encode())

    def receive(self, timeout: float) -> Response | None:
        """The next SIP response within ``timeout`` seconds (None: nothing came)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.transport != "UDP" and "\r\n\r\n" in self.buffer:
                head, _, rest = self.buffer.partition("\r\n\r\n")
                length = next((int(l.split(":", 1)[1]) for l in head.split("\r\n")
                               if l.lower().startswith("content-length:")), 0)
                if len(rest.encode()) >= length:
                    self.buffer = rest.encode()[length:].decode()
                    found = parse(head + "\r\n\r\n")
                    if found:
                        return found
                    continue
            try:
                chunk = self._read(max(0.05, deadline - time.monotonic()))
            except (TimeoutError, socket.timeout):
                return None
            if chunk is None:
                return None
            if self.transport == "UDP":
                found = parse(chunk)
                if found:
                    return found
            else:
                self.buffer += chunk
        return None

    def _read(self, timeout: float) -> str | None:
        if self.transport == "WS":
            return self.ws.recv(timeout=timeout)
        self.sock.settimeout(timeout)
        data = self.sock.recv(65536)
        return data.decode("utf-8", "replace") if data else None

    def close(self) -> None:
        if self.transport == "WS":
            self._ws.__exit__(None, None, None)
        else:
            self.sock.close()

    def __enter__(self) -> "Wire":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def invite(wire: Wire, number: str, *, from_user: str = "carrier", timeout: float = 8) -> list[Response]:
    """Send an unauthenticated INVITE for ``number`` as ``from_user``; every response until a
    final one. A 2xx (an impostor let in) is acknowledged and hung up at once."""
    asterisk_host, asterisk_port = wire.asterisk
    uri = f"sip:{number}@{asterisk_host}:{asterisk_port}"
    call_id, tag, branch = f"{uuid.uuid4().hex}@impostor", uuid.uuid4().hex[:10], uuid.uuid4().hex[:16]
    body = SDP.format(host=wire.host if wire.transport != "WS" else "127.0.0.1", rtp=40000)
    wire.send(request("INVITE", uri, transport=wire.transport, host=wire.host, port=wire.port,
                      from_user=from_user, to_user=number, call_id=call_id, body=body, tag=tag,
                      branch=branch))
    seen: list[Response] = []
    while True:
        response = wire.receive(timeout)
        if response is None:
            return seen
        seen.append(response)
        if response.status >= 200:
            break
    final = seen[-1]
    to_tag = final.headers.get("to", "").partition(";tag=")[2]
    common = dict(transport=wire.transport, host=wire.host, port=wire.port, from_user=from_user,
                  to_user=number, call_id=call_id, tag=tag, to_tag=to_tag)
    # a non-2xx is acknowledged in its own transaction (the INVITE's branch), a 2xx in a new one
    wire.send(request("ACK", uri, cseq=1, branch=branch if final.status >= 300 else "", **common))
    if final.status < 300:
        wire.send(request("BYE", uri, cseq=2, **common))
    return seen
