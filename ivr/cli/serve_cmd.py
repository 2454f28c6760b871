"""``ivr serve``: the whole engine in one process (FastAGI, AMI listener, sweep scheduler)."""
from __future__ import annotations

from pathlib import Path

import click

from ivr.cli.agi_cmd import serve_engine
from ivr.settings import Settings


@click.command("serve")
@click.option("--host", default=None, help="FastAGI address [IVR_AGI_HOST, 127.0.0.1].")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="FastAGI port [IVR_AGI_PORT, 4573].")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), default=None,
              help="routing_rules.yaml [IVR_RULES]; reloaded when it changes.")
@click.option("--clock", default=None, metavar="ISO",
              help="Pretend it is this time (no offset = the centre's zone) [IVR_CLOCK].")
@click.option("--sweep-interval", type=float, default=60.0, show_default=True,
              help="Seconds between sweeps for overdue work orders.")
@click.option("--without", "without", multiple=True, type=click.Choice(["agi", "ami", "scheduler"]),
              help="Leave a part out (repeatable).")
@click.option("--json-logs", is_flag=True, help="One JSON object per log line.")
def serve(host: str | None, port: int | None, rules_file: str | None, clock: str | None,
          sweep_interval: float, without: tuple[str, ...], json_logs: bool) -> None:
    """Run the engine: route calls, create work orders when agents answer, sweep deadlines."""
    from ivr import logs
    from ivr.engine import Options

    logs.configure(json=json_logs)
    parts = {"agi", "ami", "scheduler"} - set(without)
    options = Options(host=host, port=port, rules_file=Path(rules_file) if rules_file else None,
                      clock=clock, sweep_interval=sweep_interval, parts=parts)
    serve_engine(Settings.from_env(), options)
