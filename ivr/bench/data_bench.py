"""What a provincial year of data costs (``ivr bench data``): fill a database with a generated
year (:mod:`ivr.bench.yeardata`, :mod:`ivr.bench.data_load`), then time what people wait for on
it: ``ivr report`` for the year (totals, per line, per department, per unit) and for a month, and
the staff's order lists and searches, through the same store functions the console calls. The
loaded year is counted into the daily summary first (:mod:`ivr.bench.data_figures`), as the
nightly recount keeps it, and what the summary adds to a work-order write is measured.

Each query runs once to warm the caches, then ``runs`` times; p50 and p99 are nearest-rank over
those runs. Goals (issues 15, 26): the year's report within 2 s, July's within 0.5 s, a page of a
list or search within 200 ms, judged on the p99; the summary's part of a write within 1 ms. The
machine's load average is written beside the figures (a shared machine's figures are noisy).
Nothing here asserts: a missed goal is printed with by how much.
"""
from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from ivr.agi.stats import percentile
from ivr.bench import data_figures, data_load, yeardata
from ivr.core import kpi
from ivr.core.workflow import CALLBACK_RATINGS
from ivr.errors import StoreError
from ivr.rules_file import rules_from_text
from ivr.settings import REPO_ROOT
from ivr.store import TicketStore, open_store, policy_for

log = structlog.get_logger(__name__)
REPORT_GOAL_S = 2.0
MONTH_GOAL_S = 0.5
PAGE_GOAL_S = 0.2
PAGE = 100     # the console's order list shows 100
SEARCH = 200   # the supervision list and the auditors' search show up to 200


def run(url: str, calls: int, seed: int, runs: int = 7, fill: bool = True) -> dict[str, Any]:
    """Generate, load and time; the results as a JSON-ready document. Without ``fill``, time a
    database an earlier run filled (with the same ``calls`` and ``seed``)."""
    rules = rules_from_text((REPO_ROOT / "routing_rules.yaml").read_text(encoding="utf-8"), "routing_rules.yaml")
    store = open_store(url, policy_for(rules))
    try:
        began = time.perf_counter()
        if fill:
            log.info("bench.data.fill", calls=calls, backend=store.engine.dialect.name)
            loaded = data_load.load(store.engine, yeardata.generate(calls, seed=seed))
        else:
            loaded = data_load.Loaded(rows=data_load.count_rows(store.engine))
        summary_s = data_figures.count_year(store) if fill else 0.0
        total_s = time.perf_counter() - began if fill else 0.0
        size = data_load.database_bytes(store.engine)
        load_before = [round(x, 2) for x in os.getloadavg()]
        timed = {name: _time(query, runs) for name, query in queries(store).items()}
        write = data_figures.write_cost(store)
        report = kpi.build_report(*store.report_facts(*_year())).total.as_dict() \
            if timed["report_year"]["p50_s"] is not None else None
    finally:
        store.close()
    return {"started": datetime.now(UTC).isoformat(timespec="seconds"),
            "backend": store.engine.dialect.name, "calls": calls, "seed": seed, "runs": runs, "filled": fill,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_average_before": load_before,
                        "load_average_after": [round(x, 2) for x in os.getloadavg()],
                        "server": ".".join(map(str, store.engine.dialect.server_version_info or ()))},
            "rows": loaded.rows, "fill_s": round(loaded.fill_s, 1), "index_s": round(loaded.index_s, 1),
            "generate_and_load_s": round(total_s, 1), "summary_s": round(summary_s, 1), "database_bytes": size,
            "queries": timed, "goals": goals(timed, store.engine.dialect.name), "summary_write": write,
            "year_total": report}


def queries(store: TicketStore) -> dict[str, Callable[[], object]]:
    """The timed queries, by name: each a call the CLI or the console makes."""
    since, until = _year()
    july = (datetime(yeardata.YEAR, 7, 1, tzinfo=yeardata.TZ), datetime(yeardata.YEAR, 8, 1, tzinfo=yeardata.TZ))
    sample = store.list(limit=1)[0]
    units = yeardata.units()
    unit = units["water"][0]
    week = until - timedelta(days=7)
    return {
        "report_year": lambda: kpi.build_report(*store.report_facts(since, until)),
        "report_month": lambda: kpi.build_report(*store.report_facts(*july)),
        "orders_newest": lambda: store.list(limit=PAGE),
        "orders_by_status": lambda: store.list(status="dispatched", limit=PAGE),
        "orders_by_department": lambda: store.list(department="water", limit=PAGE),
        "orders_by_unit": lambda: store.list(unit=unit, limit=PAGE),
        "supervision_list": lambda: store.list(supervision=True, limit=SEARCH),
        "overdue_list": lambda: store.list(overdue=True, limit=SEARCH),
        "callback_list": lambda: store.rated(CALLBACK_RATINGS, week, SEARCH),
        "search_caller": lambda: store.with_recordings(caller=sample.caller, limit=SEARCH),
        "search_caller_part": lambda: store.with_recordings(caller=sample.caller[-7:], limit=SEARCH),
        "search_department_month": lambda: store.with_recordings(department="water", since=july[0],
                                                                 until=july[1], limit=SEARCH),
        "caller_history": lambda: store.orders_of_caller(sample.caller, limit=5),
    }


