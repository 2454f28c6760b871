"""routing_rules.yaml, pass 2: its *meaning*, checked by hand on data that may be malformed.

Duplicate numbers, a mode's missing or foreign parameter, references to unknown departments,
queues and schedules, a retirement before go-live, bad time ranges, a parallel destination that
loops back into 12345. It skips what pass 1 (:mod:`ivr.core.rules_model`) already reported
rather than crashing on it. Pure.
"""
from __future__ import annotations

import difflib
import re
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ivr.core.numbers import is_number_text, normalize_number
from ivr.core.rules import DATED_PROMPTS, REQUIRED_PROMPTS, RETIRE_ON
from ivr.core.rules_model import COMMON_LINE_KEYS, ID, MODE_KEYS, SOUND, LineModel, Problem, where_text
from ivr.core.schedule import parse_hours
from ivr.core.yaml_source import Source

class MeaningChecker:
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
        self.problems.append(Problem(self.source.name, self.source.line_of(path), where_text(path), message))

    def run(self) -> list[Problem]:
        for path, line, first in self.source.duplicates:
            self.problems.append(Problem(self.source.name, line, where_text(path),
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
                    if not isinstance(sound, str):
                        continue
                    if RETIRE_ON in sound and key not in DATED_PROMPTS:
                        self.add(("prompts", key, i), f"{RETIRE_ON} is a sunset line's retirement date: it "
                                 f"may only be used in {' and '.join(DATED_PROMPTS)}")
                    elif not SOUND.match(sound.replace(RETIRE_ON, "20200101")):
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
        for key in ("overflow_after", "dial_timeout"):
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
