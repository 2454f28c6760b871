"""Our FastAGI server: asyncio, bounded, one short conversation per call.

Asterisk connects for ``AGI(agi://host:port/<script>)``, sends the environment header and waits
for commands. Asterisk gives the connect 2 s, but once connected it waits *forever*, so this
server always answers promptly or closes. Per connection::

    accept  -> refuse at once if max_connections are busy (the dialplan's fail-safe takes over)
    header  -> read within header_timeout, at most max_header_bytes, parsed by ivr.agi.protocol
    handler -> HANDLERS[agi_network_script](session, context), within session_timeout; each
               command's reply within reply_timeout; HANGUP / 511 / result=-1 / EOF end it
    close   -> always; the counters and timings go to AgiStats

A client that connects and closes, sends half a header and goes silent, sends 1 MB of header,
or sends bytes that are not UTF-8 costs one task for at most ``header_timeout`` and never
delays anyone else. panoramisk's and pyst2's FastAGI are not used: panoramisk 1.4's spins
forever on a client that connects and closes (it never sees EOF) and has no read timeouts;
pyst2's imports Python 2's SocketServer and does not escape quotes or newlines in values.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ivr.agi import protocol
from ivr.agi.stats import AgiStats, write_snapshot
from ivr.errors import AgiError, AgiHangup, AgiProtocolError, AgiTimeout
from ivr.logs import get_logger

WriteMode = Literal["mset", "set"]
Handler = Callable[["AgiSession", Any], Awaitable[None]]


@dataclass(frozen=True)
class Limits:
    """Bounds on what one connection may cost."""

    header_timeout: float = 2.0      # connect -> complete header
    max_header_bytes: int = protocol.MAX_HEADER_BYTES
    max_header_lines: int = protocol.MAX_HEADER_LINES
    reply_timeout: float = 5.0       # one command -> its reply
    session_timeout: float = 10.0    # the handler as a whole
    max_connections: int = 512       # more at once are closed immediately (fail-safe routing)
    max_reply_bytes: int = 8 * 1024  # a reply line longer than this is not Asterisk


class _Lines:
    """A byte buffer over a StreamReader, for the header and then reply lines."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self._buf = bytearray()

    async def _fill(self) -> None:
        chunk = await self._reader.read(4096)
        if not chunk:
            raise EOFError
        self._buf += chunk

    async def header(self, max_bytes: int) -> bytes:
        while True:
            end = protocol.header_end(self._buf)
            if end is not None:
                if end > max_bytes:
                    break
                data = bytes(self._buf[:end])
                del self._buf[:end]
                return data
            if len(self._buf) > max_bytes:
                break
            await self._fill()
        raise AgiProtocolError(f"AGI header larger than {max_bytes} bytes")

    async def line(self, max_bytes: int) -> bytes:
        while True:
            at = self._buf.find(b"\n")
            if at != -1:
                data = bytes(self._buf[:at + 1])
                del self._buf[:at + 1]
                return data
            if len(self._buf) > max_bytes:
                raise AgiProtocolError(f"AGI reply line longer than {max_bytes} bytes")
            await self._fill()


class AgiSession:
    """One call's conversation, handed to a handler: the environment and the commands."""

    def __init__(self, env: protocol.AgiEnv, lines: _Lines, writer: asyncio.StreamWriter,
                 limits: Limits, write_mode: WriteMode, log) -> None:
        self.env = env
        self.log = log
        self.limits = limits
        self.write_mode = write_mode
        self.commands_sent = 0
        self._lines = lines
        self._writer = writer
        self._replies = protocol.ReplyReader()

    @property
    def hangup(self) -> bool:
        """Asterisk announced (inline ``HANGUP``) that the caller is gone."""
        return self._replies.hangup

    async def command(self, data: bytes) -> protocol.Reply:
        """Send one command line and return its reply; AgiHangup if the channel is gone."""
        self._writer.write(data)
        self.commands_sent += 1
        try:
            async with asyncio.timeout(self.limits.reply_timeout):
                await self._writer.drain()
                while True:
                    reply = self._replies.feed(await self._lines.line(self.limits.max_reply_bytes))
                    if reply is not None:
                        break
        except TimeoutError:
            raise AgiTimeout(f"no reply to {protocol.preview(data.decode('utf-8', 'replace'))!r} "
                             f"within {self.limits.reply_timeout} s") from None
        except (EOFError, ConnectionError):
            raise AgiHangup("Asterisk closed the connection while a command was pending") from None
        if reply.dead_channel:
            raise AgiHangup(f"the channel is gone ({reply.code} {protocol.preview(reply.text)})")
        return reply

    async def set_variables(self, variables: Mapping[str, object]) -> None:
        """Write channel variables, values sanitised: one ``EXEC MSet`` (or one SET each)."""
        if self.write_mode == "mset":
            batch = protocol.mset_commands(variables)
        else:
            batch = protocol.set_variable_commands(variables)
        for data in batch:
            if self.hangup:  # announced while we were busy: the rest would go to a dead channel
                raise AgiHangup("the caller hung up while the variables were being written")
            reply = await self.command(data)
            if reply.code != 200:
                raise AgiError(f"Asterisk refused {data[:40]!r}: "
                               f"{reply.code} {protocol.preview(reply.text)}")

    async def get_variable(self, name: str) -> str | None:
        """A channel variable or function read; None when it is not set."""
        reply = await self.command(protocol.get_variable(name))
        return reply.data if reply.result == 1 else None


