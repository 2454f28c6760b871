"""Sessions on the engine's database for every store (work orders, users, drafts, knowledge base):
a database that is away becomes a :class:`~ivr.errors.StoreError` naming what was unavailable,
never a driver traceback."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ivr.errors import StoreError


@contextmanager
def transaction(sessions: sessionmaker, what: str) -> Iterator[Session]:
    """A session inside a transaction, committed on success and rolled back on error."""
    try:
        with sessions() as session, session.begin():
            yield session
    except (OperationalError, InterfaceError) as err:
        raise StoreError(f"the {what} database is unavailable: {_reason(err)}") from None


@contextmanager
def session_of(sessions: sessionmaker, what: str) -> Iterator[Session]:
    """A session outside any explicit transaction (reads), with the same error translation."""
    try:
        with sessions() as session:
            yield session
    except (OperationalError, InterfaceError) as err:
        raise StoreError(f"the {what} database is unavailable: {_reason(err)}") from None


def _reason(err: Exception) -> str:
    return str(getattr(err, "orig", None) or err).strip().splitlines()[0]
