"""The session's PostgreSQL, as a pytest plugin: chosen once, told once, stopped at the end.

Once collection is done, and only if a selected test needs PostgreSQL (marker ``postgres`` or the
``pg_server`` fixture), the server is chosen (:mod:`pgserver.choice`: ``IVR_TEST_DATABASE_URL``,
else 127.0.0.1:5432 or ``IVR_TEST_PG_PROBE``, else a throwaway one started now) and the header
says which, e.g. ``PostgreSQL for tests: the server on 127.0.0.1:5432``. When none can be had,
every test asking for ``pg_server`` fails with a message saying what was tried: they are never
skipped. A throwaway server is stopped and deleted when pytest ends.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import pytest

from pgserver import throwaway
from pgserver.choice import (URL_FORM, URL_VARIABLE, PgServer, PgUnavailable, Probe, choose, masked,
                             probe_server)

HEADER = "PostgreSQL for tests: "


class PgSession:
    """The choice for one pytest session, made at most once, and the throwaway server if any.
    ``probe`` and ``start`` are the real ones but for the tests of this class."""

    def __init__(self, env: Mapping[str, str], probe: Probe = probe_server,
                 start: Callable[[], throwaway.ThrowawayServer] = throwaway.start) -> None:
        self.env, self._probe, self._start = env, probe, start
        self.server: PgServer | None = None
        self.error = ""
        self.said = ""
        self._throwaway: throwaway.ThrowawayServer | None = None

    @property
    def decided(self) -> bool:
        return self.server is not None or bool(self.error)

    def resolve(self) -> PgServer:
        """The server, choosing (and starting one) the first time; PgUnavailable every time when
        there is none."""
        if not self.decided:
            try:
                self.server = self._choose()
            except PgUnavailable as err:
                self.error = str(err)
                self.said = f"none; {err}"
        if self.error:
            raise PgUnavailable(self.error)
        assert self.server is not None
        return self.server

    def _choose(self) -> PgServer:
        choice = choose(self.env, self._probe)
        if choice.kind == "named":
            self.said = f"{URL_VARIABLE}={masked(choice.url)}"
        elif choice.kind == "probed":
            self.said = f"the server on {choice.probed}"
        if choice.url is not None:
            return PgServer(choice.url)
        try:
            self._throwaway = started = self._start()
        except PgUnavailable as err:
            raise PgUnavailable(
                f"tried {URL_VARIABLE} (not set); the server on "
                f"{choice.probed} ({choice.refused}); a throwaway server ({err}). Or point the "
                f"tests at a server with {URL_VARIABLE}={URL_FORM}") from None
        self.said = (f"a throwaway server started in {started.folder} on port {started.port} "
                     f"(pg_ctl from {started.bindir}), as nothing usable answers on "
                     f"{choice.probed} ({choice.refused})")
        return PgServer(started.url)

    def uses_another_server(self) -> bool:
        """True when the session's server is a running one, not a throwaway of its own."""
        try:
            self.resolve()
        except PgUnavailable:
            return False
        return self._throwaway is None

    def close(self) -> None:
        if self._throwaway is not None:
            self._throwaway.stop()
            self._throwaway = None


SESSION = pytest.StashKey[PgSession]()


def needs_postgres(item: pytest.Item) -> bool:
    uses_fixture = "pg_server" in getattr(item, "fixturenames", ())
    return uses_fixture or item.get_closest_marker("postgres") is not None


def pytest_configure(config: pytest.Config) -> None:
    config.stash[SESSION] = PgSession(os.environ)


@pytest.hookimpl(tryfirst=True)  # before the terminal reporter prints the collection lines
def pytest_collection_finish(session: pytest.Session) -> None:
    if any(needs_postgres(item) for item in session.items):
        try:
            session.config.stash[SESSION].resolve()
        except PgUnavailable:
            pass  # said in the header; each test asking for the server fails with it


def pytest_report_collectionfinish(config: pytest.Config) -> list[str]:
    said = config.stash[SESSION].said
    return [HEADER + said] if said else []


def pytest_unconfigure(config: pytest.Config) -> None:
    if SESSION in config.stash:
        config.stash[SESSION].close()


@pytest.fixture(scope="session")
def pg_server(pytestconfig: pytest.Config) -> PgServer:
    """The PostgreSQL server of this session (see the module docstring)."""
    try:
        return pytestconfig.stash[SESSION].resolve()
    except PgUnavailable as err:
        unavailable = str(err)
    # Outside the except block: the report shows the message, not "During handling of...".
    pytest.fail(f"no PostgreSQL for the tests: {unavailable}", pytrace=False)
