"""The routing engine's call log in the database: what the impact preview replays.

Rows come from the call log the engine writes on disk (:mod:`ivr.agi.call_log`), taken in by
:mod:`ivr.lifecycle.ingest`: the call path never waits on this table. A row is keyed on
Asterisk's unique id of the caller's channel, so taking the same log line in twice (a crash
between the insert and the cursor's move) adds nothing.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

from sqlalchemy import DateTime, Engine, String, func, select, type_coerce
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import sessionmaker

from ivr.core.replay import LoggedCall
from ivr.store.models import RoutedCallRow
from ivr.store.sessions import session_of, transaction

COLUMNS = ("call_id", "at", "line", "caller", "rules_sha256", "route", "mode", "department")
_LIMITS = {"call_id": 80, "line": 40, "caller": 64, "rules_sha256": 64, "route": 160, "mode": 16,
           "department": 64}


class RoutedCalls:
    """Calls the engine routed, by time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine)
        self._sqlite = engine.dialect.name == "sqlite"
        self._insert = sqlite_insert if self._sqlite else pg_insert

    def add_many(self, rows: list[dict]) -> int:
        """Insert ``rows`` (mappings with :data:`COLUMNS`), skipping call ids already there;
        returns how many were offered (drivers do not all count the skipped ones)."""
        if not rows:
            return 0
        clean = [{k: (str(r.get(k) or "")[:_LIMITS[k]] if k != "at" else r["at"]) for k in COLUMNS} for r in rows]
        statement = self._insert(RoutedCallRow).on_conflict_do_nothing(index_elements=["call_id"])
        with transaction(self._sessions, "call log") as session:
            session.execute(statement, clean)
        return len(clean)

    def count(self, start: datetime) -> int:
        with session_of(self._sessions, "call log") as session:
            return session.scalar(select(func.count()).select_from(RoutedCallRow)
                                  .where(RoutedCallRow.at >= start)) or 0

    def between(self, start: datetime, end: datetime | None = None, batch: int = 20_000) -> Iterator[LoggedCall]:
        """Every call routed in [start, end) (no end: up to the last), oldest first, in batches."""
        # the time is read as the driver gives it (SQLite: text; PostgreSQL: a naive datetime) and
        # made aware here, in C-speed steps: a month of a busy centre is a million rows
        raw_at = type_coerce(RoutedCallRow.__table__.c.at, String if self._sqlite else DateTime)
        query = (select(RoutedCallRow.call_id, raw_at, RoutedCallRow.line, RoutedCallRow.caller,
                        RoutedCallRow.route)
                 .where(RoutedCallRow.at >= start)
                 .order_by(RoutedCallRow.at, RoutedCallRow.id))
        if end is not None:
            query = query.where(RoutedCallRow.at < end)
        parse, utc = datetime.fromisoformat, timezone.utc
        with session_of(self._sessions, "call log") as session:
            result = session.execute(query.execution_options(yield_per=batch))
            for call_id, at, line, caller, route in result:
                moment = (parse(at) if self._sqlite else at).replace(tzinfo=utc)
                yield LoggedCall(call_id, moment, line, caller, route)
