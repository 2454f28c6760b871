"""The running engine logs the holiday calendar's warning once a day while a year without a
confirmed list is near, and ahead of the first call computes the law's calendar it will need."""
from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import structlog
from structlog.testing import capture_logs

from ivr.engine import Options, run
from ivr.lifecycle.calendar_watch import CalendarWatch
from ivr.settings import Settings
from support import RULES_FILE, at, wait_until


def test_the_warning_is_logged_once_a_day_with_the_year(shipped_rules):
    now = {"t": at("2026-12-04 09:00")}
    watch = CalendarWatch(lambda: shipped_rules, lambda: now["t"])
    with capture_logs() as logs:
        assert watch.check().year == 2027
        now["t"] += timedelta(hours=14)   # 23:00 the same day
        watch.check()
        now["t"] += timedelta(hours=2)    # the next day
        watch.check()
    warned = [e for e in logs if e["event"] == "calendar.unconfirmed"]
    assert [(e["log_level"], e["year"], e["days_left"]) for e in warned] == [("warning", 2027, 28), ("warning", 2027, 27)]
    assert "State Council" in warned[0]["message"]


def test_no_warning_61_days_before():
    from ivr.rules_file import load_rules

    rules = load_rules(RULES_FILE)
    with capture_logs() as logs:
        assert CalendarWatch(lambda: rules, lambda: at("2026-11-01 10:00")).check() is None
    assert not [e for e in logs if e["event"] == "calendar.unconfirmed"]


def test_the_engine_logs_it_when_it_starts(tmp_path):
    structlog.reset_defaults()
    settings = Settings.from_env({"IVR_DATA_DIR": str(tmp_path / "var"), "IVR_RULES": str(RULES_FILE),
                                  "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.sqlite3'}",
                                  "IVR_RECORDINGS_DIR": str(tmp_path / "recordings")})
    state: dict = {}
    ready = threading.Event()

    async def main() -> None:
        state["loop"], state["stop"] = asyncio.get_running_loop(), asyncio.Event()
        ready.set()
        await run(settings, Options(port=0, parts={"agi"}, clock="2026-12-04T10:00"), state["stop"])

    with capture_logs() as logs:
        thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
        thread.start()
        assert ready.wait(10)
        try:
            assert wait_until(lambda: any(e["event"] == "calendar.unconfirmed" for e in logs), 20)
        finally:
            state["loop"].call_soon_threadsafe(state["stop"].set)
            thread.join(15)
    [warned] = [e for e in logs if e["event"] == "calendar.unconfirmed"]
    assert (warned["year"], warned["days_left"]) == (2027, 28)
    structlog.reset_defaults()
