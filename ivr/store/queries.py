"""Reading work orders and calls: lists, one order, the recordings, the facts the KPIs need."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.orm import selectinload

from ivr.core import workflow
from ivr.core.kpi import CallFact, Figures, OrderGroup
from ivr.core.wallboard import DayCall
from ivr.core.workflow import Status
from ivr.errors import TicketNotFound
from ivr.store.base import StoreBase
from ivr.store import calls as calls_store
from ivr.store import daily_figures
from ivr.store.models import TicketRow
from ivr.store.ticket import Ticket, check_linkedid, ticket_of

REPORT_TIMEOUT_MS = 120_000  # PostgreSQL: how long the report's counting may take


class TicketQueries(StoreBase):
    """The read side of the ticket store."""


    def get(self, number: str) -> Ticket:
        with self._session() as session:
            return ticket_of(self._by_number(session, number), self.tz)

    def by_linkedid(self, linkedid: str) -> Ticket:
        with self._session() as session:
            row = self._by_linkedid(session, check_linkedid(linkedid))
            if row is None:
                raise TicketNotFound(linkedid)
            return ticket_of(row, self.tz)

    def list(self, *, status: str | None = None, unit: str | None = None, department: str | None = None,
             overdue: bool | None = None, supervision: bool = False, since: datetime | None = None,
             until: datetime | None = None, limit: int = 100) -> list[Ticket]:
        """Orders newest first, filtered. ``supervision`` = open orders escalated or re-dispatched."""
        query = select(TicketRow).options(selectinload(TicketRow.history))
        if status:
            query = query.where(TicketRow.status == Status(status).value)
        if unit:
            query = query.where(TicketRow.unit == unit)
        if department:
            query = query.where(TicketRow.department == department)
        if overdue is not None:
            query = query.where(or_(TicketRow.overdue, TicketRow.sign_late) if overdue
                                else and_(~TicketRow.overdue, ~TicketRow.sign_late))
        if supervision:
            query = query.where(or_(TicketRow.escalated, TicketRow.supervised),
                                TicketRow.status.in_([s.value for s in workflow.OPEN_STATUSES]))
        return self._tickets(_newest(_between(query, since, until), limit))

    def recordings(self) -> list[tuple[str, str, str | None, int | None]]:
        """(number, recording path, sha256, size) of every order that names a recording."""
        query = (select(TicketRow.number, TicketRow.recording_path, TicketRow.recording_sha256,
                        TicketRow.recording_size)
                 .where(TicketRow.recording_path.is_not(None)).order_by(TicketRow.number))
        with self._session() as session:
            return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]

    def report_facts(self, since: datetime | None = None,
                     until: datetime | None = None) -> tuple[list[CallFact], list[OrderGroup]]:
        """Call facts and order counts in [since, until), for :func:`ivr.core.kpi.build_report`
        (which computes the rates): the counted days wholly inside the period from the daily
        summary (:mod:`ivr.store.daily_figures`), the rest (the partial days at the edges, days
        not counted yet) grouped in SQL from the raw rows. The raw counts follow
        :func:`ivr.core.kpi.order_figures`' definitions; a test holds the two together."""
        with self._session() as session:
            if session.get_bind().dialect.name == "postgresql":
                # A year of a province's orders not yet counted is read whole: longer than the
                # store's statement timeout (meant for a server that hangs) on a loaded machine.
                # JIT compiling these aggregates costs seconds and saves nothing on such a scan.
                session.execute(text(f"SET LOCAL statement_timeout = {REPORT_TIMEOUT_MS}"))
                session.execute(text("SET LOCAL jit = off"))
            first = since.astimezone(self.tz).date() if since is not None else None
            last = until.astimezone(self.tz).date() if until is not None else None
            days, live = daily_figures.plan(since, until, daily_figures.counted_days(session, first, last), self.tz)
            calls: list[CallFact] = []
            orders = daily_figures.summed(session, days)
            for start, end in live:
                more_calls, more_orders = raw_facts(session, start, end)
                calls += more_calls
                orders += more_orders
        return calls, orders

    def recount_day(self, day: date, now: datetime) -> int:
        """Count ``day`` again from the raw rows into the daily summary and mark it counted (the
        nightly heal, ``ivr report --recount``); returns the summary's groups of the day."""
        with self._transaction() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text(f"SET LOCAL statement_timeout = {REPORT_TIMEOUT_MS}"))
                # writers wait (briefly: one day's rows) rather than race with the rebuild
                session.execute(text("LOCK TABLE daily_figures IN SHARE ROW EXCLUSIVE MODE"))
            groups = daily_figures.recount(session, day, self.tz, now, raw_facts)
        self._log.info("figures.recounted", day=day.isoformat(), groups=groups)
        return groups

    def calls_between(self, since: datetime, until: datetime) -> list[DayCall]:
        """The calls offered in [since, until), oldest first (the wallboard's day: a few thousand)."""
        with self._session() as session:
            return calls_store.day_calls(session, since, until, self.tz)

    def with_recordings(self, *, since: datetime | None = None, until: datetime | None = None,
                        line: str | None = None, department: str | None = None, agent: str | None = None,
                        caller: str | None = None, number: str | None = None, limit: int = 200) -> list[Ticket]:
        """Orders whose call was recorded, newest first: the auditors' search. ``caller`` matches
        any part of the number (its wildcards are taken literally); the others match exactly."""
        query = (select(TicketRow).options(selectinload(TicketRow.history))
                 .where(TicketRow.recording_path.is_not(None)))
        for column, value in ((TicketRow.line, line), (TicketRow.department, department),
                              (TicketRow.agent, agent), (TicketRow.number, number)):
            if value:
                query = query.where(column == value)
        if caller:
            query = query.where(TicketRow.caller.contains(caller, autoescape=True))
        return self._tickets(_newest(_between(query, since, until), limit))

    def rated(self, ratings: frozenset[int], since: datetime, limit: int = 200) -> list[Ticket]:
        """Orders rated one of ``ratings`` since ``since``, newest rating first (回访: call back)."""
        query = (select(TicketRow).options(selectinload(TicketRow.history))
                 .where(TicketRow.rating.in_(sorted(ratings)), TicketRow.rated_at >= since)
                 .order_by(TicketRow.rated_at.desc(), TicketRow.number.desc()).limit(max(1, limit)))
        return self._tickets(query)

    def received_by_agent(self, agent: str, limit: int = 50) -> list[Ticket]:
        """Orders an agent answered that still wait for their first step (status received),
        oldest first: the calls whose matter is not written down yet."""
        query = (select(TicketRow).options(selectinload(TicketRow.history))
                 .where(TicketRow.agent == agent, TicketRow.status == Status.RECEIVED.value)
                 .order_by(TicketRow.created_at, TicketRow.number).limit(max(1, limit)))
        with self._session() as session:
            return [ticket_of(row, self.tz) for row in session.scalars(query).all()]

    def orders_of_caller(self, caller: str, before: datetime | None = None, limit: int = 5) -> list[Ticket]:
        """The caller's earlier orders, newest first (the agent's screen pop: has this citizen called
        about this before, and what became of it?)."""
        if not caller:
            return []
        query = (select(TicketRow).options(selectinload(TicketRow.history))
                 .where(TicketRow.caller == caller).order_by(TicketRow.created_at.desc()).limit(max(1, limit)))
        if before is not None:
            query = query.where(TicketRow.created_at < before)
        with self._session() as session:
            return [ticket_of(row, self.tz) for row in session.scalars(query).all()]

    def order_with_history(self, linkedid: str, limit: int = 5) -> tuple[Ticket, list[Ticket]]:
        """The call's order and the caller's earlier ones (the screen pop); TicketNotFound when the
        intake has not written the order yet."""
        ticket = self.by_linkedid(linkedid)
        earlier = self.orders_of_caller(ticket.caller, before=ticket.created_at, limit=limit) \
            if ticket.caller else []
        return ticket, earlier

    def _tickets(self, query) -> list[Ticket]:
        with self._session() as session:
            return [ticket_of(row, self.tz) for row in session.scalars(query).all()]


