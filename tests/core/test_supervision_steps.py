"""The supervisor's steps beside the review: re-dispatch a dispatched or signed order (to the same
or another unit, new deadlines, supervised) and call back a citizen who rated 1 or 2 (回访)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.core import workflow
from ivr.core.workflow import Status
from ivr.errors import InvalidTransition, TicketError
from core.test_workflow import T0, dispatched, fresh, replied, step


def test_a_redispatch_sends_an_overdue_order_to_another_unit_with_new_deadlines():
    order = step(dispatched(), "mark_overdue", 200, "scheduler", what="sign")
    order = step(order, "escalate", 200, "scheduler", reason="not signed")
    order = step(order, "redispatch", 240, "wang", unit="urban_management", note="路灯所未签收，改派")
    assert (order.status, order.unit, order.supervised, order.sign_late, order.dispatch_count) == \
        (Status.DISPATCHED, "urban_management", True, False, 2)
    assert order.sign_by == T0 + timedelta(minutes=240, hours=2)
    last = order.history[-1]
    assert (last.event, last.actor, last.data["unit"], last.data["note"]) == \
        ("redispatch", "wang", "urban_management", "路灯所未签收，改派")


def test_a_signed_order_may_be_redispatched_to_the_same_unit():
    order = step(step(dispatched(), "sign", 30), "redispatch", 60, "wang")
    assert (order.status, order.unit, order.signed_at) == (Status.DISPATCHED, "water", None)


@pytest.mark.parametrize("state", ["received", "replied"])
def test_redispatch_is_only_for_dispatched_or_signed_orders(state):
    order = fresh() if state == "received" else replied()
    with pytest.raises(InvalidTransition):
        step(order, "redispatch", 800, "wang", unit="water")


def test_a_failed_review_still_dispatches_again_the_same_way():
    order = step(replied(), "review", 700, "wang", passed=False, note="未告知市民")
    assert (order.status, order.supervised, order.dispatch_count) == (Status.DISPATCHED, True, 2)
    assert order.history[-1].data == {"passed": False, "note": "未告知市民", "unit": "water",
                                      "sign_by": order.sign_by.isoformat(), "due": order.due.isoformat()}


def test_a_callback_is_recorded_after_a_low_rating_only():
    closed = step(fresh(), "close", 3, category="consultation")
    assert "callback" not in workflow.allowed(closed)
    happy = step(closed, "rate", 5, "citizen", rating=5)
    with pytest.raises(InvalidTransition):
        step(happy, "callback", 60, "wang")
    unhappy = step(closed, "rate", 5, "citizen", rating=2)
    called = step(unhappy, "callback", 60, "wang", note="市民表示理解", reached=True)
    again = step(called, "callback", 90, "wang", reached=False)
    assert [(e.event, e.data) for e in again.history[-2:]] == [
        ("callback", {"reached": True, "note": "市民表示理解"}), ("callback", {"reached": False})]
    assert again.status is Status.CLOSED and again.rating == 2
    with pytest.raises(TicketError, match="reached must be true or false"):
        step(unhappy, "callback", 60, "wang", reached="yes")