def goals(timed: dict[str, dict[str, float]], backend: str) -> list[dict[str, Any]]:
    """Each timed query against its goal (the report's, or a page's), met or missed by how much."""
    out = []
    for name, figures in timed.items():
        goal = MONTH_GOAL_S if name == "report_month" else REPORT_GOAL_S if name.startswith("report_") \
            else PAGE_GOAL_S
        p99 = figures["p99_s"]
        met = p99 is not None and p99 <= goal
        over = figures.get("error") if p99 is None else f"{p99 / goal:.1f}x ({p99 - goal:+.3f} s)"
        out.append({"query": name, "goal_s": goal, "p99_s": p99, "met": met,
                    "over_by": None if met else over, "backend": backend})
    return out


def write(doc: dict[str, Any], results_dir: Path) -> tuple[Path, dict[str, Any]]:
    """``results_dir/<date>-data.json``; one key per backend, so the PostgreSQL and the SQLite
    runs of a day sit side by side (a later run of the same backend replaces the earlier); the
    document as written."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{doc['started'][:10]}-data.json"
    kept = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    earlier = kept.get(doc["backend"], {})
    if not doc["filled"] and (earlier.get("calls"), earlier.get("seed")) == (doc["calls"], doc["seed"]):
        # timed again on the database an earlier run filled: keep what that fill cost
        doc = {**doc, **{k: earlier[k] for k in ("fill_s", "index_s", "generate_and_load_s", "summary_s")
                         if k in earlier}}
    kept[doc["backend"]] = doc
    path.write_text(json.dumps(kept, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path, doc


def lines(doc: dict[str, Any]) -> list[str]:
    """The results as the command prints them."""
    rows = doc["rows"]
    w = doc["summary_write"]
    out = [(f"{doc['backend']}: {doc['calls']:,} calls generated and loaded in {doc['generate_and_load_s']:.0f} s "
            f"(rows in {doc['fill_s']:.0f} s, indexes and analyse {doc['index_s']:.0f} s); "
            f"{doc['database_bytes'] / 2**30:.2f} GiB"),
           "rows: " + ", ".join(f"{name} {count:,}" for name, count in rows.items()),
           (f"daily summary: the year counted in {doc.get('summary_s', 0):.0f} s; its part of a work-order "
            f"write p50 {w['p50_s'] * 1000:.2f} ms, p99 {w['p99_s'] * 1000:.2f} ms over {w['writes']} writes "
            f"(goal <= {w['goal_s'] * 1000:.0f} ms: {'met' if w['met'] else 'MISSED'})"),
           f"machine: {doc['machine']['cpus']} cpus, load average {doc['machine'].get('load_average_before')} "
           f"before the queries, {doc['machine']['load_average_after']} after (shared: figures are noisy)",
           f"{'query':<26} {'p50':>9} {'p99':>9}  goal"]
    for goal in doc["goals"]:
        q = doc["queries"][goal["query"]]
        verdict = "met" if goal["met"] else f"MISSED by {goal['over_by']}"
        p50, p99 = ("failed", "") if q["p50_s"] is None else (f"{q['p50_s'] * 1000:.1f}ms", f"{q['p99_s'] * 1000:.1f}ms")
        out.append(f"{goal['query']:<26} {p50:>9} {p99:>9}  <= {goal['goal_s'] * 1000:.0f} ms: {verdict}")
    return out


def _time(query: Callable[[], object], runs: int) -> dict[str, Any]:
    """p50/p99 of ``runs`` runs after a warm-up; a query the store refuses (a timeout) is
    recorded with its message and counts as a missed goal, the other queries still run."""
    samples = []
    try:
        query()
        for _ in range(runs):
            began = time.perf_counter()
            query()
            samples.append(time.perf_counter() - began)
    except StoreError as err:
        return {"p50_s": None, "p99_s": None, "runs": len(samples), "error": str(err)}
    samples.sort()
    return {"p50_s": round(percentile(samples, 0.5) or 0.0, 4),
            "p99_s": round(percentile(samples, 0.99) or 0.0, 4), "runs": runs}


def _year() -> tuple[datetime, datetime]:
    return (datetime.combine(date(yeardata.YEAR, 1, 1), datetime.min.time(), yeardata.TZ),
            datetime.combine(date(yeardata.YEAR + 1, 1, 1), datetime.min.time(), yeardata.TZ))

