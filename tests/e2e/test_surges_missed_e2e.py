"""Missed calls called back (漏接回拨) with the real Asterisk, SIPp and the engine (`ivr serve`).

A caller queued with nobody free waits past the threshold and hangs up without asking for
anything; the engine records a ``missed`` callback request; an agent logs in and frees up; the
engine calls the citizen back through the carrier trunk (SIPp plays the citizen's phone), the
call joins the queue, the agent answers, and a work order is created for the citizen's number.
The report counts the missed call as called back within the hour.

Its file sorts after ``test_surges_e2e.py``: like that file's callback test, it leaves the
citizen's side of the callback in Asterisk for a while after the phone is gone, which would keep
the next test's callback from finding a free agent.
"""
from __future__ import annotations

import pytest
from e2e.asterisk_lab import CARRIER_PORT
from e2e.test_surges_e2e import sqlite_url, staff  # noqa: F401 - the same fixtures
from e2e.engine_process import running_engine

pytestmark = pytest.mark.asterisk

MISSED = {"IVR_MISSED_AFTER": "3", "IVR_MISSED_HOURS": "00:00-24:00", "IVR_CALLBACK_RETRY_AFTER": "5",
          "IVR_CALLBACK_RING": "20"}


def test_a_caller_who_hangs_up_in_the_queue_is_called_back_and_the_call_makes_a_work_order(
        clean_queues, staff, sqlite_url, tmp_path):  # noqa: F811 - fixtures
    lab = clean_queues   # nobody logged in: the caller waits in the general queue
    citizen = "13955550077"
    log = tmp_path / "engine.log"
    with running_engine(lab.settings, log, database_url=sqlite_url, **MISSED) as engine:
        # greeting (3 s), then queued; the caller gives up about 10 s later, pressing nothing
        result, hangup = lab.call("12345", talk_ms=13_000, caller=citizen, timeout=45)
        assert result.ok, result.output[-2000:]
        assert engine.wait_for("ledger.missed_call", timeout=15), engine.log()[-3000:]
        [request] = staff("callbacks", "list", "--json")
        assert (request["number"], request["queue"], request["status"], request["via"]) == \
            (citizen, "q12345", "waiting", "missed")
        assert request["linkedid"] == hangup["uniqueid"]
        # an agent frees up: the citizen's phone rings and answers, the agent takes the call
        with lab.party("citizen", CARRIER_PORT) as phone, lab.agent("agent1", behaviour="answer_hangup") as agent1:
            lab.login("agent1")
            assert [c.dialled for c in phone.wait_for(1, timeout=30)] == [citizen]
            assert [c.caller for c in agent1.wait_for(1, timeout=30)] == [citizen]
            assert engine.wait_for("callbacks.try_ended", timeout=30), engine.log()[-4000:]
            assert engine.wait_for("ledger.ticket", timeout=30), engine.log()[-4000:]
    [request] = staff("callbacks", "list", "--json")
    assert (request["status"], request["tries"], request["via"]) == ("answered", 1, "missed")
    [attempt] = request["attempts"]
    orders = [t for t in staff("tickets", "list", "--json", "--limit", "1000") if t["caller"] == citizen]
    assert len(orders) == 1, orders
    assert (orders[0]["queue"], orders[0]["agent"], orders[0]["linkedid"]) == ("q12345", "agent1", attempt["linkedid"])
    report = staff("report", "--json")
    assert report["missed"]["missed"] == 1 and report["missed"]["called_back_1h"] == 1
    assert report["queues"]["q12345"]["callbacks_by_via"] == {"missed": 1}
