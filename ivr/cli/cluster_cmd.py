"""``ivr cluster``: the centre past one box (docs/cluster.md).

    ivr cluster render --out DIR      Kamailio's configuration and each node's site and Asterisk
                                      configuration, from trunks/cluster.yaml
    ivr cluster up [--nodes 3]        the lab: Kamailio and N Asterisk nodes in network namespaces
    ivr cluster status [--json]       each node as the dispatcher sees it, its rules, agents, calls
    ivr cluster node NAME kill|cut|mend|start    a fault on one node of the lab, or its return
    ivr cluster down                  the lab gone: namespaces, processes, mounts (files kept)
    ivr bench cluster                 the dispatcher's cost and what more nodes give (a lab of its own)
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import click

from ivr.asterisk import service
from ivr.logs import configure
from ivr.settings import Settings

_lab_option = click.option("--name", "lab_name", default="lab", show_default=True,
                           help="the lab's name (its namespaces are ivrc-NAME-*)")


def _settings() -> Settings:
    configure()
    return Settings.from_env()


def _lab(name: str):
    from ivr.cluster.lab import ClusterLab

    return ClusterLab(_settings(), name)


@click.group("cluster")
def cluster() -> None:
    """Kamailio in front of several Asterisk nodes: render the layout, run the lab."""


@cluster.command("render")
@click.option("--trunks", type=click.Path(file_okay=False),
              help="the site folder holding cluster.yaml (default: IVR_TRUNKS or trunks/)")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="folder to write into")
def render_cmd(trunks: str | None, out: str) -> None:
    """Render kamailio.cfg, dispatcher.list and each node's site files and Asterisk configuration."""
    from ivr.cluster.deploy import render_all

    site = Path(trunks) if trunks else service.trunks_dir()
    for line in render_all(_settings(), site, Path(out)):
        click.echo(line)


@cluster.command("up")
@click.option("--nodes", type=int, default=3, show_default=True, help="nodes of the generated lab")
@click.option("--site", type=click.Path(file_okay=False),
              help="run this site folder's cluster.yaml instead of a generated lab")
@click.option("--database", help="the cluster's PostgreSQL (default: IVR_DATABASE_URL, else the "
                                 "tests' server on 127.0.0.1:5432)")
@_lab_option
def up(nodes: int, site: str | None, database: str | None, lab_name: str) -> None:
    """Build the lab: a bridge, Kamailio and the nodes each in a network namespace of its own."""
    from ivr.cluster.status import read_status, table

    lab = _lab(lab_name)
    started = time.monotonic()
    cluster = lab.up(nodes=nodes, site=Path(site) if site else None,
                     database_url=database or os.environ.get("IVR_DATABASE_URL") or None)
    click.echo(f"cluster lab {lab_name} up in {time.monotonic() - started:.1f} s: Kamailio at "
               f"{cluster.kamailio_address}:{cluster.kamailio_port}, {len(cluster.nodes)} node(s), "
               f"the carrier at {lab.carrier_address()}; files in {lab.files.folder}")
    click.echo(f"database (for the centre's parts, not started by the lab yet): "
               f"{cluster.database_url.split('@')[-1]}")
    for line in table(read_status(lab)):
        click.echo(line)


@cluster.command("status")
@click.option("--json", "as_json", is_flag=True)
@_lab_option
def status(as_json: bool, lab_name: str) -> None:
    """Each node as Kamailio's dispatcher sees it (AP/IP), its rules version, agents and calls.
    Exit 3 when the lab is down."""
    from ivr.cluster.status import read_status, table

    state = read_status(_lab(lab_name))
    if as_json:
        click.echo(json.dumps(state.to_dict(), ensure_ascii=False))
    else:
        for line in table(state):
            click.echo(line)
    if not state.namespaces:
        raise click.exceptions.Exit(3)


@cluster.command("node")
@click.argument("node")
@click.argument("action", type=click.Choice(["kill", "cut", "mend", "start"]))
@_lab_option
def node(node: str, action: str, lab_name: str) -> None:
    """A fault on NODE, or its return: kill (kill -9 its Asterisk), cut (its link down),
    mend (its link up), start (its Asterisk and agents again, nothing else restarted)."""
    lab = _lab(lab_name)
    lab.cluster().node(node)
    if action == "kill":
        click.echo(f"{node}: Asterisk pid {lab.kill_node(node)} killed (SIGKILL)")
    elif action in ("cut", "mend"):
        lab.cut_link(node, up=action == "mend")
        click.echo(f"{node}: link {'restored' if action == 'mend' else 'cut'}")
    else:
        lab.start_node(node)
        click.echo(f"{node}: Asterisk pid {lab.asterisk_pid(node)} and its agents up")


@cluster.command("down")
@_lab_option
def down(lab_name: str) -> None:
    """Stop everything of the lab and delete its namespaces (works after a crashed `up` too)."""
    lab = _lab(lab_name)
    gone = lab.down()
    click.echo(f"cluster lab {lab_name} down: {len(gone)} namespace(s) deleted"
               + (f" ({', '.join(gone)})" if gone else "") + f"; files kept in {lab.files.folder}")


@click.command("cluster")
@click.option("--rates", default="50,100,150,200,300,400", show_default=True,
              help="the ramp's rates (calls/s); each way stops at its first step with a failed call")
@click.option("--step-seconds", type=float, default=5.0, show_default=True)
@click.option("--talk-ms", type=int, default=200, show_default=True)
@click.option("--answer-timeout-ms", type=int, default=5000, show_default=True)
@click.option("--results-dir", type=click.Path(file_okay=False), default=None,
              help="where the JSON goes [bench/results]")
@click.option("--name", "lab_name", default="bench", show_default=True, help="the benchmark lab's name")
def bench_cluster(rates: str, step_seconds: float, talk_ms: int, answer_timeout_ms: int,
                  results_dir: str | None, lab_name: str) -> None:
    """The dispatcher's cost: the highest rate with no failed call straight to one node and
    through Kamailio to 1, 2 and 3 nodes, with the CPU each spends per call (root; a lab of its
    own, taken down at the end). Run it when `uptime` shows a low load."""
    from ivr.cli.bench_cmd import _rates
    from ivr.cluster import bench, bench_report

    config = bench.Config(rates=_rates(rates), step_seconds=step_seconds, talk_ms=talk_ms,
                          answer_timeout_ms=answer_timeout_ms, lab=lab_name)
    if results_dir:
        config.results_dir = Path(results_dir)
    doc = bench.run(_settings(), config)
    doc["summary"] = bench_report.summary(doc)
    path = bench.write_results(doc, config.results_dir)
    for line in bench_report.table(doc):
        click.echo(line)
    click.echo(f"results: {path}")
