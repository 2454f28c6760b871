"""``ivr callbacks list``: callers' callback requests (回拨), each with its tries and outcome."""
from __future__ import annotations

import json

import click

from ivr.cli.context import command_context
from ivr.core.callbacks import CallbackStatus


@click.group()
def callbacks() -> None:
    """Callback requests and their tries."""


@callbacks.command("list")
@click.option("--status", type=click.Choice([s.value for s in CallbackStatus]), default=None)
@click.option("--limit", type=click.IntRange(1, 10000), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def list_cmd(status: str | None, limit: int, as_json: bool) -> None:
    """The newest requests first, with every try; a request joined to its number's open one, or
    refused (asked too often today, or a number that cannot be called back), with the reason."""
    from ivr.store.surges import SurgeStore

    c = command_context()
    found = SurgeStore(c.store.engine).callbacks(status, limit)
    if as_json:
        click.echo(json.dumps([{
            "id": r.id, "linkedid": r.linkedid, "queue": r.queue, "caller": r.caller, "number": r.number,
            "line": r.line, "department": r.department, "via": r.via, "status": r.status, "tries": r.tries,
            "requested_at": r.requested_at.isoformat(),
            "next_try_at": r.next_try_at.isoformat() if r.next_try_at else None,
            "closed_at": r.closed_at.isoformat() if r.closed_at else None, "reason": r.reason,
            "verdict": r.verdict, "joined_to": r.joined_to,
            "attempts": list(r.attempts)} for r in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no callback requests")
    for r in found:
        click.echo(f"#{r.id}  {r.requested_at.astimezone(c.tz):%m-%d %H:%M:%S}  {r.queue:<18} "
                   f"{r.number or r.caller:<14} {r.status:<9} tries {r.tries}  {r.reason}")
        for a in r.attempts:
            click.echo(f"      try {a['attempt']}: {a['started_at']}  {a['outcome'] or 'ringing'}")
