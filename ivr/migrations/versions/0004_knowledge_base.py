"""The knowledge base: articles, and a search index that works on Chinese text.

* SQLite: a FTS5 table with the trigram tokenizer (``kb_fts``, rowid = the article's id), kept
  in step by :mod:`ivr.store.kb`. An SQLite without trigram (older than 3.34) gets none, and
  the store searches with LIKE.
* PostgreSQL: a GIN trigram index (pg_trgm) on ``search_text``, which ILIKE '%...%' uses. The
  extension is created in ``public`` if it is not there yet (a database-wide object, shared by
  every schema); where it cannot be created the index is left out and ILIKE scans instead.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("department", sa.String(64), nullable=True),
        sa.Column("tags", sa.String(500), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=True),
        sa.Column("valid_until", sa.DateTime(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        try:
            with bind.begin_nested():
                bind.exec_driver_sql("CREATE VIRTUAL TABLE kb_fts USING fts5(title, tags, body, "
                                     "tokenize='trigram')")
        except DBAPIError:
            pass  # no trigram tokenizer in this SQLite: the store searches with LIKE
    elif bind.dialect.name == "postgresql":
        schema = _trigram_schema(bind)
        if schema is not None:
            op.execute(f'CREATE INDEX ix_kb_articles_trgm ON kb_articles USING gin '
                       f'(search_text "{schema}".gin_trgm_ops)')


def _trigram_schema(bind) -> str | None:
    """The schema pg_trgm lives in, creating it in public when allowed; None when unavailable."""
    query = sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                    "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")
    schema = bind.execute(query).scalar()
    if schema is not None:
        return schema
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    except DBAPIError:
        return None
    return bind.execute(query).scalar()


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("DROP TABLE IF EXISTS kb_fts")
    else:
        bind.exec_driver_sql("DROP INDEX IF EXISTS ix_kb_articles_trgm")
    op.drop_table("kb_articles")
