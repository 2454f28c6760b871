"""``ivr recordings verify``: every listed recording present and unchanged (or removed on purpose),
nothing unlisted; ``ivr recordings access-log verify``: the auditors' access log unbroken;
``ivr recordings retention``: remove what the retention period lets go."""
from __future__ import annotations

import json

import click

from ivr import recordings as manifest
from ivr.cli.context import Context, command_context


@click.group()
def recordings() -> None:
    """Call recordings and their append-only manifest."""


@recordings.command("verify")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="Default: IVR_RECORDINGS_DIR.")
@click.option("--no-tickets", is_flag=True, help="Do not cross-check the work orders' recording fields.")
@click.option("--json", "as_json", is_flag=True)
def verify(directory: str | None, no_tickets: bool, as_json: bool) -> None:
    """Check every listed recording is present and unchanged, and nothing is unlisted. Exit 1 if not."""
    from pathlib import Path

    c = command_context()
    base = Path(directory) if directory else c.settings.recordings_dir
    expected = [] if no_tickets else _ticket_recordings(c, base)
    result = manifest.verify(base, expected)
    if as_json:
        click.echo(json.dumps({"dir": str(base), **result.as_dict()}, ensure_ascii=False, indent=2))
    else:
        for label, items in (("missing", result.missing), ("altered", result.altered),
                             ("unlisted", result.unlisted), ("problem", result.problems)):
            for item in items:
                click.echo(f"{label}: {item}")
        verdict = "OK" if result.ok else "PROBLEMS FOUND"
        removed = f" ({len(result.removed)} removed by the retention period)" if result.removed else ""
        click.echo(f"{base}: {result.checked} listed recording(s) checked{removed}: {verdict}")
    if not result.ok:
        raise click.exceptions.Exit(1)


def _ticket_recordings(c: Context, base) -> list[manifest.TicketRecording]:
    out = []
    for number, path, sha, size in c.store.recordings():
        try:
            rel = manifest.relative_path(base, path)
        except manifest.ManifestError:
            rel = path  # reported as "not in the manifest" by verify
        out.append(manifest.TicketRecording(number, rel, sha, size))
    return out


@recordings.group("access-log")
def access_log() -> None:
    """The access log of auditors' searches, plays and downloads (hash-chained)."""


@access_log.command("verify")
@click.option("--json", "as_json", is_flag=True)
def verify_access_log(as_json: bool) -> None:
    """Follow the access log's hash chain and compare its end with the head kept in the database.
    Exit 1 on an edited, removed or reordered entry."""
    from ivr.access_log import AccessLog, log_path
    from ivr.store.audit import AuditStore

    c = command_context()
    path = log_path(c.settings.data_dir)
    result = AccessLog(path, AuditStore(c.store.engine, c.tz)).verify()
    chain = result.chain
    if as_json:
        click.echo(json.dumps({"log": str(path), "entries": chain.entries, "last_seq": chain.last_seq,
                               "last_hash": chain.last_hash, "database_head": result.head,
                               "problems": result.problems, "ok": result.ok}, ensure_ascii=False, indent=2))
    else:
        for problem in result.problems:
            click.echo(f"{path}: {problem}")
        verdict = "OK" if result.ok else "BROKEN"
        click.echo(f"{path}: {chain.entries} entries, last #{chain.last_seq} {chain.last_hash[:16]}…: {verdict}")
    if not result.ok:
        raise click.exceptions.Exit(1)


@recordings.command("retention")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
def retention(dry_run: bool) -> None:
    """Remove recordings older than IVR_RECORDINGS_KEEP_DAYS (not those under a legal hold), each
    removal written to the manifest first. The running engine does this every hour by itself."""
    from ivr.retention import run_retention
    from ivr.store.audit import AuditStore

    c = command_context()
    days = c.settings.recordings_keep_days
    if not days:
        click.echo("IVR_RECORDINGS_KEEP_DAYS is not set: recordings are kept for ever")
        return
    held = AuditStore(c.store.engine, c.tz).held_paths()
    result = run_retention(c.settings.recordings_dir, days, held, c.now(), dry_run=dry_run)
    for path in result.removed:
        click.echo(f"{'would remove' if dry_run else 'removed'}: {path}")
    for problem in result.failed:
        click.echo(f"failed: {problem}")
    click.echo(f"kept {days} days: {len(result.removed)} {'to remove' if dry_run else 'removed'}, "
               f"{result.held} under a legal hold")
    if result.failed:
        raise click.exceptions.Exit(1)
