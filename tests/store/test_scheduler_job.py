"""The sweep as an APScheduler job: started, it escalates an overdue order on its own."""
from __future__ import annotations

import time

import pytest

from ivr.errors import StoreError
from ivr.scheduler import SWEEP_JOB, build_scheduler, run_sweep, sweep_job
from ivr.store import TicketStore
from ivr.store.engine import create
from support import at

T0 = at("2020-06-01 10:00")
INTAKE = dict(line="12345", department="centre", mode="main", queue="q12345", agent="agent1")


def _dispatched(store) -> str:
    number = store.create_ticket_for_answer("1.1", at=T0, **INTAKE)[0].number
    store.apply(number, "dispatch", "sup", T0, unit="water", category="consultation")
    return number


def test_the_scheduled_job_escalates_overdue_orders(store):
    number = _dispatched(store)
    scheduler = build_scheduler(store, lambda: at("2020-06-05 09:00"), interval_s=0.2)
    try:
        scheduler.start()
        deadline = time.monotonic() + 10
        while not store.get(number).order.escalated and time.monotonic() < deadline:
            time.sleep(0.05)
        assert scheduler.get_job(SWEEP_JOB) is not None
    finally:
        scheduler.shutdown(wait=True)
    order = store.get(number).order
    assert order.escalated and order.overdue and order.sign_late


def test_the_clock_decides_not_the_wall_clock(store):
    number = _dispatched(store)
    assert run_sweep(store, lambda: at("2020-06-01 11:00")) == []  # inside the 2 hours
    assert [s for _, s in run_sweep(store, lambda: at("2020-06-01 12:00"))] == ["mark_overdue", "escalate"]
    assert store.get(number).order.sign_late


def test_the_job_survives_a_database_outage(policy):
    broken = TicketStore(create("postgresql://postgres@127.0.0.1:1/test"), policy)  # nothing listens
    try:
        with pytest.raises(StoreError, match="unavailable"):
            run_sweep(broken, lambda: T0)
        assert sweep_job(broken, lambda: T0) == []  # logged; the next run tries again
    finally:
        broken.close()


def test_interval_must_be_positive(store):
    with pytest.raises(ValueError):
        build_scheduler(store, lambda: T0, interval_s=0)


def test_the_recordings_jobs_are_scheduled_with_the_settings(store, tmp_path):
    from ivr.scheduler import LEFTOVERS_JOB, SPACE_JOB
    from ivr.settings import Settings

    settings = Settings.from_env({"IVR_RECORDINGS_DIR": str(tmp_path), "IVR_DATA_DIR": str(tmp_path)})
    scheduler = build_scheduler(store, lambda: T0, settings=settings, run_now=False)
    assert scheduler.get_job(LEFTOVERS_JOB) is not None and scheduler.get_job(SPACE_JOB) is not None
    assert build_scheduler(store, lambda: T0, run_now=False).get_job(SPACE_JOB) is None


def test_the_leftovers_job_sweeps_and_survives_a_missing_folder(tmp_path):
    import os

    from ivr.recordings.leftovers import STALE_S
    from ivr.scheduler import leftovers_job
    from ivr.settings import Settings

    settings = Settings.from_env({"IVR_RECORDINGS_DIR": str(tmp_path / "recordings")})
    assert leftovers_job(settings).removed == []       # no folder yet: nothing to do
    (tmp_path / "recordings").mkdir()
    (tmp_path / "recordings" / "1.wav").write_bytes(b"RIFF")
    (tmp_path / "recordings" / "1.opus.part").write_bytes(b"")
    then = time.time() - STALE_S - 1
    os.utime(tmp_path / "recordings" / "1.opus.part", (then, then))
    assert leftovers_job(settings).removed == ["1.opus.part: an unfinished compression"]
    assert (tmp_path / "recordings" / "1.wav").exists()


def test_the_space_watch_warns_when_low_again_while_low_and_says_when_it_is_back(tmp_path):
    import structlog

    from ivr.scheduler import SPACE_REPEAT_S, SpaceWatch
    from ivr.settings import Settings

    clock = {"now": 0.0}
    low = Settings.from_env({"IVR_RECORDINGS_DIR": str(tmp_path), "IVR_RECORDINGS_MIN_FREE_MB": "999999"})
    watch = SpaceWatch(low, wall_clock=lambda: clock["now"])
    with structlog.testing.capture_logs() as logs:
        assert watch().low
        clock["now"] = 60
        watch()                                      # still low: said a minute ago already
        clock["now"] = 60 + SPACE_REPEAT_S
        watch()                                      # still low, ten minutes on: said again
        watch.settings = Settings.from_env({"IVR_RECORDINGS_DIR": str(tmp_path), "IVR_RECORDINGS_MIN_FREE_MB": "1"})
        assert not watch().low
        watch()
    assert [e["event"] for e in logs] == ["recordings.disk_low", "recordings.disk_low", "recordings.disk_ok"]
    assert logs[0]["min_free_mb"] == 999999 and logs[0]["log_level"] == "warning"
    gone = SpaceWatch(Settings.from_env({"IVR_RECORDINGS_DIR": str(tmp_path / "nowhere")}))()
    assert gone.low and gone.error        # a folder that cannot be read is no reassurance


def test_the_nightly_recount_counts_yesterday_and_the_nights_missed(store):
    from datetime import date

    from ivr.scheduler import RECOUNT_JOB, recount_job
    from ivr.store import daily_figures

    store.recount_day(date(2020, 6, 1), T0)          # a night that ran
    days = recount_job(store, lambda: at("2020-06-05 03:10"))
    assert days == [date(2020, 5, 28), date(2020, 5, 29), date(2020, 5, 30), date(2020, 5, 31),
                    date(2020, 6, 2), date(2020, 6, 3), date(2020, 6, 4)]
    with store._session() as session:
        assert daily_figures.counted_days(session, None, None) == \
            [date(2020, 5, d) for d in (28, 29, 30, 31)] + [date(2020, 6, d) for d in (1, 2, 3, 4)]
    trigger = build_scheduler(store, lambda: T0, run_now=False).get_job(RECOUNT_JOB).trigger
    assert "hour='3'" in str(trigger) and "minute='10'" in str(trigger)
