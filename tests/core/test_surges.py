"""The surge core, table-driven: who may be called back, what a try leads to, which notice a call
hears (only on its lines and queues, only inside its window), and the callers' choices as facts."""
from __future__ import annotations

from datetime import timedelta

import pytest
from support import at

from ivr.core import call_events as ce
from ivr.core import callbacks as cb
from ivr.core.callbacks import (
    CallbackPolicy,
    CallbackStatus,
    after_try,
    Member,
    callback_number,
    free_for_callback,
    to_dial,
)
from ivr.core.decision import Action
from ivr.core.notices import Notice, active_notice, announce, window_problem
from ivr.core.routing import Call, decide

NOW = at("2020-09-09 19:05")


@pytest.mark.parametrize("raw, dialled", [
    ("13900000001", "13900000001"),          # a mobile
    ("+86 139 0000 0001", "13900000001"),    # with the country code
    ("008613900000001", "13900000001"),
    ("80000101", "051380000101"),            # a county fixed line, local form
    ("0513-8000 0101", "051380000101"),
    ("051318000101", None),                  # a county number that does not start 2-8
    ("02580000101", None),                   # another city's fixed line: long distance
    ("001 212 555 0100", None),              # international
    ("+1 212 555 0100", None),
    ("110", None), ("12345", None), ("95588", None),  # emergency, the centre itself, a short number
    ("16800000000", "16800000000"),          # a mobile range
    ("12900000000", None),                   # not a mobile range
    ("1390000000", None),                    # one digit short
    ("", None), ("anonymous", None), ("139;00000001", "13900000001"),
])
def test_only_numbers_the_dialling_plan_permits_are_called_back(raw, dialled):
    assert callback_number(raw, "0513") == dialled


POLICY = CallbackPolicy(tries=3, retry_after_s=120)


@pytest.mark.parametrize("answered, tries_made, status, again_after", [
    (True, 1, CallbackStatus.ANSWERED, None),
    (True, 3, CallbackStatus.ANSWERED, None),
    (False, 1, CallbackStatus.WAITING, 120),
    (False, 2, CallbackStatus.WAITING, 120),
    (False, 3, CallbackStatus.FAILED, None),
    (False, 4, CallbackStatus.FAILED, None),
])
def test_after_a_try(answered, tries_made, status, again_after):
    step = after_try(answered, tries_made, POLICY, NOW)
    assert step.status is status
    assert step.next_try_at == (NOW + timedelta(seconds=again_after) if again_after else None)


@pytest.mark.parametrize("due, free, ringing, picked", [
    ([(1, ("q",)), (2, ("q",)), (3, ("q",))], {"q": 2}, {}, [(1, "q"), (2, "q")]),  # oldest first, one per free agent
    ([(1, ("q",)), (2, ("q",))], {"q": 2}, {"q": 1}, [(1, "q")]),   # one agent already has a callback ringing
    ([(1, ("q",)), (2, ("s",))], {"q": 0, "s": 1}, {}, [(2, "s")]),  # queues apart
    ([(1, ("q",))], {}, {}, []),                                    # nobody free
    ([(1, ("q",))], {"q": 1}, {"q": 3}, []),
    ([(1, ("seat", "q")), (2, ("seat", "q")), (3, ("seat", "q"))], {"seat": 1, "q": 1}, {},
     [(1, "seat"), (2, "q")]),                                      # the seat first, then its overflow
])
def test_to_dial(due, free, ringing, picked):
    assert to_dial(due, free, ringing) == picked


@pytest.mark.parametrize("members, waiting, now, free", [
    ([Member("1", False), Member("1", False)], 0, 1000.0, 2),                  # both idle
    ([Member("1", False), Member("1", False)], 1, 1000.0, 1),                  # a caller holding on comes first
    ([Member("1", False), Member("1", False)], 3, 1000.0, 0),                  # never below none
    ([Member("2", False), Member("6", False), Member("1", True)], 0, 1000.0, 0),  # in use, ringing, paused
    ([Member("1", False, last_call=998.0)], 0, 1000.0, 0),                     # in the queue's 5 s wrap-up
    ([Member("1", False, last_call=995.0)], 0, 1000.0, 1),                     # wrap-up over
    ([Member("1", False, last_call=990.0, wrapup_s=30)], 0, 1000.0, 0),        # its own, longer wrap-up
    ([], 0, 1000.0, 0),                                                        # nobody logged in
])
def test_free_for_callback(members, waiting, now, free):
    assert free_for_callback(members, waiting, 5, now) == free


WATER = "051380000304"
WINDOW = Notice(7, "hotline/notice_7", at("2020-09-09 19:00"), at("2020-09-09 23:00"), lines=(WATER,))
BY_QUEUE = Notice(8, "hotline/notice_8", at("2020-09-09 19:30"), at("2020-09-09 20:00"), queues=("q12345",))


