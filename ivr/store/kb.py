"""The knowledge base in the ticket database: import by stable key, and search on Chinese text.

Search, per word of the query (all words must match; only articles valid at ``now``):

* SQLite: a word of 3 or more characters is looked up in the FTS5 trigram index (``kb_fts``);
  a shorter word (trigram's limit: "停水" is two characters) falls back to LIKE on
  ``search_text``, which scans. Without FTS5 trigram every word uses LIKE.
* PostgreSQL: ILIKE on ``search_text``; the pg_trgm GIN index (when the migration could create
  it) serves words of 3 or more characters, shorter ones scan.

Titles that match come first. Figures measured on this machine are in the README.
"""
from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import Engine, case, inspect, literal_column, or_, select, text
from sqlalchemy.orm import sessionmaker

from ivr.core.kb import Article, query_terms
from ivr.store.models import ArticleRow
from ivr.store.sessions import transaction

TRIGRAM = 3


class KnowledgeBase:
    """Articles keyed by their stable key; :meth:`search` finds those valid at a time."""

    def __init__(self, engine: Engine, tz: tzinfo) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._tz = tz
        self._sqlite = engine.dialect.name == "sqlite"
        self._fts = self._sqlite and "kb_fts" in inspect(engine).get_table_names()

    @property
    def index(self) -> str:
        """Which index serves words of 3+ characters (for messages and the README's figures)."""
        if self._sqlite:
            return "sqlite-fts5-trigram" if self._fts else "sqlite-like"
        return "postgresql-pg_trgm-ilike"

    def upsert(self, article: Article, now: datetime) -> str:
        """Add or update the article with ``article.key``: 'added', 'updated' or 'unchanged'."""
        with transaction(self._sessions, "knowledge base") as session:
            row = session.scalars(select(ArticleRow).where(ArticleRow.key == article.key)).one_or_none()
            if row is not None and _article(row, self._tz) == article:
                return "unchanged"
            outcome = "updated" if row is not None else "added"
            if row is None:
                row = ArticleRow(key=article.key)
                session.add(row)
            row.title, row.body, row.department = article.title, article.body, article.department
            row.tags, row.valid_from, row.valid_until = ",".join(article.tags), article.valid_from, article.valid_until
            row.search_text, row.source, row.updated_at = article.search_text, article.source, now
            session.flush()
            if self._fts:
                session.execute(text("DELETE FROM kb_fts WHERE rowid = :id"), {"id": row.id})
                session.execute(text("INSERT INTO kb_fts (rowid, title, tags, body) VALUES (:id, :t, :g, :b)"),
                                {"id": row.id, "t": article.title, "g": " ".join(article.tags),
                                 "b": article.body})
            return outcome

    def get(self, key: str) -> Article | None:
        with transaction(self._sessions, "knowledge base") as session:
            row = session.scalars(select(ArticleRow).where(ArticleRow.key == key)).one_or_none()
            return None if row is None else _article(row, self._tz)

    def count(self) -> int:
        with transaction(self._sessions, "knowledge base") as session:
            return len(session.scalars(select(ArticleRow.id)).all())

    def search(self, query: str, now: datetime, limit: int = 10) -> list[Article]:
        """Articles valid at ``now`` containing every word of ``query``, title matches first."""
        terms = query_terms(query)
        if not terms:
            return []
        stmt = select(ArticleRow).where(
            or_(ArticleRow.valid_from.is_(None), ArticleRow.valid_from <= now),
            or_(ArticleRow.valid_until.is_(None), ArticleRow.valid_until > now))
        for n, term in enumerate(terms):
            if self._fts and len(term) >= TRIGRAM:
                phrase = '"' + term.replace('"', '""') + '"'  # one FTS5 string: no query syntax
                match = text(f"kb_fts MATCH :fts{n}").bindparams(**{f"fts{n}": phrase})
                stmt = stmt.where(ArticleRow.id.in_(
                    select(literal_column("rowid")).select_from(text("kb_fts")).where(match)))
            else:
                stmt = stmt.where(ArticleRow.search_text.ilike(_contains(term), escape="\\"))
        in_title = case((ArticleRow.title.ilike(_contains(terms[0]), escape="\\"), 0), else_=1)
        stmt = stmt.order_by(in_title, ArticleRow.title).limit(max(1, min(limit, 50)))
        with transaction(self._sessions, "knowledge base") as session:
            return [_article(row, self._tz) for row in session.scalars(stmt)]


def _contains(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _article(row: ArticleRow, tz: tzinfo) -> Article:
    def local(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(tz)

    return Article(key=row.key, title=row.title, body=row.body, department=row.department,
                   tags=tuple(t for t in (row.tags or "").split(",") if t),
                   valid_from=local(row.valid_from), valid_until=local(row.valid_until), source=row.source)
