"""One transaction on the ticket database for the console's stores (users, drafts, knowledge
base): a database that is away becomes a :class:`~ivr.errors.StoreError` naming what was
unavailable, never a driver traceback."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ivr.errors import StoreError


@contextmanager
def transaction(sessions: sessionmaker, what: str) -> Iterator[Session]:
    """A session inside a transaction, committed on success and rolled back on error."""
    try:
        with sessions() as session, session.begin():
            yield session
    except OperationalError as err:
        reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        raise StoreError(f"the {what} database is unavailable: {reason}") from None
