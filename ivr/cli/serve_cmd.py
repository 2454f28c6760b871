"""``ivr serve``: the whole engine: routing in one process, the centre's parts in another."""
from __future__ import annotations

from pathlib import Path

import click

from ivr.cli.options import engine_options
from ivr.engine import PARTS, PROCESSES
from ivr.settings import Settings


@click.command("serve")
@engine_options
@click.option("--sweep-interval", type=float, default=60.0, show_default=True,
              help="Seconds between sweeps for overdue work orders.")
@click.option("--without", "without", multiple=True, type=click.Choice(list(PARTS)),
              help="Leave a part out (repeatable).")
@click.option("--parts", "process", type=click.Choice(["both", *PROCESSES]), default="both", show_default=True,
              help="routing: FastAGI, the call log and the boards, with no database; centre: the intake, "
                   "console, callbacks and sweeps; both: each in a process of its own, restarted if it dies.")
def serve(host: str | None, port: int | None, rules_file: str | None, clock: str | None,
          json_logs: bool, sweep_interval: float, without: tuple[str, ...], process: str) -> None:
    """Run the engine: route calls, create work orders when agents answer, sweep deadlines,
    and serve the staff console [IVR_WEB_HOST:IVR_WEB_PORT, 127.0.0.1:8080]."""
    from ivr import logs
    from ivr.ops.watchdog import notify, start_for_systemd

    logs.configure(json=json_logs)
    chosen = set(PARTS) if process == "both" else set(PROCESSES[process])
    parts = chosen - set(without)
    settings = Settings.from_env()
    # under systemd (ivr-engine.service): READY and the watchdog's keep-alives only while FastAGI answers
    watchdog = None
    if "agi" in parts:
        watchdog = start_for_systemd(host or settings.agi_host, port if port is not None else settings.agi_port)
    else:
        notify("READY=1\nSTATUS=running without routing: no watchdog")
    try:
        if process == "both":
            _supervise(host, port, rules_file, clock, json_logs, sweep_interval, without)
        else:
            _serve_one(settings, host, port, rules_file, clock, sweep_interval, parts)
    finally:
        if watchdog is not None:
            watchdog.stop()


def _serve_one(settings: Settings, host, port, rules_file, clock, sweep_interval: float, parts: set[str]) -> None:
    from ivr.cli.agi_cmd import serve_engine
    from ivr.engine import Options

    options = Options(host=host, port=port, rules_file=Path(rules_file) if rules_file else None,
                      clock=clock, sweep_interval=sweep_interval, parts=parts)
    serve_engine(settings, options)


def _supervise(host, port, rules_file, clock, json_logs: bool, sweep_interval: float,
               without: tuple[str, ...]) -> None:
    """Routing and the centre as two children of this process (:mod:`ivr.supervisor`)."""
    import asyncio

    from ivr import supervisor

    passthrough = [*(["--host", host] if host else []), *(["--port", str(port)] if port is not None else []),
                   *(["--rules", rules_file] if rules_file else []), *(["--clock", clock] if clock else []),
                   *(["--json-logs"] if json_logs else []), "--sweep-interval", str(sweep_interval),
                   *(arg for part in without for arg in ("--without", part))]
    processes = {name: supervisor.child_argv(name, passthrough) for name, members in PROCESSES.items()
                 if members - set(without)}
    status = asyncio.run(supervisor.run(processes))
    if status:
        raise SystemExit(status)
