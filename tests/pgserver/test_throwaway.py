"""The throwaway server for real (a few seconds), the probe on a closed port, missing binaries."""
from __future__ import annotations

import os
import re
import socket

import psycopg
import pytest

from pgserver import throwaway
from pgserver.choice import PgUnavailable, probe_server, probed_url
from pgserver.plugin import SESSION


@pytest.mark.postgres
def test_a_throwaway_server_serves_the_database_test_on_loopback_then_vanishes(pytestconfig):
    session = pytestconfig.stash[SESSION]
    if throwaway.find_bindir() is None and session.uses_another_server():
        pytest.skip(f"no pg_ctl on this machine (make test installs it only when the tests need it) "
                    f"and the tests use {session.said}: the throwaway path cannot be tried here")
    server = throwaway.start()
    try:
        assert probe_server(server.url) is None
        with psycopg.connect(host="127.0.0.1", port=server.port, user="postgres", dbname="test") as db:
            assert db.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
            assert db.execute("SHOW unix_socket_directories").fetchone() == (str(server.folder),)
    finally:
        server.stop()
    assert not server.folder.exists()
    assert probe_server(server.url) is not None


def test_the_probe_says_why_when_nothing_listens():
    with socket.socket() as bound:  # bound, never listening: connections are refused, port kept
        bound.bind(("127.0.0.1", 0))
        refused = probe_server(probed_url("127.0.0.1", bound.getsockname()[1]))
    assert refused == "Connection refused"


def test_without_binaries_the_throwaway_server_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(throwaway, "DEBIAN_BINARIES", str(tmp_path / "*" / "bin"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PgUnavailable, match="no pg_ctl under .* nor on PATH: .*install-postgresql.sh"):
        throwaway.start()


def test_a_server_that_cannot_start_says_why_and_leaves_no_folder(tmp_path):
    with pytest.raises(PgUnavailable, match=r"initdb in (\S+) failed") as raised:
        throwaway.start(tmp_path)  # no initdb in there
    folder = re.search(r"initdb in (\S+) failed", str(raised.value)).group(1)
    assert not os.path.exists(folder)
