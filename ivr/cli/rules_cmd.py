"""``ivr rules check|show`` and ``ivr route``: the telecom admin's tools for routing_rules.yaml.

The lifecycle (history, diff, preview, apply, rollback, status, audit) is in
:mod:`ivr.cli.rules_admin_cmd`."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from ivr.cli.calendar_views import calendar_record, echo_warnings, echo_year, today
from ivr import clock
from ivr.errors import TimeFormatError
from ivr.core.decision import Mode
from ivr.core.holiday_calendar import DayStatus
from ivr.core.routing import Call, decide
from ivr.core.rules import Line, Rules
from ivr.rules_file import load_rules, read_text
from ivr.settings import Settings

_MODE_PARAMS = {
    Mode.SUNSET: ("go_live", "retire_on", "after_retirement", "queue"),
    Mode.DEDICATED: ("queue", "overflow_queue", "overflow_after"),
    Mode.PARALLEL: ("destination", "schedule", "dial_timeout", "fallback_queue"),
    Mode.FORWARD: ("queue",),
    Mode.MAIN: ("queue",),
}


def _rules_path(path: str | None) -> Path:
    return Path(path) if path else Settings.from_env().rules_path


@click.group()
def rules() -> None:
    """routing_rules.yaml: check and show it; its versions, diff, impact preview, apply and roll back."""


@rules.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def check(file: str | None) -> None:
    """Validate FILE (default: the configured rules) and list every problem. Exit 1 if any.

    Then every prompt it names must exist for the Asterisk of this machine, which plays them."""
    from ivr.errors import RulesError
    from ivr.lifecycle.candidate import check_candidate

    path = _rules_path(file)
    try:
        checked = check_candidate(read_text(path), str(path), Settings.from_env())
    except RulesError as err:
        problems = err.problems
    else:
        problems = checked.problems
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        click.echo(f"{path}: {len(problems)} problem(s); nothing was changed", err=True)
        raise click.exceptions.Exit(1)
    loaded = checked.rules
    for notice in checked.notices:
        click.echo(f"notice: {notice}", err=True)
    echo_warnings(loaded, today(loaded))
    counts = {mode.value: sum(1 for line in loaded.lines.values() if line.mode is mode) for mode in Mode
              if mode is not Mode.UNKNOWN}
    summary = ", ".join(f"{n} {m}" for m, n in counts.items())
    click.echo(f"{path}: OK: {len(loaded.lines)} lines ({summary}), "
               f"{len(loaded.departments)} departments, {len(loaded.queues)} queues")


def line_record(line: Line, rules_: Rules) -> dict:
    """One line of the inventory as a JSON-ready mapping."""
    department = rules_.departments[line.department]
    record: dict = {
        "number": line.number, "written": line.written, "name": line.name,
        "department": line.department, "department_name_zh": department.name_zh,
        "department_name_en": department.name_en, "mode": line.mode.value,
        "assumed": line.assumed or department.assumed,
    }
    for key in _MODE_PARAMS.get(line.mode, ()):
        value = getattr(line, key)
        record[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return record


@rules.command("show")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per line.")
@click.option("--version", "version", type=int, default=None,
              help="Show a stored version (`ivr rules history`) instead of a file.")
@click.option("--text", "as_text", is_flag=True, help="Print the file's text itself.")
def show(file: str | None, as_json: bool, version: int | None, as_text: bool) -> None:
    """Print the line inventory (of FILE, of the rules in force, or of a stored version)."""
    from ivr.rules_file import rules_from_text

    if version is not None:
        from ivr.cli.rules_admin_cmd import admin

        stored, text = admin().versions.get(version)
        click.echo(f"version {stored.number} ({stored.sha256[:12]}): {stored.action} by {stored.author} "
                   f"at {stored.at.isoformat(timespec='seconds')}: {stored.message}", err=True)
    else:
        text = read_text(_rules_path(file))
    if as_text:
        click.echo(text, nl=False)
        return
    loaded = rules_from_text(text, f"version {version}" if version is not None else str(_rules_path(file)))
    records = [line_record(line, loaded) for line in loaded.lines.values()]
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    click.echo(f"{'number':<14} {'mode':<10} {'department':<34} parameters")
    for r in records:
        params = ", ".join(f"{k}={r[k]}" for k in _MODE_PARAMS.get(Mode(r["mode"]), ()) if r.get(k) is not None)
        dept = f"{r['department_name_en']}{' (assumed)' if r['assumed'] else ''}"
        click.echo(f"{r['number']:<14} {r['mode']:<10} {dept:<34} {params}")
    day = today(loaded)
    click.echo(f"\nholiday calendar (today {day.isoformat()}; every year: `ivr rules calendar`)")
    for year in (day.year, day.year + 1):
        echo_year(loaded, year)
    echo_warnings(loaded, day)


@rules.command("calendar")
@click.argument("years", nargs=-1, type=click.IntRange(1950, 2100))
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), help="Rules file to use.")
@click.option("--json", "as_json", is_flag=True, help="Print the calendar as JSON.")
def calendar_cmd(years: tuple[int, ...], rules_file: str | None, as_json: bool) -> None:
    """The holiday calendar of YEARS (default: this year and the next): each year confirmed by the
    rules or provisional (the statutory holidays), its holidays and make-up working days, and for a
    confirmed year how its list differs from the statutory calendar the library computes."""
    loaded = load_rules(_rules_path(rules_file))
    day = today(loaded)
    chosen = sorted(set(years)) or [day.year, day.year + 1]
    if as_json:
        click.echo(json.dumps(calendar_record(loaded, chosen, day), ensure_ascii=False, indent=2))
        return
    click.echo(f"holiday calendar of {_rules_path(rules_file)} (today {day.isoformat()}); "
               f"confirmed years: {', '.join(map(str, sorted(loaded.calendar.confirmed_years))) or 'none'}")
    for year in chosen:
        echo_year(loaded, year, compare=True)
    echo_warnings(loaded, day)


def parse_at(text: str | None, rules_: Rules) -> datetime:
    """``--at`` as an aware time: ISO text (naive means the centre's zone), default now (the
    project's clock: ``IVR_CLOCK`` when set)."""
    if not text:
        return clock.now(Settings.from_env().clock, rules_.centre.timezone)
    try:
        return clock.parse_time(text, rules_.centre.timezone, "--at")
    except TimeFormatError as err:
        raise click.BadParameter(str(err).removeprefix("--at: "), param_hint="--at") from None


@click.command("route")
@click.argument("number")
@click.option("--at", "at_text", metavar="ISO-TIME", help="Pretend it is this time (default: now).")
@click.option("--caller", default="", help="The caller's number, for the record.")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), help="Rules file to use.")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
def route(number: str, at_text: str | None, caller: str, rules_file: str | None, as_json: bool) -> None:
    """Dry-run the routing of a call to NUMBER: where it would go, and why."""
    loaded = load_rules(_rules_path(rules_file))
    at = parse_at(at_text, loaded)
    decision = decide(Call(line=number, caller=caller), loaded, at)
    day = loaded.calendar.status(at.astimezone(loaded.centre.timezone).date())
    if as_json:
        data = decision.to_dict()
        data["at"] = at.isoformat()
        data["calendar"] = day.to_dict()
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"call to {number} at {at.isoformat()}")
    click.echo(f"  line        {decision.line} ({decision.mode.value}, {decision.department} {decision.department_name})")
    click.echo(f"  action      {decision.action.value}")
    for key in ("queue", "overflow_after", "overflow_queue", "destination", "dial_timeout", "fallback_queue"):
        value = getattr(decision, key)
        if value is not None:
            click.echo(f"  {key:<11} {value}")
    if decision.prompts:
        click.echo(f"  prompts     {' '.join(decision.prompts)}")
    click.echo(f"  calendar    {_day_words(day)}")
    click.echo(f"  why         {decision.reason}")
    for warning in decision.warnings:
        click.echo(f"  warning     {warning}")


def _day_words(day: DayStatus) -> str:
    what = (f"public holiday ({day.holiday})" if day.holiday is not None
            else "make-up working day" if day.workday else "working day" if day.working else "weekend")
    standing = (f"provisional: {day.day.year} has no confirmed holiday list, the statutory holidays apply"
                if day.provisional else "confirmed")
    return f"{day.day.isoformat()} {what}, {standing}"
