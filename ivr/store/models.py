"""The SQL tables of the ticket store (SQLAlchemy 2 declarative models).

The schema is created and changed only by the Alembic migrations in :mod:`ivr.migrations`; these
models must match them (a test compares the two). Times are stored as naive UTC and come back
aware (:class:`UtcDateTime`), so SQLite and PostgreSQL behave the same.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator):
    """An aware datetime in Python, naive UTC in the database (refuses naive input)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing to store a naive datetime {value!r}: pass it with its zone")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


LATE = "overdue OR sign_late"                  # the overdue list's orders
UNDER_SUPERVISION = "escalated OR supervised"  # the supervision list's orders
# what `ivr report` groups and counts, carried by covering indexes on the time (migration 0010)
ORDER_REPORT = ("line", "department", "unit", "status", "dispatch_count", "replied_at", "replied_on_time",
                "rating", "overdue", "sign_late")
CALL_REPORT = ("line", "department", "outcome", "stage", "door_at")


class Base(DeclarativeBase):
    pass


class TicketRow(Base):
    """One work order: the intake facts of the call, then the process's current state."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)  # Asterisk's id of the whole call
    uniqueid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    caller: Mapped[str] = mapped_column(String(64), default="")
    line: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str | None] = mapped_column(String(64))
    agent: Mapped[str | None] = mapped_column(String(64))
    recording_path: Mapped[str | None] = mapped_column(String(512))
    recording_sha256: Mapped[str | None] = mapped_column(String(64))
    recording_size: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str | None] = mapped_column(String(64))
    sign_by: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replied_on_time: Mapped[bool | None] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    sign_late: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    supervised: Mapped[bool] = mapped_column(Boolean, default=False)
    dispatch_count: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(Integer)
    rated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str | None] = mapped_column(String(100))           # written by the agent at intake
    description: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(200))
    kb_article: Mapped[str | None] = mapped_column(String(64))      # key of the article used

    history: Mapped[list["TicketEventRow"]] = relationship(
        back_populates="ticket", order_by="TicketEventRow.seq", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_tickets_created_at", "created_at"),
        Index("ix_tickets_caller_created", "caller", "created_at"),  # the caller's earlier orders
        # the staff's lists: a page of the newest orders matching one filter (migration 0010)
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_unit_created", "unit", "created_at"),
        Index("ix_tickets_department_created", "department", "created_at"),
        Index("ix_tickets_late_created", "created_at", sqlite_where=text(LATE),
              postgresql_where=text(LATE)),
        Index("ix_tickets_supervision_created", "created_at", sqlite_where=text(UNDER_SUPERVISION),
              postgresql_where=text(UNDER_SUPERVISION)),
        Index("ix_tickets_rated_at", "rated_at"),
        # `ivr report`: the period's orders with what it counts, without reading the rows
        Index("ix_tickets_report", "created_at", *ORDER_REPORT),
    )


class TicketEventRow(Base):
    """One line of a work order's history (append-only): what, who, when, data as JSON text."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    data: Mapped[str] = mapped_column(Text, default="{}")

    ticket: Mapped[TicketRow] = relationship(back_populates="history")

    __table_args__ = (UniqueConstraint("ticket_id", "seq", name="uq_ticket_events_seq"),)


class RatingRow(Base):
    """The citizen's rating of one order; the unique ticket_id makes "once" hold under races."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    rating: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(32), default="")


class CallRow(Base):
    """One call that reached a queue, keyed on Asterisk's linkedid: a caller routed to a queue
    (offered from the moment they reached its door: ``door_at``), or one of the centre's callback
    calls (no door). What became of it is ``outcome`` (ivr.core.kpi.CALL_OUTCOMES, only moving
    forward) and, for a caller who hung up unanswered, where they were (``stage``)."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    uniqueid: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    caller: Mapped[str] = mapped_column(String(64), default="")
    line: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(64), default="")
    mode: Mapped[str] = mapped_column(String(16), default="")
    queue: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # ivr.core.kpi.CALL_OUTCOMES
    wait_seconds: Mapped[int | None] = mapped_column(Integer)   # in queues, from the first joined
    door_at: Mapped[datetime | None] = mapped_column(UtcDateTime)   # reached a queue's door (offered)
    joined_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # first joined a queue
    stage: Mapped[str | None] = mapped_column(String(16))  # where an abandoned caller hung up (kpi.STAGES)

    __table_args__ = (Index("ix_calls_started_at", "started_at"),
                      Index("ix_calls_report", "started_at", *CALL_REPORT))


