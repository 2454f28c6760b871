"""Checking routing_rules.yaml: every problem at once, each with its line and a plain reason.

Two passes over the parsed YAML (:mod:`ivr.core.yaml_source`):

1. the *shape*, by pydantic models with ``extra="forbid"``: unknown keys (typos, with a
   suggestion), wrong types, bad dates;
2. the *meaning*, by hand: duplicate numbers, a mode's missing or foreign parameter, references
   to unknown departments, queues and schedules, a retirement before go-live, bad time ranges,
   a parallel destination that loops back into 12345.

Both passes always run, so an admin sees the whole list in one go. Pure: text in, problems or
:class:`~ivr.core.rules.Rules` out.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ivr.core.decision import Mode
from ivr.core.numbers import is_number_text, normalize_number
from ivr.core.rules import (REQUIRED_PROMPTS, Agent, Centre, Department, Line, Queue, Rules)
from ivr.core.schedule import WEEKDAYS, Schedule, parse_hours
from ivr.core.yaml_source import Source, YamlSyntaxError, parse

ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SOUND = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*(/[A-Za-z0-9_][A-Za-z0-9_\-]*)*$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the rules file, where it is, and why."""

    file: str
    line: int
    where: str      # a readable path, e.g. "lines[3].mode"
    message: str

    def __str__(self) -> str:
        where = f" {self.where}:" if self.where else ""
        return f"{self.file}:{self.line}:{where} {self.message}"


# --- pass 1: the shape --------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CentreModel(_Strict):
    name_zh: str
    name_en: str
    main_line: str
    general_queue: str
    timezone: str
    area_code: str


class DepartmentModel(_Strict):
    name_zh: str
    name_en: str
    assumed: bool = False
    note: str = ""


class QueueModel(_Strict):
    name_zh: str
    name_en: str
    strategy: Literal["ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "linear"] = "rrmemory"
    ring_timeout: int = 15
    wrapup_time: int = 5


class AgentModel(_Strict):
    name: str
    queues: list[str]


class ScheduleModel(_Strict):
    weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]]
    hours: list[str]


class DayRangeModel(_Strict):
    name: str
    from_: date = Field(alias="from")
    to: date | None = None


class LineModel(_Strict):
    number: str
    department: str
    mode: Literal["main", "forward", "sunset", "dedicated", "parallel"]
    name: str = ""
    assumed: bool = False
    note: str = ""
    queue: str | None = None
    go_live: date | None = None
    retire_on: date | None = None
    after_retirement: Literal["redirect", "prompt_only"] | None = None
    overflow_queue: str | None = None
    overflow_after: int | None = None
    destination: str | None = None
    schedule: str | None = None
    ring_timeout: int | None = None
    fallback_queue: str | None = None


class RulesModel(_Strict):
    version: int
    centre: CentreModel
    prompts: dict[str, list[str]]
    queues: dict[str, QueueModel]
    agents: dict[str, AgentModel] = {}
    schedules: dict[str, ScheduleModel] = {}
    holidays: list[DayRangeModel] = []
    workdays: list[DayRangeModel] = []
    departments: dict[str, DepartmentModel]
    lines: list[LineModel]


COMMON_LINE_KEYS = ("number", "department", "mode", "name", "assumed", "note")
MODE_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # mode: (required parameters, optional parameters)
    "main": ((), ("queue",)),
    "forward": ((), ("queue",)),
    "sunset": (("go_live", "retire_on"), ("after_retirement", "queue")),
    "dedicated": (("queue",), ("overflow_queue", "overflow_after")),
    "parallel": (("destination", "schedule"), ("ring_timeout", "fallback_queue")),
}

# Which model a mapping at a path is, to suggest the right key for a typo.
_MODEL_AT: dict[tuple, type[BaseModel]] = {
    (): RulesModel, ("centre",): CentreModel, ("departments", "*"): DepartmentModel,
    ("queues", "*"): QueueModel, ("agents", "*"): AgentModel, ("schedules", "*"): ScheduleModel,
    ("holidays", "*"): DayRangeModel, ("workdays", "*"): DayRangeModel, ("lines", "*"): LineModel,
}


def _fields(model: type[BaseModel]) -> list[str]:
    return ["from" if name == "from_" else name for name in model.model_fields]


