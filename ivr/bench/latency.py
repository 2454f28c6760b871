"""What the engine's database shows and when: answer -> work order, rating key -> stored rating.

The benchmark's own AMI connection (:class:`ivr.bench.pop.AnswerWatch`) notes when Asterisk
reports an agent's answer (AgentConnect) and a caller's rating key (the dialplan's UserEvent
IvrRating), each with the call's Linkedid. :class:`StoreWatch` looks into the engine's database
every few milliseconds for those calls: the first time a call's work order is there, and the
first time its rating is. The delay is the difference, on one monotonic clock; the polling period
bounds the error (it is given with the figures).
"""
from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from ivr.logs import get_logger

log = get_logger("ivr.bench.latency")

POLL_S = 0.005


class StoreWatch(threading.Thread):
    """Polls the engine's database for the orders and ratings of calls it is told about."""

    def __init__(self, database_url: str, poll_s: float = POLL_S) -> None:
        super().__init__(name="bench-store-watch", daemon=True)
        self.engine = sa.create_engine(database_url)
        self.poll_s = poll_s
        self.order_seen: dict[str, float] = {}
        self.rating_seen: dict[str, float] = {}
        self._want_order: set[str] = set()
        self._want_rating: set[str] = set()
        self._lock = threading.Lock()
        self._halt = threading.Event()

    def want_order(self, linkedid: str) -> None:
        with self._lock:
            if linkedid not in self.order_seen:
                self._want_order.add(linkedid)

    def want_rating(self, linkedid: str) -> None:
        with self._lock:
            if linkedid not in self.rating_seen:
                self._want_rating.add(linkedid)

    def run(self) -> None:
        tickets = sa.table("tickets", sa.column("linkedid"), sa.column("rating"))
        while not self._halt.is_set():
            with self._lock:
                orders, ratings = list(self._want_order), list(self._want_rating)
            if orders or ratings:
                try:
                    with self.engine.connect() as conn:
                        now_orders = set(conn.execute(sa.select(tickets.c.linkedid)
                                                      .where(tickets.c.linkedid.in_(orders))).scalars()) if orders else set()
                        now_rated = set(conn.execute(sa.select(tickets.c.linkedid)
                                                     .where(tickets.c.linkedid.in_(ratings),
                                                            tickets.c.rating.is_not(None))).scalars()) if ratings else set()
                except sa.exc.SQLAlchemyError as err:  # a locked SQLite file: look again next time
                    log.debug("bench.store_watch_retry", error=str(err)[:200])
                    now_orders = now_rated = set()
                seen = time.monotonic()
                with self._lock:
                    for linkedid in now_orders:
                        self.order_seen.setdefault(linkedid, seen)
                    for linkedid in now_rated:
                        self.rating_seen.setdefault(linkedid, seen)
                    self._want_order -= now_orders
                    self._want_rating -= now_rated
            self._halt.wait(self.poll_s)

    def stop(self) -> None:
        self._halt.set()
        self.join(10)
        self.engine.dispose()


def delays_ms(events: dict[str, float], seen: dict[str, float]) -> tuple[list[float], int]:
    """Each event's delay to its sighting in the database, and how many were never seen."""
    out, missing = [], 0
    for linkedid, at in events.items():
        if linkedid in seen:
            out.append(max(0.0, (seen[linkedid] - at) * 1000))
        else:
            missing += 1
    return out, missing
