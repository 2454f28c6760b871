"""routing_rules.yaml, pass 1: its *shape*, as pydantic models with ``extra="forbid"``.

Unknown keys (typos, with a suggestion), wrong types and bad dates become :class:`Problem`
values naming the file, line and field. Keys renamed since an earlier version are read under
their new name with a notice (:data:`RENAMED`), so no admin's file breaks on an upgrade.
Pure: parsed YAML in, problems out. Pass 2 (the meaning) is :mod:`ivr.core.rules_check`.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ivr.core.yaml_source import Source

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
    # seconds between telling each waiting caller their position and expected wait; 0 = never
    announce_every: int = Field(default=0, ge=0, le=600)
    # a caller who joins when the expected wait (callers ahead x handle_time / agents logged in)
    # is over this many seconds is offered a callback; 0 = never
    callback_offer_after: int = Field(default=0, ge=0, le=7200)
    # seconds an agent spends on one call, talk and wrap-up: the expected wait's unit
    handle_time: int = Field(default=300, ge=10, le=3600)


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
    dial_timeout: int | None = None
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
    "parallel": (("destination", "schedule"), ("dial_timeout", "fallback_queue")),
}

# Which model a mapping at a path is, to suggest the right key for a typo.
_MODEL_AT: dict[tuple, type[BaseModel]] = {
    (): RulesModel, ("centre",): CentreModel, ("departments", "*"): DepartmentModel,
    ("queues", "*"): QueueModel, ("agents", "*"): AgentModel, ("schedules", "*"): ScheduleModel,
    ("holidays", "*"): DayRangeModel, ("workdays", "*"): DayRangeModel, ("lines", "*"): LineModel,
}


def _fields(model: type[BaseModel]) -> list[str]:
    return ["from" if name == "from_" else name for name in model.model_fields]


def where_text(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def shape_problems(source: Source) -> list[Problem]:
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
        return Problem(source.name, source.line_of(loc[:-1]), where_text(loc[:-1]), message)
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
    return Problem(source.name, source.line_of(loc), where_text(loc), message)


# Keys renamed since an earlier version of the file: a line's old key -> its new name. The old
# name is still read (with a notice), so an admin's file keeps working after an upgrade.
RENAMED_LINE_KEYS: dict[str, str] = {
    # a line's ring time was called like a queue's per-agent ring time; it is the Dial() time
    "ring_timeout": "dial_timeout",
}


def apply_renames(source: Source) -> tuple[list[Problem], list[Problem]]:
    """Read renamed keys under their new names, in place: (problems, notices). Giving both the
    old and the new name on one line is a problem; the old name alone is a notice."""
    problems: list[Problem] = []
    notices: list[Problem] = []
    lines = source.data.get("lines") if isinstance(source.data, dict) else None
    for index, entry in enumerate(lines if isinstance(lines, list) else []):
        if not isinstance(entry, dict):
            continue
        for old, new in RENAMED_LINE_KEYS.items():
            if old not in entry:
                continue
            old_path, new_path = ("lines", index, old), ("lines", index, new)
            line = source.line_of(old_path)
            if new in entry:
                problems.append(Problem(source.name, line, where_text(old_path),
                                        f"{old!r} is the old name of {new!r}, which is given too: keep only {new!r}"))
                del entry[old]  # reported here; not again as an unknown key
                continue
            entry[new] = entry.pop(old)
            source.lines[new_path] = line
            notices.append(Problem(source.name, line, where_text(old_path),
                                   f"{old!r} is now called {new!r}: it was read as {new!r}; "
                                   "rename it when you next edit the file"))
    return problems, notices
