"""The daily summary kept as calls and orders change (SQLite and PostgreSQL): after every kind of
fact (a caller at the door, abandoned in the queue or before it, answered within 15 s or not, a
callback answered, an order closed on the spot, dispatched, re-dispatched to another unit, signed,
replied, swept overdue, rated days later), the day's summary equals what counting its raw rows
again gives; the report reads counted days from it and everything else live; a recount heals a
day whose summary went wrong."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from ivr.core.callbacks import CallbackPolicy
from ivr.core.kpi import build_report
from ivr.store import daily_figures
from ivr.store.models_figures import FIGURE_COLUMNS, DailyFiguresRow
from ivr.store.queries import raw_facts
from ivr.store.surges import SurgeStore
from support import at

T0 = at("2020-06-01 10:00")
DAY = date(2020, 6, 1)
WATER = dict(line="051380000304", department="water", mode="dedicated", queue="seat_water", caller="13800000001")
MAIN = dict(line="12345", department="centre", mode="main", queue="q12345", caller="13800000002")


def summary_rows(store, day: date) -> dict[tuple, tuple]:
    """The summary's groups of ``day`` as stored, zero groups left out."""
    with store.engine.connect() as connection:
        rows = connection.execute(select(DailyFiguresRow).where(DailyFiguresRow.day == day)).all()
    out = {}
    for row in rows:
        figures = tuple(getattr(row, name) for name in FIGURE_COLUMNS)
        if any(figures):
            out[(row.line, row.department, row.unit)] = figures
    return out


def a_day_of_facts(store) -> list[str]:
    """Every kind of fact on 1 June, some of them arriving days later; the orders' numbers."""
    door = dict(door=True, joined=False)
    store.record_call("1.1", at=T0, outcome="offered", **WATER, **door)
    store.record_call("1.1", at=T0 + timedelta(seconds=30), outcome="abandoned", stage="queue", joined=True, **WATER)
    store.record_call("1.2", at=T0, outcome="offered", **MAIN, **door)
    store.record_call("1.2", at=T0 + timedelta(seconds=4), outcome="abandoned", stage="greeting", **MAIN)
    numbers = []
    for i, (intake, wait) in enumerate([(WATER, 9), (WATER, 40), (MAIN, 15), (MAIN, 120)]):
        linkedid = f"2.{i}"
        store.record_call(linkedid, at=T0 + timedelta(minutes=i), outcome="offered", **intake, **door)
        numbers.append(store.create_ticket_for_answer(linkedid, at=T0 + timedelta(minutes=i, seconds=wait),
                                                      wait_seconds=wait, agent="agent1", **intake)[0].number)
    spot, sent, moved, late = numbers
    store.apply(spot, "close", "agent1", T0 + timedelta(minutes=9), category="consultation")
    store.apply(sent, "dispatch", "sup", T0 + timedelta(minutes=9), unit="water", category="help_request")
    store.apply(sent, "sign", "water-desk", T0 + timedelta(minutes=30))
    store.apply(sent, "reply", "water-desk", T0 + timedelta(hours=3), text="repaired")
    store.apply(moved, "dispatch", "sup", T0 + timedelta(minutes=9), unit="water", category="complaint")
    store.apply(moved, "redispatch", "sup", T0 + timedelta(hours=1), unit="gas", note="the gas main")
    store.apply(late, "dispatch", "sup", T0 + timedelta(minutes=9), unit="gas", category="consultation")
    store.sweep(at("2020-06-05 09:00"))                               # late facts: days after
    store.rate(spot, 5, at("2020-06-08 11:00"))
    store.rate(sent, 2, at("2020-06-09 11:00"))
    # a caller who asked to be called back, and the callback answered the next day
    store.record_call("3.1", at=T0, outcome="offered", **MAIN, **door)
    store.record_call("3.1", at=T0 + timedelta(seconds=50), outcome="callback", joined=True, **MAIN)
    surges = SurgeStore(store.engine, store.tz)
    request, _ = surges.request_callback("3.1", queue="q12345", caller=MAIN["caller"], area_code="0513",
                                         line=MAIN["line"], department="centre", via="queue_key",
                                         at=T0 + timedelta(seconds=50), day_start=at("2020-06-01 00:00"))
    surges.start_try(request.id, at("2020-06-02 09:00"))
    surges.finish_try(request.id, "answered", True, CallbackPolicy(), at("2020-06-02 09:01"), "4.1")
    # the callback's own call joins a queue without a door: never offered
    store.record_call("4.1", at=at("2020-06-02 09:01"), outcome="answered", joined=True, **MAIN)
    return numbers


def test_the_summary_kept_as_facts_arrive_equals_the_raw_count(store):
    a_day_of_facts(store)
    kept = summary_rows(store, DAY)
    assert kept and summary_rows(store, date(2020, 6, 2)) == {}   # late facts count on their own day
    store.recount_day(DAY, at("2020-06-10 03:00"))
    assert summary_rows(store, DAY) == kept
    total = build_report([], [g for g in _summed(store, [DAY])]).total
    assert (total.offered, total.answered, total.abandoned, total.abandoned_before_queue) == (7, 4, 2, 1)
    assert (total.callbacks, total.called_back, total.answered_within, total.answer_wait) == (1, 1, 2, 184)
    assert (total.received, total.on_the_spot, total.dispatched, total.replied, total.on_time) == (4, 1, 3, 1, 1)
    assert (total.rated, total.rating_sum, total.overdue) == (2, 7, 2)
    by_unit = build_report([], _summed(store, [DAY])).by_unit
    assert {unit: f.received for unit, f in by_unit.items()} == {"gas": 2, "water": 1}


def test_the_report_reads_counted_days_from_the_summary_and_the_rest_live(store):
    a_day_of_facts(store)
    period = (at("2020-06-01 00:00"), at("2020-06-03 00:00"))
    with store._session() as session:
        raw = build_report(*raw_facts(session, *period))
    assert build_report(*store.report_facts(*period)) == raw        # nothing counted yet: all live
    store.recount_day(DAY, at("2020-06-10 03:00"))
    with store.engine.begin() as connection:   # a wrong summary shows whether the report reads it
        connection.execute(update(DailyFiguresRow).where(DailyFiguresRow.day == DAY, DailyFiguresRow.unit == "",
                                                         DailyFiguresRow.line == MAIN["line"])
                           .values(offered=DailyFiguresRow.offered + 1000))
    assert build_report(*store.report_facts(*period)).total.offered == raw.total.offered + 1000
    partial = (at("2020-06-01 10:01"), at("2020-06-02 00:00"))       # part of a day: counted live
    with store._session() as session:
        assert build_report(*store.report_facts(*partial)) == build_report(*raw_facts(session, *partial))
    store.recount_day(DAY, at("2020-06-10 03:00"))                    # the recount heals the day
    assert build_report(*store.report_facts(*period)) == raw
    assert build_report(*store.report_facts()) == raw                 # open ends: the whole history


def _summed(store, days):
    with store._session() as session:
        return daily_figures.summed(session, days)
