"""``ivr health`` reads its figures from where the service keeps them (parts' status files, the
spool, the database, the disk, the certificate) and exits with the verdict's level. Asterisk
itself is read in the end-to-end test (``tests/e2e/test_backup_e2e.py``)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from ivr.spool import Spool
from ivr.core import call_events as ce
from ivr.core.health import Level
from ivr.core.holiday_calendar import days_left
from ivr.lifecycle import parts
from ivr.ops.health import CachedVerdict, gather, verdict
from ivr.rules_file import digest, load_rules, read_text
from ivr.settings import Settings
from ivr.store.engine import head_revision, open_engine
from support import REPO

IVR = str(Path(sys.executable).with_name("ivr"))
NOW = datetime.now(timezone.utc)


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    shutil.copyfile(REPO / "routing_rules.yaml", tmp_path / "routing_rules.yaml")
    return {"IVR_DATA_DIR": str(tmp_path / "data"), "IVR_RECORDINGS_DIR": str(tmp_path / "rec"),
            "IVR_RULES": str(tmp_path / "routing_rules.yaml"),
            "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'ivr.sqlite3'}"}


@pytest.fixture
def settings(env) -> Settings:
    return Settings.from_env(env)


def certificate(folder: Path, days: int) -> None:
    folder.mkdir(parents=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", str(days), "-subj", "/CN=127.0.0.1", "-keyout", str(folder / "asterisk.key"),
                    "-out", str(folder / "asterisk.crt")], check=True, capture_output=True)


def test_the_figures_come_from_where_the_service_keeps_them(settings):
    open_engine(settings.database_url).dispose()
    sha = digest(read_text(settings.rules_path))
    parts.write(settings.data_dir, "routing", settings.rules_path, sha, time.time())
    parts.write(settings.data_dir, "work_orders", settings.rules_path, "b" * 64, time.time(), "line 7: bad")
    old = ce.Entered(ce.CallInfo("1780.1"), "q12345", NOW - timedelta(minutes=5))
    Spool(settings.data_dir / "ami" / "spool").append([old])
    certificate(settings.data_dir / "secrets" / "tls", days=10)
    try:
        figures = gather(settings, REPO / "trunks", NOW)
    finally:
        for part in ("routing", "work_orders"):
            parts.remove(settings.data_dir, part)
    assert figures.rules_sha256 == sha
    assert {(p.part, p.pid, p.sha256) for p in figures.parts} == {("routing", os.getpid(), sha),
                                                                  ("work_orders", os.getpid(), "b" * 64)}
    assert (figures.intake.pending, figures.intake.set_aside) == (1, 0)
    assert figures.intake.oldest_pending_at == old.at and figures.intake.spool_bytes > 0
    assert (figures.database.reachable, figures.database.revision) == (True, head_revision())
    assert figures.disk.free_bytes > 0 and figures.disk.total_bytes >= figures.disk.free_bytes
    assert 9 <= (figures.tls_expires_at - NOW).days <= 10
    assert figures.calendar_days_left == days_left(load_rules(settings.rules_path).calendar, NOW.date())
    assert figures.asterisk.running is False   # no Asterisk on this data folder
    checks = {c.name: c.level for c in verdict(settings, REPO / "trunks", now=NOW)[1].checks}
    assert checks["intake"] is Level.DEGRADED and checks["tls"] is Level.DEGRADED
    assert checks["part:routing"] is Level.DOWN  # its status file is gone with the part


def test_a_database_newer_than_the_code_is_down_and_a_missing_one_is_not_created(settings):
    assert gather(settings, REPO / "trunks", NOW).database.error.startswith("no database at")
    assert not Path(settings.database_url.removeprefix("sqlite:///")).exists()
    engine = open_engine(settings.database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    database = gather(settings, REPO / "trunks", NOW).database
    assert (database.reachable, database.revision, database.newer) == (True, "9999", True)


def test_the_command_exits_with_the_level(env, settings):
    done = subprocess.run([IVR, "health", "--json"], env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    data = json.loads(done.stdout)
    assert data["status"] == "down" and data["exit"] == 2
    by_name = {c["name"]: c for c in data["checks"]}
    assert by_name["asterisk"]["level"] == "down" and by_name["part:routing"]["level"] == "down"
    assert by_name["disk"]["free_bytes"] > 0 and isinstance(by_name["calendar"]["days_left"], int)
    text_run = subprocess.run([IVR, "health", "--expect", "console", "--disk-warn-gb", "100000"],
                              env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
    lines = text_run.stdout.splitlines()
    assert lines[-1] == "health: down (exit 2)" and text_run.returncode == 2
    assert any(line.startswith("DEGRADED  disk ") and "under 97.7 TiB" in line for line in lines), lines
    assert not any("part:routing" in line for line in lines)  # only the part expected


def test_metrics_read_the_verdict_at_most_every_ttl_seconds():
    reads = []
    cached = CachedVerdict(None, None, ttl=3600, read=lambda: reads.append(1) or ("figures", "verdict"))
    assert cached() == cached() == ("figures", "verdict") and len(reads) == 1
    cached.ttl = 0
    cached()
    assert len(reads) == 2