class UserRow(Base):
    """A member of staff who logs in to the console. ``session_epoch`` grows on every password
    change or disabling, which ends the sessions signed before it."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(64))  # an agent's id in routing_rules.yaml
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    session_epoch: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LoginFailureRow(Base):
    """Failed logins counted per key ("user:NAME" or "addr:IP"), so throttling survives restarts."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DraftRow(Base):
    """The work-order form as an agent left it, per order and user, until the order is saved."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    username: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("number", "username", name="uq_drafts_number_user"),)


class ArticleRow(Base):
    """A knowledge-base article (知识库), keyed by the stable ``key`` its file gives.

    ``search_text`` is title, tags and body in one column: what LIKE and the PostgreSQL trigram
    index search. SQLite also keeps a FTS5 trigram table (``kb_fts``) made by the migration.
    """

    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(64))
    tags: Mapped[str] = mapped_column(String(500), default="")  # comma-separated
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    search_text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RulesTextRow(Base):
    """One routing_rules.yaml text, kept whole and named by its SHA-256 (a version, a candidate
    an admin uploaded, a file found edited on disk): the same text is kept once."""

    __tablename__ = "rules_texts"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    stored_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RulesVersionRow(Base):
    """A rules file put in force: which text, who, when, why, and how (apply, rollback, disk edit).
    A rollback is a new version carrying an older one's text (``restores`` names it)."""

    __tablename__ = "rules_versions"

    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("rules_texts.sha256"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    author: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(16))     # cli | console | disk
    action: Mapped[str] = mapped_column(String(16))     # apply | rollback | disk
    message: Mapped[str] = mapped_column(Text, default="")
    restores: Mapped[int | None] = mapped_column(Integer)
    reverted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reverted_why: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_rules_versions_sha256", "sha256"),)


class RulesAuditRow(Base):
    """One step of the rules' lifecycle (upload, check, diff, preview, apply, rollback, refusal,
    disk edit): who, when, what, why and the outcome. Append-only."""

    __tablename__ = "rules_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))    # ok | refused | failed
    sha256: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")

    __table_args__ = (Index("ix_rules_audit_at", "at"),)


class RoutedCallRow(Base):
    """A call the routing engine decided: its time, the number dialled, the caller, and where it
    went under which rules. The impact preview replays these; written by the work-order part
    from the engine's call log on disk, never by the call path itself."""

    __tablename__ = "routed_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(80), unique=True)   # Asterisk's unique id of the channel
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    line: Mapped[str] = mapped_column(String(40))                   # as dialled
    caller: Mapped[str] = mapped_column(String(64), default="")
    rules_sha256: Mapped[str] = mapped_column(String(64), default="")
    route: Mapped[str] = mapped_column(String(160), default="")
    mode: Mapped[str] = mapped_column(String(16), default="")
    department: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (Index("ix_routed_calls_at", "at"),)


class LegalHoldRow(Base):
    """An auditor's legal hold on a recording: the retention period does not remove it while the
    hold stands (``released_at`` None). A released hold keeps its row: who, when, why."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32))          # the work order the recording belongs to
    path: Mapped[str] = mapped_column(String(512))           # relative to the recordings directory
    reason: Mapped[str] = mapped_column(String(500))
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_by: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_legal_holds_path", "path"),)


class QualityScoreRow(Base):
    """One quality inspection (质检) of a recorded call: the marks per criterion, the score out
    of 100, the sheet's version they were given on, and the auditor's comment."""

    __tablename__ = "quality_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    agent: Mapped[str] = mapped_column(String(64))
    auditor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    sheet_version: Mapped[str] = mapped_column(String(32))
    marks: Mapped[str] = mapped_column(Text, default="{}")
    score: Mapped[float] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_quality_scores_agent_at", "agent", "at"),
                      Index("ix_quality_scores_number", "number"))


class AuditHeadRow(Base):
    """The last entry (number and hash) of a hash-chained log, kept apart from the log's file."""

    __tablename__ = "audit_heads"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
