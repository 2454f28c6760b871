"""Judging a node's death from the carrier's and Kamailio's records (pure; the end-to-end test
runs it on a real lab)."""
from __future__ import annotations

from ivr.cluster.calls import CallRecord, FrontEvent, FrontLog
from ivr.cluster.failover import judge

DEAD, LIVE = "10.0.0.11", "10.0.0.12"


def _call(cid, invited, node="", answered=None, ended=None):
    return CallRecord(cid, invited, answered, node, ended)


def _front(*events):
    return FrontLog([FrontEvent(kind, at, cid, node) for kind, cid, node, at in events])


def test_a_clean_failover():
    calls = {c.call_id: c for c in (
        _call("done-before", 1.0, DEAD, 1.01, 2.0),       # on the dead node, ended before the fault
        _call("carried", 3.0, DEAD, 3.01, None),           # on the dead node at its death: lost
        _call("elsewhere", 4.0, LIVE, 4.01, 9.0),
        _call("in-flight", 9.9, LIVE, 11.0, 14.0),         # sent to the dead node, retried
        _call("new", 10.5, LIVE, 10.51, 14.0),
    )}
    front = _front(("dispatch", "done-before", DEAD, 1.0), ("dispatch", "carried", DEAD, 3.0),
                   ("dispatch", "elsewhere", LIVE, 4.0), ("dispatch", "in-flight", DEAD, 9.9),
                   ("dispatch", "new", DEAD, 10.5), ("retry", "new", LIVE, 10.51),
                   ("node-silent", "in-flight", DEAD, 10.9), ("retry", "in-flight", LIVE, 10.9),
                   ("node-down", "", DEAD, 10.95))
    report = judge(calls, front, DEAD, fault_at=10.0)
    assert report.cut == ["carried"] and report.retried == ["in-flight", "new"]
    assert report.held and report.before == 4 and report.after == 1
    assert report.switch_seconds == 0.5 and abs(report.marked_down - 0.9) < 1e-9
    assert report.by_node == {DEAD: 2, LIVE: 3}
    text = "\n".join(report.lines())
    assert "lost with it: 1 (carried)" in text and "retried on another node: 2" in text
    assert "calls begun after the fault that failed: 0" in text


def test_a_caller_who_heard_an_error_is_caught():
    calls = {"refused": _call("refused", 11.0), "stranded": _call("stranded", 9.5),
             "cut-live": _call("cut-live", 5.0, LIVE, 5.1, None)}
    front = _front(("dispatch", "refused", LIVE, 11.0), ("dispatch", "stranded", DEAD, 9.5),
                   ("retry", "stranded", LIVE, 10.6), ("dispatch", "cut-live", LIVE, 5.0))
    report = judge(calls, front, DEAD, fault_at=10.0)
    assert not report.held
    assert report.failed_after == ["refused"] and report.stranded == ["stranded"]
    assert report.failed_other == ["cut-live"] and report.marked_down is None
    assert report.switch_seconds == 0.0
