"""Small builders shared by the tests (importable because setup.cfg puts tests/ on the path)."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
RULES_FILE = REPO / "routing_rules.yaml"
CST = ZoneInfo("Asia/Shanghai")


def wait_until(predicate, timeout: float = 5.0, step: float = 0.01) -> bool:
    """Poll ``predicate`` until it is true (True) or ``timeout`` seconds pass (False)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def migrate(engine, how, revision: str) -> None:
    """Run an Alembic command (``alembic.command.upgrade``/``downgrade``) to ``revision`` on ``engine``."""
    from ivr.store.engine import _alembic_config

    config = _alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        how(config, revision)
        connection.commit()


def at(text: str) -> datetime:
    """A time in the centre's zone from 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)


def migrate(engine, how, revision: str) -> None:
    """Step the database of ``engine`` with Alembic's ``how`` (command.upgrade / command.downgrade)
    to ``revision``, as the store's own upgrade does (a live connection handed in)."""
    from ivr.store.engine import _alembic_config

    config = _alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        how(config, revision)
        connection.commit()


@contextmanager
def pg_schema(server: str, prefix: str = "ivr_test", relay: str | None = None) -> Iterator[str]:
    """A URL on a schema of its own (``<prefix>_<random>``) of the PostgreSQL at ``server`` (the
    session's ``pg_server.url``), dropped afterwards, so parallel runs never see each other's
    tables. With ``relay`` (the same server through a relay the test may cut) the URL goes there;
    the schema is still made and dropped on ``server`` directly."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(relay or server).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def asterisk_recorded(data_dir: Path, *calls: tuple[str, str, str]) -> None:
    """Asterisk's own record of calls, (unique id, number, caller) each: the IVRCALL lines its
    dialplan writes to the queue log before asking the engine, without which a call-log line does
    not feed the impact preview (ivr.lifecycle.ingest). Written now, as Asterisk would."""
    import time

    log = Path(data_dir).resolve() / "asterisk" / "log" / "queue_log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as fh:
        for uniqueid, number, caller in calls:
            fh.write(f"{int(time.time())}|{uniqueid}|NONE|NONE|IVRCALL|{number}|{caller}\n")


@contextmanager
def pg_database(server: str, original) -> Iterator[str]:
    """A URL on a new, empty database of the PostgreSQL at ``server`` (an empty machine to restore
    onto), working in the schema the URL ``original`` names; dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"ivr_restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield original.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
