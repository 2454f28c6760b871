"""``ivr recordings one-way``: the one-way audio check (:mod:`ivr.core.one_way`) on any pair of
direction files, as the engine makes it after each call: to check recordings by hand, or a set
kept aside, the same way."""
from __future__ import annotations

import json
from pathlib import Path

import click

from ivr.core.one_way import SideAudio, judge_sides
from ivr.recordings.sides import levels, side_paths


@click.command("one-way")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--agent-packets", type=int, help="Packets Asterisk received from the agent's phone, if known.")
@click.option("--caller-packets", type=int, help="Packets Asterisk received on the citizen's leg, if known.")
@click.option("--json", "as_json", is_flag=True)
def one_way(files: tuple[Path, ...], agent_packets: int | None, caller_packets: int | None, as_json: bool) -> None:
    """Judge AGENT.wav CITIZEN.wav (what the agent's phone sent, what went to the agent), or the
    direction files beside one RECORDING; exit 1 when a side was silent while the other spoke."""
    if len(files) == 1:
        found = side_paths(files[0])
        agent, citizen = found["agent"], found["caller"]
    elif len(files) == 2:
        agent, citizen = files
    else:
        raise click.UsageError("give AGENT.wav CITIZEN.wav, or one recording with its direction files beside it")
    try:
        verdict = judge_sides(SideAudio("agent", levels(agent), agent_packets),
                              SideAudio("caller", levels(citizen), caller_packets))
    except (OSError, ValueError) as err:
        raise click.ClickException(f"cannot read the direction files: {err}") from None
    if as_json:
        click.echo(json.dumps({"agent": str(agent), "citizen": str(citizen), "silent": list(verdict.silent),
                               "labels": list(verdict.labels), "reason": verdict.reason}, ensure_ascii=False))
    else:
        click.echo(f"{'; '.join(verdict.labels) or 'both sides heard'}: {verdict.reason}")
    if verdict.flagged:
        raise click.exceptions.Exit(1)
