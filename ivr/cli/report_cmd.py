"""``ivr report``: the centre's KPIs over a period, per department and per line."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import click

from ivr.cli.context import Context, command_context
from ivr.core import kpi


@click.command("report")
@click.option("--from", "from_", type=click.DateTime(["%Y-%m-%d"]), help="First day (centre's time).")
@click.option("--to", "to", type=click.DateTime(["%Y-%m-%d"]), help="Last day, included.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (rates as fractions).")
def report(from_: datetime | None, to: datetime | None, as_json: bool) -> None:
    """Calls, work orders and their rates, in total, per line, per department and per unit."""
    c = command_context()
    first, last = (from_.date() if from_ else None), (to.date() if to else None)
    if first and last and last < first:
        raise click.BadParameter(f"--to {last} is before --from {first}", param_hint="--to")
    since = _start(first, c) if first else None
    until = _start(last + timedelta(days=1), c) if last else None
    calls, orders = c.store.report_facts(since, until)
    built = kpi.build_report(calls, orders)
    if as_json:
        data = {"from": first.isoformat() if first else None, "to": last.isoformat() if last else None,
                **built.as_dict(), "league": kpi.league(built)}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    span = f"{first or 'start'} .. {last or 'today'}"
    t = built.total
    click.echo(f"{c.rules.centre.name_en}: {span}")
    click.echo(f"  calls offered {t.offered}, answered {t.answered}, abandoned {t.abandoned}: "
               f"connection rate {kpi.percent(t.connection_rate)}")
    click.echo(f"  work orders received {t.received}: on the spot {t.on_the_spot} "
               f"({kpi.percent(t.on_the_spot_rate)}), dispatched {t.dispatched}")
    click.echo(f"  replied {t.replied}, on time {t.on_time} ({kpi.percent(t.on_time_rate)}); "
               f"average satisfaction {_avg(t.average_satisfaction)} over {t.rated} rating(s)")
    _table("per line", built.by_line, c)
    # the units' league table (the report compares and publishes them): best on-time rate first
    _table("units ranked by on-time replies (dispatched orders)",
           {unit: built.by_unit[unit] for unit in kpi.league(built)}, c)


def _table(title: str, groups: dict[str, kpi.Figures], c: Context) -> None:
    if not groups:
        return
    click.echo(f"\n{title}:")
    click.echo(f"  {'':<22} {'offered':>8} {'answered':>8} {'conn.':>9} {'received':>8} {'on spot':>9} "
               f"{'dispatched':>10} {'on time':>9} {'satisf.':>7}")
    for key, f in groups.items():
        click.echo(f"  {key:<22} {f.offered:>8} {f.answered:>8} {kpi.percent(f.connection_rate):>9} "
                   f"{f.received:>8} {kpi.percent(f.on_the_spot_rate):>9} {f.dispatched:>10} "
                   f"{kpi.percent(f.on_time_rate):>9} {_avg(f.average_satisfaction):>7}")


def _avg(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _start(day: date, c: Context) -> datetime:
    return datetime.combine(day, time(0), tzinfo=c.tz)
