"""The media checks: what each answered call's two legs carried, and whether each side was heard.

Apart from :mod:`ivr.store.models` only for length; the same Base, so the migrations and the model
check see them (:mod:`ivr.migrations.env` imports this module).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ivr.store.models import Base, UtcDateTime


class MediaCheckRow(Base):
    """One answered call's media (:mod:`ivr.core.media_quality`, :mod:`ivr.core.one_way`), on the
    call (its linkedid) and its work order, written once after the hangup."""

    __tablename__ = "media_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    agent: Mapped[str] = mapped_column(String(64), default="")   # the agent's phone (PJSIP endpoint)
    trunk: Mapped[str] = mapped_column(String(64), default="")   # the caller's leg's endpoint (the carrier)
    caller_packets: Mapped[int | None] = mapped_column(Integer)  # received from the citizen's side
    caller_lost: Mapped[int | None] = mapped_column(Integer)
    agent_packets: Mapped[int | None] = mapped_column(Integer)   # received from the agent's phone
    agent_lost: Mapped[int | None] = mapped_column(Integer)
    jitter_ms: Mapped[float | None] = mapped_column(Float)       # the larger of the legs' jitters
    rtt_ms: Mapped[float | None] = mapped_column(Float)          # the larger of the legs' round trips
    agent_heard_loss: Mapped[float | None] = mapped_column(Float)   # 0..1, the citizen's voice
    caller_heard_loss: Mapped[float | None] = mapped_column(Float)  # 0..1, the agent's voice
    agent_heard_mos: Mapped[float | None] = mapped_column(Float)
    caller_heard_mos: Mapped[float | None] = mapped_column(Float)
    mos: Mapped[float | None] = mapped_column(Float)             # the worse direction; None: no figures
    silent: Mapped[str] = mapped_column(String(16), default="")  # "", "agent", "caller", "agent,caller"
    reason: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (Index("ix_media_checks_agent", "agent", "checked_at"),
                      Index("ix_media_checks_trunk", "trunk", "checked_at"),
                      Index("ix_media_checks_checked_at", "checked_at"))
