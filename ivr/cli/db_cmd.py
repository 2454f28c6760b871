"""``ivr db upgrade`` and ``ivr db status``: the engine's database schema against this code's.

Every part migrates the database itself when it starts on one left by older code (after copying
it into ``<IVR_DATA_DIR>/backups/pre-upgrade/``); ``ivr db upgrade`` does the same by hand, and
says where the copy is.
"""
from __future__ import annotations

import json

import click

from ivr.cli.context import command_context
from ivr.settings import Settings
from ivr.store import pre_upgrade_folder
from ivr.store.engine import check_not_newer, create, head_revision, pre_upgrade_copy, upgrade


@click.group()
def db() -> None:
    """The ticket database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the ticket database to the newest schema (copying it first when it
    holds data). Exit 78 when the database is newer than this code."""
    command_context()
    settings = Settings.from_env()
    engine = create(settings.database_url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        before, head = check_not_newer(engine), head_revision()
        if before is not None and before != head:
            copy = pre_upgrade_copy(engine, before, head, pre_upgrade_folder(settings))
            click.echo(f"{where}: copied to {copy} before migrating")
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"{where}: already at {after}")
    else:
        click.echo(f"{where}: upgraded from {before or 'empty'} to {after}")


@db.command("status")
@click.option("--json", "as_json", is_flag=True)
def db_status(as_json: bool) -> None:
    """The database's schema revision and this code's newest. Exit 0 when they are the same, 1
    when the database is older (the next start migrates it), 78 when it is newer."""
    command_context()
    settings = Settings.from_env()
    engine = create(settings.database_url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        revision = check_not_newer(engine)
    finally:
        engine.dispose()
    head = head_revision()
    state = "current" if revision == head else "older"
    if as_json:
        click.echo(json.dumps({"database": where, "revision": revision, "head": head, "state": state}))
    else:
        click.echo(f"{where}: revision {revision or 'none (empty)'}, this code's newest {head}: {state}")
    if state != "current":
        raise click.exceptions.Exit(1)
