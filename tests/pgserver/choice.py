"""Which PostgreSQL server the tests use: the one named, the one on the usual address, or their own.

``make test`` must work on a machine where no server runs as well as on one where it does, and
never skip the PostgreSQL tests silently. The cases, in order:

1. ``IVR_TEST_DATABASE_URL`` names a server (``postgresql+psycopg://user@host:port/db``): it is
   used, and nothing else is tried: a server someone named that does not answer fails the tests
   rather than being swapped for another behind their back.
2. Otherwise a server answering on 127.0.0.1:5432 as ``postgres``, database ``test`` (trust
   auth), as on the machines this project is built on. ``IVR_TEST_PG_PROBE=host:port`` probes
   another address instead, so this very choice can be tried with nothing listening.
3. Otherwise a throwaway server the session starts itself (:mod:`pgserver.throwaway`).

:func:`choose` decides from the environment and a probe it is given, so the decision is tested
without any server; :func:`probe_server` is the real probe.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

URL_VARIABLE = "IVR_TEST_DATABASE_URL"
PROBE_VARIABLE = "IVR_TEST_PG_PROBE"
DEFAULT_PROBE = "127.0.0.1:5432"
URL_FORM = "postgresql+psycopg://user@host:port/db"
PROBE_TIMEOUT_S = 3

Probe = Callable[[str], "str | None"]
"""Given a server URL: None when it answers and the database can be used, else why not."""


class PgUnavailable(Exception):
    """No PostgreSQL for the tests; the message says what was tried and what to do."""


@dataclass(frozen=True)
class PgServer:
    """The server the session's PostgreSQL tests use (an URL with the password in it)."""

    url: str

    def address(self) -> tuple[str, int]:
        """Host and port, for a relay in front of the server."""
        parsed = make_url(self.url)
        return parsed.host or "127.0.0.1", parsed.port or 5432

    def via(self, host: str, port: int) -> str:
        """The same user, password and database, reached through ``host:port`` (a relay)."""
        return make_url(self.url).set(host=host, port=port).render_as_string(hide_password=False)


@dataclass(frozen=True)
class Choice:
    """What :func:`choose` decided. ``url`` is None for a throwaway server (known once it runs);
    ``refused`` is why the probed address could not be used, for the header and the messages."""

    kind: Literal["named", "probed", "throwaway"]
    url: str | None
    probed: str
    refused: str = ""


def masked(url: str) -> str:
    """``url`` fit to print: any password replaced by ***."""
    return make_url(url).render_as_string(hide_password=True)


def named_url(text: str) -> str:
    """The psycopg 3 URL of ``IVR_TEST_DATABASE_URL``; PgUnavailable naming the setting when it
    is not PostgreSQL."""
    try:
        parsed: URL = make_url(text)
    except ArgumentError:
        raise PgUnavailable(f"{URL_VARIABLE}={text!r} is not a database URL ({URL_FORM})") from None
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise PgUnavailable(f"{URL_VARIABLE}={masked(text)} is not a PostgreSQL URL ({URL_FORM})")
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def probe_address(env: Mapping[str, str]) -> tuple[str, int]:
    """Where a running server is looked for: ``IVR_TEST_PG_PROBE`` or 127.0.0.1:5432."""
    text = env.get(PROBE_VARIABLE, "").strip() or DEFAULT_PROBE
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise PgUnavailable(f"{PROBE_VARIABLE}={text!r} is not host:port (e.g. {DEFAULT_PROBE})")
    return host, int(port)


def probed_url(host: str, port: int) -> str:
    """The URL the tests have always used, on ``host:port``."""
    return f"postgresql+psycopg://postgres@{host}:{port}/test"


def choose(env: Mapping[str, str], probe: Probe) -> Choice:
    """The case that applies (module docstring); PgUnavailable when the named server is unusable
    or a setting is malformed. ``probe`` is called at most once."""
    named = env.get(URL_VARIABLE, "").strip()
    if named:
        url = named_url(named)
        refused = probe(url)
        if refused is not None:
            raise PgUnavailable(f"{URL_VARIABLE}={masked(url)} cannot be used: {refused}")
        return Choice("named", url, probed="")
    host, port = probe_address(env)
    url = probed_url(host, port)
    refused = probe(url)
    if refused is None:
        return Choice("probed", url, probed=f"{host}:{port}")
    return Choice("throwaway", None, probed=f"{host}:{port}", refused=refused)


def probe_server(url: str) -> str | None:
    """Connects once (a few seconds at most): None when ``url`` answers, else the reason from
    the driver's error (connection refused, no such database, password needed...)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(url, connect_args={"connect_timeout": PROBE_TIMEOUT_S})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return None
    except SQLAlchemyError as err:
        cause = getattr(err, "orig", None) or err
        lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
        # 'connection failed: connection to server at "h", port p failed: <the reason>'
        return lines[0].rpartition(" failed: ")[2] if lines else type(cause).__name__
    finally:
        engine.dispose()
