"""Options shared by the commands that run the engine (``ivr serve``, ``ivr agi serve``)."""
from __future__ import annotations

from collections.abc import Callable

import click


def engine_options(f: Callable) -> Callable:
    """--host, --port, --rules, --clock and --json-logs, in that order, as both commands take them."""
    for option in reversed((
        click.option("--host", default=None, help="FastAGI address [IVR_AGI_HOST, 127.0.0.1]."),
        click.option("--port", type=click.IntRange(1, 65535), default=None,
                     help="FastAGI port [IVR_AGI_PORT, 4573]."),
        click.option("--rules", "rules_file", type=click.Path(dir_okay=False), default=None,
                     help="routing_rules.yaml [IVR_RULES]; reloaded when it changes."),
        click.option("--clock", default=None, metavar="ISO",
                     help="Pretend it is this time (no offset = the centre's zone) [IVR_CLOCK]."),
        click.option("--json-logs", is_flag=True, help="One JSON object per log line."),
    )):
        f = option(f)
    return f
