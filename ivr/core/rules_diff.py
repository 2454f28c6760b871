"""What a new routing_rules.yaml changes for callers: a semantic diff of two :class:`Rules`.

Not which text lines changed (a comment or a reordered key changes nothing for a citizen) but
what routing and the work orders will do differently: lines added or removed, a line's mode,
queue, overflow, opening hours, destination or sunset dates, holidays and make-up working days,
agents moved between queues, queues, prompts, departments and the centre itself.

Rules are compared after they were resolved (defaults filled in, numbers canonical), so writing
a default out or spelling a number another way is no change. Pure: two Rules in, a list of
:class:`Change` out, in the order an admin reads them (lines first).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, time, timedelta

from ivr.core.rules import Line, Rules

# The fields of a line that decide where its calls go, in the order they are reported.
LINE_FIELDS = ("mode", "department", "queue", "overflow_queue", "overflow_after", "destination",
               "schedule", "dial_timeout", "fallback_queue", "go_live", "retire_on",
               "after_retirement", "name")
QUEUE_FIELDS = ("strategy", "ring_timeout", "wrapup_time", "announce_every", "callback_offer_after", "handle_time", "name_zh", "name_en")
CENTRE_FIELDS = ("main_line", "general_queue", "timezone", "area_code", "name_zh", "name_en")


@dataclass(frozen=True)
class Change:
    """One difference that matters to callers or to the work orders.

    ``kind`` is one of: line_added, line_removed, line_changed, agent_added, agent_removed,
    agent_moved, queue_added, queue_removed, queue_changed, hours_added, hours_removed,
    hours_changed, calendar_confirmed, calendar_unconfirmed, days_closed, days_opened,
    holiday_added, holiday_removed, workday_added, workday_removed,
    prompt_changed, department_added, department_removed, department_changed, centre_changed.
    """

    kind: str
    subject: str        # a line's number, an agent, queue, schedule, prompt or department id, a day range
    field: str = ""     # for *_changed: which field
    old: str = ""
    new: str = ""

    def to_dict(self) -> dict:
        return asdict(self) | {"text": describe(self)}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, list, frozenset, set)):
        return ", ".join(_text(v) for v in value)
    return str(getattr(value, "value", value))


def diff(old: Rules, new: Rules) -> list[Change]:
    """Every change from ``old`` to ``new``, lines first; empty when nothing changes for anyone."""
    return (_lines(old, new) + _agents(old, new) + _queues(old, new) + _schedules(old, new)
            + _calendar(old, new) + _days("holiday", old.holidays, new.holidays)
            + _days("workday", dict.fromkeys(old.workdays, ""), dict.fromkeys(new.workdays, ""))
            + _prompts(old, new) + _departments(old, new) + _centre(old, new))


def _line_summary(line: Line) -> str:
    params = ", ".join(f"{f}={_text(getattr(line, f))}" for f in LINE_FIELDS[1:-1]
                       if getattr(line, f) is not None)
    return f"{line.mode.value} ({params})"


def _keyed(kind: str, old: dict, new: dict, summary: Callable[[object], str],
           changed: Callable[[str, object, object], list[Change]]) -> list[Change]:
    """Entries of one section keyed by id: added (new file order), changed, then removed."""
    out: list[Change] = []
    for key, entry in new.items():
        before = old.get(key)
        out += [Change(f"{kind}_added", key, new=summary(entry))] if before is None else changed(key, before, entry)
    return out + [Change(f"{kind}_removed", key, old=summary(entry)) for key, entry in old.items() if key not in new]


def _fields(kind: str, names: tuple[str, ...]) -> Callable[[str, object, object], list[Change]]:
    """One change per field of ``names`` that differs."""
    return lambda key, a, b: [Change(kind, key, f, _text(getattr(a, f)), _text(getattr(b, f)))
                              for f in names if getattr(a, f) != getattr(b, f)]


def _line_changes(number: str, before: Line, line: Line) -> list[Change]:
    if before.mode != line.mode:  # a new mode brings its own parameters: one change, whole
        return [Change("line_changed", number, "mode", _line_summary(before), _line_summary(line))]
    return _fields("line_changed", LINE_FIELDS)(number, before, line)


def _lines(old: Rules, new: Rules) -> list[Change]:
    return _keyed("line", old.lines, new.lines, _line_summary, _line_changes)


def _agents(old: Rules, new: Rules) -> list[Change]:
    def moved(agent_id: str, a, b) -> list[Change]:
        return [] if sorted(a.queues) == sorted(b.queues) else [
            Change("agent_moved", agent_id, "queues", _text(a.queues), _text(b.queues))]
    return _keyed("agent", old.agents, new.agents, lambda a: _text(a.queues), moved)


def _queues(old: Rules, new: Rules) -> list[Change]:
    return _keyed("queue", old.queues, new.queues, lambda q: f"{q.name_en}, {q.strategy}",
                  _fields("queue_changed", QUEUE_FIELDS))


def _hours(schedule) -> str:
    days = ",".join(("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d] for d in sorted(schedule.weekdays))
    spans = " ".join(f"{a.strftime('%H:%M')}-{'24:00' if b == time.max else b.strftime('%H:%M')}"
                     for a, b in schedule.hours)
    return f"{days} {spans}"


def _schedules(old: Rules, new: Rules) -> list[Change]:
    def changed(sid: str, a, b) -> list[Change]:
        return [] if (a.weekdays, a.hours) == (b.weekdays, b.hours) else [
            Change("hours_changed", sid, "hours", _hours(a), _hours(b))]
    return _keyed("hours", old.schedules, new.schedules, _hours, changed)


def day_ranges(days: dict[date, str]) -> list[tuple[date, date, str]]:
    """Consecutive days with the same name as (first, last, name), in date order."""
    out: list[tuple[date, date, str]] = []
    for day in sorted(days):
        name = days[day]
        if out and out[-1][1] + timedelta(days=1) == day and out[-1][2] == name:
            out[-1] = (out[-1][0], day, name)
        else:
            out.append((day, day, name))
    return out


def _range_text(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"


def _days(kind: str, old: dict[date, str], new: dict[date, str]) -> list[Change]:
    """Days added or removed (a day whose name changed is removed under its old name and added
    under its new one, so each range reads whole)."""
    added = {d: n for d, n in new.items() if old.get(d) != n}
    removed = {d: n for d, n in old.items() if new.get(d) != n}
    return ([Change(f"{kind}_removed", _range_text(a, b), old=n) for a, b, n in day_ranges(removed)]
            + [Change(f"{kind}_added", _range_text(a, b), new=n) for a, b, n in day_ranges(added)])


def _calendar(old: Rules, new: Rules) -> list[Change]:
    """A year whose standing changes: confirmed by the new rules (a State Council notice entered),
    or back to provisional; then what that does to the departments' days, against the calendar
    in force (days closed that were working, days working that were closed)."""
    before, after = old.calendar, new.calendar
    out: list[Change] = []
    for year in sorted(before.confirmed_years ^ after.confirmed_years):
        confirmed = year in after.confirmed_years
        closed: dict[date, str] = {}
        opened: dict[date, str] = {}
        day = date(year, 1, 1)
        while day.year == year:
            was, now = before.is_working_day(day), after.is_working_day(day)
            if was and not now:
                closed[day] = after.holiday(day) or ""
            elif now and not was:
                opened[day] = "make-up working day" if after.is_workday(day) else "no longer a holiday"
            day += timedelta(days=1)
        holidays = sum(1 for d in new.holidays if d.year == year)
        workdays = sum(1 for d in new.workdays if d.year == year)
        out.append(Change("calendar_confirmed", str(year), "calendar", "provisional (statutory holidays)",
                          f"{holidays} holiday day(s), {workdays} make-up working day(s)")
                   if confirmed else
                   Change("calendar_unconfirmed", str(year), "calendar", "confirmed", "provisional (statutory holidays)"))
        out += [Change("days_closed", _range_text(a, b), new=n) for a, b, n in day_ranges(closed)]
        out += [Change("days_opened", _range_text(a, b), new=n) for a, b, n in day_ranges(opened)]
    return out


def _prompts(old: Rules, new: Rules) -> list[Change]:
    keys = list(new.prompts) + [k for k in old.prompts if k not in new.prompts]
    return [Change("prompt_changed", k, "prompts", " ".join(old.prompts.get(k, ())), " ".join(new.prompts.get(k, ())))
            for k in keys if old.prompts.get(k) != new.prompts.get(k)]


def _departments(old: Rules, new: Rules) -> list[Change]:
    def renamed(did: str, a, b) -> list[Change]:
        return [] if (a.name_zh, a.name_en) == (b.name_zh, b.name_en) else [
            Change("department_changed", did, "name", f"{a.name_zh} {a.name_en}", f"{b.name_zh} {b.name_en}")]
    return _keyed("department", old.departments, new.departments, lambda d: f"{d.name_zh} {d.name_en}", renamed)


def _centre(old: Rules, new: Rules) -> list[Change]:
    return [Change("centre_changed", "centre", f, _text(getattr(old.centre, f)), _text(getattr(new.centre, f)))
            for f in CENTRE_FIELDS if _text(getattr(old.centre, f)) != _text(getattr(new.centre, f))]


_WORDS = {
    "line_added": "new line {subject}: {new}",
    "line_removed": "line {subject} removed (was {old}): its callers go to the 12345 agents as an unknown number",
    "line_changed": "line {subject}: {field} {old_} -> {new_}",
    "agent_added": "new agent {subject} in {new}",
    "agent_removed": "agent {subject} removed (was in {old})",
    "agent_moved": "agent {subject} moved: {old} -> {new}",
    "queue_added": "new queue {subject} ({new})",
    "queue_removed": "queue {subject} removed ({old})",
    "queue_changed": "queue {subject}: {field} {old_} -> {new_}",
    "hours_added": "new opening hours {subject}: {new}",
    "hours_removed": "opening hours {subject} removed (were {old})",
    "hours_changed": "opening hours {subject}: {old} -> {new}",
    "calendar_confirmed": "{subject} holiday calendar confirmed (the State Council's notice entered): {new}; "
                          "it replaces the provisional statutory holidays for routing and deadlines",
    "calendar_unconfirmed": "{subject} holiday calendar no longer confirmed: routing and deadlines go back to "
                            "the provisional statutory holidays",
    "days_closed": "{subject}: departments closed, parallel lines go to 12345, not a working day for deadlines "
                   "({new}; a working day under the rules in force)",
    "days_opened": "{subject}: departments open, a working day for deadlines ({new}; closed under the rules in force)",
    "holiday_added": "public holiday {subject} ({new}) added",
    "holiday_removed": "public holiday {subject} ({old}) removed",
    "workday_added": "make-up working day {subject} added",
    "workday_removed": "make-up working day {subject} removed",
    "prompt_changed": "prompt {subject}: {old_} -> {new_}",
    "department_added": "new department {subject} ({new})",
    "department_removed": "department {subject} removed ({old})",
    "department_changed": "department {subject} renamed: {old} -> {new}",
    "centre_changed": "centre {field}: {old_} -> {new_}",
}


def describe(change: Change) -> str:
    """The change in words (English, for the command line; the console has its own labels)."""
    return _WORDS[change.kind].format(subject=change.subject, field=change.field, old=change.old,
                                      new=change.new, old_=change.old or "(none)", new_=change.new or "(none)")