class AgiServer:
    """Dispatches each connection to ``handlers[agi_network_script](session, context)``."""

    def __init__(self, handlers: Mapping[str, Handler], context: Any = None, *,
                 limits: Limits = Limits(), stats: AgiStats | None = None,
                 write_mode: WriteMode = "mset", stats_file: Path | None = None,
                 stats_interval: float = 1.0) -> None:
        self.handlers = dict(handlers)
        self.context = context
        self.limits = limits
        self.stats = stats or AgiStats()
        self.write_mode = write_mode
        self.stats_file = stats_file
        self.stats_interval = stats_interval
        self.log = get_logger("ivr.agi.server")
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._background: list[asyncio.Task] = []

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 4573) -> tuple[str, int]:
        """Listen; returns the bound (host, port) (port 0 picks a free one, for tests)."""
        self._server = await asyncio.start_server(self._on_connect, host, port,
                                                  backlog=self.limits.max_connections)
        bound = self._server.sockets[0].getsockname()[:2]
        if self.stats_file is not None:
            self._background.append(asyncio.create_task(self._write_stats_forever()))
        self.log.info("agi.listening", host=bound[0], port=bound[1], scripts=sorted(self.handlers),
                      write_mode=self.write_mode)
        return bound

    def add_background(self, coro) -> None:
        """Run ``coro`` (e.g. the rules watcher) for the server's lifetime."""
        self._background.append(asyncio.create_task(coro))

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting, let running calls finish for ``grace`` seconds, then cancel them."""
        if self._server is not None:
            self._server.close()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self._background.clear()
        if self._server is not None:
            await self._server.wait_closed()
        self.write_stats()
        self.log.info("agi.stopped", **self.stats.snapshot()["counters"])

    def write_stats(self) -> None:
        if self.stats_file is not None:
            try:
                write_snapshot(self.stats_file, self.stats.snapshot())
            except OSError as err:
                self.log.warning("agi.stats_not_written", file=str(self.stats_file), error=str(err))

    async def _write_stats_forever(self) -> None:
        written = -1
        while True:
            if self.stats.version != written:
                written = self.stats.version
                self.write_stats()
            await asyncio.sleep(self.stats_interval)

    # -- one connection ----------------------------------------------------------------------

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        stats = self.stats
        stats.count("connections")
        if stats.active >= self.limits.max_connections:
            stats.count("refused_busy")
            self.log.warning("agi.refused_busy", active=stats.active)
            writer.transport.abort()
            return
        stats.active += 1
        if task is not None:
            self._tasks.add(task)
        try:
            await self._converse(reader, writer)
        finally:
            stats.active -= 1
            if task is not None:
                self._tasks.discard(task)
            await _close(writer)

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stats, limits = self.stats, self.limits
        lines = _Lines(reader)
        peer = writer.get_extra_info("peername")
        try:
            async with asyncio.timeout(limits.header_timeout):
                raw = await lines.header(limits.max_header_bytes)
            env = protocol.parse_header(raw, max_bytes=limits.max_header_bytes,
                                        max_lines=limits.max_header_lines)
        except EOFError:
            stats.count("closed_before_header")
            self.log.debug("agi.closed_before_header", peer=peer)
            return
        except TimeoutError:
            stats.count("header_timeouts")
            self.log.warning("agi.header_timeout", peer=peer, timeout=limits.header_timeout)
            return
        except AgiProtocolError as err:
            stats.count("protocol_errors")
            self.log.warning("agi.bad_header", peer=peer, error=str(err))
            return
        except ConnectionError as err:
            stats.count("closed_before_header")
            self.log.debug("agi.connection_error", peer=peer, error=str(err))
            return

        started = time.perf_counter()
        script = protocol.preview(env.script, 40)
        log = get_logger("ivr.agi", uniqueid=protocol.preview(env.uniqueid, 40), script=script)
        stats.count("calls")
        handler = self.handlers.get(env.script)
        if handler is None:
            stats.count("unknown_script")
            log.error("agi.unknown_script", known=sorted(self.handlers))
            stats.call_done(script, "unknown_script", _us(started))
            return
        session = AgiSession(env, lines, writer, limits, self.write_mode, log)
        outcome = "ok"
        try:
            async with asyncio.timeout(limits.session_timeout):
                await handler(session, self.context)
        except TimeoutError:
            outcome = "timeout"
            log.warning("agi.session_timeout", timeout=limits.session_timeout)
        except AgiTimeout as err:
            outcome = "timeout"
            log.warning("agi.reply_timeout", error=str(err))
        except AgiHangup as err:
            outcome = "hangup"
            log.info("agi.hangup", detail=str(err))
        except AgiProtocolError as err:
            outcome = "protocol_error"
            log.warning("agi.bad_reply", error=str(err))
        except Exception:  # noqa: BLE001 - one call's bug must not reach the others
            outcome = "error"
            log.exception("agi.handler_failed")
        if outcome == "ok" and session.hangup:  # done, but the caller had already gone
            outcome = "hangup"
            log.info("agi.hangup", detail="announced by Asterisk during the script")
        stats.call_done(script, outcome, _us(started))
        if outcome != "ok":
            stats.count(outcome)


def _us(started: float) -> float:
    return (time.perf_counter() - started) * 1e6


async def _close(writer: asyncio.StreamWriter) -> None:
    """Close politely if the peer is reading, else drop the connection."""
    try:
        writer.close()
        async with asyncio.timeout(1.0):
            await writer.wait_closed()
    except (TimeoutError, ConnectionError, OSError):
        writer.transport.abort()
