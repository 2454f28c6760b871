"""``ivr demo``: the engine end to end on this machine, with a verdict a visitor can read.

``make demo`` runs it after installing what is missing. See :mod:`ivr.demo` for the steps.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import click


@contextmanager
def _own_stdout(stray: Path | None) -> Iterator[TextIO]:
    """A stream to the real standard output, while file descriptor 1 goes to ``stray`` (a file)
    or to stderr.

    Module-level structlog loggers bound at import time print to the process's stdout whatever
    ``logs.configure()`` says later; the demo's table (and its JSON) must not be interleaved
    with them, so they are moved aside at the descriptor level for the demo's run.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    out = os.fdopen(os.dup(saved), "w", encoding="utf-8", buffering=1)
    if stray is not None:
        stray.parent.mkdir(parents=True, exist_ok=True)
        target = os.open(stray, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    else:
        target = os.dup(2)
    os.dup2(target, 1)
    os.close(target)
    try:
        yield out
    finally:
        sys.stdout.flush()
        out.flush()
        os.dup2(saved, 1)
        os.close(saved)
        out.close()


@click.command("demo")
@click.option("--at", "at", default=None, metavar="ISO",
              help="The engine's clock (no offset = the centre's zone) [2020-06-01T10:00, a Monday "
                   "of the sunset lines' transition].")
@click.option("--calls", type=click.IntRange(1, 500), default=None,
              help="Calls in the burst [every line of the inventory once, plus an unknown number].")
@click.option("--concurrency", type=click.IntRange(1, 20), default=6, show_default=True,
              help="Calls in progress at once, at most.")
@click.option("--kill-engine-midway/--no-kill-engine-midway", default=True, show_default=True,
              help="After the burst, kill the routing engine and show calls still reach 12345.")
@click.option("--keep-running", is_flag=True,
              help="Leave Asterisk, the engine and the staff console running at the end, and print the console's logins.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="The demo's own folder, emptied at each run [var/demo].")
@click.option("--port-offset", type=click.IntRange(0, 20000), default=0, show_default=True,
              help="Shift every port the demo uses (SIP 5060, AMI 5038, FastAGI 4573, SIPp 5070-5400).")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="routing_rules.yaml [IVR_RULES or the repository's].")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (progress goes to stderr).")
def demo(at: str | None, calls: int | None, concurrency: int, kill_engine_midway: bool,
         keep_running: bool, data_dir: str | None, port_offset: int, rules_file: str | None,
         as_json: bool) -> None:
    """Start Asterisk, the engine and SIPp parties, place calls on every line, and check that each
    went where the rules say, with its work order and recording. Exit 1 if anything did not."""
    from ivr import demo as demo_mod

    options = demo_mod.Options(at=at or demo_mod.DEFAULT_AT, calls=calls, concurrency=concurrency,
                               kill_engine_midway=kill_engine_midway, keep_running=keep_running,
                               port_offset=port_offset,
                               rules_file=Path(rules_file) if rules_file else None)
    if data_dir:
        options.data_dir = Path(data_dir)
    folder = Path(options.data_dir).resolve()
    stray = None if as_json else folder.with_name(folder.name + "-process.log")

    with _own_stdout(stray) as out:
        def say(text: str = "") -> None:
            stream = sys.stderr if as_json else out
            stream.write(text + "\n")
            stream.flush()

        if not as_json:
            say("12345 hotline demo: a real Asterisk, the real engine, and SIPp playing the citizens, "
                "the agents and the departments.\n")
        result = demo_mod.run(options, say)
        if as_json:
            out.write(demo_mod.to_json(result) + "\n")
        else:
            say()
            for line in demo_mod.render_text(result):
                say(line)
            if result["asterisk_kept_running"]:
                pids = " ".join(str(pid) for pid in result.get("kept_pids", []))
                say(f"\nAsterisk and the engine are still running. To stop them: kill {pids}; "
                    f"IVR_DATA_DIR={result['data_dir']} .venv/bin/ivr asterisk down")
    if not result["ok"]:
        raise click.exceptions.Exit(1)
