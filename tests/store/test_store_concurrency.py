"""Races: replayed AMI events and parallel writers must not duplicate orders or numbers.

Threads each use their own connection from the pool, so the database's own locking (SQLite's
write lock, PostgreSQL's unique indexes and row locks) is what is tested.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from ivr.errors import InvalidTransition
from ivr.store.models import CallRow, RatingRow, TicketRow
from support import at

T0 = at("2020-06-01 10:00")
INTAKE = dict(line="12345", department="centre", mode="main", queue="q12345", agent="agent1")
WORKERS = 8


def _together(fn, n=WORKERS):
    """Run fn(i) in n threads released at the same moment; results (or exceptions) in order."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        try:
            return fn(i)
        except Exception as err:  # noqa: BLE001 - returned for the test to inspect
            return err

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def _count(store, model):
    with store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def test_the_same_answer_replayed_in_parallel_makes_one_order(store):
    results = _together(lambda i: store.create_ticket_for_answer("1591000000.7", at=T0, **INTAKE))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(created for _, created in results) == 1
    assert {ticket.number for ticket, _ in results} == {"12345-20200601-000001"}
    assert _count(store, TicketRow) == 1 and _count(store, CallRow) == 1


def test_parallel_answers_get_distinct_consecutive_numbers(store):
    results = _together(lambda i: store.create_ticket_for_answer(
        f"1591000000.{i}", at=T0 + timedelta(seconds=i), **INTAKE))
    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(ticket.number for ticket, _ in results)
    assert numbers == [f"12345-20200601-{i:06d}" for i in range(1, WORKERS + 1)]


def test_parallel_ratings_of_one_order_keep_exactly_one(store):
    number = store.create_ticket_for_answer("1591000000.1", at=T0, **INTAKE)[0].number
    results = _together(lambda i: store.rate(number, (i % 5) + 1, T0 + timedelta(minutes=1)))
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    # the first rating wins; the same rating again is a replay (no change), any other is refused
    assert won and len({r.order.rating for r in won}) == 1, results
    assert all(isinstance(e, InvalidTransition) for e in lost), results
    assert _count(store, RatingRow) == 1
    assert store.get(number).order.rating == won[0].order.rating


def test_parallel_steps_on_one_order_apply_once(store):
    number = store.create_ticket_for_answer("1591000000.1", at=T0, **INTAKE)[0].number
    store.apply(number, "dispatch", "sup", T0, unit="water", category="complaint")
    results = _together(lambda i: store.apply(number, "sign", f"desk{i}", T0 + timedelta(minutes=5)))
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, InvalidTransition) for r in results if isinstance(r, Exception)), results
    assert [e.event for e in store.get(number).history] == ["receive", "dispatch", "sign"]


def test_parallel_sweeps_take_each_step_once(store):
    for i in range(4):
        number = store.create_ticket_for_answer(f"1.{i}", at=T0, **INTAKE)[0].number
        store.apply(number, "dispatch", "sup", T0, unit="water", category="consultation")
    results = _together(lambda i: store.sweep(at("2020-06-10 00:00")), n=4)
    errors = [r for r in results if isinstance(r, Exception)]
    taken = [step for r in results if not isinstance(r, Exception) for step in r]
    # a sweep that lost the race on an order re-reads it under the lock and finds nothing to do
    assert errors == []
    assert len(taken) == 4 * 3  # per order: sign missed, reply missed, escalated
    for ticket in store.list():
        assert [e.event for e in ticket.history].count("escalate") == 1
