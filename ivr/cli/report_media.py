"""``ivr report``'s media part: each agent phone's and each trunk's calls with their estimated MOS
(ITU-T G.107, :mod:`ivr.core.media_quality`), the poor ones and those with a side silent."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timezone

import click

from ivr.core.media_quality import MOS_THRESHOLD

EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9999, 1, 1, tzinfo=timezone.utc)
TITLES = {"agent": "per agent phone", "trunk": "per trunk (the carrier's side)"}


def media_report(store, since: datetime | None, until: datetime | None) -> dict:
    """{"agent": [MediaGroup...], "trunk": [...]} for the calls checked in the period."""
    return {by: store.media_groups(by, since or EARLIEST, until or LATEST) for by in TITLES}


def media_json(groups: dict) -> dict:
    return {by: {g.key: asdict(g) for g in found} for by, found in groups.items()}


def print_media(groups: dict) -> None:
    if not any(groups.values()):
        return
    click.echo(f"\ncall media (estimated MOS, ITU-T G.107; poor: under {MOS_THRESHOLD}; silent: one side not heard):")
    for by, found in groups.items():
        if not found:
            continue
        click.echo(f"  {TITLES[by]}:")
        click.echo(f"    {'':<20} {'calls':>6} {'scored':>6} {'mean MOS':>8} {'lowest':>7} {'poor':>5} {'silent':>6}")
        for g in found:
            mean = "n/a" if g.mean_mos is None else f"{g.mean_mos:.2f}"
            low = "n/a" if g.min_mos is None else f"{g.min_mos:.2f}"
            click.echo(f"    {g.key or '(unknown)':<20} {g.calls:>6} {g.scored:>6} {mean:>8} {low:>7} {g.poor:>5} "
                       f"{g.silent:>6}")
