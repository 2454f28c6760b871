"""The routing engine's call log in the database: what the impact preview replays.

Rows come from the call log the engine writes on disk (:mod:`ivr.agi.call_log`), taken in by
:mod:`ivr.lifecycle.ingest`: the call path never waits on this table. A line is written for
whatever reaches the FastAGI port, which anyone on the machine can speak, so it feeds the
preview only once joined to Asterisk's own record of the call (the queue log's ``IVRCALL`` line,
written by the dialplan for every call before it asks the engine): the same unique id and the
same number dialled, the caller taken from Asterisk's record (:meth:`RoutedCalls.take_in`).
A line with no such record within the grace period is dropped and counted per day; forged
sessions never reach ``routed_calls``. A row there is keyed on Asterisk's unique id of the
caller's channel, so taking the same log line in twice (a crash between the insert and the
cursor's move) adds nothing.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Engine, and_, delete, exists, func, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import sessionmaker

from ivr.core.replay import LoggedCall
from ivr.store.models import RoutedCallRow
from ivr.store.models_call_log import AsteriskCallRow, CallLogDroppedRow, CallLogPendingRow
from ivr.store.sessions import session_of, transaction

COLUMNS = ("call_id", "at", "line", "caller", "rules_sha256", "route", "mode", "department")
_LIMITS = {"call_id": 80, "line": 40, "caller": 64, "rules_sha256": 64, "route": 160, "mode": 16,
           "department": 64, "uniqueid": 80}
# How long a call-log line waits for Asterisk's record of its call (and a record for its line):
# the record is written before the engine is asked, the line within a second after; minutes are
# plenty for a reader that was behind, and a forged line goes no further meanwhile.
GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class TakenIn:
    """What one step of the intake did: lines joined into the preview's calls, and dropped."""

    joined: int = 0
    dropped: int = 0


def _clean(row: dict, names) -> dict:
    return {k: (str(row.get(k) or "")[:_LIMITS[k]] if k in _LIMITS else row[k]) for k in names}


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
        clean = [_clean(r, COLUMNS) for r in rows]
        statement = self._insert(RoutedCallRow).on_conflict_do_nothing(index_elements=["call_id"])
        with transaction(self._sessions, "call log") as session:
            session.execute(statement, clean)
        return len(clean)

    def take_in(self, lines: list[dict], records: list[dict], now: datetime, grace: timedelta = GRACE) -> TakenIn:
        """Hold the call-log ``lines`` (mappings with :data:`COLUMNS`) and Asterisk's ``records``
        (uniqueid, at, line, caller), let every line whose call Asterisk recorded (same unique
        id, same number) into the preview's calls, and drop what waited longer than ``grace``
        since ``now`` (the wall clock): lines counted, records not (the fail-safe's calls never
        reach the engine). One transaction: a crash takes nothing in halfway."""
        p, a = CallLogPendingRow, AsteriskCallRow
        with transaction(self._sessions, "call log") as session:
            if lines:
                session.execute(self._insert(p), [{**_clean(r, COLUMNS), "taken_at": now} for r in lines])
            if records:
                session.execute(self._insert(a).on_conflict_do_nothing(index_elements=["uniqueid"]),
                                [{**_clean(r, ("uniqueid", "at", "line", "caller")), "read_at": now} for r in records])
            matches = and_(a.uniqueid == p.call_id, a.line == p.line)
            first = select(func.min(p.id)).join(a, matches).group_by(p.call_id)   # the line taken first
            joined = (select(p.call_id, p.at, a.line, a.caller, p.rules_sha256, p.route, p.mode, p.department)
                      .join(a, matches).where(p.id.in_(first)).where(true()))
            inserted = session.execute(self._insert(RoutedCallRow).from_select(list(COLUMNS), joined)
                                       .on_conflict_do_nothing(index_elements=["call_id"])
                                       .returning(RoutedCallRow.call_id)).all()
            session.execute(delete(p).where(exists().where(matches)))
            session.execute(delete(a).where(exists().where(RoutedCallRow.call_id == a.uniqueid)))
            expired = session.scalars(select(p.at).where(p.taken_at < now - grace)).all()
            if expired:
                self._count_dropped(session, Counter(at.astimezone(timezone.utc).date().isoformat() for at in expired))
                session.execute(delete(p).where(p.taken_at < now - grace))
            session.execute(delete(a).where(a.read_at < now - grace))
            return TakenIn(len(inserted), len(expired))

    def _count_dropped(self, session, per_day: Counter) -> None:
        statement = self._insert(CallLogDroppedRow)
        statement = statement.on_conflict_do_update(index_elements=["day"],
                                                    set_={"lines": CallLogDroppedRow.lines + statement.excluded.lines})
        session.execute(statement, [{"day": day, "lines": n} for day, n in per_day.items()])

    def dropped_since(self, start: datetime) -> int:
        """Call-log lines dropped unmatched since ``start``'s day (UTC), for the preview to say."""
        first: date = start.astimezone(timezone.utc).date()
        with session_of(self._sessions, "call log") as session:
            return session.scalar(select(func.coalesce(func.sum(CallLogDroppedRow.lines), 0))
                                  .where(CallLogDroppedRow.day >= first.isoformat())) or 0

    def pending(self) -> int:
        """Call-log lines still waiting for Asterisk's record of their call."""
        with session_of(self._sessions, "call log") as session:
            return session.scalar(select(func.count()).select_from(CallLogPendingRow)) or 0

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