def raw_facts(session, since: datetime | None, until: datetime | None) -> tuple[list[CallFact], list[OrderGroup]]:
    """The offered calls and the orders of [since, until), counted from the raw rows."""
    dispatched = TicketRow.dispatch_count > 0
    replied = TicketRow.replied_at.is_not(None)
    unit = case((dispatched, TicketRow.unit)).label("unit")
    order_q = (select(TicketRow.line, TicketRow.department, unit, func.count(),
                      func.count().filter(TicketRow.status == Status.CLOSED.value),
                      func.count().filter(dispatched), func.count().filter(replied),
                      func.count().filter(replied, TicketRow.replied_on_time.is_(True)),
                      func.count(TicketRow.rating), func.coalesce(func.sum(TicketRow.rating), 0),
                      func.count().filter(or_(TicketRow.overdue, TicketRow.sign_late)))
               .group_by(TicketRow.line, TicketRow.department, unit))
    calls = calls_store.report_facts(session, since, until)
    orders = [OrderGroup(line, dep, unit_, Figures(
                  received=n, on_the_spot=spot, dispatched=disp, replied=rep, on_time=on_time,
                  rated=rated, rating_sum=int(rating_sum), overdue=late))
              for line, dep, unit_, n, spot, disp, rep, on_time, rated, rating_sum, late
              in session.execute(_between(order_q, since, until))]
    return calls, orders


def _between(query, since: datetime | None, until: datetime | None):
    """Orders taken in within [since, until) (either end open when None)."""
    return calls_store.within(query, TicketRow.created_at, since, until)


def _newest(query, limit: int):
    return query.order_by(TicketRow.created_at.desc(), TicketRow.number.desc()).limit(max(1, limit))
