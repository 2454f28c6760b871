"""The routing decision: ``decide(call, rules, now) -> Decision``, a pure function.

It never fails a citizen: a number not in the rules goes to the general 12345 queue with a
warning. Per GB/T 33358 the main line goes straight to agents (a short greeting, no key menu).
The adapters (FastAGI server, AGI script, ``ivr route``) call it and write the result.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ivr.core.decision import Action, Decision, Mode
from ivr.core.numbers import normalize_number
from ivr.core.rules import Line, Rules, dated


@dataclass(frozen=True)
class Call:
    """What the engine knows of a call when it routes it."""

    line: str         # the number dialled, as the carrier presented it
    caller: str = ""  # the caller's number (untrusted; only logged)


def decide(call: Call, rules: Rules, now: datetime) -> Decision:
    """Where ``call`` goes at ``now`` (an aware datetime) under ``rules``."""
    if now.tzinfo is None:
        raise ValueError("decide() needs an aware datetime: pass the time with its zone")
    number = normalize_number(call.line, rules.centre.area_code)
    line = rules.line(number)
    if line is None:
        return _unknown(call, number, rules)
    local = now.astimezone(rules.centre.timezone)
    department = rules.departments[line.department]
    base = dict(line=line.number, mode=line.mode, department=line.department,
                department_name=department.name_zh)
    if line.mode is Mode.MAIN:
        return Decision(Action.QUEUE, queue=line.queue, prompts=rules.prompts["greeting"],
                        reason="the 12345 main line goes straight to the agents", **base)
    if line.mode is Mode.FORWARD:
        return Decision(Action.QUEUE, queue=line.queue, prompts=rules.prompts["greeting"],
                        reason=f"forwarded line of {department.name_en}: 12345 agents answer for it",
                        **base)
    if line.mode is Mode.SUNSET:
        return _sunset(line, rules, local, base)
    if line.mode is Mode.DEDICATED:
        return Decision(Action.QUEUE, queue=line.queue, overflow_after=line.overflow_after,
                        overflow_queue=line.overflow_queue,
                        reason=(f"dedicated seat {line.queue}; overflow to {line.overflow_queue} after "
                                f"{line.overflow_after}s or when no seat agent is logged in"),
                        **base)
    return _parallel(line, rules, local, base)


def time_key(line: Line | None, local: datetime, rules: Rules) -> tuple:
    """What of the time ``decide()`` looks at for a call to ``line`` at ``local`` (the centre's
    zone): two calls to one line with equal keys get equal decisions. Lets a replay of many
    calls decide once per key (:mod:`ivr.core.replay`); kept next to :func:`decide` so the two
    change together. A main, forward or dedicated line (and a number not in the rules) does not
    depend on the time; a sunset line on the day; a parallel line on the day and on the stretch
    of it between two of its schedule's opening and closing times (:meth:`Schedule.segment`)."""
    mode = line.mode if line is not None else None
    if mode is Mode.SUNSET:
        return (local.date(),)
    if mode is Mode.PARALLEL:
        return (local.date(), rules.schedules[line.schedule].segment(local.time()))
    return ()  # main, forward, dedicated, a number not in the rules (identity tests: a million calls)


def _sunset(line: Line, rules: Rules, local: datetime, base: dict) -> Decision:
    assert line.retire_on is not None
    if local.date() < line.retire_on:
        return Decision(Action.QUEUE, queue=rules.centre.general_queue,
                        prompts=dated(rules.prompts["sunset_notice"], line.retire_on),
                        reason=f"in its transition: will be retired on {line.retire_on}; notice, then 12345",
                        **base)
    if line.after_retirement == "prompt_only":
        return Decision(Action.PROMPT_ONLY, prompts=dated(rules.prompts["number_retired"], line.retire_on),
                        reason=f"retired on {line.retire_on}: 'number retired, dial 12345' only", **base)
    return Decision(Action.QUEUE, queue=rules.centre.general_queue,
                    prompts=dated(rules.prompts["number_retired"], line.retire_on),
                    reason=f"retired on {line.retire_on}: 'number retired' prompt, then 12345", **base)


def _parallel(line: Line, rules: Rules, local: datetime, base: dict) -> Decision:
    assert line.schedule is not None
    calendar, day = rules.calendar, local.date()
    holiday = calendar.holiday(day)
    # a day of a year the rules do not confirm is decided on the statutory calendar: say so
    provisional = f"; provisional: no confirmed holiday list for {day.year}" if calendar.provisional(day) else ""
    if holiday is None and rules.schedules[line.schedule].is_open(local, calendar):
        return Decision(Action.DIAL, destination=line.destination, dial_timeout=line.dial_timeout,
                        fallback_queue=line.fallback_queue,
                        reason=(f"department open ({line.schedule}{provisional}): ring its own line for "
                                f"{line.dial_timeout}s, then {line.fallback_queue}"),
                        **base)
    why = f"public holiday ({holiday}{provisional})" if holiday else f"outside {line.schedule}{provisional}"
    return Decision(Action.QUEUE, queue=line.fallback_queue, prompts=rules.prompts["closed_notice"],
                    reason=f"department closed, {why}: 12345 takes the call", **base)


def _unknown(call: Call, number: str, rules: Rules) -> Decision:
    shown = number or "(no number)"
    main = rules.line(rules.centre.main_line)
    department = rules.departments[main.department] if main else None
    return Decision(Action.QUEUE, line=number, mode=Mode.UNKNOWN,
                    department=department.id if department else "",
                    department_name=department.name_zh if department else rules.centre.name_zh,
                    queue=rules.centre.general_queue, prompts=rules.prompts["greeting"],
                    reason="number not in the rules: sent to the 12345 agents",
                    warnings=(f"dialled number {shown} is not in routing_rules.yaml",))
