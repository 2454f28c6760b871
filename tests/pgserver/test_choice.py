"""Choosing the tests' PostgreSQL from the environment and a probe: no server is touched here."""
from __future__ import annotations

import pytest

from pgserver.choice import Choice, PgServer, PgUnavailable, choose

DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class FakeProbe:
    """Answers as told for every URL, and remembers which URLs it was asked about."""

    def __init__(self, refused: str | None = None) -> None:
        self.refused, self.asked = refused, []

    def __call__(self, url: str) -> str | None:
        self.asked.append(url)
        return self.refused


def test_a_named_server_is_used_and_the_default_address_is_not_probed():
    probe = FakeProbe()
    choice = choose({"IVR_TEST_DATABASE_URL": "postgresql://me:pw@db.example:6543/ci"}, probe)
    assert choice == Choice("named", "postgresql+psycopg://me:pw@db.example:6543/ci", probed="")
    assert probe.asked == ["postgresql+psycopg://me:pw@db.example:6543/ci"]


def test_a_named_server_that_does_not_answer_fails_instead_of_being_replaced():
    env = {"IVR_TEST_DATABASE_URL": "postgresql+psycopg://me:pw@h:1/ci"}
    says = r"IVR_TEST_DATABASE_URL=postgresql\+psycopg://me:\*\*\*@h:1/ci cannot be used: Connection refused"
    with pytest.raises(PgUnavailable, match=says):
        choose(env, FakeProbe("Connection refused"))


@pytest.mark.parametrize("url, says", [
    ("mysql://me@h/db", "is not a PostgreSQL URL"),
    ("not a url", "is not a database URL"),
])
def test_a_named_url_that_is_not_postgresql_is_refused_with_the_setting_named(url, says):
    with pytest.raises(PgUnavailable, match=f"IVR_TEST_DATABASE_URL=.*{says}"):
        choose({"IVR_TEST_DATABASE_URL": url}, FakeProbe())


def test_without_a_named_server_the_usual_address_is_used_when_it_answers():
    probe = FakeProbe()
    assert choose({}, probe) == Choice("probed", DEFAULT, probed="127.0.0.1:5432")
    assert probe.asked == [DEFAULT]


def test_an_empty_named_url_counts_as_unset():
    assert choose({"IVR_TEST_DATABASE_URL": "  "}, FakeProbe()).kind == "probed"


def test_when_nothing_usable_answers_a_throwaway_server_is_chosen_with_the_reason():
    choice = choose({}, FakeProbe('FATAL:  database "test" does not exist'))
    assert choice == Choice("throwaway", None, probed="127.0.0.1:5432",
                            refused='FATAL:  database "test" does not exist')


def test_the_probe_address_can_be_moved_to_where_nothing_listens():
    probe = FakeProbe("Connection refused")
    choice = choose({"IVR_TEST_PG_PROBE": "127.0.0.1:5999"}, probe)
    assert (choice.kind, choice.probed) == ("throwaway", "127.0.0.1:5999")
    assert probe.asked == ["postgresql+psycopg://postgres@127.0.0.1:5999/test"]


@pytest.mark.parametrize("address", ["nonsense", "127.0.0.1:", ":5432", "127.0.0.1:99999"])
def test_a_malformed_probe_address_is_refused_with_the_setting_named(address):
    with pytest.raises(PgUnavailable, match="IVR_TEST_PG_PROBE=.* is not host:port"):
        choose({"IVR_TEST_PG_PROBE": address}, FakeProbe())


def test_a_relay_keeps_the_user_password_and_database():
    server = PgServer("postgresql+psycopg://me:pw@db.example:6543/ci")
    assert server.address() == ("db.example", 6543)
    assert server.via("127.0.0.1", 40001) == "postgresql+psycopg://me:pw@127.0.0.1:40001/ci"
