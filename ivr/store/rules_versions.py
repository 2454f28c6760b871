"""The rules' versions and their audit trail, in the engine's database.

* every rules text is kept once, named by its SHA-256 (``rules_texts``): the versions, and the
  candidates admins upload in the console before they are checked;
* every file put in force is a version (``rules_versions``): its text, who, when, why, and how
  (``apply``, ``rollback`` to an older version, or ``disk``: found edited by hand, whose author is
  "edited on disk"). Numbers only grow; a rollback is a new version with an older one's text;
* every step of the lifecycle is a line of the audit trail (``rules_audit``): who, when, what,
  why, the outcome and its details, refusals included.

Two processes recording the same disk edit at once record it once: a version is added under a
lock (PostgreSQL: an advisory lock; SQLite: the store's ``BEGIN IMMEDIATE``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from ivr.errors import IvrError
from ivr.rules_file import digest
from ivr.store.models import RulesAuditRow, RulesTextRow, RulesVersionRow
from ivr.store.sessions import session_of, transaction

DISK_AUTHOR = "edited on disk"
VERSIONS_LOCK = 12345_0005  # pg_advisory_xact_lock key of the rules' versions


class VersionNotFound(IvrError):
    """No rules version with that number."""

    def __init__(self, number: int) -> None:
        self.number = number
        super().__init__(f"there is no rules version {number} (`ivr rules history` lists them)")


@dataclass(frozen=True)
class Version:
    number: int
    sha256: str
    at: datetime
    author: str
    source: str
    action: str
    message: str
    restores: int | None = None
    reverted_at: datetime | None = None
    reverted_why: str | None = None

    def to_dict(self) -> dict:
        return {"number": self.number, "sha256": self.sha256, "at": self.at.isoformat(),
                "author": self.author, "source": self.source, "action": self.action,
                "message": self.message, "restores": self.restores,
                "reverted_at": self.reverted_at.isoformat() if self.reverted_at else None,
                "reverted_why": self.reverted_why}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    outcome: str
    sha256: str | None
    version: int | None
    message: str
    detail: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor, "action": self.action,
                "outcome": self.outcome, "sha256": self.sha256, "version": self.version,
                "message": self.message, "detail": self.detail}


def _version(row: RulesVersionRow) -> Version:
    return Version(row.number, row.sha256, row.at, row.author, row.source, row.action, row.message,
                   row.restores, row.reverted_at, row.reverted_why)


def _entry(row: RulesAuditRow) -> AuditEntry:
    try:
        detail = json.loads(row.detail or "{}")
    except ValueError:
        detail = {"unreadable": row.detail[:200]}
    return AuditEntry(row.id, row.at, row.actor, row.action, row.outcome, row.sha256, row.version,
                      row.message, detail)


class RulesVersions:
    """Texts, versions and the audit trail of routing_rules.yaml."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # --- texts --------------------------------------------------------------------------------

    def _keep(self, session: Session, content: str, now: datetime) -> str:
        sha = digest(content)
        if session.get(RulesTextRow, sha) is None:
            session.add(RulesTextRow(sha256=sha, content=content, size=len(content.encode("utf-8")),
                                     stored_at=now))
            session.flush()
        return sha

    def keep_text(self, content: str, now: datetime) -> str:
        """Keep ``content`` (once); returns its SHA-256."""
        with transaction(self._sessions, "rules") as session:
            return self._keep(session, content, now)

    def text(self, sha256: str) -> str | None:
        with session_of(self._sessions, "rules") as session:
            row = session.get(RulesTextRow, sha256)
            return row.content if row else None

    # --- versions -----------------------------------------------------------------------------

    def _lock(self, session: Session) -> None:
        if session.bind.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": VERSIONS_LOCK})

    def _latest(self, session: Session) -> RulesVersionRow | None:
        return session.scalars(select(RulesVersionRow).where(RulesVersionRow.reverted_at.is_(None))
                               .order_by(RulesVersionRow.number.desc()).limit(1)).first()

    def add(self, content: str, *, author: str, source: str, action: str, message: str,
            now: datetime, restores: int | None = None) -> Version:
        """A new version in force with ``content``."""
        with transaction(self._sessions, "rules") as session:
            self._lock(session)
            sha = self._keep(session, content, now)
            row = RulesVersionRow(sha256=sha, at=now, author=author[:100], source=source, action=action,
                                  message=message, restores=restores)
            session.add(row)
            session.flush()
            return _version(row)

    def record_disk_edit(self, content: str, now: datetime) -> Version | None:
        """Record ``content``, found in force on disk, as a version by "edited on disk" unless it is
        already the version in force (an apply records its own before it writes the file)."""
        sha = digest(content)
        with transaction(self._sessions, "rules") as session:
            self._lock(session)
            latest = self._latest(session)
            if latest is not None and latest.sha256 == sha:
                return None
            self._keep(session, content, now)
            row = RulesVersionRow(sha256=sha, at=now, author=DISK_AUTHOR, source="disk", action="disk",
                                  message="the file was changed by hand, not through `ivr rules apply`"
                                  if latest is not None else "the file in force when versions were first kept")
            session.add(row)
            session.flush()
            self._audit(session, DISK_AUTHOR, "edited_on_disk", "ok", now, sha, row.number, row.message)
            return _version(row)

    def mark_reverted(self, number: int, why: str, now: datetime) -> None:
        """Version ``number`` did not stay in force: a part could not follow and the file was put back."""
        with transaction(self._sessions, "rules") as session:
            row = session.get(RulesVersionRow, number)
            if row is None:
                raise VersionNotFound(number)
            row.reverted_at, row.reverted_why = now, why

    def in_force(self) -> Version | None:
        """The newest version that was not reverted: what the database says is in force."""
        with session_of(self._sessions, "rules") as session:
            row = self._latest(session)
            return _version(row) if row else None

    def get(self, number: int) -> tuple[Version, str]:
        """Version ``number`` and its text."""
        with session_of(self._sessions, "rules") as session:
            row = session.get(RulesVersionRow, number)
            if row is None:
                raise VersionNotFound(number)
            return _version(row), session.get(RulesTextRow, row.sha256).content

    def history(self, limit: int = 100) -> list[Version]:
        """The versions, newest first."""
        with session_of(self._sessions, "rules") as session:
            rows = session.scalars(select(RulesVersionRow).order_by(RulesVersionRow.number.desc())
                                   .limit(limit)).all()
            return [_version(r) for r in rows]

    # --- the audit trail ------------------------------------------------------------------------

    def _audit(self, session: Session, actor: str, action: str, outcome: str, now: datetime,
               sha256: str | None = None, version: int | None = None, message: str = "",
               detail: dict[str, Any] | None = None) -> RulesAuditRow:
        row = RulesAuditRow(at=now, actor=actor[:100], action=action, outcome=outcome, sha256=sha256,
                            version=version, message=message or "",
                            detail=json.dumps(detail or {}, ensure_ascii=False, default=str))
        session.add(row)
        session.flush()
        return row

    def audit(self, actor: str, action: str, outcome: str, now: datetime, *, sha256: str | None = None,
              version: int | None = None, message: str = "", detail: dict[str, Any] | None = None) -> AuditEntry:
        """Add one line to the audit trail."""
        with transaction(self._sessions, "rules") as session:
            return _entry(self._audit(session, actor, action, outcome, now, sha256, version, message, detail))

    def trail(self, limit: int = 200, actions: tuple[str, ...] | None = None) -> list[AuditEntry]:
        """The audit trail, newest first (only ``actions`` when given)."""
        with session_of(self._sessions, "rules") as session:
            query = select(RulesAuditRow).order_by(RulesAuditRow.id.desc()).limit(limit)
            if actions:
                query = query.where(RulesAuditRow.action.in_(actions))
            return [_entry(r) for r in session.scalars(query).all()]
