"""The overdue sweep as a scheduled job: marks missed deadlines and escalates the orders.
With IVR_RECORDINGS_KEEP_DAYS set, a second job removes recordings past that period every hour
(:mod:`ivr.retention`; never those under a legal hold). Two jobs look after the recordings' disk:
every hour the leftovers of failed steps are removed (:mod:`ivr.recordings.leftovers`), and
every minute its free space is held against IVR_RECORDINGS_MIN_FREE_MB (:class:`SpaceWatch`).
Every hour citizens' numbers past their periods leave the database (:func:`numbers_job`).
Every night the daily summary of the reports is counted again from the raw rows for yesterday
(and any of the week before that no night counted: the engine was down), which heals a day the
live updates got wrong (:func:`recount_job`).

The decision is pure (:func:`ivr.core.workflow.sweep_steps`); :meth:`TicketStore.sweep` applies
it order by order; this module only runs that on a timer. ``build_scheduler(store, clock)`` gives
a long-running service an APScheduler job; ``ivr tickets sweep`` calls :func:`run_sweep` once.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler

from ivr.errors import IvrError
from ivr.logs import get_logger
from ivr.store.tickets import TicketStore

SWEEP_JOB = "ivr.tickets.sweep"
DEFAULT_INTERVAL_S = 60.0
RETENTION_JOB = "ivr.recordings.retention"
RETENTION_INTERVAL_S = 3600.0
LEFTOVERS_JOB = "ivr.recordings.leftovers"
LEFTOVERS_INTERVAL_S = 3600.0   # like the retention: the manifest is read whole each time
NUMBERS_JOB = "ivr.privacy.retention"
NUMBERS_INTERVAL_S = 3600.0
SPACE_JOB = "ivr.recordings.space"
SPACE_INTERVAL_S = 60.0
SPACE_REPEAT_S = 600.0   # while the space stays low, the warning is logged again this often
RECOUNT_JOB = "ivr.figures.recount"
RECOUNT_AT = (3, 10)     # the centre's time of night the summary is counted again (hour, minute)
RECOUNT_CATCH_UP_DAYS = 7

Clock = Callable[[], datetime]


def run_sweep(store: TicketStore, clock: Clock) -> list[tuple[str, str]]:
    """One sweep at ``clock()``: (work-order number, step) for every order it changed."""
    now = clock()
    taken = store.sweep(now)
    get_logger("ivr.scheduler").info("sweep.done", at=now.isoformat(), steps=len(taken))
    return taken


def sweep_job(store: TicketStore, clock: Clock) -> list[tuple[str, str]]:
    """The scheduled job: :func:`run_sweep`, logging a failure instead of raising it, since the
    next run catches up and a long-running service must not die of a database outage."""
    try:
        return run_sweep(store, clock)
    except IvrError as err:
        get_logger("ivr.scheduler").error("sweep.failed", error=str(err))
        return []


def run_recount(store: TicketStore, clock: Clock) -> list:
    """Count yesterday again into the daily summary, and the days of the week before it that are
    not counted yet; the days counted."""
    from datetime import timedelta

    from ivr.store import daily_figures

    now = clock()
    yesterday = now.astimezone(store.tz).date() - timedelta(days=1)
    first = yesterday - timedelta(days=RECOUNT_CATCH_UP_DAYS)
    with store._session() as session:  # noqa: SLF001 - the wiring reads what the store keeps
        counted = set(daily_figures.counted_days(session, first, yesterday))
    days = [first + timedelta(days=n) for n in range(RECOUNT_CATCH_UP_DAYS) if first + timedelta(days=n) not in counted]
    days.append(yesterday)
    for day in days:
        store.recount_day(day, now)
    get_logger("ivr.scheduler").info("recount.done", days=[d.isoformat() for d in days])
    return days


def recount_job(store: TicketStore, clock: Clock) -> list:
    """The nightly job: :func:`run_recount`, a failure logged (the report then counts the day
    from the raw rows: slower, still right; the next night tries again)."""
    try:
        return run_recount(store, clock)
    except IvrError as err:
        get_logger("ivr.scheduler").error("recount.failed", error=str(err))
        return []


def retention_job(settings, store: TicketStore, clock: Clock):
    """The scheduled retention run; the holds are read first, and when the database cannot say
    which recordings are held, nothing is removed this time."""
    from ivr.retention import run_retention
    from ivr.store.audit import AuditStore

    logger = get_logger("ivr.scheduler")
    try:
        held = AuditStore(store.engine, store.tz).held_paths()
    except IvrError as err:
        logger.error("retention.holds_unavailable", error=str(err))
        return None
    try:
        return run_retention(settings.recordings_dir, settings.recordings_keep_days, held, clock())
    except (IvrError, OSError, ValueError) as err:
        logger.error("retention.failed", error=str(err))
        return None


def numbers_job(settings, store: TicketStore, clock: Clock) -> dict[str, int] | None:
    """Citizens' numbers past their retention periods removed from the database
    (IVR_CALL_LOG_KEEP_DAYS, IVR_ORDER_NUMBERS_KEEP_DAYS) and Asterisk's rotated logs and queue
    logs after IVR_LOGS_KEEP_DAYS, each store's count logged."""
    from ivr.store.number_retention import sweep_numbers

    logger = get_logger("ivr.scheduler")
    try:
        counts = sweep_numbers(store.engine, clock(), settings.call_log_keep_days, settings.order_numbers_keep_days)
    except IvrError as err:
        logger.error("retention.numbers_failed", error=str(err))
        return None
    if any(counts.values()):
        logger.info("retention.numbers", call_log_days=settings.call_log_keep_days,
                    order_days=settings.order_numbers_keep_days, **counts)
    from ivr.asterisk.layout import Layout
    from ivr.log_retention import remove_rotated_logs

    counts["asterisk_logs"] = len(remove_rotated_logs(Layout.from_settings(settings).log,
                                                      settings.logs_keep_days, clock()))
    return counts


