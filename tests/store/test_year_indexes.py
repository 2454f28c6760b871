"""Migration 0010 (the indexes for a province's year): made on upgrade, undone on downgrade back
to 0008, made again; on PostgreSQL with the report's group statistics. The plans themselves are
the benchmark's business (``ivr bench data``), not a test's."""
from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from ivr.store.engine import open_engine
from support import migrate

NEW = {"ix_tickets_status_created", "ix_tickets_unit_created", "ix_tickets_department_created",
       "ix_tickets_late_created", "ix_tickets_supervision_created", "ix_tickets_rated_at", "ix_tickets_report"}


def names(engine) -> set[str]:
    found = {i["name"] for i in inspect(engine).get_indexes("tickets")}
    return found | {i["name"] for i in inspect(engine).get_indexes("calls")}


def statistics(engine) -> set[str]:
    if engine.dialect.name != "postgresql":
        return set()
    with engine.connect() as connection:
        return set(connection.execute(text(
            "SELECT stxname FROM pg_statistic_ext WHERE stxnamespace = current_schema()::regnamespace")).scalars())


def test_0010_goes_up_down_and_up_again(store_url):
    engine = open_engine(store_url)
    try:
        pg = engine.dialect.name == "postgresql"
        assert NEW | {"ix_calls_report"} <= names(engine)
        assert statistics(engine) == ({"st_tickets_report", "st_calls_report"} if pg else set())
        migrate(engine, command.downgrade, "0009")
        assert not (NEW | {"ix_calls_report", "ix_tickets_caller_trgm"}) & names(engine)
        assert {"ix_tickets_status", "ix_tickets_unit"} <= names(engine)
        assert statistics(engine) == set()
        migrate(engine, command.upgrade, "head")
        assert NEW <= names(engine) and "ix_tickets_status" not in names(engine)
    finally:
        engine.dispose()
