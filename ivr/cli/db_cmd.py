"""``ivr db upgrade``: create or migrate the engine's database to the newest schema."""
from __future__ import annotations

import click

from ivr.cli.context import command_context
from ivr.settings import Settings
from ivr.store.engine import create, upgrade


@click.group()
def db() -> None:
    """The ticket database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the ticket database to the newest schema."""
    command_context()
    settings = Settings.from_env()
    engine = create(settings.database_url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"{where}: already at {after}")
    else:
        click.echo(f"{where}: upgraded from {before or 'empty'} to {after}")
