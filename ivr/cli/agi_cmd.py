"""``ivr agi serve`` (the FastAGI server) and ``ivr agi stats`` (its counters and timings)."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from ivr.cli.options import engine_options
from ivr.settings import Settings


@click.group()
def agi() -> None:
    """The FastAGI server Asterisk asks how to route each call."""


def _default_stats_file(settings: Settings) -> Path:
    from ivr import data_folder

    return data_folder.agi_stats(settings.data_dir)


@agi.command("serve")
@engine_options
@click.option("--write-mode", type=click.Choice(["mset", "set"]), default="mset", show_default=True,
              help="mset: one EXEC MSet per call; set: one SET VARIABLE per variable.")
@click.option("--stats-file", type=click.Path(dir_okay=False), default=None,
              help="Where the counters are written every second [$IVR_DATA_DIR/agi-stats.json].")
@click.option("--reload-interval", type=float, default=1.0, show_default=True,
              help="Seconds between checks of the rules file.")
@click.option("--max-connections", type=click.IntRange(1, 100_000), default=512, show_default=True)
def serve(host: str | None, port: int | None, rules_file: str | None, clock: str | None,
          json_logs: bool, write_mode: str, stats_file: str | None, reload_interval: float,
          max_connections: int) -> None:
    """Serve the AGI script `route` until SIGINT/SIGTERM."""
    from ivr import logs
    from ivr.engine import Options

    settings = Settings.from_env()
    logs.configure(json=json_logs)
    options = Options(host=host, port=port, rules_file=Path(rules_file) if rules_file else None,
                      clock=clock, write_mode=write_mode,  # type: ignore[arg-type]
                      stats_file=Path(stats_file) if stats_file else None,
                      reload_interval=reload_interval, max_connections=max_connections, parts={"agi"})
    serve_engine(settings, options)


def run_loop(main) -> None:
    """Run the engine's event loop: uvloop (libuv, about twice the throughput of asyncio's own
    loop for many short connections) where it is installed, asyncio's loop otherwise."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a declared dependency on Linux
        asyncio.run(main)
        return
    uvloop.run(main)


def serve_engine(settings: Settings, options) -> None:
    """Run the engine's parts, turning a port that is taken into a plain message."""
    from ivr.engine import run

    try:
        run_loop(run(settings, options))
    except OSError as err:
        where = f"{options.host or settings.agi_host}:{options.port or settings.agi_port}"
        raise click.ClickException(f"cannot listen on {where}: {err.strerror or err}") from None


@agi.command("stats")
@click.option("--stats-file", type=click.Path(dir_okay=False), default=None,
              help="The file `ivr agi serve` writes [$IVR_DATA_DIR/agi-stats.json].")
@click.option("--json", "as_json", is_flag=True, help="Print the raw JSON.")
def stats_cmd(stats_file: str | None, as_json: bool) -> None:
    """Show the running server's counters and decision-time percentiles."""
    from ivr.agi.stats import render

    path = Path(stats_file) if stats_file else _default_stats_file(Settings.from_env())
    try:
        snapshot = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise click.ClickException(f"{path}: no stats yet (is `ivr agi serve` running?)") from None
    except (OSError, ValueError) as err:
        raise click.ClickException(f"{path}: unreadable stats file: {err}") from None
    if as_json:
        click.echo(json.dumps(snapshot, ensure_ascii=False, indent=1))
    else:
        for line in render(snapshot):
            click.echo(line)
