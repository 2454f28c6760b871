"""Retention of citizens' numbers: the call log after IVR_CALL_LOG_KEEP_DAYS, the orders' numbers
after the archive period (the matter kept), stale failed logins and sessions; run hourly by the
scheduler, each removal counted and logged."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from ivr.scheduler import NUMBERS_JOB, build_scheduler, numbers_job
from ivr.settings import Settings
from ivr.store.models import LoginFailureRow, RoutedCallRow
from ivr.store.routed_calls import RoutedCalls
from support import at

NOW = at("2023-06-01 03:00")


def _routed(at_, n: int) -> dict:
    return {"call_id": f"c{n}", "at": at_, "line": "051380000401", "caller": f"1390000{n:04d}",
            "rules_sha256": "x", "route": "queue q12345", "mode": "forward", "department": "justice"}


def test_numbers_past_their_periods_leave_the_database_and_the_matter_stays(store, tmp_path, capsys):
    old = store.create_ticket_for_answer("old.1", at=NOW - timedelta(days=1200), line="051380000401",
                                         department="water", mode="dedicated", caller="13905130001",
                                         queue="seat_water", agent="agent1")[0]
    new = store.create_ticket_for_answer("new.1", at=NOW - timedelta(days=10), line="051380000401",
                                         department="water", mode="dedicated", caller="13905130002",
                                         queue="seat_water", agent="agent1")[0]
    RoutedCalls(store.engine).add_many([_routed(NOW - timedelta(days=200), 1), _routed(NOW - timedelta(days=100), 2)])
    with store.engine.begin() as connection:
        connection.execute(LoginFailureRow.__table__.insert(), [
            {"key": "addr:10.0.0.1", "failures": 3, "last_failure_at": NOW - timedelta(days=2)}])
    settings = Settings.from_env({"IVR_DATA_DIR": str(tmp_path / "var")})
    counts = numbers_job(settings, store, lambda: NOW)
    assert (counts["routed_calls"], counts["orders"], counts["login_failures"]) == (1, 1, 1)
    assert (store.get(old.number).caller, store.get(new.number).caller) == ("", "13905130002")
    assert store.get(old.number).department == "water"
    with store.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(RoutedCallRow)) == 1
    captured = capsys.readouterr()
    assert "retention.numbers" in captured.out + captured.err
    assert numbers_job(settings, store, lambda: NOW)["orders"] == 0


def test_the_scheduler_runs_it_and_the_periods_are_settings(store, tmp_path):
    settings = Settings.from_env({"IVR_DATA_DIR": str(tmp_path / "var"), "IVR_CALL_LOG_KEEP_DAYS": "90"})
    assert (settings.call_log_keep_days, settings.order_numbers_keep_days) == (90, 1095)
    assert build_scheduler(store, lambda: NOW, run_now=False, settings=settings).get_job(NUMBERS_JOB) is not None


def test_asterisks_rotated_logs_go_after_their_period_but_never_the_live_ones(tmp_path):
    import os

    from ivr.log_retention import remove_rotated_logs

    folder = tmp_path / "log"
    folder.mkdir()
    old = (NOW - timedelta(days=200)).timestamp()
    for name in ("queue_log", "queue_log.1", "queue_log.2.gz", "messages.log", "messages.log.3.gz",
                 "security.log.1", "notes.txt"):
        (folder / name).write_text("13912345678")
        os.utime(folder / name, (old, old))
    (folder / "queue_log.3.gz").write_text("recent")
    assert remove_rotated_logs(folder, 180, NOW) == ["messages.log.3.gz", "queue_log.2.gz", "security.log.1"]
    assert sorted(p.name for p in folder.iterdir()) == ["messages.log", "notes.txt", "queue_log", "queue_log.1",
                                                         "queue_log.3.gz"]