@pytest.mark.parametrize("line, queue, when, heard", [
    (WATER, "seat_water", "2020-09-09 18:59", None),          # before the window
    (WATER, "seat_water", "2020-09-09 19:00", 7),             # its first minute
    (WATER, "seat_water", "2020-09-09 22:59", 7),
    (WATER, "seat_water", "2020-09-09 23:00", None),          # the window's end is outside it
    ("12345", "q12345", "2020-09-09 19:10", None),            # another line
    ("12345", "q12345", "2020-09-09 19:30", 8),               # by its queue
    (WATER, "q12345", "2020-09-09 19:45", 8),                 # both cover it: the newer one
    ("051380000102", "q12345", "2020-09-09 20:00", None),
])
def test_active_notice(line, queue, when, heard):
    found = active_notice([WINDOW, BY_QUEUE], line, queue, at(when))
    assert (found.id if found else None) == heard


def test_the_routing_decision_carries_the_notice_only_inside_its_window(shipped_rules):
    call = Call(line="0513-80000304", caller="13900000001")
    inside, outside = at("2020-09-09 19:05"), at("2020-09-10 09:00")
    assert announce(decide(call, shipped_rules, inside), [WINDOW], inside).notice == "hotline/notice_7"
    assert announce(decide(call, shipped_rules, outside), [WINDOW], outside).notice == ""
    parallel = decide(Call(line="0513-80000401"), shipped_rules, at("2020-06-01 10:00"))
    assert parallel.action is Action.DIAL
    assert announce(parallel, [Notice(1, "hotline/x", NOW - timedelta(days=999), NOW + timedelta(days=999),
                                      lines=(parallel.line,))], at("2020-06-01 10:00")).notice == ""


@pytest.mark.parametrize("starts, ends, problem", [
    ("2020-09-09 19:00", "2020-09-09 23:00", None),
    ("2020-09-09 19:00", "2020-09-09 19:00", "until"),
    ("2020-09-09 19:00", "2020-09-09 18:00", "until"),
])
def test_window_problem(starts, ends, problem):
    found = window_problem(at(starts), at(ends))
    assert (found is None) if problem is None else (problem in found)


def _user_event(name: str, **headers) -> dict:
    return {"Event": "UserEvent", "UserEvent": name, "Linkedid": "1700.1", "Uniqueid": "1700.1",
            "CallerIDNum": "13900000001", "ChanVariable": ["IVR_LINE=051380000304"], **headers}


@pytest.mark.parametrize("event, expected", [
    (_user_event("IvrCallback", Queue="seat_water", Via="queue_key"), ("CallbackAsked", "seat_water", "queue_key")),
    (_user_event("IvrCallback", Queue="seat_water", Via="notice_key"), ("CallbackAsked", "seat_water", "notice_key")),
    (_user_event("IvrCallback", Queue="seat_water", Via="anything"), None),
    (_user_event("IvrCallback", Queue="", Via="queue_key"), None),
    ({**_user_event("IvrCallback", Queue="q", Via="queue_key"), "Uniqueid": "1700.2"}, None),  # not the caller's channel
    (_user_event("IvrLeftInformed", Queue="seat_water", Notice="hotline/notice_7"),
     ("LeftInformed", "seat_water", "hotline/notice_7")),
])
def test_the_callers_choices_as_facts(event, expected):
    fact = ce.interpret(event, NOW)
    if expected is None:
        assert fact is None
        return
    third = fact.via if isinstance(fact, ce.CallbackAsked) else fact.notice
    assert (type(fact).__name__, fact.queue, third) == expected
    assert (fact.call.caller, fact.call.line) == ("13900000001", "051380000304")


def test_the_queue_log_gives_the_same_choices_for_a_resync():
    lines = ["1599649500|1700.1|seat_water|NONE|IVRCALLBACK|queue_key|13900000001|051380000304",
             "1599649501|1700.3|seat_water|NONE|IVRLEFT|hotline/notice_7|13900000003|051380000304",
             "1599649502|1700.4|seat_water|NONE|IVRCALLBACK|forged|13900000004|051380000304"]
    facts = ce.from_queue_log([ce.parse_queue_log_line(x) for x in lines])
    assert [(type(f).__name__, f.call.linkedid, f.call.caller) for f in facts] == [
        ("CallbackAsked", "1700.1", "13900000001"), ("LeftInformed", "1700.3", "13900000003")]


@pytest.mark.parametrize("number, history, heard, verdict, status, joined_to", [
    ("13900000001", cb.NumberHistory(), "", "accept", "waiting", None),
    ("13900000001", cb.NumberHistory(None, 2), "", "accept", "waiting", None),
    ("13900000001", cb.NumberHistory(None, 3), "", "refuse_today", "refused", None),     # the day's ceiling
    ("13900000001", cb.NumberHistory(12, 1), "", "join", "joined", 12),                   # one open at a time
    ("13900000001", cb.NumberHistory(12, 3), "", "join", "joined", 12),                   # open: it stands
    ("13900000001", cb.NumberHistory(12, 1), "accept", "join", "joined", 12),             # the board was late
    ("13900000001", cb.NumberHistory(), "refuse_today", "refuse_today", "refused", None), # told so: stays queued
    (None, cb.NumberHistory(), "", "refuse_number", "refused", None),
    (None, cb.NumberHistory(), "accept", "refuse_number", "refused", None),
])
def test_the_callback_rule_per_number(number, history, heard, verdict, status, joined_to):
    admitted = cb.admit(number, history, 3, heard)
    assert (admitted.verdict.value, admitted.status.value, admitted.joined_to) == (verdict, status, joined_to)
    assert bool(admitted.reason) == (status != "waiting")
