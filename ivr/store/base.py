"""What every part of the ticket store shares: the engine, the deadline policy, sessions, and
finding an order's row by number or by call. Errors become :mod:`ivr.errors` values."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import tzinfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ivr.core import numbering
from ivr.core.deadlines import Policy
from ivr.errors import TicketError, TicketNotFound
from ivr.logs import get_logger
from ivr.store.models import TicketRow
from ivr.store.sessions import session_of, transaction


class StoreBase:
    """The engine, the policy and the session helpers of the ticket store."""

    def __init__(self, engine: Engine, policy: Policy, schema_ready: bool = True) -> None:
        self.engine = engine
        self.policy = policy
        self.schema_ready = schema_ready
        self.backup_dir = None  # where ensure_schema copies the database before migrating it
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._log = get_logger("ivr.store")

    @property
    def tz(self) -> tzinfo:
        return self.policy.tz

    def close(self) -> None:
        self.engine.dispose()

    def ensure_schema(self) -> None:
        """Migrate the database now if it was away when the store was opened (StoreError while it
        still is): the engine starts with the database down and catches up when it returns."""
        if not self.schema_ready:
            from ivr.store.engine import upgrade
            upgrade(self.engine, self.backup_dir)
            self.schema_ready = True
            self._log.warning("store.migrated_late", database=self.engine.url.render_as_string(hide_password=True))

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with session_of(self._sessions, "ticket") as session:
            yield session

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        try:
            with transaction(self._sessions, "ticket") as session:
                yield session
        except StaleDataError:
            raise TicketError("the work order was changed by someone else at the same time; "
                              "try again") from None

    def _by_number(self, session: Session, number: str, lock: bool = False) -> TicketRow:
        text = (number or "").strip()
        if not numbering.is_number(text):
            raise TicketError(f"{number!r} is not a work-order number like 12345-20200601-000001")
        query = select(TicketRow).where(TicketRow.number == text)
        row = session.scalars(query.with_for_update() if lock else query).one_or_none()
        if row is None:
            raise TicketNotFound(text)
        return row

    def _by_linkedid(self, session: Session, linkedid: str, lock: bool = False) -> TicketRow | None:
        query = select(TicketRow).where(TicketRow.linkedid == linkedid)
        return session.scalars(query.with_for_update() if lock else query).one_or_none()
