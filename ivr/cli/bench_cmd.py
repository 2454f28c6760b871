"""``ivr bench``: routing cost against a static dialplan on the real Asterisk (not part of tests)."""
from __future__ import annotations

from pathlib import Path

import click


def _rates(text: str, allow_empty: bool = False) -> list[int]:
    try:
        rates = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected whole calls/s separated by commas, "
                                 "e.g. 50,200,400") from None
    if not rates and allow_empty:
        return []
    if not rates or min(rates) <= 0:
        raise click.BadParameter(f"{text!r}: rates must be positive")
    return rates


@click.group("bench", invoke_without_command=True)
@click.option("--rates", default="50,200,400", show_default=True,
              help="Rates (calls/s) reported for every way.")
@click.option("--ramp", default="10,20,100,300,500,600,800,1000,1200,1500", show_default=True,
              help="Further rates of the ramp ('' for none); a way stops at its first step "
                   "with a failed call.")
@click.option("--target-rate", type=int, default=200, show_default=True,
              help="Rate at which the p50/p99 targets are judged (must be in --rates).")
@click.option("--step-seconds", type=float, default=4.0, show_default=True,
              help="Seconds of load per way and rate.")
@click.option("--talk-ms", type=int, default=200, show_default=True,
              help="Each load call's length after the answer.")
@click.option("--answer-timeout-ms", type=int, default=5000, show_default=True,
              help="A call not answered within this fails.")
@click.option("--ways", default="static,minimal,engine,classic", show_default=True,
              help="Which ways to run: static, minimal (FastAGI floor), engine, classic.")
@click.option("--surge/--no-surge", default=True, show_default=True, help="Run the surge scenario.")
@click.option("--surge-callers", type=int, default=300, show_default=True)
@click.option("--surge-seconds", type=float, default=60.0, show_default=True)
@click.option("--surge-patience", type=float, default=45.0, show_default=True,
              help="Seconds a surge caller waits for the call to end before hanging up.")
@click.option("--pop/--no-pop", default=True, show_default=True,
              help="Measure the screen pop's delay (answer to the agent's page) under load.")
@click.option("--results-dir", type=click.Path(file_okay=False), default=None,
              help="Where the JSON goes [bench/results].")
@click.pass_context
def bench(ctx: click.Context, rates: str, ramp: str, target_rate: int, step_seconds: float, talk_ms: int,
          answer_timeout_ms: int, ways: str, surge: bool, surge_callers: int, surge_seconds: float,
          surge_patience: float, pop: bool, results_dir: str | None) -> None:
    """Place the same load four ways (static dialplan, minimal FastAGI, engine, pyst2 AGI) side by side,
    ramp each up to its first failed call, run the surge, and write bench/results/<date>.json.

    `ivr bench data` instead fills a database with a year of calls and times the report and the
    staff's lists on it."""
    if ctx.invoked_subcommand is not None:
        return
    from ivr import logs
    from ivr.bench import report, runner

    logs.configure()
    chosen = [w.strip() for w in ways.split(",") if w.strip()]
    unknown = sorted(set(chosen) - set(runner.NUMBERS))
    if unknown or not chosen:
        raise click.BadParameter(f"unknown way(s) {', '.join(unknown) or '(none)'}; "
                                 "known: static, minimal, engine, classic",
                                 param_hint="--ways")
    report_rates = _rates(rates)
    if target_rate not in report_rates:
        raise click.BadParameter(f"{target_rate} is not one of --rates {rates}", param_hint="--target-rate")
    config = runner.Config(rates=report_rates, ramp=_rates(ramp, allow_empty=True), target_rate=target_rate,
                           step_seconds=step_seconds, talk_ms=talk_ms, answer_timeout_ms=answer_timeout_ms,
                           ways=chosen, surge=surge, surge_callers=surge_callers,
                           surge_seconds=surge_seconds, surge_patience_s=surge_patience, pop=pop)
    if results_dir:
        config.results_dir = Path(results_dir)
    doc = runner.Bench(config).run()
    path = runner.write_results(doc, config.results_dir)
    for line in report.table(doc):
        click.echo(line)
    click.echo(f"results: {path}")


@click.command("bench-preview")
@click.option("--calls", type=click.IntRange(1, 20_000_000), default=1_000_000, show_default=True,
              help="Calls in the log (a busy centre: tens of thousands a day).")
@click.option("--days", type=click.IntRange(1, 400), default=30, show_default=True)
@click.option("--database", default=None, metavar="URL",
              help="Database to fill (default: a SQLite file in a temporary folder, deleted after).")
def bench_preview(calls: int, days: int, database: str | None) -> None:
    """Time the impact preview (`ivr rules preview`) on a month of a busy centre's calls."""
    import tempfile

    from ivr.bench.preview import run

    with tempfile.TemporaryDirectory(prefix="ivr-bench-preview-") as folder:
        figures = run(database or f"sqlite:///{folder}/calls.sqlite3", calls=calls, days=days)
    for line in figures.lines():
        click.echo(line)
