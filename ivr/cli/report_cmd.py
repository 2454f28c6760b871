"""``ivr report``: the centre's KPIs over a period, per department and per line, the quality
inspection scores (质检) per agent, and the calls' media per agent phone and per trunk."""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime, time, timedelta

import click

from ivr.cli.context import Context, command_context
from ivr.cli.report_media import media_json, media_report, print_media
from ivr.core import kpi


@click.command("report")
@click.option("--from", "from_", type=click.DateTime(["%Y-%m-%d"]), help="First day (centre's time).")
@click.option("--to", "to", type=click.DateTime(["%Y-%m-%d"]), help="Last day, included.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (rates as fractions).")
@click.option("--recount", "recount", multiple=True, metavar="DAY[..DAY]",
              help="Count these days (YYYY-MM-DD, or FIRST..LAST) again from the calls and orders into the "
                   "daily summary the report reads, then stop (repeatable).")
def report(from_: datetime | None, to: datetime | None, as_json: bool, recount: tuple[str, ...]) -> None:
    """Calls, work orders and their rates, in total, per line, per department and per unit."""
    c = command_context()
    if recount:
        _recount(c, [day for text in recount for day in _days(text)])
        return
    first, last = (from_.date() if from_ else None), (to.date() if to else None)
    if first and last and last < first:
        raise click.BadParameter(f"--to {last} is before --from {first}", param_hint="--to")
    since = _start(first, c) if first else None
    until = _start(last + timedelta(days=1), c) if last else None
    calls, orders = c.store.report_facts(since, until)
    built = kpi.build_report(calls, orders)
    inspected = _quality(c, since, until)
    queues = _queues(c, since, until)
    media = media_report(c.store, since, until)
    missed = _missed(c, since, until)
    if as_json:
        data = {"from": first.isoformat() if first else None, "to": last.isoformat() if last else None,
                **built.as_dict(), "league": kpi.league(built),
                "queues": {q: f.as_dict() for q, f in queues.items()}, "missed": missed.as_dict(),
                "quality": {agent: asdict(q) for agent, q in inspected.items()}, "media": media_json(media)}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    span = f"{first or 'start'} .. {last or 'today'}"
    t = built.total
    click.echo(f"{c.rules.centre.name_en}: {span}")
    click.echo(f"  calls offered {t.offered} (every caller routed to a queue, from its door): answered {t.answered}, "
               f"called back {t.called_back} of {t.callbacks} who asked, left informed {t.left_informed}, "
               f"abandoned {t.abandoned} ({t.abandoned_before_queue} before the queue)")
    click.echo(f"  connection rate {kpi.percent(t.connection_rate)} = (answered {t.answered} + called back "
               f"{t.called_back}) / (offered {t.offered} - left informed {t.left_informed})")
    asa = "n/a" if t.average_answer_wait is None else f"{t.average_answer_wait:.1f} s"
    click.echo(f"  answered within 15 s {t.answered_within} (service level {kpi.percent(t.service_level)}); "
               f"average wait of the answered {asa}")
    click.echo(f"  missed calls {missed.missed} (left a queue unanswered after waiting): called back within 1 h "
               f"{missed.called_back_1h}, within 24 h {missed.called_back_24h}, rang again and answered "
               f"{missed.rang_again}, not reached {missed.not_reached}, closed with a reason "
               f"{missed.closed_with_reason}, waiting {missed.waiting}")
    click.echo(f"  work orders received {t.received}: on the spot {t.on_the_spot} "
               f"({kpi.percent(t.on_the_spot_rate)}), dispatched {t.dispatched}")
    click.echo(f"  replied {t.replied}, on time {t.on_time} ({kpi.percent(t.on_time_rate)}); "
               f"average satisfaction {_avg(t.average_satisfaction)} over {t.rated} rating(s)")
    _table("per line", built.by_line, c)
    # the units' league table (the report compares and publishes them): best on-time rate first
    _table("units ranked by on-time replies (dispatched orders)",
           {unit: built.by_unit[unit] for unit in kpi.league(built)}, c)
    _queue_table(queues)
    if inspected:
        click.echo("\nquality inspection (score out of 100) per agent:")
        click.echo(f"  {'':<12} {'calls':>6} {'mean':>6} {'lowest':>7} {'highest':>8}")
        for agent, q in inspected.items():
            click.echo(f"  {agent:<12} {q.count:>6} {q.mean:>6.1f} {q.lowest:>7.1f} {q.highest:>8.1f}")
    print_media(media)


def _days(text: str) -> list[date]:
    """The days of ``DAY`` or ``FIRST..LAST`` (usage error for anything else)."""
    first_text, _, last_text = text.partition("..")
    try:
        first = date.fromisoformat(first_text.strip())
        last = date.fromisoformat(last_text.strip()) if last_text else first
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a day (YYYY-MM-DD) or FIRST..LAST", param_hint="--recount") \
            from None
    if last < first:
        raise click.BadParameter(f"{text!r}: the last day is before the first", param_hint="--recount")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _recount(c: Context, days: list[date]) -> None:
    """Count each day again into the daily summary, saying what was done."""
    now = c.now()
    for day in days:
        groups = c.store.recount_day(day, now)
        click.echo(f"{day}: counted again from the calls and orders ({groups} group(s) of line, department and unit)")


def _quality(c: Context, since: datetime | None, until: datetime | None) -> dict:
    """Quality inspections scored in the period, per agent of the call."""
    from ivr.core.quality import per_agent
    from ivr.store.audit import AuditStore

    scores = AuditStore(c.store.engine, c.tz).scores(since=since, until=until, limit=1_000_000)
    return per_agent((s.agent, s.score) for s in scores)


def _missed(c: Context, since: datetime | None, until: datetime | None):
    """What became of the calls missed in the period (漏接回拨)."""
    from ivr.store.surges import SurgeStore

    return SurgeStore(c.store.engine, c.store.tz).missed_figures(since, until)


def _queues(c: Context, since: datetime | None, until: datetime | None) -> dict:
    """Per-queue surge figures: answered (by callback), left informed, abandoned by wait, service level."""
    from ivr.core.queue_kpi import queue_report
    from ivr.store.surges import queue_facts

    return queue_report(*queue_facts(c.store.engine, since, until))


def _queue_table(queues: dict) -> None:
    if not queues:
        return
    click.echo("\nper queue (service level: answered within 15 s; abandoned in the queue by wait "
               "<15s/15-60s/1-3min/>3min; before it, while hearing the greeting/notice/offer):")
    click.echo(f"  {'':<18} {'offered':>7} {'answered':>8} {'callback':>8} {'informed':>8} {'asked cb':>8} "
               f"{'on offer':>8} {'joined':>6} {'refused':>7} {'abandoned':>16} {'before':>8} {'service':>9}")
    for queue, f in queues.items():
        bands = "/".join(str(n) for n in f.abandoned.values())
        before = "/".join(str(n) for n in f.abandoned_before_queue.values())
        click.echo(f"  {queue:<18} {f.offered:>7} {f.answered:>8} {f.answered_by_callback:>8} {f.left_informed:>8} "
                   f"{f.callbacks_asked:>8} {f.callbacks_by_via.get('wait_offer', 0):>8} {f.callbacks_joined:>6} "
                   f"{f.callbacks_refused:>7} {bands:>16} {before:>8} "
                   f"{kpi.percent(f.service_level):>9}")


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
