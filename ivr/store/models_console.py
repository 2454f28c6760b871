"""The console's sessions, held on the server (apart from :mod:`ivr.store.models` only for length;
the same Base, so the migrations and the model check see them).

A signed cookie alone cannot be taken back: logging out, a password change or disabling a user
must end a session at once, so the cookie only names a row here (by the SHA-256 of a random
token: reading the table does not give anyone a usable cookie), and the row decides.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ivr.store.models import Base, UtcDateTime


class ConsoleSessionRow(Base):
    """One login to the console: who, from where, when, and when and why it ended."""

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_user", "username", "address"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)   # sha256 of the cookie's token
    username: Mapped[str] = mapped_column(String(64))
    epoch: Mapped[int] = mapped_column(Integer)                       # the user's session_epoch then
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ended_why: Mapped[str] = mapped_column(String(16), default="")   # logout | password | disabled
