"""A TCP relay the tests can cut: the database "goes away" for the engine and comes back.

It forwards 127.0.0.1:<port> to a real server (the session's PostgreSQL, ``pg_server.address()``). ``cut()`` closes the
listening socket and every relayed connection, as a network failure or a database restart
would; ``restore()`` listens again on the same port. ``blackhole()`` is the nastier failure of a
dead host or a silently dropped route: connections are still accepted but nothing is answered
and what is sent is lost; ``heal()`` ends it (the connections made meanwhile are reset, as a
real network's would be timed out).
"""
from __future__ import annotations

import socket
import threading


class TcpProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._hole = threading.Event()

    def restore(self) -> "TcpProxy":
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(16)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()
        return self

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            if self._hole.is_set():
                with self._lock:
                    self._conns.append(client)  # accepted, never answered
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if not self._hole.is_set():
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def blackhole(self) -> None:
        """From now on nothing gets through, in either direction, and nothing is refused."""
        self._hole.set()

    def heal(self) -> None:
        """End the black hole: reset the connections it swallowed; new ones get through."""
        self._hole.clear()
        self._reset()

    def cut(self) -> None:
        if self._server is not None:
            try:
                self._server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
            except OSError:
                pass
            self._server.close()
            self._server = None
        self._reset()

    def _reset(self) -> None:
        """Close every relayed connection, as a network failure would."""
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
