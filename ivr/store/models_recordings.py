"""The recording checks: what each answered call's recording was found to hold when the call ended.

Apart from :mod:`ivr.store.models` only for length; the same Base, so the migrations and the model
check see them (:mod:`ivr.migrations.env` imports this module).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ivr.store.models import Base, UtcDateTime


class RecordingCheckRow(Base):
    """One work order's recording held against its call's talk time (ivr.core.recording_check).

    Written in two steps: the talk time when Asterisk reports the conversation over (AgentComplete,
    or the queue log), then the verdict with its figures when the recording is hashed, in the same
    transaction as the hash goes on the order: no order gets a hash without its verdict."""

    __tablename__ = "recording_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)        # the bridge, as Asterisk counted it
    ended_by: Mapped[str] = mapped_column(String(16), default="")     # caller | agent | transfer
    verdict: Mapped[str | None] = mapped_column(String(16))          # None: not judged yet
    recorded_seconds: Mapped[float | None] = mapped_column(Float)     # read from the file
    size: Mapped[int | None] = mapped_column(Integer)                 # bytes
    path: Mapped[str] = mapped_column(String(512), default="")        # the file judged (or looked for)
    reason: Mapped[str] = mapped_column(String(300), default="")      # in words, with the figures
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_recording_checks_verdict", "verdict", "checked_at"),)
