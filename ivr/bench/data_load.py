"""Loading a generated year (:mod:`ivr.bench.yeardata`) into a database, fast (``ivr bench data``).

Row-by-row ORM inserts would take hours for ten million calls, so the rows go in bulk: COPY on
PostgreSQL through the driver, executemany on SQLite (the driver's, with the times as the text SQLAlchemy writes). The secondary indexes and
constraints of the loaded tables are dropped first and made again at the end (one sorted build
each, instead of ten million random inserts), then the tables are analysed (and vacuumed on
PostgreSQL, so index-only scans work), as a real database's autovacuum would have done by then.
The database must be empty: this fills a database of its own, it never adds to a real one.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from sqlalchemy import Engine, text

from ivr.bench.yeardata import (
    CALL_COLUMNS,
    RATING_COLUMNS,
    TICKET_COLUMNS,
    TIME_COLUMNS,
    Day,
)
from ivr.errors import StoreError

log = structlog.get_logger(__name__)
TABLES = {"calls": CALL_COLUMNS, "tickets": TICKET_COLUMNS, "ratings": RATING_COLUMNS}


@dataclass
class Loaded:
    """What went in, and how long it took (generation and loading are interleaved: one figure)."""

    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    fill_s: float = 0.0       # generating and loading the rows
    index_s: float = 0.0      # making the indexes and constraints again, and analysing


def load(engine: Engine, days: Iterable[Day]) -> Loaded:
    """Put the generated days into the (empty, migrated) database of ``engine``."""
    _require_empty(engine)
    if engine.dialect.name == "postgresql":
        return _load_postgresql(engine, days)
    return _load_sqlite(engine, days)


def database_bytes(engine: Engine) -> int:
    """The size of the loaded tables with their indexes (PostgreSQL), or of the SQLite file."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            return int(connection.execute(text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r'")).scalar_one())
    path = Path(engine.url.database or "")
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def _require_empty(engine: Engine) -> None:
    with engine.connect() as connection:
        for name in ("calls", "tickets"):
            count = connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
            if count:
                raise StoreError(f"the database already has {count} row(s) in {name}: "
                                 "`ivr bench data` fills an empty database of its own")


def _load_postgresql(engine: Engine, days: Iterable[Day]) -> Loaded:
    loaded = Loaded()
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        with driver.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
            cursor.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                           "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace "
                           "AND conrelid::regclass::text = ANY(%s) AND contype IN ('u', 'f')",
                           (list(TABLES),))
            constraints = cursor.fetchall()
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                           "AND tablename = ANY(%s) AND indexname NOT IN "
                           "(SELECT conname FROM pg_constraint WHERE connamespace = current_schema()::regnamespace)",
                           (list(TABLES),))
            indexes = cursor.fetchall()
            for table_name, name, _ in sorted(constraints, key=lambda c: c[2].startswith("FOREIGN"), reverse=True):
                cursor.execute(f'ALTER TABLE {table_name} DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            began = time.perf_counter()
            for day in days:
                for name, rows in (("calls", day.calls), ("tickets", day.tickets), ("ratings", day.ratings)):
                    with cursor.copy(f"COPY {name} ({', '.join(TABLES[name])}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                    loaded.rows[name] += len(rows)
                log.debug("bench.data.day", day=str(day.day), calls=loaded.rows["calls"])
            loaded.fill_s = time.perf_counter() - began
            began = time.perf_counter()
            for _, definition in indexes:
                cursor.execute(definition)
            for table_name, name, definition in sorted(constraints, key=lambda c: c[2].startswith("FOREIGN")):
                cursor.execute(f'ALTER TABLE {table_name} ADD CONSTRAINT "{name}" {definition}')
            for name in TABLES:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                               f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)")
        driver.commit()
        driver.autocommit = True
        with driver.cursor() as cursor:
            for name in TABLES:
                cursor.execute(f"VACUUM ANALYZE {name}")
        driver.autocommit = False
        loaded.index_s = time.perf_counter() - began
    finally:
        raw.close()
    return loaded


def _load_sqlite(engine: Engine, days: Iterable[Day]) -> Loaded:
    loaded = Loaded()
    statements = {name: f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                  for name, columns in TABLES.items()}
    times = {name: [i for i, c in enumerate(columns) if c in TIME_COLUMNS] for name, columns in TABLES.items()}
    with engine.begin() as connection:
        indexes = connection.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('calls', 'tickets', 'ratings')")).all()
        for name, _ in indexes:
            connection.execute(text(f'DROP INDEX "{name}"'))
        began = time.perf_counter()
        for day in days:
            for name, rows in (("calls", day.calls), ("tickets", day.tickets), ("ratings", day.ratings)):
                if rows:
                    connection.exec_driver_sql(statements[name], [_sqlite_row(row, times[name]) for row in rows])
                loaded.rows[name] += len(rows)
        loaded.fill_s = time.perf_counter() - began
        began = time.perf_counter()
        for _, sql in indexes:
            connection.execute(text(sql))
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    loaded.index_s = time.perf_counter() - began
    return loaded


def count_rows(engine: Engine) -> dict[str, int]:
    """The rows of each loaded table (for a database filled by an earlier run)."""
    with engine.connect() as connection:
        return {name: connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in TABLES}


def _sqlite_row(row: tuple, times: list[int]) -> tuple:
    """The row with its times as the text SQLAlchemy keeps in SQLite ("2025-01-01 08:00:00.000000"),
    so that the store's comparisons and sorting see them exactly as its own writes."""
    values = list(row)
    for i in times:
        if values[i] is not None:
            values[i] = values[i].isoformat(" ", "microseconds")
    return tuple(values)