def leftovers_job(settings):
    """The scheduled sweep of what failed steps left beside the recordings (each removal logged)."""
    from ivr.recordings.leftovers import sweep

    try:
        return sweep(settings.recordings_dir, time.time())
    except OSError as err:
        get_logger("ivr.scheduler").error("leftovers.failed", error=str(err))
        return None


class SpaceWatch:
    """The free space of the recordings' disk, checked each minute: a warning when it goes under
    the threshold (again every :data:`SPACE_REPEAT_S` while it stays there), a line when it is back."""

    def __init__(self, settings, wall_clock: Callable[[], float] = time.monotonic) -> None:
        self.settings, self.wall_clock = settings, wall_clock
        self._warned_at: float | None = None

    def __call__(self):
        from ivr.recordings.space import recordings_space

        space = recordings_space(self.settings)
        logger, now = get_logger("ivr.scheduler"), self.wall_clock()
        if space.low:
            if self._warned_at is None or now - self._warned_at >= SPACE_REPEAT_S:
                self._warned_at = now
                logger.warning("recordings.disk_low", path=space.path, free_mb=space.free_bytes // (1 << 20),
                               min_free_mb=space.min_free_bytes // (1 << 20), error=space.error or None)
        elif self._warned_at is not None:
            self._warned_at = None
            logger.info("recordings.disk_ok", path=space.path, free_mb=space.free_bytes // (1 << 20))
        return space


def build_scheduler(store: TicketStore, clock: Clock, *, interval_s: float = DEFAULT_INTERVAL_S,
                    scheduler: BaseScheduler | None = None, run_now: bool = True,
                    settings=None) -> BaseScheduler:
    """A scheduler (not started) with the sweep job every ``interval_s`` seconds.

    Pass an ``AsyncIOScheduler`` to run inside an asyncio service (the AMI listener's loop);
    the default is a background thread. One sweep at a time (``max_instances=1``); missed runs
    are merged into one (``coalesce``), since a sweep always catches up on everything overdue.
    """
    if interval_s <= 0:
        raise ValueError(f"the sweep interval must be positive, not {interval_s}")
    scheduler = scheduler or BackgroundScheduler(timezone=store.tz)
    # The timer runs on real time; ``clock`` only says what time the sweep judges deadlines by.
    options = {"next_run_time": datetime.now(timezone.utc)} if run_now else {}
    scheduler.add_job(sweep_job, "interval", seconds=interval_s, args=(store, clock), id=SWEEP_JOB,
                      max_instances=1, coalesce=True, replace_existing=True, **options)
    scheduler.add_job(recount_job, "cron", hour=RECOUNT_AT[0], minute=RECOUNT_AT[1], timezone=store.tz,
                      args=(store, clock), id=RECOUNT_JOB, max_instances=1, coalesce=True, replace_existing=True)
    if settings is not None and settings.recordings_keep_days:
        scheduler.add_job(retention_job, "interval", seconds=RETENTION_INTERVAL_S, args=(settings, store, clock),
                          id=RETENTION_JOB, max_instances=1, coalesce=True, replace_existing=True, **options)
    if settings is not None:
        once = dict(max_instances=1, coalesce=True, replace_existing=True, **options)
        scheduler.add_job(leftovers_job, "interval", seconds=LEFTOVERS_INTERVAL_S, args=(settings,),
                          id=LEFTOVERS_JOB, **once)
        scheduler.add_job(SpaceWatch(settings), "interval", seconds=SPACE_INTERVAL_S, id=SPACE_JOB, **once)
        scheduler.add_job(numbers_job, "interval", seconds=NUMBERS_INTERVAL_S, args=(settings, store, clock),
                          id=NUMBERS_JOB, **once)
    return scheduler
