"""A provincial year of a 12345 hotline, as rows: a pure, seeded generator (``ivr bench data``).

The shape is what a hotline sees: more calls on weekdays than at weekends, a morning peak
(09:00-11:00) and an afternoon one (14:00-16:00) and quiet nights, busier summers (power cuts,
water, heat) and winters (heating, gas, wages before the Spring Festival), and a few surge days
(a typhoon, a heatwave, a cold snap) when the queues overflow and more callers hang up.
Calls go over ``LINES`` lines (the main line takes the most) of ``DEPARTMENTS`` departments; a call an
agent answers becomes a work order that is closed on the spot or dispatched to one of ``UNITS``
units, and has moved as far through the process (:mod:`ivr.core.workflow`) as its age allows:
last December's orders are still open more often than January's.

The generator streams day by day (bounded memory whatever the volume), yields rows as tuples in
the column order below with naive UTC times (as the database keeps them), and is deterministic
for a seed. Ticket events (the orders' history) are not generated: the figures and lists the
benchmark times read the orders' own columns.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from hashlib import sha256
from zoneinfo import ZoneInfo

from ivr.core.deadlines import Category
from ivr.core.numbering import format_number
from ivr.core.workflow import Status

TZ = ZoneInfo("Asia/Shanghai")
YEAR = 2025
LINES = 300
UNITS = 100
DEPARTMENTS = ("centre", "water", "power", "gas", "transport", "urban_management", "housing",
               "human_resources", "market_regulation", "ecology", "natural_resources", "agriculture",
               "civil_affairs", "education", "health", "medical_insurance", "public_security_admin",
               "tax", "postal", "justice", "culture_tourism", "approval", "finance", "street_lighting")
MAIN_LINE = "12345"
MAIN_SHARE = 0.55            # of all calls, to 12345 itself; the legacy lines share the rest
# Hour-of-day weights (centre's time): night trickle, a morning and an afternoon peak.
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 5, 12, 30, 42, 44, 36, 20, 26, 38, 40, 34, 24, 16, 13, 11, 8, 5, 3)
WEEKDAY_WEIGHTS = (1.10, 1.0, 1.0, 1.0, 1.0, 0.62, 0.52)   # Monday carries the weekend's backlog
SURGE_DAYS = {date(YEAR, 1, 20): 2.2,    # wage arrears before the Spring Festival
              date(YEAR, 7, 24): 3.0,    # typhoon: power and water cuts, flooded roads
              date(YEAR, 8, 5): 2.4,     # heatwave: power cuts
              date(YEAR, 12, 16): 2.0}   # cold snap: burst water pipes, heating
CATEGORIES = tuple(c.value for c in Category)
RATINGS = (5, 4, 3, 2, 1)
RATING_WEIGHTS = (68, 16, 7, 4, 5)
TITLES = ("停水", "停电", "路灯不亮", "噪音扰民", "拖欠工资", "道路破损", "燃气异味", "社保咨询",
          "违章建筑", "垃圾清运", "公交线路", "医保报销")
CALL_COLUMNS = ("id", "linkedid", "uniqueid", "started_at", "ended_at", "caller", "line", "department",
                "mode", "queue", "outcome", "wait_seconds", "door_at", "joined_at")  # every call offered
TICKET_COLUMNS = ("id", "number", "linkedid", "uniqueid", "created_at", "caller", "line", "department",
                  "mode", "queue", "agent", "recording_path", "recording_sha256", "recording_size", "category", "urgent", "status", "unit", "sign_by", "deadline",
                  "signed_at", "replied_at", "replied_on_time", "closed_at", "overdue", "sign_late",
                  "escalated", "supervised", "dispatch_count", "rating", "rated_at", "version", "title",
                  "place")
RATING_COLUMNS = ("id", "ticket_id", "rating", "at", "source")
TIME_COLUMNS = frozenset({"started_at", "ended_at", "created_at", "sign_by", "deadline", "signed_at",
                          "replied_at", "closed_at", "rated_at", "at", "door_at", "joined_at"})


@dataclass(frozen=True)
class Line:
    number: str
    department: str
    mode: str
    weight: float


@dataclass(frozen=True)
class Day:
    """One day's rows: calls, the work orders of the answered ones, and their ratings."""

    day: date
    calls: list[tuple]
    tickets: list[tuple]
    ratings: list[tuple]


