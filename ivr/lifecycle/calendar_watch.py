"""The running engine's eye on the holiday calendar: the warning in the log, once a day.

While a year without a confirmed holiday list is near (or here), the engine logs
``calendar.unconfirmed`` at warning level with the year, the days left and what to do, once per
day of the centre, and at start. It also computes the statutory calendar of this year and the
next ahead of time (the first computation imports the library), so no call waits for it.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime

from ivr.core.holiday_calendar import CalendarWarning, warning
from ivr.core.rules import Rules
from ivr.logs import get_logger

log = get_logger("ivr.calendar")
CHECK_EVERY_S = 300.0


class CalendarWatch:
    """Checks the calendar of the rules in force against the clock, logging the warning at most
    once per day."""

    def __init__(self, rules: Callable[[], Rules], clock: Callable[[], datetime]) -> None:
        self.rules, self.clock = rules, clock
        self.logged_on: date | None = None

    def check(self) -> CalendarWarning | None:
        """The warning due now (logged if not yet today), or None."""
        rules = self.rules()
        today = self.clock().astimezone(rules.centre.timezone).date()
        rules.calendar.warm(today.year, today.year + 1)
        due = warning(rules.calendar, today)
        if due is not None and self.logged_on != today:
            log.warning("calendar.unconfirmed", year=due.year, days_left=due.days_left, message=due.text())
            self.logged_on = today
        return due

    async def run(self, stop: asyncio.Event, every: float = CHECK_EVERY_S) -> None:
        """Check now, then every ``every`` seconds until ``stop``; a failure is logged, never raised
        (the calendar's warning must not stop the engine)."""
        while not stop.is_set():
            try:
                await asyncio.get_running_loop().run_in_executor(None, self.check)
            except Exception as err:  # noqa: BLE001 - logged; the next check tries again
                log.error("calendar.check_failed", error=str(err))
            try:
                await asyncio.wait_for(stop.wait(), every)
            except asyncio.TimeoutError:
                pass
