"""What the session says and does for each case, with a fake probe and a fake throwaway server."""
from __future__ import annotations

from pathlib import Path

import pytest

from pgserver.choice import PgUnavailable
from pgserver.plugin import PgSession


class FakeThrowaway:
    folder, port, bindir = Path("/tmp/ivr-test-pg-x"), 40123, Path("/usr/lib/postgresql/15/bin")
    url = "postgresql+psycopg://postgres@127.0.0.1:40123/test"

    def __init__(self) -> None:
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


def no_start() -> FakeThrowaway:
    raise AssertionError("no throwaway server should be started")


def test_a_named_server_is_said_with_its_password_hidden():
    env = {"IVR_TEST_DATABASE_URL": "postgresql://me:pw@h:1/ci"}
    session = PgSession(env, lambda url: None, no_start)
    assert session.resolve().url == "postgresql+psycopg://me:pw@h:1/ci"
    assert session.said == "IVR_TEST_DATABASE_URL=postgresql+psycopg://me:***@h:1/ci"


def test_the_server_on_the_usual_address_is_said():
    session = PgSession({}, lambda url: None, no_start)
    assert session.resolve().url == "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    assert session.said == "the server on 127.0.0.1:5432"


def test_a_throwaway_server_is_started_once_said_and_stopped_at_the_end():
    started: list[FakeThrowaway] = []

    def start() -> FakeThrowaway:
        started.append(FakeThrowaway())
        return started[-1]

    session = PgSession({"IVR_TEST_PG_PROBE": "127.0.0.1:5999"}, lambda url: "Connection refused", start)
    assert session.resolve().url == FakeThrowaway.url
    assert session.resolve().url == FakeThrowaway.url
    assert len(started) == 1
    assert session.said == ("a throwaway server started in /tmp/ivr-test-pg-x on port 40123 "
                            "(pg_ctl from /usr/lib/postgresql/15/bin), as nothing usable answers on "
                            "127.0.0.1:5999 (Connection refused)")
    session.close()
    assert started[0].stopped


def test_with_no_server_at_all_every_request_fails_saying_what_was_tried():
    def start() -> FakeThrowaway:
        raise PgUnavailable("no pg_ctl under /usr/lib/postgresql/*/bin nor on PATH")

    session = PgSession({}, lambda url: "Connection refused", start)
    for _ in range(2):
        with pytest.raises(PgUnavailable) as raised:
            session.resolve()
        message = str(raised.value)
        assert message.startswith("tried IVR_TEST_DATABASE_URL (not set)")
        assert "the server on 127.0.0.1:5432 (Connection refused)" in message
        assert "a throwaway server (no pg_ctl under /usr/lib/postgresql/*/bin nor on PATH)" in message
        assert "IVR_TEST_DATABASE_URL=postgresql+psycopg://user@host:port/db" in message
    assert session.said.startswith("none; tried IVR_TEST_DATABASE_URL (not set)")
    session.close()  # nothing to stop
