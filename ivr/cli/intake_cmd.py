"""``ivr tickets intake``: the state of the pipeline from answered calls to work orders.

What a supervisor or an operator asks when work orders seem late: is the engine taking facts in,
how many wait for the database and since when, and what was set aside and why. It reads the
spool's files and the status the running engine writes every second (``<data_dir>/ami``), so it
works whether the engine runs or not, and never changes anything unless asked to requeue.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import click

from ivr.ami.spool import Spool, decode
from ivr.settings import Settings

STALE_AFTER_S = 10  # the engine writes its status every second: older means it is not running


def _status(settings: Settings) -> dict | None:
    from ivr.engine import intake_status_path

    try:
        return json.loads(intake_status_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _age_s(iso: str | None) -> float | None:
    try:
        return (datetime.now(timezone.utc) - datetime.fromisoformat(iso or "")).total_seconds()
    except ValueError:
        return None


def _oldest(records) -> str | None:
    for record in records:
        try:
            return decode(record.line).at.isoformat()
        except (ValueError, KeyError, TypeError):
            continue
    return None


def report(settings: Settings) -> dict:
    """Everything ``ivr tickets intake`` shows, as one JSON-ready mapping."""
    from ivr.engine import spool_folder

    spool = Spool(spool_folder(settings))
    pending = spool.pending()
    aside = spool.aside()
    status = _status(settings)
    age = _age_s(status.get("updated_at")) if status else None
    running = bool(status and status.get("state") == "running" and age is not None and age < STALE_AFTER_S)
    return {
        "spool": str(spool.folder),
        "engine_running": running,
        "status_age_s": None if age is None else round(age, 1),
        "pending": len(pending),
        "spool_bytes": spool.size_bytes(),
        "oldest_pending_at": _oldest(pending),
        "set_aside": [{"at": a.at, "reason": a.reason,
                       "fact": (lambda f: f and {"kind": type(f).__name__, "linkedid": f.call.linkedid,
                                                 "at": f.at.isoformat()})(a.fact())} for a in aside],
        "engine": status,
    }


@click.command("intake")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--requeue", is_flag=True,
              help="Put the facts set aside back in the spool (after fixing their cause).")
def intake(as_json: bool, requeue: bool) -> None:
    """How answered calls are becoming work orders: pending, waiting since, set aside and why.

    Exit status 0 when nothing waits and nothing is set aside, 1 otherwise (for monitoring)."""
    settings = Settings.from_env()
    if requeue:
        from ivr.engine import spool_folder

        count = Spool(spool_folder(settings)).requeue_aside()
        click.echo(f"{count} fact(s) put back in the spool; the running engine applies them in order")
        return
    data = report(settings)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for line in _lines(data):
            click.echo(line)
    if data["pending"] or data["set_aside"]:
        raise click.exceptions.Exit(1)


def _lines(data: dict) -> list[str]:
    engine = data["engine"] or {}
    out = [f"spool: {data['spool']}"]
    if data["engine_running"]:
        out.append(f"engine: running (status {data['status_age_s']} s old), "
                   f"{engine.get('applied', 0)} fact(s) applied since it started")
    else:
        out.append("engine: not running (no fresh status)" if not engine else
                   f"engine: {engine.get('state', '?')} (status written {data['status_age_s']} s ago)")
    database, writer = engine.get("database") or {}, engine.get("spool_writer") or {}
    if database and not database.get("ok"):
        out.append(f"database: UNAVAILABLE since {database.get('since')}: {database.get('error')}")
    if writer and not writer.get("ok"):
        out.append(f"spool disk: FAILING since {writer.get('since')}: {writer.get('error')}")
    if engine.get("overflowed"):
        out.append(f"overflowed: {engine['overflowed']} fact(s) (recovered from Asterisk's queue log)")
    oldest = f", oldest from {data['oldest_pending_at']}" if data["oldest_pending_at"] else ""
    out.append(f"pending: {data['pending']} fact(s), {data['spool_bytes']:,} bytes{oldest}")
    out.append(f"set aside: {len(data['set_aside'])}")
    for item in data["set_aside"]:
        fact = item["fact"] or {}
        out.append(f"  {item['at']}  {fact.get('kind', '?')} {fact.get('linkedid', '?')}: {item['reason']}")
    if data["set_aside"]:
        out.append("  (fix the cause, then `ivr tickets intake --requeue`)")
    return out
