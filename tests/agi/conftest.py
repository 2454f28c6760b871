"""Fixtures for the AGI tests: our real server on a loopback port, and an Asterisk-like peer.

The server runs in its own thread and event loop (the tests speak plain blocking sockets to it,
as Asterisk would). The peer answers commands the way res_agi does and *parses them the way
Asterisk does* (res_agi's argument splitter, then MSet's), so a test sees the channel variables
Asterisk would end up with, including what an injection attempt would have produced.
"""
from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import pytest

from ivr.agi.server import AgiServer


class ServerThread:
    """An :class:`AgiServer` on 127.0.0.1:<free port>, in a thread of its own."""

    def __init__(self, handlers: Mapping, context=None, **options) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = AgiServer(handlers, context, **options)
        self.thread = threading.Thread(target=self.loop.run_forever, name="agi-server", daemon=True)
        self.port = 0

    def run(self, coro, timeout: float = 10.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> "ServerThread":
        self.thread.start()
        self.port = self.run(self.server.start("127.0.0.1", 0))[1]
        return self

    def add_background(self, coro_factory: Callable) -> None:
        async def add() -> None:
            self.server.add_background(coro_factory())
        self.run(add())

    def snapshot(self) -> dict:
        async def snap() -> dict:
            return self.server.stats.snapshot()
        return self.run(snap())

    def close(self) -> None:
        try:
            if self.thread.is_alive():
                self.run(self.server.stop(grace=1.0))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()


@pytest.fixture
def agi_server() -> Iterator[Callable[..., ServerThread]]:
    """Factory: ``agi_server(handlers, context, **AgiServer options)`` -> a started server."""
    started: list[ServerThread] = []

    def make(handlers: Mapping, context=None, **options) -> ServerThread:
        server = ServerThread(handlers, context, **options)
        started.append(server)
        return server.start()

    try:
        yield make
    finally:
        for server in started:
            server.close()


# -- how Asterisk reads our commands ----------------------------------------------------------

def agi_parse_args(line: str) -> list[str]:
    """res_agi.c parse_args(): whitespace splits, "..." groups, backslash makes the next literal."""
    args: list[str] = []
    cur: list[str] | None = None
    quoted = escaped = False
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if cur is None:
                cur = []
            continue
        if ch in " \t" and not quoted and not escaped:
            if cur is not None:
                args.append("".join(cur))
                cur = None
            continue
        if ch == "\\" and not escaped:
            escaped = True
            continue
        escaped = False
        if cur is None:
            cur = []
        cur.append(ch)
    if cur is not None:
        args.append("".join(cur))
    return args


def app_separate_args(data: str, delim: str, limit: int) -> list[str]:
    """main/app.c __ast_app_separate_args(remove_chars=1): (), [] nest, "" quote, \\ escapes."""
    out: list[str] = []
    buf = list(data)
    i = 0
    while i < len(buf) and len(out) < limit - 1:
        start, paren, bracket, quote = i, 0, 0, False
        arg: list[str] = []
        while i < len(buf):
            ch = buf[i]
            if ch == "(":
                paren += 1
            elif ch == ")":
                paren = max(0, paren - 1)
            elif ch == "[":
                bracket += 1
            elif ch == "]":
                bracket = max(0, bracket - 1)
            elif ch == '"' and delim != '"':
                quote = not quote
                i += 1
                continue
            elif ch == "\\":
                i += 1
                if i < len(buf):
                    arg.append(buf[i])
                i += 1
                continue
            elif ch == delim and not paren and not quote and not bracket:
                i += 1
                break
            arg.append(ch)
            i += 1
        del start
        out.append("".join(arg))
    if i < len(buf):
        out.append("".join(buf[i:]))
    return out


def apply_command(line: str, variables: dict[str, str]) -> str:
    """Apply one SET VARIABLE / EXEC MSet to ``variables`` like Asterisk; return the reply."""
    args = agi_parse_args(line.rstrip("\n"))
    words = [a.upper() for a in args[:2]]
    if words == ["SET", "VARIABLE"] and len(args) == 4:
        variables[args[2]] = args[3]
        return "200 result=1\n"
    if words[:1] == ["EXEC"] and len(args) >= 2 and args[1].lower() == "mset":
        for pair in app_separate_args(args[2] if len(args) > 2 else "", ",", 99):
            name, _, value = pair.partition("=")
            variables[name] = value
        return "200 result=0\n"
    if words == ["GET", "VARIABLE"] and len(args) == 3:
        value = variables.get(args[2])
        return "200 result=0\n" if value is None else f"200 result=1 ({value})\n"
    return "510 Invalid or unknown command\n"


@dataclass
class Conversation:
    commands: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    closed_by_server: bool = False


def header(**values: str) -> bytes:
    """An AGI environment header as Asterisk writes it."""
    base = {"network": "yes", "network_script": "route", "request": "agi://127.0.0.1/route",
            "channel": "PJSIP/carrier-00000001", "language": "en", "type": "PJSIP",
            "uniqueid": "1700000000.1", "version": "22.1.0", "callerid": "13912345678",
            "calleridname": "unknown", "context": "from-carrier", "extension": "12345",
            "priority": "1", "enhanced": "0.0", "accountcode": "", "threadid": "140000000"}
    base.update(values)
    return "".join(f"agi_{k}: {v}\n" for k, v in base.items()).encode() + b"\n"


def converse(port: int, head: bytes, channel: Mapping[str, str] | None = None,
             answer: Callable[[str, dict], str | None] | None = None,
             timeout: float = 5.0) -> Conversation:
    """Play Asterisk for one AGI session; ``answer`` may override a reply (None = default)."""
    conv = Conversation(variables=dict(channel or {}))
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        stream = sock.makefile("rb")
        while True:
            try:
                raw = stream.readline()
            except ConnectionResetError:
                raw = b""
            if not raw:
                conv.closed_by_server = True
                break
            line = raw.decode("utf-8")
            conv.commands.append(line)
            reply = answer(line, conv.variables) if answer else None
            if reply is None:
                reply = apply_command(line, conv.variables)
            if reply == "":  # the test wants the peer to go away now
                break
            sock.sendall(reply.encode())
    conv.seconds = time.perf_counter() - started
    return conv


@pytest.fixture
def peer():
    """The Asterisk-like peer's functions (test modules cannot import conftest directly)."""
    from types import SimpleNamespace
    return SimpleNamespace(header=header, converse=converse, apply_command=apply_command,
                           agi_parse_args=agi_parse_args, app_separate_args=app_separate_args)
