"""Migrations: a fresh database is created on open, the models match the migrations, and two
processes opening the same fresh database at once do not trip over each other."""
from __future__ import annotations

from pathlib import Path

import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ivr.errors import StoreError
from ivr.store.engine import create, current_revision, head_revision, normalise_url, open_engine, upgrade
import ivr.store.models_recordings  # noqa: F401 - its tables in Base.metadata
import ivr.store.models_call_log  # noqa: F401 - its tables in Base.metadata
import ivr.store.models_surges  # noqa: F401 - its tables in Base.metadata
import ivr.store.models_console  # noqa: F401 - its tables in Base.metadata
import ivr.store.models_media  # noqa: F401 - its tables in Base.metadata
from ivr.store.models import Base

# the newest migration shipped: revisions are numbered 0001, 0002, ... after their file names
NEWEST = max(p.name[:4] for p in (Path(__file__).resolve().parents[2] / "ivr" / "migrations" / "versions")
             .glob("[0-9][0-9][0-9][0-9]_*.py"))


def test_open_creates_the_schema_at_head(store_url):
    engine = open_engine(store_url)
    try:
        assert current_revision(engine) == head_revision() == NEWEST
        assert {"tickets", "ticket_events", "ratings", "calls", "users", "login_failures", "drafts",
                "kb_articles", "rules_texts", "rules_versions", "rules_audit", "routed_calls", "legal_holds",
                "quality_scores", "audit_heads"} <= set(inspect(engine).get_table_names())
        assert upgrade(engine) == (NEWEST, NEWEST)  # again: nothing to do
    finally:
        engine.dispose()


def test_the_models_match_the_migrations(store_url):
    engine = open_engine(store_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_name": _modelled})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def _modelled(name, type_, parent_names) -> bool:
    """The search machinery (SQLite's FTS5 tables, PostgreSQL's trigram indexes on the knowledge
    base and the caller's number) is made by the migrations alone: no model describes it."""
    return not (name or "").startswith(("kb_fts", "ix_kb_articles_trgm", "ix_tickets_caller_trgm"))


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'sub' / 'dir' / 'ivr.sqlite3'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


_OPEN = "import sys; from ivr.store.engine import open_engine; open_engine(sys.argv[1]).dispose()"


def test_processes_opening_a_fresh_database_together(store_url):
    procs = [subprocess.Popen([sys.executable, "-c", _OPEN, store_url], stderr=subprocess.PIPE)
             for _ in range(3)]
    try:
        results = [(p.wait(timeout=60), p.stderr.read().decode()) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.stderr.close()
    assert results == [(0, "")] * 3
    engine = create(store_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


@pytest.mark.parametrize("url, message", [
    ("not a url", "is not a database URL"),
    ("mysql://root@localhost/ivr", "'mysql' is not supported"),
])
def test_bad_urls_are_named(url, message):
    with pytest.raises(StoreError, match=message):
        normalise_url(url)


def test_plain_postgresql_means_psycopg3():
    assert normalise_url("postgresql://postgres@127.0.0.1/test").startswith("postgresql+psycopg://")


@pytest.mark.postgres
def test_an_unreachable_server_is_a_store_error():
    with pytest.raises(StoreError, match="cannot read the database at postgresql\\+psycopg://postgres@127.0.0.1:1/"):
        open_engine("postgresql://postgres@127.0.0.1:1/test")


def test_an_unwritable_sqlite_path_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError):
        open_engine(f"sqlite:///{blocker / 'ivr.sqlite3'}")


def test_an_upgrade_is_one_transaction(store_url):
    """A second process waiting for the lock must never see the revision half-way: on SQLite,
    Alembic committed after each migration, and a waiting process read the revision between two
    and applied the next migration twice ('table kb_articles already exists')."""
    from sqlalchemy import event

    engine = create(store_url)
    commits = []
    event.listen(engine, "commit", lambda connection: commits.append(1))
    try:
        assert upgrade(engine) == (None, head_revision())
    finally:
        engine.dispose()
    assert len(commits) == 1