def lines(count: int = LINES) -> list[Line]:
    """The main line and ``count - 1`` legacy lines, spread over the departments; the legacy lines'
    share falls off with their rank (a few busy ones, a long tail)."""
    modes = ("forward", "sunset", "dedicated", "parallel")
    legacy = [Line(f"0513-8{n:07d}", DEPARTMENTS[1 + n % (len(DEPARTMENTS) - 1)], modes[n % 4], 1.0 / (n + 3))
              for n in range(1, count)]
    scale = (1 - MAIN_SHARE) / sum(line.weight for line in legacy)
    return [Line(MAIN_LINE, "centre", "centre", MAIN_SHARE)] + \
        [Line(x.number, x.department, x.mode, x.weight * scale) for x in legacy]


def units(count: int = UNITS) -> dict[str, list[str]]:
    """``count`` responsible units, by department (township offices and the departments' own)."""
    found: dict[str, list[str]] = {}
    for n in range(count):
        department = DEPARTMENTS[1 + n % (len(DEPARTMENTS) - 1)]
        found.setdefault(department, []).append(f"{department}-{n // (len(DEPARTMENTS) - 1) + 1:02d}")
    return found


def day_weight(day: date) -> float:
    """How busy ``day`` is against an ordinary spring weekday: weekday, season, surge."""
    season = {1: 1.25, 2: 1.05, 3: 0.95, 4: 0.95, 5: 1.0, 6: 1.1, 7: 1.35, 8: 1.35, 9: 1.05, 10: 0.9,
              11: 1.0, 12: 1.2}[day.month]
    return WEEKDAY_WEIGHTS[day.weekday()] * season * SURGE_DAYS.get(day, 1.0)


