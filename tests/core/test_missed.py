"""Missed calls called back (漏接回拨), the pure rules: what is a missed call, the centre's hours,
once per number per window, the per-number rule still holding, asked-for requests dialled first,
and the figures of a period."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ivr.core import callbacks as cb
from ivr.core import missed

TZ = ZoneInfo("Asia/Shanghai")
POLICY = missed.MissedPolicy(after_s=20, window_h=24, hours=(8 * 60, 20 * 60))


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.mark.parametrize(("wait", "is_missed"), [(None, False), (0, False), (19, False), (20, True), (300, True)])
def test_a_missed_call_waited_at_least_the_threshold(wait, is_missed):
    assert missed.is_missed(wait, POLICY) is is_missed


@pytest.mark.parametrize(("at", "next_at"), [
    ("2026-12-05 07:59", "2026-12-05 08:00"), ("2026-12-05 08:00", "2026-12-05 08:00"),
    ("2026-12-05 19:59", "2026-12-05 19:59"), ("2026-12-05 20:00", "2026-12-06 08:00"),
    ("2026-12-05 23:30", "2026-12-06 08:00")])
def test_no_missed_call_is_rung_back_at_night(at, next_at):
    assert missed.next_in_hours(local(at), POLICY) == local(next_at)
    assert missed.within_hours(local(next_at), POLICY)


@pytest.mark.parametrize(("text", "minutes"), [("08:00-20:00", (480, 1200)), ("00:00-24:00", (0, 1440))])
def test_hours_are_read(text, minutes):
    assert missed.parse_hours(text) == minutes


@pytest.mark.parametrize("text", ["8-20", "20:00-08:00", "08:00-08:00", "08:00-24:30", "25:00-26:00"])
def test_hours_that_are_not_hours_are_refused(text):
    with pytest.raises(ValueError, match="08:00-20:00|after the start"):
        missed.parse_hours(text)


def test_once_per_number_per_window_and_the_number_rule_holds():
    fresh = cb.NumberHistory()
    assert missed.admit_missed("13900000001", fresh, 3, None).status is cb.CallbackStatus.WAITING
    again = missed.admit_missed("13900000001", fresh, 3, earlier_missed=7)
    assert (again.status, again.joined_to) == (cb.CallbackStatus.JOINED, 7) and "#7" in again.reason
    assert missed.admit_missed("13900000001", cb.NumberHistory(open_request=4), 3, None).joined_to == 4
    assert missed.admit_missed("13900000001", cb.NumberHistory(dialled_today=3), 3, None).status \
        is cb.CallbackStatus.REFUSED
    assert missed.admit_missed(None, fresh, 3, 7).status is cb.CallbackStatus.REFUSED


def test_the_callers_who_asked_are_dialled_before_the_missed_calls():
    @dataclass
    class Request:
        id: int
        via: str
    due = [Request(1, "missed"), Request(2, "queue_key"), Request(3, "missed"), Request(4, "wait_offer")]
    assert [r.id for r in missed.dial_order(due)] == [2, 4, 1, 3]


def test_the_figures_of_the_missed_calls():
    t = local("2026-12-05 10:00")
    figures = missed.missed_figures([
        ("answered", t, t + timedelta(minutes=50), 1),     # called back within the hour
        ("answered", t, t + timedelta(hours=5), 2),        # within the day
        ("answered", t, t + timedelta(hours=30), 1),       # later
        ("answered", t, t + timedelta(minutes=5), 0),      # rang again and was answered
        ("failed", t, t + timedelta(hours=1), 3), ("joined", t, t, 0), ("refused", t, t, 0),
        ("waiting", t, None, 0), ("calling", t, None, 1)])
    assert figures.as_dict() == {"missed": 9, "called_back_1h": 1, "called_back_24h": 2, "called_back": 3,
                                 "rang_again": 1, "not_reached": 1, "closed_with_reason": 2, "waiting": 2}
