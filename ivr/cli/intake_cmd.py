"""``ivr tickets intake``: the state of the pipeline from answered calls to work orders.

What a supervisor or an operator asks when work orders seem late: is the engine taking facts in,
how many wait for the database and since when, and what was set aside and why. It reads the
spool's files and the status the running engine writes every second (``<data_dir>/ami``), so it
works whether the engine runs or not, and never changes anything unless asked to requeue. It also
shows the recordings' side of each order: the orders whose recording was found short, empty,
unreadable or missing (from the database, when it answers), and the free space of the recordings'
disk (:func:`ivr.recordings.space.recordings_space`).
"""
from __future__ import annotations

import json

import click

from ivr.spool import Spool
from ivr.settings import Settings

FLAGGED_SHOWN = 20  # the newest flagged recordings listed (all of them: ivr recordings verify)


def report(settings: Settings) -> dict:
    """Everything ``ivr tickets intake`` shows, as one JSON-ready mapping."""
    from ivr.ami.intake_status import pipeline
    from ivr import data_folder

    return pipeline(data_folder.intake_spool(settings.data_dir), data_folder.intake_status(settings.data_dir))


def recordings_report(settings: Settings, store=None) -> dict:
    """The recordings' disk, and the orders whose recording was flagged (None when the database
    cannot say: ``flags_error`` says why)."""
    from ivr.errors import IvrError
    from ivr.recordings.space import recordings_space

    out: dict = {"disk": recordings_space(settings).as_dict(), "flagged_count": None, "flagged": None,
                 "flags_error": ""}
    if store is None:
        return out
    try:
        out["flagged_count"] = store.count_flagged()
        out["flagged"] = [f.to_dict() for f in store.flagged_recordings(limit=FLAGGED_SHOWN)]
    except IvrError as err:
        out["flags_error"] = str(err)
    return out


def _store(settings: Settings):
    """The ticket store, or None when the database cannot be opened (the rest still shows)."""
    from ivr.errors import IvrError
    from ivr.rules_file import load_rules
    from ivr.store import store_for

    try:
        return store_for(settings, load_rules(settings.rules_path))
    except IvrError:
        return None


@click.command("intake")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--requeue", is_flag=True,
              help="Put the facts set aside back in the spool (after fixing their cause).")
def intake(as_json: bool, requeue: bool) -> None:
    """How answered calls are becoming work orders: pending, waiting since, set aside and why; the
    orders whose recording was found incomplete, and the recordings' free disk space.

    Exit status 0 when nothing waits and nothing is set aside, 1 otherwise (for monitoring)."""
    settings = Settings.from_env()
    if requeue:
        from ivr import data_folder

        count = Spool(data_folder.intake_spool(settings.data_dir)).requeue_aside()
        click.echo(f"{count} fact(s) put back in the spool; the running engine applies them in order")
        return
    data = report(settings)
    store = _store(settings)
    try:
        data["recordings"] = recordings_report(settings, store)
    finally:
        if store is not None:
            store.close()
    if store is None:
        data["recordings"]["flags_error"] = "the ticket database cannot be opened"
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
    return out + _recording_lines(data.get("recordings"))


def _recording_lines(recordings: dict | None) -> list[str]:
    if not recordings:
        return []
    from ivr.recordings.space import Space

    disk = recordings["disk"]
    out = [Space(**{k: v for k, v in disk.items() if k != "low"}).describe()]
    if recordings["flagged"] is None:
        out.append(f"incomplete recordings: not known ({recordings['flags_error']})")
        return out
    out.append(f"incomplete recordings: {recordings['flagged_count']}")
    for flag in recordings["flagged"]:
        out.append(f"  {flag['number']}  {flag['reason']}")
    if recordings["flagged_count"] > len(recordings["flagged"]):
        out.append(f"  (the newest {len(recordings['flagged'])}; all of them: `ivr recordings verify`)")
    return out
