"""Checking routing_rules.yaml: every problem at once, each with its line and a plain reason.

Two passes over the parsed YAML (:mod:`ivr.core.yaml_source`), both always run so an admin sees
the whole list in one go:

1. the *shape* (:mod:`ivr.core.rules_model`): unknown keys, wrong types, bad dates;
2. the *meaning* (:mod:`ivr.core.rules_check`): duplicates, references, dates, loops.

Then :func:`build_rules` resolves the checked model into :class:`~ivr.core.rules.Rules`. Pure:
text in, problems or Rules out.
"""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from ivr.core.decision import Mode
from ivr.core.numbers import normalize_number
from ivr.core.rules import Agent, Centre, Department, Line, Queue, Rules
from ivr.core.rules_check import MeaningChecker
from ivr.core.rules_model import DayRangeModel, Problem, RulesModel, apply_renames, shape_problems
from ivr.core.schedule import WEEKDAYS, Schedule, parse_hours
from ivr.core.yaml_source import Source, YamlSyntaxError, parse

__all__ = ["Problem", "build_rules", "check_text"]

def check_text(text: str, name: str) -> tuple[list[Problem], RulesModel | None, Source | None]:
    """Check YAML ``text``; return (problems, validated model or None, parsed source or None).
    Notices that do not stop the file from being used (a renamed key) are ``source.notices``."""
    try:
        source = parse(text, name)
    except YamlSyntaxError as err:
        return [Problem(name, err.line, "", str(err))], None, None
    if not isinstance(source.data, dict):
        return [Problem(name, 1, "", "the file must be a mapping with centre, queues, departments, lines, ...")], None, source
    renamed, source.notices = apply_renames(source)
    problems = renamed + shape_problems(source) + MeaningChecker(source).run()
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
            dial_timeout=(m.dial_timeout or 20) if mode is Mode.PARALLEL else None,
            fallback_queue=(m.fallback_queue or c.general_queue) if mode is Mode.PARALLEL else None,
        )
    return Rules(
        centre=centre,
        departments={k: Department(k, d.name_zh, d.name_en, d.assumed) for k, d in model.departments.items()},
        queues={k: Queue(k, q.name_zh, q.name_en, q.strategy, q.ring_timeout, q.wrapup_time, q.announce_every,
                      q.callback_offer_after, q.handle_time)
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
