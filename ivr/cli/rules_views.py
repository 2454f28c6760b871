"""How the rules' lifecycle reads on a terminal: history, diff, preview, outcome, parts, audit."""
from __future__ import annotations

from datetime import datetime, tzinfo

import click

from ivr.core.rules_diff import Change, describe
from ivr.lifecycle.apply import Outcome, PartReport
from ivr.lifecycle.preview import Preview
from ivr.store.rules_versions import AuditEntry, Version


def _when(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def echo_history(versions: list[Version], refused: list[AuditEntry], tz: tzinfo) -> None:
    if not versions:
        click.echo("no versions yet")
    else:
        click.echo(f"{'version':<8} {'when':<19}  {'who':<16} {'how':<13} {'sha256':<12}  why")
    for v in versions:
        how = v.action + (f" to v{v.restores}" if v.restores else "")
        why = v.message + (f"  [REVERTED: {v.reverted_why}]" if v.reverted_at else "")
        click.echo(f"{v.number:<8} {_when(v.at, tz):<19}  {v.author:<16} {how:<13} {v.sha256[:12]:<12}  {why}")
    if refused:
        click.echo("refused (not put in force):")
    for e in refused:
        click.echo(f"{'-':<8} {_when(e.at, tz):<19}  {e.actor:<16} {e.action:<13} {(e.sha256 or '')[:12]:<12}  "
                   f"{e.message}  [{e.detail.get('reason', '')}]")


def echo_diff(changes: list[Change], before: str, after: str) -> None:
    click.echo(f"from {before} to {after}: {len(changes)} change(s) for callers")
    for change in changes:
        click.echo(f"  {describe(change)}")


def echo_preview(result: Preview, label: str, tz: tzinfo, named: int) -> None:
    r = result.replay
    click.echo(f"preview of {label} ({result.new[:12]}) against the rules in force ({result.in_force[:12]}): "
               f"{r.calls:,} call(s) of the last {result.days} days replayed in {result.seconds:.2f} s "
               f"({r.decisions.get('in_force', 0)}+{r.decisions.get('new', 0)} decisions)")
    for notice in result.notices:
        click.echo(f"notice: {notice}", err=True)
    click.echo(f"  {'line':<14} {'mode':<10} {'department':<20} {'calls':>7} {'elsewhere':>9}  where to")
    for impact in r.lines.values():
        moves = "; ".join(f"{a} -> {b} ({n})" for (a, b), n in impact.moves.most_common())
        extra = f"; {impact.other_details} same place, other prompts or timing" if impact.other_details else ""
        click.echo(f"  {impact.line:<14} {impact.mode:<10} {impact.department:<20} {impact.calls:>7} "
                   f"{impact.elsewhere:>9}  {moves or '-'}{extra}")
    click.echo(f"  {'total':<46} {r.calls:>7} {r.elsewhere:>9}")
    if r.changed and named:
        click.echo(f"calls that would have gone elsewhere ({min(named, len(r.changed))} of {r.elsewhere}):")
        for changed in r.changed[:named]:
            call = changed.call
            click.echo(f"  {_when(call.at, tz)}  {call.caller or '-':<14} -> {call.line:<14} "
                       f"{changed.old} -> {changed.new}  [{call.id}]")
    click.echo(f"scheduled in the next {result.horizon} days under {label}:")
    for event in result.scheduled:
        days = event.first.isoformat() + (f"..{event.last.isoformat()}" if event.last != event.first else "")
        click.echo(f"  {days:<22} {event.kind:<14} {event.text}{'  (new)' if event.new else ''}")
    if not result.scheduled:
        click.echo("  nothing")


def echo_parts(reports: list[PartReport]) -> None:
    for report in reports:
        pid = f"pid {report.pid}" if report.pid else ""
        click.echo(f"  {report.part:<12} {pid:<10} {report.state:<15} {report.sha256[:12]:<12} {report.detail}")


def echo_outcome(outcome: Outcome) -> None:
    if outcome.checked is not None:
        for notice in outcome.checked.notices:
            click.echo(f"notice: {notice}", err=True)
        for problem in outcome.checked.problems:
            click.echo(str(problem), err=True)
    if outcome.ok:
        v = outcome.version
        click.echo(f"version {v.number} in force ({v.sha256[:12]}), {v.action} by {v.author}: {v.message}")
    else:
        click.echo(f"refused: {outcome.reason}"
                   + ("" if outcome.reverted else "; nothing was changed"), err=True)
    echo_parts(outcome.parts)


def echo_audit(entries: list[AuditEntry], tz: tzinfo) -> None:
    for e in entries:
        detail = e.detail.get("reason") or ""
        version = f"v{e.version}" if e.version else ""
        click.echo(f"{_when(e.at, tz)}  {e.actor:<16} {e.action:<15} {e.outcome:<8} {version:<6} "
                   f"{(e.sha256 or '')[:12]:<12} {e.message}{'  (' + detail + ')' if detail else ''}")
