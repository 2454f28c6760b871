"""The sweep as an APScheduler job: started, it escalates an overdue order on its own."""
from __future__ import annotations

import time

import pytest

from ivr.errors import StoreError
from ivr.scheduler import SWEEP_JOB, build_scheduler, run_sweep, sweep_job
from ivr.store import TicketStore
from ivr.store.engine import create
from support import at

T0 = at("2020-06-01 10:00")
INTAKE = dict(line="12345", department="centre", mode="main", queue="q12345", agent="agent1")


def _dispatched(store) -> str:
    number = store.create_ticket_for_answer("1.1", at=T0, **INTAKE)[0].number
    store.apply(number, "dispatch", "sup", T0, unit="water", category="consultation")
    return number


def test_the_scheduled_job_escalates_overdue_orders(store):
    number = _dispatched(store)
    scheduler = build_scheduler(store, lambda: at("2020-06-05 09:00"), interval_s=0.2)
    try:
        scheduler.start()
        deadline = time.monotonic() + 10
        while not store.get(number).order.escalated and time.monotonic() < deadline:
            time.sleep(0.05)
        assert scheduler.get_job(SWEEP_JOB) is not None
    finally:
        scheduler.shutdown(wait=True)
    order = store.get(number).order
    assert order.escalated and order.overdue and order.sign_late


def test_the_clock_decides_not_the_wall_clock(store):
    number = _dispatched(store)
    assert run_sweep(store, lambda: at("2020-06-01 11:00")) == []  # inside the 2 hours
    assert [s for _, s in run_sweep(store, lambda: at("2020-06-01 12:00"))] == ["mark_overdue", "escalate"]
    assert store.get(number).order.sign_late


def test_the_job_survives_a_database_outage(policy):
    broken = TicketStore(create("postgresql://postgres@127.0.0.1:1/test"), policy)  # nothing listens
    try:
        with pytest.raises(StoreError, match="unavailable"):
            run_sweep(broken, lambda: T0)
        assert sweep_job(broken, lambda: T0) == []  # logged; the next run tries again
    finally:
        broken.close()


def test_interval_must_be_positive(store):
    with pytest.raises(ValueError):
        build_scheduler(store, lambda: T0, interval_s=0)
