"""``ivr serve``: the whole engine in one process (FastAGI, AMI listener, sweep scheduler)."""
from __future__ import annotations

from pathlib import Path

import click

from ivr.cli.agi_cmd import serve_engine
from ivr.cli.options import engine_options
from ivr.engine import PARTS
from ivr.settings import Settings


@click.command("serve")
@engine_options
@click.option("--sweep-interval", type=float, default=60.0, show_default=True,
              help="Seconds between sweeps for overdue work orders.")
@click.option("--without", "without", multiple=True, type=click.Choice(list(PARTS)),
              help="Leave a part out (repeatable).")
def serve(host: str | None, port: int | None, rules_file: str | None, clock: str | None,
          json_logs: bool, sweep_interval: float, without: tuple[str, ...]) -> None:
    """Run the engine: route calls, create work orders when agents answer, sweep deadlines,
    and serve the staff console [IVR_WEB_HOST:IVR_WEB_PORT, 127.0.0.1:8080]."""
    from ivr import logs
    from ivr.engine import Options

    from ivr.ops.watchdog import notify, start_for_systemd

    logs.configure(json=json_logs)
    parts = set(PARTS) - set(without)
    options = Options(host=host, port=port, rules_file=Path(rules_file) if rules_file else None,
                      clock=clock, sweep_interval=sweep_interval, parts=parts)
    settings = Settings.from_env()
    # under systemd (ivr-engine.service): READY and the watchdog's keep-alives only while FastAGI answers
    watchdog = None
    if "agi" in parts:
        watchdog = start_for_systemd(host or settings.agi_host, port if port is not None else settings.agi_port)
    else:
        notify("READY=1\nSTATUS=running without routing: no watchdog")
    try:
        serve_engine(settings, options)
    finally:
        if watchdog is not None:
            watchdog.stop()
