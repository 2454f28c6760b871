"""Drafts of the work-order form, kept server-side per order and user as the agent types.

A call may end, a tab may close, a browser may crash: what the agent typed stays here until
the order is saved (then the draft is deleted). Each field is bounded (:data:`MAX_FIELD`) so an
autosave of a pasted megabyte cannot grow the table without limit; the form itself says its
own, smaller limits when the order is saved.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from ivr.store.models import DraftRow
from ivr.store.sessions import transaction

MAX_FIELD = 20_000  # characters kept of one draft field
MAX_FIELDS = 20


class DraftStore:
    """The form's unsaved state, keyed by (order number, user name)."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def save(self, number: str, username: str, fields: dict[str, str], now: datetime) -> None:
        """Keep ``fields`` (name -> text) as the draft of ``number`` by ``username``."""
        kept = {str(k)[:64]: str(v)[:MAX_FIELD] for k, v in list(fields.items())[:MAX_FIELDS]}
        data = json.dumps(kept, ensure_ascii=False)
        for _attempt in range(3):
            try:
                with transaction(self._sessions, "drafts") as session:
                    row = session.scalars(select(DraftRow).where(
                        DraftRow.number == number, DraftRow.username == username)).one_or_none()
                    if row is None:
                        session.add(DraftRow(number=number, username=username, data=data, updated_at=now))
                    else:
                        row.data, row.updated_at = data, now
                return
            except IntegrityError:
                continue  # two autosaves of the same draft raced: the second one updates

    def get(self, number: str, username: str) -> tuple[dict[str, str], datetime] | None:
        """(fields, when saved) of the draft, or None."""
        with transaction(self._sessions, "drafts") as session:
            row = session.scalars(select(DraftRow).where(
                DraftRow.number == number, DraftRow.username == username)).one_or_none()
            return None if row is None else (json.loads(row.data), row.updated_at)

    def numbers(self, username: str) -> set[str]:
        """The orders ``username`` has a draft of."""
        with transaction(self._sessions, "drafts") as session:
            return set(session.scalars(select(DraftRow.number).where(DraftRow.username == username)))

    def discard(self, number: str, username: str) -> None:
        with transaction(self._sessions, "drafts") as session:
            session.execute(delete(DraftRow).where(DraftRow.number == number, DraftRow.username == username))
