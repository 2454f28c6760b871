"""The daily summary's tables (:mod:`ivr.store.daily_figures`): the additive figures of each day
per line, department and unit, and which days were counted again from the raw rows.

Apart from :mod:`ivr.store.models` only for length; the same Base, so the migrations and the
model check see them (:mod:`ivr.migrations.env` imports this module).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ivr.store.models import Base, UtcDateTime

# the additive figures, one column each, named as ivr.core.kpi.Figures names them
FIGURE_COLUMNS = ("offered", "answered", "called_back", "callbacks", "left_informed", "abandoned",
                  "abandoned_before_queue", "received", "on_the_spot", "dispatched", "replied", "on_time",
                  "rated", "rating_sum", "overdue", "answered_within", "answer_wait")


class DailyFiguresRow(Base):
    """One day's figures of one line (of one department) and unit ("": calls, and orders not
    dispatched), kept in the same transaction as each call and order that changes them."""

    __tablename__ = "daily_figures"

    day: Mapped[date] = mapped_column(Date, primary_key=True)       # the centre's calendar day
    line: Mapped[str] = mapped_column(String(32), primary_key=True)
    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit: Mapped[str] = mapped_column(String(64), primary_key=True)
    offered: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    called_back: Mapped[int] = mapped_column(Integer, default=0)
    callbacks: Mapped[int] = mapped_column(Integer, default=0)
    left_informed: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[int] = mapped_column(Integer, default=0)
    abandoned_before_queue: Mapped[int] = mapped_column(Integer, default=0)
    received: Mapped[int] = mapped_column(Integer, default=0)
    on_the_spot: Mapped[int] = mapped_column(Integer, default=0)
    dispatched: Mapped[int] = mapped_column(Integer, default=0)
    replied: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    answered_within: Mapped[int] = mapped_column(Integer, default=0)
    answer_wait: Mapped[int] = mapped_column(Integer, default=0)


class CountedDayRow(Base):
    """A day counted again from the raw rows (the nightly recount, ``ivr report --recount``):
    the report reads only these days from the summary, every other day from the raw rows."""

    __tablename__ = "daily_figures_counted"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    counted_at: Mapped[datetime] = mapped_column(UtcDateTime)