def spread(total: int, weights: list[float] | tuple[float, ...]) -> list[int]:
    """``total`` split in proportion to ``weights``, in whole numbers that add up exactly
    (largest remainders get the odd ones)."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[:total - sum(counts)]:
        counts[i] += 1
    return counts


def year_days(year: int = YEAR) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


def generate(calls: int, seed: int = 12345, year: int = YEAR, tz: tzinfo = TZ) -> Iterator[Day]:
    """The year's rows day by day, ``calls`` calls in all; ids count from 1 in each table."""
    rng = random.Random(seed)
    all_lines = lines()
    by_unit = units()
    weights = [line.weight for line in all_lines]
    callers = max(1000, calls // 4)  # a citizen calls four times a year on average (some far more)
    days = year_days(year)
    year_end = datetime(year + 1, 1, 1, tzinfo=tz)
    ids = _Ids()
    for day, count in zip(days, spread(calls, [day_weight(d) for d in days])):
        surge = SURGE_DAYS.get(day, 1.0)
        out = Day(day, [], [], [])
        sequence = 0
        prefix = format_number(day, 1)[:-6]
        for hour, in_hour in enumerate(spread(count, HOUR_WEIGHTS)):
            base = datetime(day.year, day.month, day.day, hour, tzinfo=tz)
            hour_utc = base.astimezone(UTC).replace(tzinfo=None)
            hour_ts = int(base.timestamp())
            age = (year_end - base).total_seconds() / 86400
            busy = HOUR_WEIGHTS[hour] / max(HOUR_WEIGHTS) * surge
            chosen = rng.choices(all_lines, weights, k=in_hour)
            for second, line in sorted(zip((rng.randrange(3600) for _ in range(in_hour)), chosen),
                                       key=lambda pair: pair[0]):
                sequence += 1
                _call(rng, out, ids, (hour_utc + timedelta(seconds=second), hour_ts + second, age),
                      line, busy, callers, f"{prefix}{sequence:06d}", by_unit)
        yield out


class _Ids:
    def __init__(self) -> None:
        self.call = self.ticket = self.rating = 0


def _call(rng: random.Random, out: Day, ids: _Ids, when: tuple[datetime, int, float], line: Line,
          busy: float, callers: int, number: str, by_unit: dict[str, list[str]]) -> None:
    """One call, and its order and rating when an agent answered it. ``when``: the start in naive
    UTC, as a Unix time, and the order's age at the year's end in days."""
    ids.call += 1
    utc, unix, age_days = when
    linkedid = f"{unix}.{ids.call}"
    caller = f"1{rng.choice('3578')}{int(callers * rng.random() ** 2):09d}"
    abandon = min(0.6, 0.015 + 0.04 * busy ** 2)
    roll = rng.random()
    outcome = "offered" if roll < 0.001 else "abandoned" if roll < abandon else "answered"
    wait = int(rng.expovariate(1 / (8 + 40 * busy ** 2)))
    queue = f"q{line.department}" if line.mode != "parallel" else None
    talk = timedelta(seconds=wait + (int(rng.expovariate(1 / 180)) if outcome == "answered" else 0))
    ended = None if outcome == "offered" else utc + talk
    out.calls.append((ids.call, linkedid, linkedid, utc, ended, caller, line.number, line.department,
                      line.mode, queue, outcome, wait, utc, utc))
    if outcome != "answered":
        return
    ids.ticket += 1
    agent = f"agent{rng.randrange(1, 121):03d}"
    order = _order(rng, utc, line, by_unit, age_days)
    recording = f"{utc:%Y/%m/%d}/{linkedid}.wav"
    out.tickets.append((ids.ticket, number, linkedid, linkedid, utc, caller, line.number, line.department,
                        line.mode, queue, agent, recording, sha256(recording.encode()).hexdigest(),
                        16_000 * int(talk.total_seconds()), *order, 1, rng.choice(TITLES), None))
    rating, rated_at = order[-2:]
    if rating is not None:
        ids.rating += 1
        out.ratings.append((ids.rating, ids.ticket, rating, rated_at, "ivr"))


def _order(rng: random.Random, at: datetime, line: Line, by_unit: dict[str, list[str]],
           age_days: float) -> tuple:
    """category .. rated_at of TICKET_COLUMNS: how far the order got by the year's end."""
    category = rng.choice(CATEGORIES)
    urgent = rng.random() < 0.03
    hours = timedelta(hours=1)
    if age_days < 0.01 and rng.random() < 0.5 or rng.random() < 0.002:
        return (category, urgent, Status.RECEIVED.value, *[None] * 7, False, False, False, False, 0,
                None, None)
    rating, rated_at = _rating(rng, at + timedelta(hours=rng.uniform(0.1, 48)))
    if rng.random() < 0.78:   # answered on the spot (the seed's 78.72 %)
        return (category, urgent, Status.CLOSED.value, None, None, None, None, None, None,
                at + timedelta(minutes=5), False, False, False, False, 0, rating, rated_at)
    department = line.department if line.department in by_unit else rng.choice(sorted(by_unit))
    unit = rng.choice(by_unit[department])
    sign_by, deadline = at + 2 * hours, at + timedelta(days=2 if urgent else 5)
    sign_late, overdue = rng.random() < 0.04, rng.random() < 0.06
    redispatched = rng.random() < 0.03
    dispatches = 2 if redispatched else 1
    escalated = (sign_late or overdue) and rng.random() < 0.5
    step = min(age_days, 30.0) / 30.0          # young orders have gone less far
    roll = rng.random()
    status = (Status.DISPATCHED if roll > 0.3 + 0.7 * step else Status.SIGNED if roll > 0.2 + 0.75 * step
              else Status.REPLIED if roll > 0.1 + 0.8 * step else Status.ARCHIVED)
    signed = at + timedelta(hours=rng.uniform(0.2, 4 if sign_late else 1.9)) \
        if status != Status.DISPATCHED else None
    replied = at + timedelta(days=rng.uniform(0.5, 8 if overdue else 4.9)) \
        if status in (Status.REPLIED, Status.ARCHIVED) else None
    on_time = None if replied is None else not overdue
    if replied is None:
        rating, rated_at = None, None
    return (category, urgent, status.value, unit, sign_by, deadline, signed, replied, on_time, None,
            overdue, sign_late, escalated, redispatched, dispatches, rating, rated_at)


def _rating(rng: random.Random, at: datetime) -> tuple[int | None, datetime | None]:
    if rng.random() >= 0.45:
        return None, None
    return rng.choices(RATINGS, RATING_WEIGHTS)[0], at
