"""``ivr health``: is the hotline healthy, for a person and for monitoring (the exit status).

Exit 0 healthy, 1 degraded (calls are served, something needs a person soon), 2 down (callers
are not served as designed, or will not be): see :mod:`ivr.core.health` for every check and
where it turns. The same figures are on ``/metrics``.
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from ivr.core.health import Level, Limits
from ivr.lifecycle.parts import PARTS


@click.command("health")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--expect", "expected", multiple=True, type=click.Choice(PARTS),
              help="A part that must be running (repeatable) [routing, work_orders, console].")
@click.option("--disk-warn-gb", type=click.FloatRange(0), default=None,
              help="Degraded when the recordings' disk has less free [IVR_RECORDINGS_MIN_FREE_MB].")
@click.option("--disk-down-gb", type=click.FloatRange(0), default=None,
              help="Down when the recordings' disk has less free [a quarter of IVR_RECORDINGS_MIN_FREE_MB].")
@click.option("--lag", "lag_s", type=click.FloatRange(0), default=60.0, show_default=True,
              help="Degraded when a work-order fact has waited longer (seconds).")
@click.option("--trunks", type=click.Path(file_okay=False),
              help="trunks folder (default: IVR_TRUNKS or the repository's trunks/)")
def health(as_json: bool, expected: tuple[str, ...], disk_warn_gb: float | None, disk_down_gb: float | None, lag_s: float,
           trunks: str | None) -> None:
    """Asterisk, every part and the rules each holds, the work-order pipeline, the database,
    the recordings' disk, the holiday calendar, the TLS certificate. Exit 0 ok, 1 degraded, 2 down."""
    from ivr.asterisk.service import trunks_dir
    from ivr.cli.context import command_context
    from ivr.ops.health import limits_for, verdict

    c = command_context()
    usual = limits_for(c.settings)
    warn = usual.disk_warn_bytes if disk_warn_gb is None else int(disk_warn_gb * 1024 ** 3)
    down = usual.disk_down_bytes if disk_down_gb is None else int(disk_down_gb * 1024 ** 3)
    limits = Limits(lag_s=lag_s, disk_warn_bytes=warn, disk_down_bytes=down, expected_parts=expected or PARTS)
    _, result = verdict(c.settings, Path(trunks) if trunks else trunks_dir(), limits)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        for check in result.checks:
            label = check.level.name.lower() if check.level is Level.OK else check.level.name
            click.echo(f"{label:<9} {check.name:<18} {check.summary}")
        click.echo(f"health: {result.level.name.lower()} (exit {int(result.level)})")
    raise click.exceptions.Exit(int(result.level))
