"""``ivr service install``: the hotline's systemd units and log rotation, with this machine's paths."""
from __future__ import annotations

import os
from pathlib import Path

import click


@click.group("service")
def service() -> None:
    """Run the hotline as services that start at boot and restart on failure (systemd)."""


@service.command("install")
@click.option("--root", type=click.Path(file_okay=False), default="/", show_default=True,
              help="write under this folder instead of / (to look at the files first)")
@click.option("--trunks", type=click.Path(file_okay=False),
              help="trunks folder (default: IVR_TRUNKS or the repository's trunks/)")
@click.option("--no-enable", is_flag=True, help="do not run systemctl daemon-reload and enable")
def install(root: str, trunks: str | None, no_enable: bool) -> None:
    """Write ivr-asterisk.service, ivr-engine.service, the logrotate file and the services'
    settings (the IVR_* of this shell, paths made absolute) under ROOT/etc, check the units with
    systemd-analyze, and enable them when systemd runs this machine."""
    from ivr.asterisk.service import trunks_dir
    from ivr.cli.context import command_context
    from ivr.ops import services

    c = command_context()
    made = services.files(c.settings, Path(trunks) if trunks else trunks_dir(), os.environ, Path(root))
    written = services.write(made, Path(root))
    for path in written:
        click.echo(f"wrote {path}")
    complaints = services.verify_units([p for p in written if p.suffix == ".service"])
    if complaints is None:
        click.echo("systemd-analyze is not installed: the units were not checked")
    elif complaints:
        raise click.ClickException(f"systemd-analyze verify:\n{complaints}")
    else:
        click.echo("systemd-analyze verify: no complaint")
    if Path(root) == Path("/") and not no_enable and services.systemd_running():
        click.echo(services.enable())
        click.echo("start them: systemctl start ivr-asterisk ivr-engine; then: ivr health")
    else:
        click.echo("then, as root on the machine: systemctl daemon-reload; systemctl enable --now "
                   "ivr-asterisk ivr-engine; then: ivr health")
