"""Upgrades that keep the data: a database made by an earlier revision of the schema, with work
orders in it, is copied and migrated to this code's newest revision (taken from Alembic, never
written here) with every row it held; a database newer than the code is refused, naming both
revisions, and the engine does not start on it."""
from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, select, text

from ivr.errors import SchemaTooNew, StoreError
from ivr.processes import stop_process
from ivr.store import open_store
from ivr.store.engine import _alembic_config, create, current_revision, open_engine, upgrade
from support import REPO, at, migrate

IVR = str(Path(sys.executable).with_name("ivr"))


def alembic_head() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def previous_of(revision: str) -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_revision(revision).down_revision


def rows(engine) -> dict[str, list[tuple]]:
    """Every row of every table (but Alembic's own), by table, in primary-key order."""
    meta = MetaData()
    meta.reflect(bind=engine)
    out = {}
    with engine.connect() as connection:
        for name, table in sorted(meta.tables.items()):
            if name == "alembic_version" or name.startswith("kb_fts"):
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            out[name] = [tuple(r) for r in connection.execute(select(*table.columns).order_by(*order))]
    return out


def columns(engine) -> dict[str, list[str]]:
    found = inspect(engine)
    return {t: [c["name"] for c in found.get_columns(t)] for t in found.get_table_names()}


def same_rows_in(engine, before: dict[str, list[tuple]], cols: dict[str, list[str]]) -> None:
    """Every row held before is still there with the same values (in the columns it had)."""
    meta = MetaData()
    meta.reflect(bind=engine)
    with engine.connect() as connection:
        for name, old in before.items():
            table = meta.tables[name]
            order = list(table.primary_key.columns) or [table.c[c] for c in cols[name]]
            now = [tuple(r) for r in connection.execute(
                select(*[table.c[c] for c in cols[name]]).order_by(*order))]
            assert now == old, f"table {name} changed in the upgrade"


START = datetime(2026, 3, 2, 9, 0)


def first_revision_orders(engine, count: int = 25) -> None:
    """Work orders as revision 0001 wrote them: tickets, their history, ratings and calls."""
    meta = MetaData()
    meta.reflect(bind=engine)
    tickets, events, ratings, calls = (meta.tables[n] for n in ("tickets", "ticket_events", "ratings", "calls"))
    with engine.begin() as connection:
        for n in range(1, count + 1):
            at = START + timedelta(minutes=7 * n)
            closed = n % 3 == 0
            connection.execute(tickets.insert().values(
                id=n, number=f"12345-20260302-{n:06d}", linkedid=f"1772413200.{n}", uniqueid=f"1772413200.{n}",
                created_at=at, caller=f"139051300{n:02d}", line="12345", department="centre", mode="main",
                queue="q12345", agent=f"agent{n % 8 + 1}", recording_path=f"/srv/rec/2026/03/02/{n}.opus",
                recording_sha256=f"{n:064x}", recording_size=1000 + n, category="consultation",
                urgent=n % 7 == 0, status="closed" if closed else "dispatched", unit=None if closed else "water",
                sign_by=None if closed else at + timedelta(hours=2), deadline=None if closed else at + timedelta(days=1),
                signed_at=None, replied_at=None, replied_on_time=None, closed_at=at if closed else None,
                overdue=False, sign_late=False, escalated=n % 5 == 0, supervised=False,
                dispatch_count=0 if closed else 1, rating=n % 5 + 1 if closed else None,
                rated_at=at if closed else None, version=2))
            connection.execute(events.insert(), [
                {"ticket_id": n, "seq": 1, "event": "received", "actor": "engine", "at": at, "data": "{}"},
                {"ticket_id": n, "seq": 2, "event": "close" if closed else "dispatch", "actor": "li",
                 "at": at + timedelta(minutes=3), "data": '{"unit": "water"}'}])
            if closed:
                connection.execute(ratings.insert().values(ticket_id=n, rating=n % 5 + 1, at=at, source="ivr"))
            connection.execute(calls.insert().values(
                linkedid=f"1772413200.{n}", uniqueid=f"1772413200.{n}", started_at=at, ended_at=at + timedelta(minutes=4),
                caller=f"139051300{n:02d}", line="12345", department="centre", mode="main", queue="q12345",
                outcome="answered", wait_seconds=n))


def test_a_database_of_the_first_revision_keeps_every_order_through_the_upgrade(store_url, tmp_path, policy):
    engine = create(store_url)
    try:
        migrate(engine, command.upgrade, "0001")
        first_revision_orders(engine)
        held, cols = rows(engine), columns(engine)
        assert len(held["tickets"]) == 25 and len(held["ratings"]) == 8
        backups = tmp_path / "pre-upgrade"
        assert upgrade(engine, backups) == ("0001", alembic_head())
        assert current_revision(engine) == alembic_head()
        same_rows_in(engine, held, cols)
    finally:
        engine.dispose()
    copies = list(backups.iterdir())
    assert [c.name.endswith(f"-0001-to-{alembic_head()}") for c in copies] == [True]
    if store_url.startswith("sqlite"):  # the copy is the database as it was: revision 0001, 25 orders
        copy = sqlite3.connect(copies[0] / "database.sqlite3")
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert copy.execute("SELECT count(*) FROM tickets").fetchone() == (25,)
        copy.close()
    else:
        assert (copies[0] / "database.pgdump").stat().st_size > 1000
    store = open_store(store_url, policy)  # and the code of today reads them
    try:
        ticket = store.get("12345-20260302-000003")
        assert (ticket.status.value, ticket.caller, ticket.order.rating, ticket.recording_size) == \
            ("closed", "13905130003", 4, 1003)
        assert [e.event for e in store.get("12345-20260302-000004").history] == ["received", "dispatch"]
    finally:
        store.close()


