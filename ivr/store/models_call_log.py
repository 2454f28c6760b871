"""The call log's way into the impact preview: lines waiting for Asterisk's own record of the call.

The routing engine's call log is written from what reaches the FastAGI port, which anyone on the
machine can speak: a line alone proves nothing. A line feeds the preview (``routed_calls``) only
once Asterisk's own record of that call is read: the ``IVRCALL`` line its dialplan writes to the
queue log for every call before asking the engine (:mod:`ivr.lifecycle.ingest`). Until then the
line waits here, and so does a record whose line has not come yet; what is not matched within
the grace period is dropped and counted per day.

Apart from :mod:`ivr.store.models` only for length; the same Base, so the migrations and the
model check see them (:mod:`ivr.migrations.env` imports this module).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ivr.store.models import Base, UtcDateTime


class CallLogPendingRow(Base):
    """A call-log line waiting for Asterisk's record of its call (several may claim one call id:
    a forged line is not let in by a real one's id)."""

    __tablename__ = "call_log_pending"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    line: Mapped[str] = mapped_column(String(40))
    caller: Mapped[str] = mapped_column(String(64), default="")
    rules_sha256: Mapped[str] = mapped_column(String(64), default="")
    route: Mapped[str] = mapped_column(String(160), default="")
    mode: Mapped[str] = mapped_column(String(16), default="")
    department: Mapped[str] = mapped_column(String(64), default="")
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime)    # when it was taken in (the grace runs from here)

    __table_args__ = (Index("ix_call_log_pending_call", "call_id"),
                      Index("ix_call_log_pending_taken", "taken_at"))


class AsteriskCallRow(Base):
    """Asterisk's own record of a call that reached the routing step (the queue log's IVRCALL)."""

    __tablename__ = "asterisk_calls"

    uniqueid: Mapped[str] = mapped_column(String(80), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    line: Mapped[str] = mapped_column(String(40))
    caller: Mapped[str] = mapped_column(String(64), default="")
    read_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_asterisk_calls_read", "read_at"),)


class CallLogDroppedRow(Base):
    """Call-log lines dropped on a day (by the line's time): no matching call in Asterisk's records."""

    __tablename__ = "call_log_dropped"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)   # YYYY-MM-DD (UTC)
    lines: Mapped[int] = mapped_column(Integer, default=0)
