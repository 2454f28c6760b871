"""The retention run as the engine's scheduled job: registered only with a period, holds read from
the database first, nothing removed when the database cannot say what is held."""
from __future__ import annotations

from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from ivr import recordings as rec
from ivr.scheduler import RETENTION_JOB, SWEEP_JOB, build_scheduler, retention_job
from ivr.settings import Settings
from ivr.store import TicketStore
from ivr.store.audit import AuditStore
from ivr.store.engine import create
from support import at

NOW = at("2020-12-01 03:00")


def settings_for(tmp_path, days: str | None) -> Settings:
    env = {"IVR_DATA_DIR": str(tmp_path / "var"), "IVR_RECORDINGS_DIR": str(tmp_path / "rec")}
    if days:
        env["IVR_RECORDINGS_KEEP_DAYS"] = days
    return Settings.from_env(env)


def listed(settings: Settings, *names: str) -> None:
    settings.recordings_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        (settings.recordings_dir / name).write_bytes(name.encode())
        rec.append(settings.recordings_dir, settings.recordings_dir / name, name, NOW - timedelta(days=400))


def test_the_job_is_there_only_with_a_period(store, tmp_path):
    with_period = build_scheduler(store, lambda: NOW, scheduler=BackgroundScheduler(), settings=settings_for(tmp_path, "90"))
    without = build_scheduler(store, lambda: NOW, scheduler=BackgroundScheduler(), settings=settings_for(tmp_path, None))
    assert {SWEEP_JOB, RETENTION_JOB} <= {j.id for j in with_period.get_jobs()}
    assert SWEEP_JOB in {j.id for j in without.get_jobs()} and RETENTION_JOB not in {j.id for j in without.get_jobs()}


def test_the_job_keeps_held_recordings(store, tmp_path):
    settings = settings_for(tmp_path, "365")
    listed(settings, "a.wav", "b.wav")
    AuditStore(store.engine, store.tz).hold("12345-20200601-000001", "b.wav", "诉讼", "chen", NOW)
    result = retention_job(settings, store, lambda: NOW)
    assert result.removed == ["a.wav"] and (settings.recordings_dir / "b.wav").exists()


def test_nothing_is_removed_when_the_holds_cannot_be_read(store, tmp_path, policy):
    settings = settings_for(tmp_path, "365")
    listed(settings, "a.wav")
    away = TicketStore(create("postgresql+psycopg://nobody@127.0.0.1:1/none"), policy)
    try:
        assert retention_job(settings, away, lambda: NOW) is None
    finally:
        away.close()
    assert (settings.recordings_dir / "a.wav").exists() and rec.removals(settings.recordings_dir) == []
