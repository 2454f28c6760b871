"""``ivr backup DEST`` and ``ivr restore SRC``: a copy of the centre's data that restores.

See :mod:`ivr.backup.take` for what a backup holds and why it is consistent while calls are
answered, and :mod:`ivr.backup.restore` for what a restore asks of the machine it lands on.
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from ivr.cli.context import command_context


def _trunks(option: str | None) -> Path:
    from ivr.asterisk.service import trunks_dir

    return Path(option) if option else trunks_dir()


_trunks_option = click.option("--trunks", type=click.Path(file_okay=False),
                              help="trunks folder (default: IVR_TRUNKS or the repository's trunks/)")


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False))
@_trunks_option
@click.option("--secrets-to", type=click.Path(file_okay=False),
              help="put the secrets in this folder (0700) instead of DEST/secrets")
@click.option("--wait-recordings", type=click.FloatRange(0, 3600), default=60.0, show_default=True,
              help="seconds to wait for recordings of calls in progress at the copy")
@click.option("--json", "as_json", is_flag=True)
def backup(dest: str, trunks: str | None, secrets_to: str | None, wait_recordings: float, as_json: bool) -> None:
    """Back up the database, recordings and manifest, access log, spool, rules, prompts and
    secrets into DEST (new or empty), while the engine runs. Exit 1 when the copy found
    problems (listed; the original has them too)."""
    from ivr.backup.take import take_backup

    c = command_context()
    manifest = take_backup(c.settings, Path(dest), _trunks(trunks), Path(secrets_to) if secrets_to else None,
                           wait_recordings=wait_recordings)
    after = manifest.recordings.get("recorded_after_copy", [])
    if as_json:
        click.echo(json.dumps({"dest": str(dest), "database": manifest.database, "recordings": manifest.recordings,
                               "access_log": manifest.access_log, "spool": manifest.spool,
                               "files": len(manifest.files), "secrets": len(manifest.secrets),
                               "problems": manifest.problems}, ensure_ascii=False, indent=2))
    else:
        db = manifest.database
        click.echo(f"database: {db['kind']} at revision {db['revision']}, {db['orders']} work order(s)")
        rec = manifest.recordings
        click.echo(f"recordings: {rec['copied']} copied and hashed ({rec['removed']} removed by the retention "
                   f"period); {len(after)} order(s) recorded after the copy")
        for item in after:
            click.echo(f"  recorded after the copy: {item['number']} {item['path']}")
        click.echo(f"access log: {manifest.access_log['entries']} entries; spool: {manifest.spool['pending']} "
                   f"fact(s) pending, {manifest.spool['aside']} set aside")
        click.echo(f"{len(manifest.files)} file(s) listed with their SHA-256 in {Path(dest) / 'backup.json'}; "
                   f"{len(manifest.secrets)} secret(s) in {secrets_to or Path(dest) / 'secrets'} (0600)")
        for problem in manifest.problems:
            click.echo(f"problem: {problem}")
    if manifest.problems:
        raise click.exceptions.Exit(1)


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@_trunks_option
@click.option("--secrets-from", type=click.Path(file_okay=False),
              help="where the backup's secrets are, when not in SRC/secrets")
@click.option("--without-secrets", is_flag=True, help="restore everything but the secrets")
@click.option("--check", "check_only", is_flag=True, help="only check the backup against its hashes")
@click.option("--force", is_flag=True, help="write into a data or recordings folder that is not empty")
def restore(src: str, trunks: str | None, secrets_from: str | None, without_secrets: bool,
            check_only: bool, force: bool) -> None:
    """Restore the backup in SRC onto this machine's empty data folder, recordings folder and
    database (IVR_DATA_DIR, IVR_RECORDINGS_DIR, IVR_DATABASE_URL). Nothing is written unless
    every file of the backup matches its hash."""
    from ivr.backup.restore import check_backup, restore as do_restore

    c = command_context()
    if check_only:
        manifest, _, problems = check_backup(Path(src), Path(secrets_from) if secrets_from else None,
                                             without_secrets)
        for problem in problems:
            click.echo(f"problem: {problem}")
        verdict = "BROKEN" if problems else "OK"
        click.echo(f"{src}: backup of {manifest.started_at} from {manifest.host}, {len(manifest.files)} file(s) "
                   f"and {len(manifest.secrets)} secret(s) checked: {verdict}")
        if problems:
            raise click.exceptions.Exit(1)
        return
    done = do_restore(c.settings, Path(src), _trunks(trunks), Path(secrets_from) if secrets_from else None,
                      without_secrets=without_secrets, force=force)
    click.echo(f"restored {done.orders} work order(s), {done.recordings} recording(s), "
               f"{done.spooled} call fact(s) for the engine to apply")
    if done.relocated:
        click.echo(f"{done.relocated} order(s) now point at the recordings in {c.settings.recordings_dir}")
    for item in done.recorded_after_copy:
        click.echo(f"recorded after the copy (not in this backup): {item['number']} {item['path']}")
    for note in done.notes:
        click.echo(note)
    click.echo("check it: ivr recordings verify; ivr recordings access-log verify; ivr report")
