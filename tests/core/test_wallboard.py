"""The wallboard's figures: per queue, the centre, service level within 15 s, quarter hours, the
last hour of waiting callers. Pure: built from presence facts and the day's calls at a given time."""
from __future__ import annotations

from datetime import timedelta

from ivr.core import presence as p
from ivr.core import wallboard as wb
from support import at

NOW = at("2020-06-01 10:30")
CALL = p.Call("1591000000.1", "q12345", "13900000001", "12345", "centre", "main")


def day(*calls) -> list[wb.DayCall]:
    return [wb.DayCall(at(f"2020-06-01 {hm}"), queue, outcome, wait) for hm, queue, outcome, wait in calls]


def presence() -> p.Presence:
    made = p.Presence(("agent1", "agent2", "agent3", "agent10"), {"q12345": 5})
    for agent in ("agent1", "agent2", "agent3"):
        made.apply(p.Member(agent, "q12345"), NOW - timedelta(minutes=30))
    made.apply(p.Connected("agent1", CALL), NOW - timedelta(seconds=75))
    made.apply(p.Member("agent2", "q12345", paused=True, reason="meeting"), NOW - timedelta(minutes=4))
    made.apply(p.CallerJoined("q12345", "x.1"), NOW - timedelta(seconds=20))
    made.apply(p.CallerJoined("q12345", "x.2"), NOW - timedelta(seconds=5))
    return made


def test_a_queue_row_and_the_centre_total():
    calls = day(("08:01", "q12345", "answered", 4), ("08:20", "q12345", "answered", 15),
                ("08:40", "q12345", "answered", 16), ("09:00", "q12345", "abandoned", 30),
                ("10:29", "q12345", "offered", None), ("09:10", "seat_water", "answered", 2))
    board = wb.build(["q12345", "seat_water"], presence().agents(NOW), {"q12345": presence().waiting("q12345", NOW)},
                     calls, wb.WaitingHistory(), NOW)
    q = board.queues[0]
    assert (q.queue, q.waiting, q.longest_wait_s, q.logged_in, q.ready, q.busy, q.paused) == \
        ("q12345", 2, 20, 3, 1, 1, 1)
    assert (q.offered, q.answered, q.abandoned, q.answered_in_time) == (5, 3, 1, 2)
    assert q.service_level == 2 / 4          # 15 s counts as within; the call still waiting does not count
    assert board.queues[1].service_level == 1.0 and board.queues[1].logged_in == 0
    t = board.total
    assert (t.waiting, t.logged_in, t.offered, t.answered, t.abandoned) == (2, 3, 6, 4, 1)
    assert [c.view.agent for c in board.agents] == ["agent1", "agent2", "agent3", "agent10"]
    talking = board.agents[0]
    assert talking.view.state is p.AgentState.TALKING and talking.seconds == 75 and talking.view.call.line == "12345"
    assert (board.agents[1].view.reason, board.agents[1].seconds) == ("meeting", 240)


def test_no_calls_no_service_level_and_an_unknown_day_is_said_so():
    board = wb.build(["q12345"], [], {}, None, wb.WaitingHistory(), NOW)
    assert board.today_known is False and board.total.service_level is None
    assert wb.build(["q12345"], [], {}, [], wb.WaitingHistory(), NOW).today_known is True


def test_quarter_hours_from_midnight_to_the_current_one():
    calls = day(("00:05", "q", "answered", 1), ("10:16", "q", "answered", 1), ("10:29", "q", "abandoned", 9),
                ("10:29", "q", "offered", None))
    buckets = wb.buckets(calls, NOW)
    assert len(buckets) == 43 and buckets[0].start == at("2020-06-01 00:00") and buckets[-1].start == at("2020-06-01 10:30")
    assert (buckets[0].offered, buckets[0].answered) == (1, 1)
    q = buckets[41]                          # 10:15 - 10:30
    assert (q.start, q.offered, q.answered, q.abandoned) == (at("2020-06-01 10:15"), 3, 1, 1)


def test_the_day_and_the_week_start_in_the_centre_s_zone():
    assert wb.day_start(at("2020-06-03 00:10")) == at("2020-06-03 00:00")
    assert wb.week_start(at("2020-06-03 00:10")) == at("2020-06-01 00:00")   # Monday


def test_waiting_history_keeps_an_hour_of_changes_and_makes_nothing_up():
    history = wb.WaitingHistory()
    assert history.series(NOW) == ()
    history.add(NOW - timedelta(minutes=90), 4)
    history.add(NOW - timedelta(minutes=30), 4)     # no change: no point
    history.add(NOW - timedelta(minutes=20), 1)
    series = history.series(NOW)
    assert series == ((NOW - timedelta(hours=1), 4), (NOW - timedelta(minutes=20), 1), (NOW, 1))
    fresh = wb.WaitingHistory()
    fresh.add(NOW - timedelta(minutes=5), 2)        # after a restart: starts where it was first seen
    assert fresh.series(NOW)[0] == (NOW - timedelta(minutes=5), 2)


def test_natural_order_of_agent_ids():
    assert sorted(["agent10", "agent2", "agent1"], key=wb.natural_key) == ["agent1", "agent2", "agent10"]


def test_the_day_counts_every_offered_caller_and_the_service_level_only_those_who_queued():
    calls = [wb.DayCall(at("2020-06-01 09:00"), "q12345", "answered", 10),
             wb.DayCall(at("2020-06-01 09:01"), "q12345", "abandoned", None, "offer"),
             wb.DayCall(at("2020-06-01 09:02"), "q12345", "abandoned", None, "greeting"),
             wb.DayCall(at("2020-06-01 09:03"), "q12345", "abandoned", 40, "queue"),
             wb.DayCall(at("2020-06-01 09:04"), "q12345", "left_informed"),
             wb.DayCall(at("2020-06-01 09:05"), "q12345", "callback"),
             wb.DayCall(at("2020-06-01 09:06"), "q12345", "called_back")]
    q = wb.build(["q12345"], [], {}, calls, wb.WaitingHistory(), NOW).queues[0]
    assert (q.offered, q.answered, q.abandoned, q.abandoned_before_queue) == (7, 1, 3, 2)
    assert (q.left_informed, q.callbacks, q.called_back) == (1, 2, 1)
    assert q.service_level == 1 / 2     # answered within 15 s over answered + abandoned in the queue
