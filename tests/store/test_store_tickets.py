"""The ticket store's API on SQLite and PostgreSQL: intake, the process, ratings, queries."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ivr.core.kpi import build_report
from ivr.errors import InvalidTransition, TicketError, TicketNotFound
from ivr.store import open_store
from ivr.store.models import CallRow, RatingRow, TicketEventRow, TicketRow
from support import at

T0 = at("2020-06-01 10:00")
INTAKE = dict(line="12345", department="centre", mode="main", queue="q12345", agent="agent1",
              caller="13800000001")


def answer(store, linkedid: str, when=T0, **extra):
    return store.create_ticket_for_answer(linkedid, at=when, **{**INTAKE, **extra})


def count(store, model) -> int:
    with store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def test_an_answered_call_becomes_one_order_and_a_replay_changes_nothing(store):
    ticket, created = answer(store, "1591000000.1", uniqueid="1591000000.2",
                             recording_path="2020/06/01/1591000000.1.wav")
    assert created and ticket.number == "12345-20200601-000001"
    assert ticket.status.value == "received" and ticket.created_at == T0
    assert (ticket.line, ticket.agent, ticket.queue, ticket.uniqueid) == ("12345", "agent1", "q12345", "1591000000.2")
    again, created_again = answer(store, "1591000000.1", when=T0 + timedelta(seconds=3), agent="agent2")
    assert not created_again and again.number == ticket.number and again.agent == "agent1"
    assert count(store, TicketRow) == 1 and count(store, TicketEventRow) == 1
    with store.engine.connect() as connection:
        assert connection.execute(select(CallRow.outcome)).scalars().all() == ["answered"]


def test_numbers_count_per_local_day(store):
    numbers = [answer(store, f"1591000000.{i}", when=T0 + timedelta(minutes=i))[0].number for i in range(3)]
    assert numbers == [f"12345-20200601-00000{i}" for i in (1, 2, 3)]
    # 00:30 on 2 June in Rudong (16:30 UTC on 1 June): a new local day, a new count
    next_day = answer(store, "1591000000.9", when=at("2020-06-02 00:30"))[0]
    assert next_day.number == "12345-20200602-000001"
    assert answer(store, "1591000000.10", when=at("2020-06-01 23:59"))[0].number == "12345-20200601-000004"


def test_the_whole_process_is_stored_with_its_history(store, store_url, policy):
    number = answer(store, "1591000000.1")[0].number
    store.apply(number, "dispatch", "supervisor1", T0 + timedelta(minutes=5), unit="water",
                category="help_request", urgent=True, note="no water on Renmin Road")
    store.apply(number, "sign", "water-desk", T0 + timedelta(minutes=20))
    store.apply(number, "reply", "water-desk", T0 + timedelta(hours=3), text="main repaired")
    store.apply(number, "review", "supervisor2", T0 + timedelta(hours=4), passed=True)
    store.close()
    reopened = open_store(store_url, policy)  # a new process would see the same thing
    try:
        ticket = reopened.get(number)
    finally:
        reopened.close()
    o = ticket.order
    assert o.status.value == "archived" and o.unit == "water" and o.urgent and o.replied_on_time
    assert o.due == T0 + timedelta(minutes=5, hours=24) and ticket.deadline == o.due
    assert [(e.event, e.actor) for e in ticket.history] == [
        ("receive", "ami"), ("dispatch", "supervisor1"), ("sign", "water-desk"), ("reply", "water-desk"),
        ("review", "supervisor2")]
    assert ticket.history[1].data["note"] == "no water on Renmin Road"
    assert all(e.at.utcoffset() == timedelta(hours=8) for e in ticket.history)  # the centre's zone
    assert o.due.utcoffset() == timedelta(hours=8) and ticket.created_at.utcoffset() == timedelta(hours=8)
    assert ticket.history[2].at == T0 + timedelta(minutes=20)
    data = ticket.to_dict(policy.tz)
    assert data["deadline"] == "2020-06-02T10:05:00+08:00" and data["allowed"] == ["rate"]


def test_a_refused_step_writes_nothing(store):
    number = answer(store, "1591000000.1")[0].number
    with pytest.raises(InvalidTransition, match="cannot reply while it is received"):
        store.apply(number, "reply", "water-desk", T0, text="?")
    assert store.get(number).status.value == "received" and count(store, TicketEventRow) == 1


def test_unknown_and_malformed_numbers(store):
    with pytest.raises(TicketNotFound, match="12345-20200601-000009"):
        store.apply("12345-20200601-000009", "sign", "x", T0)
    with pytest.raises(TicketError, match="not a work-order number"):
        store.get("'; DROP TABLE tickets; --")


def test_rating_by_linkedid_or_number_once(store):
    first = answer(store, "1591000000.1")[0]
    second = answer(store, "1591000000.2")[0]
    assert store.rate("1591000000.1", "5", T0 + timedelta(minutes=4)).order.rating == 5
    assert store.rate(second.number, 2, T0 + timedelta(minutes=4), source="cli").order.rating == 2
    with pytest.raises(InvalidTransition, match="already rated 5"):
        store.rate(first.number, 1, T0 + timedelta(minutes=5))
    answer(store, "1591000000.3")
    with pytest.raises(TicketError, match="from 1 to 5"):
        store.rate("1591000000.3", "9", T0)
    with pytest.raises(TicketNotFound):
        store.rate("1591000000.404", 3, T0)
    assert count(store, RatingRow) == 2


@pytest.mark.parametrize("linkedid", ["", " ", "x" * 65, "1591'; DROP TABLE tickets;--", "159\n1", None, 42])
def test_hostile_linkedids_are_refused(store, linkedid):
    with pytest.raises(TicketError, match="not an Asterisk linkedid"):
        store.create_ticket_for_answer(linkedid, at=T0, **INTAKE)
    assert count(store, TicketRow) == 0


def test_hostile_caller_ids_are_cleaned_and_bounded(store):
    hostile = "\"Robert'); DROP TABLE tickets;--\" <138\x00\r\n0000>" + "9" * 200
    ticket = answer(store, "1591000000.1", caller=hostile, agent="agent1\x07")[0]
    assert "\x00" not in ticket.caller and "\n" not in ticket.caller and len(ticket.caller) == 64
    assert ticket.agent == "agent1"
    assert store.get(ticket.number).caller == ticket.caller  # stored as given, cleaned


def test_naive_times_are_refused(store):
    from datetime import datetime
    naive = datetime(2020, 6, 1, 10)
    with pytest.raises(TicketError, match="aware"):
        store.create_ticket_for_answer("1591000000.1", at=naive, **INTAKE)
    with pytest.raises(TicketError, match="aware"):
        store.record_call("1591000000.1", at=naive, outcome="offered", line="12345")
    assert count(store, TicketRow) == count(store, CallRow) == 0


def test_call_outcomes_only_move_forward(store):
    common = dict(line="051380000301", department="environment", mode="dedicated")
    assert store.record_call("1.1", at=T0, outcome="offered", queue="seat_environment", **common) == "offered"
    assert store.record_call("1.1", at=T0, outcome="offered", **common) == "offered"
    assert store.record_call("1.1", at=T0, outcome="abandoned", wait_seconds=30, **common) == "abandoned"
    # the overflow queue answered after the seat queue gave up: answered wins, whatever the order
    answer(store, "1.1", **common)
    assert store.record_call("1.1", at=T0, outcome="abandoned", **common) == "answered"
    assert store.record_call("2.1", at=T0, outcome="abandoned", **common) == "abandoned"
    with pytest.raises(TicketError, match="outcome must be one of"):
        store.record_call("3.1", at=T0, outcome="lost", **common)
    assert count(store, CallRow) == 2


def test_recording_is_attached_to_the_order(store):
    number = answer(store, "1591000000.1")[0].number
    ticket = store.attach_recording("1591000000.1", "2020/06/01/a.wav", "ab" * 32, 1234)
    assert (ticket.recording_path, ticket.recording_size) == ("2020/06/01/a.wav", 1234)
    assert store.recordings() == [(number, "2020/06/01/a.wav", "ab" * 32, 1234)]
    with pytest.raises(TicketNotFound):
        store.attach_recording("9.9", "x.wav", "00", 1)


def test_sweep_marks_and_escalates_once_and_feeds_the_supervision_list(store):
    late = answer(store, "1.1")[0].number
    fine = answer(store, "1.2")[0].number
    spot = answer(store, "1.3")[0].number
    store.apply(late, "dispatch", "sup", T0, unit="gas", category="consultation")   # due 3 June 00:00
    store.apply(fine, "dispatch", "sup", T0, unit="gas", category="complaint")
    store.apply(fine, "sign", "gas-desk", T0 + timedelta(minutes=30))
    store.apply(spot, "close", "agent1", T0)
    steps = store.sweep(at("2020-06-03 00:00"))
    assert steps == [(late, "mark_overdue"), (late, "mark_overdue"), (late, "escalate")]
    assert store.sweep(at("2020-06-03 00:00")) == []
    assert store.sweep(at("2020-06-03 09:00")) == []
    ticket = store.get(late)
    assert ticket.order.overdue and ticket.order.sign_late and ticket.order.escalated
    assert ticket.history[-1].actor == "scheduler"
    assert [t.number for t in store.list(supervision=True)] == [late]
    assert [t.number for t in store.list(overdue=True)] == [late]
    assert {t.number for t in store.list(status="dispatched")} == {late}
    assert [t.number for t in store.list(unit="gas")] == [fine, late]  # newest first
    assert len(store.list(limit=2)) == 2


def test_report_facts_feed_the_kpis(store):
    for i in range(10):
        # each caller reaches the queue's door (offered), then an agent answers
        store.record_call(f"1.{i}", at=T0 + timedelta(minutes=i), outcome="offered", door=True,
                          **{k: INTAKE[k] for k in ("line", "department", "mode")})
        number = answer(store, f"1.{i}", when=T0 + timedelta(minutes=i, seconds=5))[0].number
        if i < 7:
            store.apply(number, "close", "agent1", T0 + timedelta(minutes=i, seconds=30))
        else:
            store.apply(number, "dispatch", "sup", T0 + timedelta(minutes=i, seconds=30), unit="water",
                        category="consultation")
        if i % 2 == 0:
            store.rate(number, 4 if i < 6 else 2, T0 + timedelta(minutes=20))
    store.record_call("2.1", at=T0, outcome="abandoned", line="12345", department="centre", mode="main",
                      door=True)
    store.record_call("3.1", at=at("2020-07-01 10:00"), outcome="abandoned", line="12345",
                      department="centre", mode="main", door=True)
    answer(store, "4.1", when=T0)   # a callback's own call: answered, with an order, never offered
    report = build_report(*store.report_facts(at("2020-06-01 00:00"), at("2020-06-02 00:00")))
    t = report.total
    assert (t.offered, t.answered, t.abandoned) == (11, 10, 1)
    assert (t.received, t.on_the_spot, t.dispatched) == (11, 7, 3)
    assert t.on_the_spot_rate == 7 / 11 and t.rated == 5 and t.average_satisfaction == (4 * 3 + 2 * 2) / 5
    assert set(report.by_unit) == {"water"} and report.by_unit["water"].dispatched == 3
    everything = build_report(*store.report_facts())
    assert everything.total.abandoned == 2


def test_the_matter_written_at_intake_is_kept_on_the_order(store):
    ticket, _ = store.create_ticket_for_answer("1717000000.901", at=at("2020-06-01 10:00"), line="12345",
                                               department="centre", mode="main", agent="agent1")
    store.apply(ticket.number, "close", "agent1", at("2020-06-01 10:05"), category="consultation",
                title="<b>图书馆</b>开放时间", description="周一闭馆吗？", place="县图书馆",
                article="library-hours")
    order = store.get(ticket.number).order
    assert (order.title, order.description, order.place, order.article) == (
        "<b>图书馆</b>开放时间", "周一闭馆吗？", "县图书馆", "library-hours")
    assert store.get(ticket.number).to_dict()["article"] == "library-hours"
    assert store.received_by_agent("agent1") == []


def test_received_by_agent_lists_only_that_agents_waiting_orders(store):
    for n, agent in enumerate(["agent1", "agent2", "agent1"]):
        store.create_ticket_for_answer(f"1717000000.91{n}", at=at(f"2020-06-01 10:0{n}"), line="12345",
                                       department="centre", mode="main", agent=agent)
    mine = store.received_by_agent("agent1")
    assert [t.agent for t in mine] == ["agent1", "agent1"]
    assert mine[0].created_at < mine[1].created_at
