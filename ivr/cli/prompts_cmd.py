"""``ivr prompts build|add|list``: the engine's own prompts, in the callers' language.

The sounds live in the engine's sounds folder (``$IVR_DATA_DIR/asterisk/sounds``), which the
engine's Asterisk sees as ``sounds/hotline``; the words are in prompts/texts.yaml. See
:mod:`ivr.prompts`.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import click

from ivr.asterisk.layout import Layout
from ivr.cli.context import os_user
from ivr.errors import RulesError
from ivr.logs import configure
from ivr.prompts import build as build_prompts
from ivr.prompts.library import PromptLibrary
from ivr.rules_file import load_rules
from ivr.settings import Settings


def _layout() -> tuple[Settings, Layout]:
    configure()
    settings = Settings.from_env()
    return settings, Layout.from_settings(settings)


@click.group("prompts")
def prompts() -> None:
    """The engine's Mandarin prompts: stand-ins made on this machine, or the centre's recordings."""


@prompts.command("build")
@click.option("--force", is_flag=True, help="Make the stand-ins again even when their text is unchanged.")
def build(force: bool) -> None:
    """Make every stand-in prompts/texts.yaml gives (one sunset notice per retirement date of the
    rules in force); the centre's recordings are never replaced."""
    settings, layout = _layout()
    try:
        rules = load_rules(settings.rules_path)
    except RulesError as err:
        raise click.ClickException(f"the rules file is broken, so the sunset dates are unknown:\n{err}") from None
    for name, outcome in build_prompts(layout, rules, by=os_user(), force=force):
        click.echo(f"{name:<40} {outcome}")
    click.echo(f"in {layout.sounds / 'hotline'}; stand-ins are espeak-ng's voice: record the real ones "
               "and add them with `ivr prompts add NAME FILE`")


@prompts.command("add")
@click.argument("name")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
def add(name: str, file: str) -> None:
    """Convert the recording FILE (any format sox reads) into the prompt NAME (hotline/...)."""
    _, layout = _layout()
    entry = PromptLibrary(layout.sounds).add(name, Path(file), by=os_user(), at=datetime.now(timezone.utc))
    click.echo(f"{entry.name}: recording {entry.original}, {entry.seconds:.1f} s, sha256 {entry.sha256[:12]}, "
               f"added by {entry.by}")


@prompts.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_cmd(as_json: bool) -> None:
    """Every prompt of the engine: stand-in or recording, length, who made it and when."""
    _, layout = _layout()
    entries = PromptLibrary(layout.sounds).entries()
    if as_json:
        click.echo(json.dumps([asdict(e) for e in entries.values()], ensure_ascii=False, indent=1))
        return
    if not entries:
        click.echo("no prompts yet: `ivr prompts build` makes the stand-ins")
    for e in entries.values():
        what = f"STAND-IN ({e.voice}): {e.text}" if e.source == "stand-in" else f"recording {e.original}"
        click.echo(f"{e.name:<40} {e.seconds:>5.1f} s  {e.by:<10} {e.at[:19]}  {what}")
