"""A throwaway PostgreSQL for one test session, on a machine where no server runs.

Debian's ``postgresql`` package (``tools/install-postgresql.sh``, run by ``make test``) gives the
binaries; this module runs ``initdb`` in a fresh temporary folder and ``pg_ctl start`` on a free
port, listening on 127.0.0.1 only (its unix socket in the folder, never in /var/run), trust
authentication for the ``postgres`` role, and creates the database ``test``. ``stop()`` stops it
and deletes the folder. Two sessions at once each get their own folder and port.

``initdb`` refuses to run as root: as root, the folder is handed to the ``postgres`` system user
the package creates and the server runs as that user (``runuser``).
"""
from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pgserver.choice import PgUnavailable, probed_url

DEBIAN_BINARIES = "/usr/lib/postgresql/*/bin"
SERVER_USER = "postgres"
START_ATTEMPTS = 3  # another process may take the free port between choosing it and binding it
START_TIMEOUT_S = 30
# Durability is worth nothing in a folder deleted at the end of the session.
SPEED = "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"


def find_bindir() -> Path | None:
    """The newest Debian PostgreSQL's bin folder, else the folder of a ``pg_ctl`` on PATH."""
    found = [Path(p) for p in glob.glob(DEBIAN_BINARIES) if (Path(p) / "pg_ctl").is_file()]
    if found:
        return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def free_port() -> int:
    """A TCP port nothing listens on at this moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ThrowawayServer:
    """A running throwaway server; ``url`` reaches its database ``test``."""

    folder: Path
    port: int
    bindir: Path

    @property
    def url(self) -> str:
        return probed_url("127.0.0.1", self.port)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def stop(self) -> None:
        """Stops the server (fast, then immediate) and deletes its folder."""
        for mode in ("fast", "immediate"):
            if not (self.data / "postmaster.pid").exists():
                break
            try:
                _run(self.bindir, self.folder, "pg_ctl", "-D", str(self.data), "-m", mode, "-w",
                     "-t", str(START_TIMEOUT_S), "stop")
            except PgUnavailable:
                pass  # then the next, harder mode; the folder goes in any case
        shutil.rmtree(self.folder, ignore_errors=True)


def start(bindir: Path | None = None) -> ThrowawayServer:
    """A new server with an empty database ``test``; PgUnavailable saying what failed, with the
    folder already removed."""
    bindir = bindir or find_bindir()
    if bindir is None:
        raise PgUnavailable(f"no pg_ctl under {DEBIAN_BINARIES} nor on PATH: Debian's postgresql "
                            "package is missing, tools/install-postgresql.sh installs it as root")
    folder = Path(tempfile.mkdtemp(prefix="ivr-test-pg-"))
    server = ThrowawayServer(folder, 0, bindir)
    try:
        _hand_over(folder)
        _initdb(server)
        _start(server)
        _create_test_database(server)
        return server
    except BaseException:
        server.stop()
        raise


def _server_user() -> pwd.struct_passwd | None:
    """The user the server runs as: None for the current user, ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PgUnavailable(f"running as root, and initdb refuses root, but there is no "
                            f"'{SERVER_USER}' user to run it as (Debian's postgresql package "
                            "creates it)") from None


def _hand_over(folder: Path) -> None:
    user = _server_user()
    if user is not None:
        os.chown(folder, user.pw_uid, user.pw_gid)


def _run(bindir: Path, folder: Path, program: str, *args: str) -> subprocess.CompletedProcess:
    """``program`` from ``bindir``, as the server's user, in ``folder`` (the server user may not
    be allowed into the current directory). PgUnavailable when it cannot be run or hangs."""
    command = [str(bindir / program), *args]
    if _server_user() is not None:
        command = ["runuser", "-u", SERVER_USER, "--", *command]
    try:
        return subprocess.run(command, cwd=folder, capture_output=True, text=True,
                              timeout=START_TIMEOUT_S + 30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise PgUnavailable(f"running {' '.join(command)}: {err}") from None


def _failed(what: str, done: subprocess.CompletedProcess, log: Path | None = None) -> PgUnavailable:
    output = (done.stdout + done.stderr).strip()
    if log is not None and log.exists():
        output += "\n" + log.read_text(errors="replace")
    tail = "\n".join(output.splitlines()[-12:])
    return PgUnavailable(f"{what} failed (exit {done.returncode}):\n{tail}")


def _initdb(server: ThrowawayServer) -> None:
    done = _run(server.bindir, server.folder, "initdb", "-D", str(server.data), "-U", "postgres",
                "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
    if done.returncode != 0:
        raise _failed(f"initdb in {server.folder}", done)


def _start(server: ThrowawayServer) -> None:
    log = server.folder / "server.log"
    for _ in range(START_ATTEMPTS):
        server.port = free_port()
        options = (f"-p {server.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={shlex.quote(str(server.folder))} {SPEED}")
        done = _run(server.bindir, server.folder, "pg_ctl", "-D", str(server.data), "-l", str(log),
                    "-o", options, "-w", "-t", str(START_TIMEOUT_S), "start")
        if done.returncode == 0:
            return
    raise _failed(f"pg_ctl start on port {server.port}", done, log)


def _create_test_database(server: ThrowawayServer) -> None:
    import psycopg

    try:
        with psycopg.connect(host="127.0.0.1", port=server.port, user="postgres", dbname="postgres",
                             autocommit=True, connect_timeout=10) as connection:
            connection.execute("CREATE DATABASE test")
    except psycopg.Error as err:
        raise PgUnavailable(f"creating the database test on port {server.port}: {err}") from None
