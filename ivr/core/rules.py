"""The routing rules as immutable values: what routing_rules.yaml says, checked and resolved.

Built by :func:`ivr.core.rules_schema.build_rules` from the YAML text; consumed by the routing
decision, the dialplan renderer, the deadline calendar and the CLI. Numbers are canonical digits
(see :mod:`ivr.core.numbers`); every reference (department, queue, schedule) has been resolved.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from zoneinfo import ZoneInfo

from ivr.core.decision import Mode
from ivr.core.holiday_calendar import Calendar
from ivr.core.schedule import Schedule

REQUIRED_PROMPTS = ("greeting", "sunset_notice", "number_retired", "closed_notice",
                    "rating_request", "rating_thanks")
# A sunset line's notices may name a prompt per retirement date: "{retire_on}" in a sound name of
# these prompts is replaced by the line's retire_on as YYYYMMDD when the call is routed, so each
# line's callers hear their own number's date (hotline/sunset_notice_{retire_on} ->
# hotline/sunset_notice_20200728).
RETIRE_ON = "{retire_on}"
DATED_PROMPTS = ("sunset_notice", "number_retired")


@dataclass(frozen=True)
class Centre:
    name_zh: str
    name_en: str
    main_line: str
    general_queue: str
    timezone: ZoneInfo
    area_code: str


@dataclass(frozen=True)
class Department:
    id: str
    name_zh: str
    name_en: str
    assumed: bool = False


@dataclass(frozen=True)
class Queue:
    id: str
    name_zh: str
    name_en: str
    strategy: str = "rrmemory"
    ring_timeout: int = 15
    wrapup_time: int = 5
    announce_every: int = 0     # seconds between position / expected-wait announcements; 0 = never
    # a caller joining when the expected wait is over this many seconds is offered a callback; 0 = never
    callback_offer_after: int = 0
    handle_time: int = 300      # seconds an agent spends on one call (talk and wrap-up), for the expected wait


@dataclass(frozen=True)
class Agent:
    id: str
    name: str
    queues: tuple[str, ...]


@dataclass(frozen=True)
class Line:
    """One number the centre answers, with its mode's parameters (None where they do not apply)."""

    number: str                 # canonical digits
    written: str                # as the admin wrote it, for messages
    department: str
    mode: Mode
    name: str = ""
    assumed: bool = False
    queue: str | None = None            # main, forward, sunset: the queue; dedicated: the seat queue
    go_live: date | None = None         # sunset
    retire_on: date | None = None       # sunset: first day the number is retired
    after_retirement: str | None = None  # sunset: "redirect" (to 12345) or "prompt_only"
    overflow_queue: str | None = None   # dedicated
    overflow_after: int | None = None   # dedicated: seconds in the seat queue
    destination: str | None = None      # parallel: the department's own number (canonical)
    schedule: str | None = None         # parallel
    dial_timeout: int | None = None     # parallel: seconds to ring the department (Dial())
    fallback_queue: str | None = None   # parallel


@dataclass(frozen=True)
class Rules:
    centre: Centre
    departments: dict[str, Department]
    queues: dict[str, Queue]
    agents: dict[str, Agent]
    schedules: dict[str, Schedule]
    holidays: dict[date, str]
    workdays: frozenset[date]
    prompts: dict[str, tuple[str, ...]]
    lines: dict[str, Line] = field(default_factory=dict)  # keyed by canonical number, file order
    notices: tuple[str, ...] = ()  # things the admin should fix that did not stop the file (a renamed key)
    sha256: str = ""  # of the file's bytes these rules were read from: the version in force

    @cached_property
    def calendar(self) -> Calendar:
        """The holiday calendar: ``holidays`` and ``workdays`` for the years they confirm, the
        statutory holidays for the others (:mod:`ivr.core.holiday_calendar`)."""
        return Calendar(holidays=self.holidays, workdays=self.workdays)

    def line(self, number: str) -> Line | None:
        return self.lines.get(number)


def dated(sounds: tuple[str, ...], retire_on: date | None) -> tuple[str, ...]:
    """``sounds`` with "{retire_on}" replaced by ``retire_on`` as YYYYMMDD (see RETIRE_ON)."""
    if retire_on is None or not any(RETIRE_ON in s for s in sounds):
        return sounds
    stamp = retire_on.strftime("%Y%m%d")
    return tuple(s.replace(RETIRE_ON, stamp) for s in sounds)