def _where(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _shape_problems(source: Source) -> list[Problem]:
    try:
        RulesModel.model_validate(source.data)
    except ValidationError as err:
        return [_translate(source, e) for e in err.errors()]
    return []


def _translate(source: Source, error: dict) -> Problem:
    loc = tuple("from" if part == "from_" else part for part in error["loc"])
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        key = loc[-1]
        pattern = tuple("*" if i == 1 and len(loc) > 2 else p for i, p in enumerate(loc[:-1]))
        model = _MODEL_AT.get(pattern)
        known = _fields(model) if model else []
        close = difflib.get_close_matches(str(key), known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else (f"; known keys: {', '.join(known)}" if known else "")
        message = f"unknown key {key!r}{hint}"
    elif kind == "missing":
        message = f"missing required key {loc[-1]!r}"
        return Problem(source.name, source.line_of(loc[:-1]), _where(loc[:-1]), message)
    elif kind.startswith("date"):
        message = f"{value!r} is not a date (write YYYY-MM-DD)"
    elif kind.startswith("int"):
        message = f"{value!r} is not a whole number"
    elif kind.startswith("bool"):
        message = f"{value!r} is not true or false"
    elif kind == "literal_error":
        message = f"{value!r} is not one of: {error['ctx']['expected']}"
    elif kind in ("dict_type", "model_type"):
        message = "expected a mapping of keys to values here"
    elif kind == "list_type":
        message = "expected a list here"
    elif kind == "string_type":
        message = "expected a single text value here"
    else:
        message = error["msg"]
    return Problem(source.name, source.line_of(loc), _where(loc), message)


# --- pass 2: the meaning ------------------------------------------------------------------

class _Checker:
    """Collects meaning problems from raw data that may be partly malformed: it skips what pass 1
    already reported rather than crashing on it."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[Problem] = []
        data = source.data if isinstance(source.data, dict) else {}
        self.data = data
        self.departments = set(self._mapping("departments"))
        self.queues = set(self._mapping("queues"))
        self.schedules = set(self._mapping("schedules"))
        centre = self._mapping("centre")
        area = centre.get("area_code")
        self.area_code = area if isinstance(area, str) else ""

    def _mapping(self, key: str) -> dict:
        value = self.data.get(key)
        return value if isinstance(value, dict) else {}

    def _list(self, key: str) -> list:
        value = self.data.get(key)
        return value if isinstance(value, list) else []

    def add(self, path: tuple, message: str) -> None:
        self.problems.append(Problem(self.source.name, self.source.line_of(path), _where(path), message))

    def run(self) -> list[Problem]:
        for path, line, first in self.source.duplicates:
            self.problems.append(Problem(self.source.name, line, _where(path),
                                         f"key {path[-1]!r} is written twice (first at line {first}); "
                                         "only one may stay"))
        version = self.data.get("version")
        if isinstance(version, str) and version.isdigit() and version != "1":
            self.add(("version",), f"this engine reads version 1 of the rules file, not {version}")
        self._check_ids()
        self._check_centre()
        self._check_prompts()
        self._check_agents()
        self._check_schedules()
        self._check_days("holidays")
        self._check_days("workdays")
        self._check_lines()
        return self.problems

    def _check_ids(self) -> None:
        for section in ("departments", "queues", "agents", "schedules", "prompts"):
            for key in self._mapping(section):
                if not ID.match(key):
                    self.add((section, key), f"{section[:-1]} id {key!r} must be lower-case letters, digits "
                             "and _ (it becomes an Asterisk name)")
        for section in ("departments", "queues", "agents"):
            for key, value in self._mapping(section).items():
                if isinstance(value, dict):
                    for field_name, text in value.items():
                        if isinstance(text, str) and any(ord(c) < 32 for c in text):
                            self.add((section, key, field_name), "text must be on one line, without control characters")

    def _check_centre(self) -> None:
        centre = self._mapping("centre")
        tz = centre.get("timezone")
        if isinstance(tz, str):
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError):
                self.add(("centre", "timezone"), f"unknown time zone {tz!r} (for example Asia/Shanghai)")
        queue = centre.get("general_queue")
        if isinstance(queue, str) and queue not in self.queues:
            self.add(("centre", "general_queue"), f"unknown queue {queue!r}; queues are: {', '.join(sorted(self.queues))}")
        if isinstance(self.area_code, str) and self.area_code and not re.fullmatch(r"0\d{2,3}", self.area_code):
            self.add(("centre", "area_code"), f"{self.area_code!r} is not an area code like \"0513\"")

    def _check_prompts(self) -> None:
        prompts = self._mapping("prompts")
        for name in REQUIRED_PROMPTS:
            if "prompts" in self.data and name not in prompts:
                self.add(("prompts",), f"missing prompt {name!r} (the dialplan plays it)")
        for key, sounds in prompts.items():
            if isinstance(sounds, list):
                for i, sound in enumerate(sounds):
                    if isinstance(sound, str) and not SOUND.match(sound):
                        self.add(("prompts", key, i), f"{sound!r} is not a sound name (letters, digits, _ - /, no '..')")

    def _check_agents(self) -> None:
        for agent, entry in self._mapping("agents").items():
            queues = entry.get("queues") if isinstance(entry, dict) else None
            for i, queue in enumerate(queues if isinstance(queues, list) else []):
                if isinstance(queue, str) and queue not in self.queues:
                    self.add(("agents", agent, "queues", i), f"unknown queue {queue!r}")

    def _check_schedules(self) -> None:
        for sid, entry in self._mapping("schedules").items():
            hours = entry.get("hours") if isinstance(entry, dict) else None
            for i, text in enumerate(hours if isinstance(hours, list) else []):
                if isinstance(text, str):
                    try:
                        parse_hours(text)
                    except ValueError as err:
                        self.add(("schedules", sid, "hours", i), f"bad time: {err}")

    def _check_days(self, section: str) -> None:
        for i, entry in enumerate(self._list(section)):
            if isinstance(entry, dict):
                start, end = _as_date(entry.get("from")), _as_date(entry.get("to"))
                if start and end and end < start:
                    self.add((section, i, "to"), f"'to' {end} is before 'from' {start}")

    def _check_lines(self) -> None:
        seen: dict[str, int] = {}
        line_numbers: set[str] = set()
        for entry in self._list("lines"):
            if isinstance(entry, dict) and isinstance(entry.get("number"), str):
                line_numbers.add(normalize_number(entry["number"], self.area_code))
        main_line = self._mapping("centre").get("main_line")
        main_lines = 0
        for i, entry in enumerate(self._list("lines")):
            if not isinstance(entry, dict):
                continue
            path = ("lines", i)
            number = entry.get("number")
            if isinstance(number, str):
                if not is_number_text(number):
                    self.add(path + ("number",), f"{number!r} is not a telephone number (digits, spaces, hyphens)")
                else:
                    canonical = normalize_number(number, self.area_code)
                    if canonical in seen:
                        self.add(path + ("number",), f"duplicate number {number!r}: already used at line {seen[canonical]}")
                    else:
                        seen[canonical] = self.source.line_of(path + ("number",))
            department = entry.get("department")
            if isinstance(department, str) and department not in self.departments:
                close = difflib.get_close_matches(department, sorted(self.departments), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.add(path + ("department",), f"unknown department {department!r}{hint}")
            mode = entry.get("mode")
            if mode == "main":
                main_lines += 1
                if isinstance(number, str) and isinstance(main_line, str) and \
                        normalize_number(number, self.area_code) != normalize_number(main_line, self.area_code):
                    self.add(path + ("number",), f"the main line is {main_line!r} (centre.main_line), not {number!r}")
            if mode in MODE_KEYS:
                self._check_mode(path, entry, mode, line_numbers)
        if "lines" in self.data and main_lines != 1:
            self.add(("lines",), f"exactly one line must have mode 'main' (the {main_line or '12345'} line); found {main_lines}")

    def _check_mode(self, path: tuple, entry: dict, mode: str, line_numbers: set[str]) -> None:
        required, optional = MODE_KEYS[mode]
        for key in required:
            if key not in entry:
                self.add(path, f"a {mode} line needs {key!r}")
        for key in entry:
            if key not in COMMON_LINE_KEYS and key not in required and key not in optional \
                    and key in LineModel.model_fields:
                self.add(path + (key,), f"{key!r} does not apply to a {mode} line "
                         f"(a {mode} line takes: {', '.join(required + optional) or 'no parameters'})")
        for key in ("queue", "overflow_queue", "fallback_queue"):
            queue = entry.get(key)
            if isinstance(queue, str) and queue not in self.queues:
                self.add(path + (key,), f"unknown queue {queue!r}; queues are: {', '.join(sorted(self.queues))}")
        schedule = entry.get("schedule")
        if isinstance(schedule, str) and schedule not in self.schedules:
            self.add(path + ("schedule",), f"unknown schedule {schedule!r}; schedules are: {', '.join(sorted(self.schedules))}")
        go_live, retire_on = _as_date(entry.get("go_live")), _as_date(entry.get("retire_on"))
        if go_live and retire_on and retire_on <= go_live:
            self.add(path + ("retire_on",), f"retirement date {retire_on} is not after the go-live date {go_live}")
        destination = entry.get("destination")
        if isinstance(destination, str):
            if not is_number_text(destination):
                self.add(path + ("destination",), f"{destination!r} is not a telephone number")
            elif normalize_number(destination, self.area_code) in line_numbers:
                self.add(path + ("destination",), f"destination {destination!r} is itself a line routed by 12345: "
                         "the call would loop; give the department's own number")
        for key in ("overflow_after", "ring_timeout"):
            value = entry.get(key)
            if isinstance(value, str) and value.isdigit() and not 1 <= int(value) <= 600:
                self.add(path + (key,), f"{key} must be between 1 and 600 seconds, not {value}")


def _as_date(value: object) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


# --- building the Rules -------------------------------------------------------------------

def check_text(text: str, name: str) -> tuple[list[Problem], RulesModel | None, Source | None]:
    """Check YAML ``text``; return (problems, validated model or None, parsed source or None)."""
    try:
        source = parse(text, name)
    except YamlSyntaxError as err:
        return [Problem(name, err.line, "", str(err))], None, None
    if not isinstance(source.data, dict):
        return [Problem(name, 1, "", "the file must be a mapping with centre, queues, departments, lines, ...")], None, source
    problems = _shape_problems(source) + _Checker(source).run()
    problems.sort(key=lambda p: p.line)
    if problems:
        return problems, None, source
    return [], RulesModel.model_validate(source.data), source


def build_rules(model: RulesModel) -> Rules:
    """Resolve a validated model into :class:`Rules` (canonical numbers, parsed schedules)."""
    c = model.centre
    area = c.area_code
    centre = Centre(c.name_zh, c.name_en, normalize_number(c.main_line, area), c.general_queue,
                    ZoneInfo(c.timezone), area)
    schedules = {
        sid: Schedule(sid, frozenset(WEEKDAYS.index(d) for d in s.weekdays),
                      tuple(parse_hours(h) for h in s.hours))
        for sid, s in model.schedules.items()
    }
    lines: dict[str, Line] = {}
    for m in model.lines:
        number = normalize_number(m.number, area)
        mode = Mode(m.mode)
        lines[number] = Line(
            number=number, written=m.number, department=m.department, mode=mode, name=m.name,
            assumed=m.assumed,
            queue=m.queue or (c.general_queue if mode in (Mode.MAIN, Mode.FORWARD, Mode.SUNSET) else None),
            go_live=m.go_live, retire_on=m.retire_on,
            after_retirement=(m.after_retirement or "redirect") if mode is Mode.SUNSET else None,
            overflow_queue=(m.overflow_queue or c.general_queue) if mode is Mode.DEDICATED else None,
            overflow_after=(m.overflow_after or 30) if mode is Mode.DEDICATED else None,
            destination=normalize_number(m.destination, area) if m.destination else None,
            schedule=m.schedule,
            ring_timeout=(m.ring_timeout or 20) if mode is Mode.PARALLEL else None,
            fallback_queue=(m.fallback_queue or c.general_queue) if mode is Mode.PARALLEL else None,
        )
    return Rules(
        centre=centre,
        departments={k: Department(k, d.name_zh, d.name_en, d.assumed) for k, d in model.departments.items()},
        queues={k: Queue(k, q.name_zh, q.name_en, q.strategy, q.ring_timeout, q.wrapup_time)
                for k, q in model.queues.items()},
        agents={k: Agent(k, a.name, tuple(a.queues)) for k, a in model.agents.items()},
        schedules=schedules,
        holidays=_expand(model.holidays),
        workdays=frozenset(_expand(model.workdays)),
        prompts={k: tuple(v) for k, v in model.prompts.items()},
        lines=lines,
    )


def _expand(ranges: list[DayRangeModel]) -> dict[date, str]:
    days: dict[date, str] = {}
    for r in ranges:
        day, end = r.from_, r.to or r.from_
        while day <= end:
            days[day] = r.name
            day += timedelta(days=1)
    return days
