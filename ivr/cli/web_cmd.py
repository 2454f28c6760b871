"""``ivr web``: the staff console on its own (``ivr serve`` may run it beside the engine)."""
from __future__ import annotations

import asyncio
import signal

import click

from ivr.settings import Settings


@click.command("web")
@click.option("--host", default=None, help="Address to listen on [IVR_WEB_HOST, 127.0.0.1].")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port [IVR_WEB_PORT, 8080].")
@click.option("--json-logs", is_flag=True, help="One JSON object per log line.")
def web(host: str | None, port: int | None, json_logs: bool) -> None:
    """Serve the staff web console until SIGINT/SIGTERM."""
    from ivr import logs
    from ivr.cli.agi_cmd import run_loop
    from ivr.rules_file import load_rules
    from ivr.clock import make_clock
    from ivr.store import store_for
    from ivr.cli.intake_cmd import report
    from ivr.lifecycle.console_feed import ConsoleFeed
    from ivr.web.service import run_console

    logs.configure(json=json_logs)
    settings = Settings.from_env()
    rules = load_rules(settings.rules_path)
    store = store_for(settings, rules)
    where = f"{host or settings.web_host}:{settings.web_port if port is None else port}"

    def announce(bound_host: str, bound_port: int) -> None:
        click.echo(f"staff console on http://{bound_host}:{bound_port}/  (Ctrl-C to stop)", err=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        clock = make_clock(settings.clock, rules.centre.timezone)
        await run_console(settings, store, rules, clock, stop, host=host, port=port, started=announce,
                          alone=True, feed=ConsoleFeed(settings), intake_report=lambda: report(settings))

    try:
        run_loop(main())
    except OSError as err:
        raise click.ClickException(f"cannot listen on {where}: {err.strerror or err}") from None
    finally:
        store.close()
