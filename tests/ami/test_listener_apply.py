"""How the listener applies facts: in order, spooled while the database is away, and a refused
fact (a second rating, a malformed id) dropped rather than holding every later fact behind it."""
from __future__ import annotations

from datetime import datetime, timezone

from ivr.ami.listener import AmiListener
from ivr.ami.spool import Spool
from ivr.core import call_events as ce
from ivr.errors import StoreError, TicketError

AT = datetime(2026, 9, 9, 11, 0, tzinfo=timezone.utc)


class Ledger:
    """A ledger whose database can be switched off; it refuses second ratings as the store does."""

    def __init__(self) -> None:
        self.up = True
        self.applied: list[tuple[str, str]] = []

    def apply(self, fact: ce.Fact) -> None:
        if not self.up:
            raise StoreError("the ticket database is unavailable")
        key = (type(fact).__name__, fact.call.linkedid)
        if isinstance(fact, ce.Rated) and key in self.applied:
            raise TicketError("already rated")
        self.applied.append(key)


def listener(tmp_path, ledger: Ledger) -> AmiListener:
    return AmiListener(host="127.0.0.1", port=1, username="u", secret="s", ledger=ledger,
                       spool=Spool(tmp_path / "spool.jsonl"))


def answered(n: int) -> ce.Answered:
    return ce.Answered(ce.CallInfo(f"1.{n}", f"1.{n}"), "q12345", "agent1", "", 1, AT)


def rated(n: int) -> ce.Rated:
    return ce.Rated(ce.CallInfo(f"1.{n}", f"1.{n}"), 4, AT)


def test_facts_wait_in_the_spool_while_the_database_is_away(tmp_path):
    ledger = Ledger()
    ami = listener(tmp_path, ledger)
    ami._apply(answered(1))
    ledger.up = False
    ami._apply(answered(2))
    ami._apply(rated(2))
    assert ami.spool.pending() == 2 and ledger.applied == [("Answered", "1.1")]
    ledger.up = True
    ami._apply(answered(3))  # the spool goes first: the order is kept
    assert ledger.applied == [("Answered", "1.1"), ("Answered", "1.2"), ("Rated", "1.2"), ("Answered", "1.3")]
    assert ami.spool.pending() == 0


def test_a_refused_fact_is_dropped_not_spooled(tmp_path):
    ledger = Ledger()
    ami = listener(tmp_path, ledger)
    ami._apply(answered(1))
    ami._apply(rated(1))
    ami._apply(rated(1))  # a second rating: refused by the store
    assert ami.spool.pending() == 0
    assert ledger.applied == [("Answered", "1.1"), ("Rated", "1.1")]


def test_a_refused_fact_in_the_spool_does_not_block_the_rest(tmp_path):
    ledger = Ledger()
    ami = listener(tmp_path, ledger)
    ami._apply(rated(1))
    ledger.up = False
    for fact in (rated(1), answered(2), rated(2)):
        ami._apply(fact)
    assert ami.spool.pending() == 3
    ledger.up = True
    ami._drain()
    assert ami.spool.pending() == 0
    assert ledger.applied == [("Rated", "1.1"), ("Answered", "1.2"), ("Rated", "1.2")]
