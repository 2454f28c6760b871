"""The console's sessions on the server: opened at login, looked up on every request, ended by
logout, a password change or disabling the user (:mod:`ivr.store.models_console` says why).

    sessions.open(user, address, now) -> token      the cookie carries the token, the table its hash
    sessions.user_of(token, now) -> User | None     None: ended, expired, or the user may no longer
    sessions.end(token, now, why)                   logout
    end_all(db_session, name, now, why)             inside UserStore's password change and disabling
    sessions.usual_address(name, address, now)      has this person logged in from there lately?
    sessions.prune(before) -> int                   rows opened before ``before`` (all long expired)
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from ivr.store.models import UserRow
from ivr.store.models_console import ConsoleSessionRow
from ivr.store.sessions import session_of, transaction

MAX_AGE = timedelta(hours=12)      # one long shift: the cookie's own limit is the same
USUAL_FOR = timedelta(days=30)     # an address a person logged in from within this is theirs


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def end_all(session: Session, name: str, now: datetime, why: str) -> int:
    """End every open session of ``name`` (in the caller's transaction)."""
    result = session.execute(update(ConsoleSessionRow)
                              .where(ConsoleSessionRow.username == name, ConsoleSessionRow.ended_at.is_(None))
                              .values(ended_at=now, ended_why=why))
    return result.rowcount or 0


class ConsoleSessions:
    """Sessions in the ticket database."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def open(self, name: str, epoch: int, address: str, now: datetime) -> str:
        token = secrets.token_urlsafe(32)
        with transaction(self._sessions, "staff") as session:
            session.add(ConsoleSessionRow(id=token_id(token), username=name, epoch=epoch,
                                          address=address[:64], created_at=now, ended_why=""))
        return token

    def user_row(self, token: str, now: datetime) -> UserRow | None:
        """The user of an open, unexpired session whose user is still allowed in with it."""
        with session_of(self._sessions, "staff") as session:
            found = session.execute(
                select(UserRow).join(ConsoleSessionRow, ConsoleSessionRow.username == UserRow.name)
                .where(ConsoleSessionRow.id == token_id(token), ConsoleSessionRow.ended_at.is_(None),
                       ConsoleSessionRow.created_at > now - MAX_AGE,
                       ConsoleSessionRow.epoch == UserRow.session_epoch, UserRow.disabled.is_(False))
            ).scalars().one_or_none()
            return found

    def end(self, token: str, now: datetime, why: str = "logout") -> bool:
        with transaction(self._sessions, "staff") as session:
            result = session.execute(update(ConsoleSessionRow)
                                     .where(ConsoleSessionRow.id == token_id(token),
                                            ConsoleSessionRow.ended_at.is_(None))
                                     .values(ended_at=now, ended_why=why))
            return bool(result.rowcount)

    def usual_address(self, name: str, address: str, now: datetime) -> bool:
        with session_of(self._sessions, "staff") as session:
            return bool(session.scalar(select(exists().where(
                ConsoleSessionRow.username == name, ConsoleSessionRow.address == address[:64],
                ConsoleSessionRow.created_at > now - USUAL_FOR))))

    def prune(self, before: datetime) -> int:
        """Remove sessions opened before ``before`` (kept :data:`USUAL_FOR` to know usual addresses)."""
        with transaction(self._sessions, "staff") as session:
            result = session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.created_at < before))
            return result.rowcount or 0
