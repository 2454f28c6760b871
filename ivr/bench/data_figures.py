"""The daily summary in ``ivr bench data``: count the loaded year into it, and measure what it
adds to a work-order write.

The loader writes rows with COPY, past the store, so the summary is filled the way a database
upgraded with a history is: every day counted again from the raw rows
(:meth:`~ivr.store.TicketStore.recount_day`, what the nightly job does for one day).

What the summary adds to a write is measured where it happens: on real orders of the loaded
year, inside a transaction that is rolled back, the order's share is taken before and after a
dispatch to another unit and the difference written to the summary (two ``INSERT ... ON
CONFLICT DO UPDATE``, the heaviest change a step makes), timed alone. Nothing is kept.
"""
from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.agi.stats import percentile
from ivr.bench import yeardata
from ivr.core import daily_figures as core
from ivr.store import TicketStore, daily_figures
from ivr.store.models import TicketRow

WRITE_GOAL_S = 0.001   # the summary adds at most 1 ms to a work-order write, at p99


def count_year(store: TicketStore) -> float:
    """Count every day of the generated year into the summary; the seconds it took."""
    began = time.perf_counter()
    now = datetime.now(UTC)
    for day in yeardata.year_days():
        store.recount_day(day, now)
    return time.perf_counter() - began


def write_cost(store: TicketStore, writes: int = 300, seed: int = 7) -> dict[str, float | int | None]:
    """p50/p99 seconds the summary's part of a work-order write takes, over ``writes`` orders."""
    rng = random.Random(seed)
    units = [u for group in yeardata.units().values() for u in group]
    with store._session() as session:  # noqa: SLF001 - a harness beside the store
        top = session.scalar(select(TicketRow.id).order_by(TicketRow.id.desc()).limit(1)) or 0
    samples: list[float] = []
    for _ in range(writes):
        with store.engine.connect() as connection, connection.begin() as transaction, \
                Session(bind=connection) as session:
            row = session.scalars(select(TicketRow).where(TicketRow.id >= rng.randint(1, max(1, top)))
                                  .order_by(TicketRow.id).limit(1).with_for_update()).first()
            if row is not None:
                before = daily_figures.order_share(row, store.tz)
                after = core.DayShare(replace(before.key, unit=rng.choice(units)),
                                      replace(before.figures, dispatched=1))
                began = time.perf_counter()
                daily_figures.keep(session, before, after)
                samples.append(time.perf_counter() - began)
            transaction.rollback()
    samples.sort()
    return {"writes": len(samples), "p50_s": round(percentile(samples, 0.5) or 0.0, 6),
            "p99_s": round(percentile(samples, 0.99) or 0.0, 6), "goal_s": WRITE_GOAL_S,
            "met": bool(samples) and (percentile(samples, 0.99) or 0.0) <= WRITE_GOAL_S}
