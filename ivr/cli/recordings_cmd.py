"""``ivr recordings verify``: every listed recording present and unchanged, nothing unlisted."""
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
        click.echo(f"{base}: {result.checked} listed recording(s) checked: {verdict}")
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