def test_the_newest_migration_keeps_orders_written_by_todays_code(store_url, tmp_path, policy):
    """Orders made through the store, the database stepped back to the revision before the
    newest one, then upgraded by the parts' own path: nothing held before is lost."""
    store = open_store(store_url, policy)
    try:
        for n in range(6):
            store.create_ticket_for_answer(f"1772500000.{n}", at=at("2026-03-02 09:00") + timedelta(minutes=n), caller=f"1390000000{n}",
                                           line="12345", department="centre", mode="main", queue="q12345",
                                           agent="agent1", recording_path=f"2026/03/02/{n}.opus")
        engine = store.engine
        migrate(engine, command.downgrade, previous_of(alembic_head()))
        held, cols = rows(engine), columns(engine)
        assert len(held["tickets"]) == 6
        assert upgrade(engine, tmp_path / "copies") == (previous_of(alembic_head()), alembic_head())
        same_rows_in(engine, held, cols)
    finally:
        store.close()
    assert len(list((tmp_path / "copies").iterdir())) == 1


def test_a_fresh_database_is_created_without_a_copy(store_url, tmp_path):
    engine = open_engine(store_url, backup_dir=tmp_path / "copies")
    engine.dispose()
    assert not (tmp_path / "copies").exists()


def test_a_copy_that_cannot_be_made_stops_the_upgrade(store_url, tmp_path):
    engine = create(store_url)
    try:
        migrate(engine, command.upgrade, "0001")
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("x")
        with pytest.raises(StoreError, match="needs migrating from 0001 to .* its copy before that failed"):
            upgrade(engine, blocker)
        assert current_revision(engine) == "0001"
    finally:
        engine.dispose()


def newer(store_url: str) -> None:
    engine = open_engine(store_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    finally:
        engine.dispose()


def test_a_database_newer_than_the_code_is_refused_naming_both_revisions(store_url):
    newer(store_url)
    with pytest.raises(SchemaTooNew) as refused:
        open_engine(store_url)
    message = str(refused.value)
    assert "9999_from_the_future" in message and f"its newest is {alembic_head()}" in message
    assert "Run that version" in message and "pre-upgrade" in message
    engine = create(store_url)
    try:
        assert current_revision(engine) == "9999_from_the_future"  # left as it was
    finally:
        engine.dispose()


def test_the_engine_and_the_commands_refuse_a_newer_database(store_url, tmp_path):
    newer(store_url)
    env = {"PATH": "/usr/bin:/bin", "IVR_DATA_DIR": str(tmp_path / "data"), "IVR_DATABASE_URL": store_url,
           "IVR_RECORDINGS_DIR": str(tmp_path / "rec"), "IVR_RULES": str(REPO / "routing_rules.yaml"),
           "IVR_AGI_PORT": "1", "IVR_AMI_PORT": "1", "IVR_WEB_PORT": "1"}
    for argv in (["serve"], ["db", "upgrade"], ["tickets", "list"], ["db", "status"]):
        done = subprocess.run([IVR, *argv], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 78, (argv, done.stdout, done.stderr)
        assert "is at schema revision 9999_from_the_future, which this code does not know" in done.stderr, argv
        assert "Traceback" not in done.stderr


def test_the_engine_upgrades_the_database_itself_after_copying_it(store_url, tmp_path):
    """A new version of the engine started on the database of an old one: `ivr serve` copies it
    into <data_dir>/backups/pre-upgrade/, migrates it, and every order is still there."""
    engine = create(store_url)
    try:
        migrate(engine, command.upgrade, "0001")
        first_revision_orders(engine, count=5)
        held, cols = rows(engine), columns(engine)
    finally:
        engine.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("IVR_")},
           "IVR_DATA_DIR": str(tmp_path / "data"), "IVR_RECORDINGS_DIR": str(tmp_path / "rec"),
           "IVR_DATABASE_URL": store_url, "IVR_AGI_PORT": str(port)}
    log = tmp_path / "engine.log"
    with log.open("w") as out:
        # the centre opens the database (routing never does): its sweeps alone are enough here
        serving = subprocess.Popen([IVR, "serve", "--parts", "centre", "--without", "ami", "--without", "web",
                                    "--without", "callbacks"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        boards = tmp_path / "data" / "boards" / "notices.json"  # written once the database is open
        while not boards.exists() and serving.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "store.copied_before_upgrade" in log.read_text(), log.read_text()
    finally:
        stop_process(serving, grace=10)
    copies = list((tmp_path / "data" / "backups" / "pre-upgrade").iterdir())
    assert len(copies) == 1 and copies[0].name.endswith(f"-0001-to-{alembic_head()}")
    engine = create(store_url)
    try:
        assert current_revision(engine) == alembic_head()
        same_rows_in(engine, held, cols)
    finally:
        engine.dispose()
