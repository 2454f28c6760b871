"""``ivr recordings verify``: every listed recording present and unchanged (or removed on purpose),
nothing unlisted, no work order's recording flagged incomplete; ``ivr recordings clean``: remove
what failed steps left behind; ``ivr recordings access-log verify``: the auditors' access log
unbroken; ``ivr recordings retention``: remove what the retention period lets go."""
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
@click.option("--no-tickets", is_flag=True,
              help="Do not cross-check the work orders' recording fields and flags (no database).")
@click.option("--clean", is_flag=True, help="First remove what failed steps left behind (as `ivr recordings clean`).")
@click.option("--json", "as_json", is_flag=True)
def verify(directory: str | None, no_tickets: bool, clean: bool, as_json: bool) -> None:
    """Check every listed recording is present and unchanged, nothing is unlisted or left behind,
    and no work order's recording was found short, empty, unreadable or missing. Exit 1 if not."""
    from pathlib import Path

    c = command_context()
    base = Path(directory) if directory else c.settings.recordings_dir
    swept = _sweep(base, dry_run=False, quiet=as_json) if clean else None
    expected = [] if no_tickets else _ticket_recordings(c, base)
    flagged = [] if no_tickets else [manifest.FlaggedRecording(f.number, f.path, f.reason)
                                     for f in c.store.flagged_recordings()]
    result = manifest.verify(base, expected, flagged)
    if as_json:
        cleaned = {"cleaned": swept.removed} if swept else {}
        click.echo(json.dumps({"dir": str(base), **result.as_dict(), **cleaned}, ensure_ascii=False, indent=2))
    else:
        for label, items in (("missing", result.missing), ("altered", result.altered),
                             ("unlisted", result.unlisted), ("leftover", result.leftovers),
                             ("flagged", result.flagged), ("problem", result.problems)):
            for item in items:
                click.echo(f"{label}: {item}")
        if result.leftovers:
            click.echo("(`ivr recordings clean` removes what is left behind)")
        verdict = "OK" if result.ok else "PROBLEMS FOUND"
        removed = f" ({len(result.removed)} removed by the retention period)" if result.removed else ""
        flags = f", {len(result.flagged)} work order(s) with an incomplete recording" if result.flagged else ""
        click.echo(f"{base}: {result.checked} listed recording(s) checked{removed}{flags}: {verdict}")
    if not result.ok:
        raise click.exceptions.Exit(1)


@recordings.command("clean")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="Default: IVR_RECORDINGS_DIR.")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
def clean(directory: str | None, dry_run: bool) -> None:
    """Remove what failed steps left behind: encoder output never renamed into place (.opus.part),
    WAVs whose Opus is listed and as long, an Opus beside the listed WAV. A WAV that is the only
    copy is never removed. The running engine does this every hour by itself."""
    from pathlib import Path

    c = command_context()
    swept = _sweep(Path(directory) if directory else c.settings.recordings_dir, dry_run=dry_run)
    if swept.failed:
        raise click.exceptions.Exit(1)


def _sweep(base, dry_run: bool, quiet: bool = False):
    import time

    from ivr.recordings.leftovers import sweep

    swept = sweep(base, time.time(), dry_run=dry_run)
    if not quiet:
        _removals(swept.removed, swept.failed, dry_run, kept=swept.kept)
        click.echo(f"{base}: {len(swept.removed)} leftover(s) {'to remove' if dry_run else 'removed'}, "
                   f"{len(swept.kept)} kept")
    return swept


def _removals(removed: list[str], failed: list[str], dry_run: bool, kept: list[str] = ()) -> None:
    """One line per file removed (or to remove), kept, or that could not be removed."""
    for item in removed:
        click.echo(f"{'would remove' if dry_run else 'removed'}: {item}")
    for item in kept:
        click.echo(f"kept: {item}")
    for item in failed:
        click.echo(f"failed: {item}")


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
    _removals(result.removed, result.failed, dry_run)
    click.echo(f"kept {days} days: {len(result.removed)} {'to remove' if dry_run else 'removed'}, "
               f"{result.held} under a legal hold")
    if result.failed:
        raise click.exceptions.Exit(1)


from ivr.cli.one_way_cmd import one_way  # noqa: E402 - a command of this group, in a module of its own

recordings.add_command(one_way)
