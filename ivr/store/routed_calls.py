"""The routing engine's call log in the database: what the impact preview replays.

Rows come from the call log the engine writes on disk (:mod:`ivr.agi.call_log`), taken in by
:mod:`ivr.lifecycle.ingest`: the call path never waits on this table. A row is keyed on
Asterisk's unique id of the caller's channel, so taking the same log line in twice (a crash
between the insert and the cursor's move) adds nothing.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

from sqlalchemy import Engine, func, select
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
        """Every call routed in [start, end) (no end: up to the last), oldest first, in batches.

        Read with the driver's own cursor and made aware here in C-speed steps (SQLite gives the
        time as text, PostgreSQL as a naive datetime): a month of a busy centre is a million rows."""
        table = RoutedCallRow.__table__
        query = (select(table.c.call_id, table.c.at, table.c.line, table.c.caller, table.c.route)
                 .where(table.c.at >= start).order_by(table.c.at, table.c.id))
        if end is not None:
            query = query.where(table.c.at < end)
        compiled = query.compile(self.engine, compile_kwargs={"render_postcompile": True})
        parameters = compiled.construct_params()
        bind = (lambda v: _bind(v, self._sqlite))
        bound = [bind(parameters[name]) for name in compiled.positiontup] if compiled.positional else \
            {name: bind(value) for name, value in parameters.items()}
        parse, utc, make = datetime.fromisoformat, timezone.utc, LoggedCall._make
        with session_of(self._sessions, "call log") as session:
            cursor = session.connection().connection.cursor()
            try:
                cursor.execute(str(compiled), bound)
                while rows := cursor.fetchmany(batch):
                    for call_id, at, line, caller, route in rows:
                        moment = (parse(at) if isinstance(at, str) else at).replace(tzinfo=utc)
                        yield make((call_id, moment, line, caller, route))
            finally:
                cursor.close()


def _bind(value, sqlite: bool):
    """A parameter as the driver takes it: times in UTC as the store keeps them (SQLite: the
    text SQLAlchemy writes, which sorts as the time does)."""
    if isinstance(value, datetime):
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else value
    return value
