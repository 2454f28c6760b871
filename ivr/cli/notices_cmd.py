"""``ivr notices add|list|end``: incident notices (热点播报) on lines and queues, for a window.

The actor is the operating-system account running the command (as for the other staff
commands). Times without an offset are the centre's local time.
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from ivr.cli.context import command_context, os_user


@click.group()
def notices() -> None:
    """Incident notices played to callers before they queue."""


def _surges(c):
    from ivr.store.surges import SurgeStore
    return SurgeStore(c.store.engine)


@notices.command("add")
@click.option("--line", "lines", multiple=True, help="A line the notice plays on (repeatable).")
@click.option("--queue", "queues", multiple=True, help="A queue whose callers hear it (repeatable).")
@click.option("--from", "starts", default=None, help="Start (ISO time; default now).")
@click.option("--until", "ends", required=True, help="End (ISO time), e.g. 2026-11-29T18:00.")
@click.option("--text", default="", help="The notice's words, made into a prompt with espeak-ng.")
@click.option("--recording", type=click.Path(dir_okay=False, exists=True), default=None,
              help="The centre's recording of the notice (any format sox reads) instead of --text.")
@click.option("--json", "as_json", is_flag=True)
def add(lines, queues, starts, ends, text, recording, as_json) -> None:
    """Put up a notice on lines and/or queues for a time window."""
    from ivr.asterisk.layout import Layout
    from ivr.notices_admin import parse_when, put_up

    c = command_context()
    now = c.now()
    record = put_up(_surges(c), c.rules, Layout.from_settings(c.settings), lines=list(lines), queues=list(queues),
                    starts_at=parse_when("--from", starts, c.tz) if starts else now,
                    ends_at=parse_when("--until", ends, c.tz),
                    text=text, recording=Path(recording) if recording else None, by=os_user(), now=now)
    _show([record], as_json, c.tz)


@notices.command("list")
@click.option("--all", "everything", is_flag=True, help="Also the notices whose window has ended.")
@click.option("--json", "as_json", is_flag=True)
def list_cmd(everything: bool, as_json: bool) -> None:
    """The notices in force or to come (with --all, every notice)."""
    c = command_context()
    _show(_surges(c).notices(since=None if everything else c.now()), as_json, c.tz)


@notices.command("end")
@click.argument("notice_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def end(notice_id: int, as_json: bool) -> None:
    """Take a notice down now (its window closes; the record stays)."""
    c = command_context()
    _show([_surges(c).end_notice(notice_id, os_user(), c.now())], as_json, c.tz)


def _show(records, as_json: bool, tz) -> None:
    if as_json:
        click.echo(json.dumps([{"id": r.id, "prompt": r.prompt, "text": r.text, "lines": list(r.lines),
                                "queues": list(r.queues), "from": r.starts_at.isoformat(),
                                "until": r.ends_at.isoformat(), "by": r.created_by,
                                "ended_at": r.ended_at.isoformat() if r.ended_at else None,
                                "ended_by": r.ended_by} for r in records], ensure_ascii=False, indent=2))
        return
    if not records:
        click.echo("no notices")
    for r in records:
        ended = f"  ended {r.ended_at.astimezone(tz):%m-%d %H:%M} by {r.ended_by}" if r.ended_at else ""
        click.echo(f"#{r.id}  {r.starts_at.astimezone(tz):%Y-%m-%d %H:%M} - {r.ends_at.astimezone(tz):%m-%d %H:%M}  "
                   f"lines {','.join(r.lines) or '-'}  queues {','.join(r.queues) or '-'}  by {r.created_by}{ended}")
        click.echo(f"    {r.prompt}: {r.text}")
