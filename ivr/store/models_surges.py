"""The surges' tables: callbacks (回拨) and their tries, incident notices, callers who left informed.

Apart from :mod:`ivr.store.models` only for length; the same Base, so the migrations and the
model check see them (:mod:`ivr.migrations.env` imports this module).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ivr.store.models import Base, UtcDateTime


class CallbackRow(Base):
    """A caller's request to be called back (回拨): the worker resumes from these after a restart."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)   # the call the caller asked from
    queue: Mapped[str] = mapped_column(String(64))
    caller: Mapped[str] = mapped_column(String(64))        # as the carrier presented it
    number: Mapped[str] = mapped_column(String(32))        # what is dialled ("" when refused)
    line: Mapped[str] = mapped_column(String(32), default="")
    department: Mapped[str] = mapped_column(String(64), default="")
    via: Mapped[str] = mapped_column(String(16))           # queue_key | notice_key | wait_offer
    status: Mapped[str] = mapped_column(String(16))        # ivr.core.callbacks.CallbackStatus
    verdict: Mapped[str] = mapped_column(String(16), default="")   # ivr.core.callbacks.Verdict ("": before 0012)
    joined_to: Mapped[int | None] = mapped_column(Integer)  # joined: the number's open request
    tries: Mapped[int] = mapped_column(Integer, default=0)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_try_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (Index("ix_callbacks_status_next", "status", "next_try_at"),
                      Index("ix_callbacks_number_requested", "number", "requested_at"))


class CallbackTryRow(Base):
    """One try of a callback: when it rang, how it ended (answered, no_answer, busy, failed...)."""
    __tablename__ = "callback_tries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    callback_id: Mapped[int] = mapped_column(ForeignKey("callbacks.id"))
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str] = mapped_column(String(32), default="")
    linkedid: Mapped[str] = mapped_column(String(64), default="")   # the callback call's own id

    __table_args__ = (Index("ix_callback_tries_callback", "callback_id"),)


class NoticeRow(Base):
    """An incident notice (热点播报) on lines and queues for a time window (ivr.core.notices)."""
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prompt: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text, default="")
    lines: Mapped[str] = mapped_column(Text, default="")    # comma-joined canonical numbers
    queues: Mapped[str] = mapped_column(Text, default="")   # comma-joined queue ids
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LeftInformedRow(Base):
    """A caller who heard an incident notice and left with key 1: their matter is known."""
    __tablename__ = "left_informed"

    linkedid: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    line: Mapped[str] = mapped_column(String(32), default="")
    queue: Mapped[str] = mapped_column(String(64), default="")
    notice: Mapped[str] = mapped_column(String(120), default="")
