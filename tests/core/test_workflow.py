"""The work-order process: every allowed path, every refused step, the sweep's decisions."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ivr.core import workflow
from ivr.core.deadlines import Policy
from ivr.core.schedule import Calendar
from ivr.core.workflow import Status, WorkOrder, apply, new_order, parse_rating, sweep_steps
from ivr.errors import InvalidTransition, TicketError
from support import at

POLICY = Policy(Calendar(), at("2020-06-01 00:00").tzinfo)
T0 = at("2020-06-01 10:00")  # Monday


def fresh() -> WorkOrder:
    return new_order("12345-20200601-000001", T0, "ami", agent="agent1", queue="q12345")


def step(order: WorkOrder, event: str, minutes: int, actor: str = "someone", **data) -> WorkOrder:
    return apply(order, event, actor, T0 + timedelta(minutes=minutes), POLICY, **data)


def dispatched(minutes: int = 5, **data) -> WorkOrder:
    data = {"unit": "water", "category": "complaint", **data}
    return step(fresh(), "dispatch", minutes, "supervisor1", **data)


def replied() -> WorkOrder:
    return step(step(dispatched(), "sign", 30, "water-desk"), "reply", 600, "water-desk", text="pipe fixed")


# Paths to a state, for the table of refused steps.
PATHS = {
    "received": fresh,
    "closed": lambda: step(fresh(), "close", 3, category="consultation"),
    "dispatched": dispatched,
    "signed": lambda: step(dispatched(), "sign", 30),
    "replied": replied,
    "archived": lambda: step(replied(), "review", 700, passed=True),
}


def test_the_whole_way_to_the_archive_records_who_and_when():
    order = step(replied(), "review", 700, "supervisor2", passed=True, note="citizen satisfied")
    assert order.status is Status.ARCHIVED
    assert order.closed_at == T0 + timedelta(minutes=700)
    assert [(e.event, e.actor) for e in order.history] == [
        ("receive", "ami"), ("dispatch", "supervisor1"), ("sign", "water-desk"),
        ("reply", "water-desk"), ("review", "supervisor2")]
    assert [e.at for e in order.history] == [T0 + timedelta(minutes=m) for m in (0, 5, 30, 600, 700)]
    assert order.history[1].data["unit"] == "water" and order.history[1].data["category"] == "complaint"
    assert order.history[3].data == {"text": "pipe fixed", "on_time": True}
    assert order.replied_on_time is True and order.dispatch_count == 1
    assert workflow.allowed(order) == ["rate"]


def test_answered_on_the_spot_closes_at_intake():
    order = step(fresh(), "close", 3, "agent1", category="consultation", note="opening hours given")
    assert order.status is Status.CLOSED and order.closed_at == T0 + timedelta(minutes=3)
    assert order.category.value == "consultation" and not order.is_open


def test_dispatch_sets_the_deadlines_from_the_policy():
    order = dispatched(urgent=True)
    assert order.sign_by == T0 + timedelta(minutes=5, hours=2)
    assert order.due == T0 + timedelta(minutes=5, hours=24)
    assert order.history[-1].data["due"] == order.due.isoformat()


def test_a_failed_review_dispatches_again_under_supervision():
    first = replied()
    again = step(first, "review", 700, "supervisor2", passed=False, note="not fixed, water still off")
    assert again.status is Status.DISPATCHED and again.supervised and again.dispatch_count == 2
    assert again.signed_at is None
    assert again.due == POLICY.terms("complaint", False, T0 + timedelta(minutes=700)).due
    other = step(first, "review", 700, passed=False, unit="urban_management")
    assert other.unit == "urban_management"
    # and round it goes: sign, reply, pass
    done = step(step(step(again, "sign", 710), "reply", 800, text="fixed"), "review", 900, passed=True)
    assert done.status is Status.ARCHIVED


REFUSED = [  # state, event, data, allowed steps the message must list
    ("received", "sign", {}, "close, dispatch, rate"),
    ("received", "reply", {"text": "x"}, "close, dispatch, rate"),
    ("received", "review", {"passed": True}, "close, dispatch, rate"),
    ("received", "escalate", {}, "close, dispatch, rate"),
    ("closed", "dispatch", {"unit": "water", "category": "complaint"}, "rate"),
    ("closed", "close", {}, "rate"),
    ("dispatched", "close", {}, "sign, rate, mark_overdue, escalate"),
    ("dispatched", "reply", {"text": "x"}, "sign, rate, mark_overdue, escalate"),
    ("dispatched", "dispatch", {"unit": "water", "category": "complaint"}, "sign, rate"),
    ("signed", "sign", {}, "reply, rate, mark_overdue, escalate"),
    ("signed", "review", {"passed": True}, "reply, rate"),
    ("replied", "reply", {"text": "again"}, "review, rate, escalate"),
    ("replied", "mark_overdue", {}, "review, rate, escalate"),
    ("archived", "review", {"passed": False}, "rate"),
    ("archived", "dispatch", {"unit": "water", "category": "complaint"}, "rate"),
    ("archived", "escalate", {}, "rate"),
]


@pytest.mark.parametrize("state, event, data, listed", REFUSED)
def test_refused_steps_say_what_is_allowed(state, event, data, listed):
    order = PATHS[state]()
    with pytest.raises(InvalidTransition) as caught:
        step(order, event, 1000, **data)
    message = str(caught.value)
    assert order.number in message and f"cannot {event} while it is {state}" in message
    assert listed in message
    assert caught.value.allowed == workflow.allowed(order)


def test_a_closed_and_rated_order_allows_nothing():
    order = step(PATHS["closed"](), "rate", 10, "citizen", rating=5)
    with pytest.raises(InvalidTransition, match="none \\(the order is closed\\)"):
        step(order, "dispatch", 11, unit="water", category="complaint")


@pytest.mark.parametrize("state", list(PATHS))
def test_rating_is_allowed_once_in_any_state(state):
    order = step(PATHS[state](), "rate", 1000, "citizen", rating="4", source="ivr")
    assert order.rating == 4 and order.rated_at == T0 + timedelta(minutes=1000)
    assert order.status.value == state
    with pytest.raises(InvalidTransition, match="already rated 4"):
        step(order, "rate", 1001, "citizen", rating=5)


@pytest.mark.parametrize("value, expected", [(1, 1), (5, 5), ("3", 3), (" 2 ", 2)])
def test_valid_ratings(value, expected):
    assert parse_rating(value) == expected


@pytest.mark.parametrize("value", [0, 6, -1, "0", "6", "", " ", None, True, 3.5, "3.0", "abc",
                                   "٣", "1; DROP TABLE", "55", "*", "#"])
def test_invalid_ratings_are_refused(value):
    with pytest.raises(TicketError, match="rating must be a whole number from 1 to 5"):
        step(fresh(), "rate", 1, "citizen", rating=value)


BAD_DATA = [  # event, data, message
    ("dispatch", {"category": "complaint"}, "needs the responsible unit"),
    ("dispatch", {"unit": "  ", "category": "complaint"}, "needs the responsible unit"),
    ("dispatch", {"unit": "water"}, "needs a category"),
    ("dispatch", {"unit": "water", "category": "praise"}, "unknown category 'praise'"),
    ("dispatch", {"unit": "water", "category": "complaint", "urgent": "yes"}, "urgent must be true or false"),
    ("dispatch", {"unit": "water", "category": "complaint", "colour": "red"}, "does not take colour"),
    ("close", {"note": 42}, "note must be text"),
    ("frobnicate", {}, "unknown step 'frobnicate'"),
]


@pytest.mark.parametrize("event, data, message", BAD_DATA)
def test_bad_step_data_is_named(event, data, message):
    with pytest.raises(TicketError, match=message):
        step(fresh(), event, 1, **data)


def test_review_needs_a_verdict():
    with pytest.raises(TicketError, match="passed=True or passed=False"):
        step(replied(), "review", 700)


def test_dispatch_without_a_calendar_is_refused():
    with pytest.raises(TicketError, match="calendar"):
        apply(fresh(), "dispatch", "s", T0, None, unit="water", category="complaint")


@pytest.mark.parametrize("actor", ["", "   ", None, 7])
def test_every_step_needs_an_actor(actor):
    with pytest.raises(TicketError, match="who took it"):
        apply(fresh(), "close", actor, T0, POLICY)


def test_time_must_be_aware_and_not_before_intake():
    with pytest.raises(TicketError, match="aware"):
        apply(fresh(), "close", "a", datetime(2020, 6, 1, 10, 5), POLICY)
    with pytest.raises(TicketError, match="before the order was taken in"):
        apply(fresh(), "close", "a", T0 - timedelta(seconds=1), POLICY)


def test_long_text_is_bounded():
    order = step(fresh(), "close", 1, note="x" * 10_000)
    assert len(order.history[-1].data["note"]) == workflow.MAX_TEXT


def test_late_reply_and_late_sign_are_recorded():
    order = dispatched()  # complaint dispatched Monday 10:05: due 16 June 00:00, sign by 12:05
    late_sign = step(order, "sign", 5 + 121)
    assert late_sign.history[-1].data["on_time"] is False
    late = apply(late_sign, "reply", "unit", at("2020-06-16 00:00"), POLICY, text="done")
    assert late.replied_on_time is False
    in_time = apply(late_sign, "reply", "unit", at("2020-06-15 23:59"), POLICY, text="done")
    assert in_time.replied_on_time is True


SWEEP = [  # state builder, now, expected steps
    ("dispatched", "2020-06-01 12:04", []),
    ("dispatched", "2020-06-01 12:05", [("mark_overdue", {"what": "sign"}),
                                        ("escalate", {"reason": "not signed for within the sign-off time"})]),
    ("dispatched", "2020-06-16 00:00", [("mark_overdue", {"what": "sign"}), ("mark_overdue", {"what": "reply"}),
                                        ("escalate", {"reason": "reply deadline missed"})]),
    ("signed", "2020-06-15 23:59", []),
    ("signed", "2020-06-16 00:00", [("mark_overdue", {"what": "reply"}),
                                    ("escalate", {"reason": "reply deadline missed"})]),
    ("replied", "2020-07-01 00:00", []),
    ("received", "2020-07-01 00:00", []),
    ("closed", "2020-07-01 00:00", []),
    ("archived", "2020-07-01 00:00", []),
]


@pytest.mark.parametrize("state, now, expected", SWEEP)
def test_sweep_steps(state, now, expected):
    order = PATHS[state]()
    steps = sweep_steps(order, at(now))
    assert [(e.value, d) for e, d in steps] == expected
    for event, data in steps:  # every step it proposes is one the process accepts
        order = apply(order, event, workflow.SCHEDULER, at(now), POLICY, **data)
    assert sweep_steps(order, at(now)) == []  # and a second sweep does nothing


def test_sweep_marks_reply_overdue_after_an_earlier_sign_escalation():
    order = PATHS["dispatched"]()
    for event, data in sweep_steps(order, at("2020-06-01 13:00")):
        order = apply(order, event, "scheduler", at("2020-06-01 13:00"), POLICY, **data)
    assert order.sign_late and order.escalated and not order.overdue
    later = sweep_steps(order, at("2020-06-16 01:00"))
    assert [(e.value, d) for e, d in later] == [("mark_overdue", {"what": "reply"})]


def test_failed_review_clears_the_overdue_marks():
    order = PATHS["signed"]()
    for event, data in sweep_steps(order, at("2020-06-16 01:00")):
        order = apply(order, event, "scheduler", at("2020-06-16 01:00"), POLICY, **data)
    order = apply(order, "reply", "unit", at("2020-06-17 09:00"), POLICY, text="late")
    again = apply(order, "review", "sup", at("2020-06-17 10:00"), POLICY, passed=False)
    assert not again.overdue and not again.sign_late and again.escalated and again.supervised


def test_mark_overdue_what_is_checked():
    with pytest.raises(TicketError, match="use 'sign' or 'reply'"):
        step(dispatched(), "mark_overdue", 10, what="lunch")


# --- the matter written down at intake: title, description, place, knowledge-base article -------

def test_close_keeps_the_matter_and_records_it_in_the_history():
    order = step(fresh(), "close", 3, "agent1", category="consultation", title=" 图书馆开放时间 ",
                 description="市民问周一是否开放", place="县图书馆", article="library-hours")
    assert (order.title, order.description, order.place, order.article) == (
        "图书馆开放时间", "市民问周一是否开放", "县图书馆", "library-hours")
    assert order.history[-1].data == {"category": "consultation", "title": "图书馆开放时间",
                                      "description": "市民问周一是否开放", "place": "县图书馆",
                                      "article": "library-hours"}


def test_dispatch_takes_the_matter_and_cuts_it_to_its_limits():
    order = dispatched(title="x" * 500, description="停水" * 5000, place="  ")
    assert len(order.title) == workflow.MAX_TITLE and len(order.description) == workflow.MAX_TEXT
    assert order.place is None and "place" not in order.history[-1].data


def test_a_step_without_the_matter_changes_nothing_of_it():
    order = step(fresh(), "close", 3, category="consultation")
    assert (order.title, order.description, order.place, order.article) == (None,) * 4


def test_matter_fields_must_be_text():
    with pytest.raises(TicketError, match="title must be text"):
        step(fresh(), "close", 3, title=5)
