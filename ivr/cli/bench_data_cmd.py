"""``ivr bench data``: a provincial year of calls and orders in a database, and what the report
and the staff's lists cost on it (not part of tests; see :mod:`ivr.bench.data_bench`)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import click


@click.command("data")
@click.option("--calls", type=click.IntRange(1_000, 50_000_000), default=1_000_000, show_default=True,
              help="Calls in the year (a province: ten million).")
@click.option("--database-url", default=None, metavar="URL",
              help="An empty database to fill, e.g. postgresql://user@host/ivr_year "
                   "(default: a SQLite file in a temporary folder, deleted after).")
@click.option("--seed", type=int, default=12345, show_default=True, help="Seed of the generator.")
@click.option("--runs", type=click.IntRange(1, 1000), default=7, show_default=True,
              help="Timed runs of each query (after one to warm up).")
@click.option("--fill/--no-fill", default=True, show_default=True,
              help="--no-fill times a database an earlier run filled (give its --calls and --seed).")
@click.option("--results-dir", type=click.Path(file_okay=False), default=None,
              help="Where the JSON goes [bench/results].")
def data(calls: int, database_url: str | None, seed: int, runs: int, fill: bool, results_dir: str | None) -> None:
    """Fill a database with a year of calls, orders in every state and ratings, time `ivr report`
    and the order lists and searches on it, and write bench/results/<date>-data.json."""
    from ivr import logs
    from ivr.bench import data_bench
    from ivr.settings import REPO_ROOT

    logs.configure()
    if database_url:
        doc = data_bench.run(database_url, calls=calls, seed=seed, runs=runs, fill=fill)
    elif not fill:
        raise click.UsageError("--no-fill needs the --database-url of a database filled before")
    else:
        with tempfile.TemporaryDirectory(prefix="ivr-bench-data-") as folder:
            doc = data_bench.run(f"sqlite:///{folder}/year.sqlite3", calls=calls, seed=seed, runs=runs)
    path, doc = data_bench.write(doc, Path(results_dir) if results_dir else REPO_ROOT / "bench" / "results")
    for line in data_bench.lines(doc):
        click.echo(line)
    click.echo(f"results: {path}")
