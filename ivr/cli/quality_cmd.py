"""``ivr quality sheet``: check the quality-inspection score sheet and show it (质检评分表)."""
from __future__ import annotations

import click

from ivr.settings import Settings


@click.group()
def quality() -> None:
    """Quality inspection (质检) of recorded calls: the score sheet auditors score against."""


@quality.command("sheet")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
def sheet(path: str | None) -> None:
    """Check the score sheet (default: IVR_QUALITY_SHEET, quality_sheet.yaml) and list its criteria.
    Exit 1, naming every problem, when it cannot be used."""
    from ivr.quality_sheet import load_sheet

    chosen = path or Settings.from_env().quality_sheet
    loaded = load_sheet(chosen)
    click.echo(f"{chosen}: {loaded.name_zh}, version {loaded.version}: marks 0..{loaded.scale}, "
               f"{len(loaded.criteria)} criteria weighing {sum(c.weight for c in loaded.criteria)}: OK")
    for criterion in loaded.criteria:
        click.echo(f"  {criterion.weight:>3}  {criterion.id:<12} {criterion.name_zh}")
