"""The surge's verdict, from queue_log lines: queued or overflowed, never dropped, one order each."""
from __future__ import annotations

from ivr.bench.surge import ABANDONED, ANSWERED, DROPPED, judge, paths
from ivr.core.call_events import parse_queue_log_line

LINE = "051380000304"
QUEUE_LOG = """\
1700000000|c1|seat_water|NONE|IVRINFO|051380000304|water|dedicated||13900000002
1700000000|c1|seat_water|NONE|ENTERQUEUE||13900000002|1
1700000001|c1|seat_water|agent8|CONNECT|1|c1-agent|0
1700000003|c1|seat_water|agent8|COMPLETEAGENT|1|2|1
1700000000|c2|seat_water|NONE|IVRINFO|051380000304|water|dedicated||13900000002
1700000000|c2|seat_water|NONE|ENTERQUEUE||13900000002|2
1700000020|c2|seat_water|NONE|EXITWITHTIMEOUT|2|1|20
1700000020|c2|q12345|NONE|IVRINFO|051380000304|water|dedicated||13900000002
1700000020|c2|q12345|NONE|ENTERQUEUE||13900000002|1
1700000021|c2|q12345|agent1|CONNECT|1|c2-agent|0
1700000000|c3|seat_water|NONE|IVRINFO|051380000304|water|dedicated||13900000002
1700000000|c3|seat_water|NONE|ENTERQUEUE||13900000002|3
1700000020|c3|seat_water|NONE|EXITWITHTIMEOUT|3|1|20
1700000020|c3|q12345|NONE|IVRINFO|051380000304|water|dedicated||13900000002
1700000020|c3|q12345|NONE|ENTERQUEUE||13900000002|2
1700000045|c3|q12345|NONE|ABANDON|2|1|25
1700000000|c4|seat_water|NONE|IVRINFO|051380000304|water|dedicated||13900000002
1700000000|c4|seat_water|NONE|ENTERQUEUE||13900000002|4
1700000020|c4|seat_water|NONE|EXITEMPTY|4|1|20
1700000000|x9|q12345|NONE|IVRINFO|12345|centre|main||13900000001
1700000000|x9|q12345|NONE|ENTERQUEUE||13900000001|1
not a queue log line
"""


def entries():
    return [e for e in map(parse_queue_log_line, QUEUE_LOG.splitlines()) if e is not None]


def test_paths_follow_each_call_of_the_line_through_its_queues():
    got = {p.callid: p for p in paths(entries(), LINE)}
    assert set(got) == {"c1", "c2", "c3", "c4"}          # x9 rang another line
    assert (got["c1"].outcome, got["c1"].answered_in, got["c1"].agent) == (ANSWERED, "seat_water", "agent8")
    assert got["c2"].queues == ("seat_water", "q12345") and got["c2"].overflowed
    assert got["c2"].outcome == ANSWERED and got["c2"].answered_in == "q12345"
    assert got["c3"].outcome == ABANDONED                 # the caller gave up: not a drop
    assert got["c4"].outcome == DROPPED                   # left the seat queue with nowhere to go


def test_judge_passes_a_clean_surge():
    clean = [p for p in paths(entries(), LINE) if p.callid != "c4"]
    verdict = judge(3, 3, 0, clean, ["c1", "c2", "zz-other-call"], agent_answers=2)
    assert verdict.passed, verdict.problems
    assert (verdict.queued, verdict.overflowed, verdict.answered, verdict.abandoned) == (3, 2, 2, 1)
    assert verdict.answered_by_queue == {"seat_water": 1, "q12345": 1}
    assert verdict.tickets == 2


def test_judge_names_every_broken_promise():
    verdict = judge(8, 6, 1, paths(entries(), LINE), ["c1", "c3"], agent_answers=3)
    text = " | ".join(verdict.problems)
    assert not verdict.passed
    assert "SIPp placed 6 of the 8 calls asked for" in text
    assert "1 call(s) failed at the caller" in text
    assert "1 call(s) left a queue with nowhere to go: c4" in text
    assert "2 call(s) never entered a queue" in text        # 6 placed, 4 seen in the queue log
    assert "1 answered call(s) without a work order: c2" in text
    assert "1 work order(s) for calls nobody answered: c3" in text
    assert "the agents answered 3 call(s), the queue log shows 2" in text
    assert verdict.to_dict()["passed"] is False


def test_a_surge_with_no_call_placed_fails():
    verdict = judge(300, 0, 0, [], [], agent_answers=0)
    assert not verdict.passed and "SIPp placed 0 of the 300 calls" in verdict.problems[0]
