"""A transfer goes on the order's history once, and leaves its status alone."""
from __future__ import annotations

from datetime import timedelta

import pytest

from support import at
from ivr.core import transfers, workflow
from ivr.errors import TicketError

T0 = at("2026-09-09 10:00")


def order():
    return workflow.new_order("12345-20260909-000001", T0, "ami", line="12345")


def test_a_transfer_is_a_history_line_not_a_step():
    before = order()
    after = transfers.record_transfer(before, to="051380002401", department="justice", kind="blind",
                                      agent="agent3", at=T0 + timedelta(seconds=40), dialled="80002401")
    assert after.status is before.status and workflow.allowed(after) == workflow.allowed(before)
    entry = after.history[-1]
    assert (entry.event, entry.actor, entry.at) == ("transfer", "agent3", T0 + timedelta(seconds=40))
    assert entry.data == {"to": "051380002401", "department": "justice", "kind": "blind",
                          "dialled": "80002401"}
    assert transfers.transfers(after) == [entry]


def test_the_same_transfer_twice_is_recorded_once_but_a_later_one_again():
    once = transfers.record_transfer(order(), to="051380002401", department="justice", kind="attended",
                                     agent="agent3", at=T0 + timedelta(seconds=40))
    replay = transfers.record_transfer(once, to="051380002401", department="justice", kind="attended",
                                       agent="agent3", at=T0 + timedelta(seconds=41))
    assert replay is once
    later = transfers.record_transfer(once, to="051380002401", department="justice", kind="attended",
                                      agent="agent4", at=T0 + timedelta(minutes=3))
    other_kind = transfers.record_transfer(once, to="051380002401", department="justice", kind="threeway",
                                           agent="agent3", at=T0 + timedelta(seconds=41))
    assert len(transfers.transfers(later)) == 2 and len(transfers.transfers(other_kind)) == 2


def test_a_closed_order_still_records_its_transfer():
    closed = workflow.apply(order(), "close", "li", T0 + timedelta(seconds=30))
    after = transfers.record_transfer(closed, to="051380002403", department="library", kind="blind",
                                      agent="agent1", at=T0 + timedelta(seconds=35))
    assert after.status is workflow.Status.CLOSED and after.history[-1].event == "transfer"


@pytest.mark.parametrize("change, message", [
    ({"kind": "conference"}, "transfer kind 'conference' is not one of blind, attended, threeway"),
    ({"to": ""}, "needs the line"),
    ({"agent": ""}, "needs the agent"),
    ({"at": T0.replace(tzinfo=None)}, "at"),
])
def test_bad_transfers_are_refused_with_the_reason(change, message):
    data = dict(to="051380002401", department="justice", kind="blind", agent="agent3", at=T0)
    with pytest.raises(TicketError) as err:
        transfers.record_transfer(order(), **{**data, **change})
    assert message in str(err.value)
