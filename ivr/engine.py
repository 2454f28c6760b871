"""The engine's parts in one process: FastAGI routing, the AMI listener, the sweep scheduler.

``ivr serve`` runs two processes under :mod:`ivr.supervisor`: routing (:data:`ROUTING`: FastAGI,
the call log, the notices and callbacks boards read from files) and the centre (:data:`CENTRE`:
intake, console, callbacks, sweeps); ``ivr serve --parts routing|centre`` is one of them, and runs
:func:`run`. Routing's process imports no SQL and no console: what it needs from the centre's
database reaches it as board files (:mod:`ivr.boards`, written by the centre's
:mod:`ivr.lifecycle.board_writer`). Each process has one rules watcher (reloaded on change) and
one clock; the centre one ticket store:

* FastAGI (``route``) answers Asterisk on the call path; it needs no database, so routing goes
  on when the database is away;
* the AMI listener turns answers (and the citizens' ratings) into facts for the intake, which
  spools them to disk at once and applies them to the work orders in order (:mod:`ivr.ami.intake`);
* APScheduler sweeps overdue work orders onto the supervision list;
* the staff console (:mod:`ivr.web`): the web pages, and its own AMI feed of agents' states; a
  console that cannot start is logged and leaves the rest running;
* the callback worker (:mod:`ivr.ami.callbacks`) dials the citizens who asked to be called back
  as agents free up; routing reads the incident notices and each number's callback requests from
  board files the centre rewrites from the database (:mod:`ivr.agi.notice_board`,
  :mod:`ivr.agi.callback_board`);
* the holiday calendar's warning, logged once a day while a year without a confirmed list is
  near (:mod:`ivr.lifecycle.calendar_watch`).

Every part follows routing_rules.yaml (:func:`follow`): routing swaps the rules in, the work
orders' deadline calendar is rebuilt from them, each part reports the version it holds
(:mod:`ivr.lifecycle.parts`), and a file edited by hand is recorded as a version. Routing logs
every decision to the call log on disk (:mod:`ivr.agi.call_log`); the work-order part takes it
into the database for the impact preview (:mod:`ivr.lifecycle.ingest`).

A stop (SIGTERM or SIGINT) is orderly and exits 0: no new facts are taken, every fact received is
on disk, what the database takes within a few seconds is applied (the rest waits in the spool
for the next start), then the database is closed.

``ivr agi serve`` runs the first part alone.
"""
from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ivr.clock import make_clock
from ivr import data_folder
from ivr.agi.call_log import CallLog
from ivr.agi.handlers import HANDLERS, AgiContext
from ivr.rules_watch import RulesWatcher
from ivr.agi.server import AgiServer, Limits
from ivr.agi.stats import AgiStats
from ivr.logs import get_logger
from ivr.rules_file import TextKeepingLoader, load_rules
from ivr.settings import Settings

log = get_logger("ivr.engine")

# The parts `ivr serve` runs; `--without PART` leaves one out.
PARTS = ("agi", "ami", "scheduler", "web", "callbacks")
# Which process each runs in (`ivr serve --parts routing|centre`): routing needs no database.
ROUTING = frozenset({"agi"})
CENTRE = frozenset({"ami", "scheduler", "web", "callbacks"})
PROCESSES = {"routing": ROUTING, "centre": CENTRE}


@dataclass
class Options:
    """What ``ivr serve`` / ``ivr agi serve`` may override of the settings."""

    host: str | None = None
    port: int | None = None
    rules_file: Path | None = None
    clock: str | None = None
    write_mode: Literal["mset", "set"] = "mset"
    stats_file: Path | None = None
    reload_interval: float = 1.0
    max_connections: int = 512
    sweep_interval: float = 60.0
    stop_grace: float = 5.0   # seconds a stop gives the database to take the facts in hand
    parts: set[str] = field(default_factory=lambda: set(PARTS))


def build_agi(settings: Settings, options: Options):
    """(server, watcher, clock): the FastAGI server and what it shares with the other parts."""
    stats = AgiStats()
    watcher = RulesWatcher(options.rules_file or settings.rules_path, TextKeepingLoader(),
                           interval=options.reload_interval, on_change=lambda info: stats.set_rules(**info))
    clock = make_clock(options.clock or settings.clock, watcher.rules.centre.timezone)
    ctx = AgiContext(rules=watcher, clock=clock, stats=stats,
                     call_log=CallLog(data_folder.call_log(settings.data_dir)))
    server = AgiServer(HANDLERS, ctx, limits=Limits(max_connections=options.max_connections), stats=stats,
                       write_mode=options.write_mode,
                       stats_file=options.stats_file or data_folder.agi_stats(settings.data_dir))
    return server, watcher, clock


def build_intake(settings: Settings, store, watcher: RulesWatcher, clock):
    """The intake (spool and applier threads) writing to ``store``, not yet started."""
    from ivr.ami.intake import Intake
    from ivr.ami.ledger import StoreLedger
    from ivr.spool import Spool
    from ivr.recordings import Manifest

    ledger = StoreLedger(store, lambda: watcher.rules, settings.recordings_dir,
                         manifest=Manifest(settings.recordings_dir, clock), callback_per_day=settings.callback_per_day)
    return Intake(Spool(data_folder.intake_spool(settings.data_dir)), ledger,
                  status_path=data_folder.intake_status(settings.data_dir))


def build_listener(settings: Settings, intake, clock):
    """The AMI listener feeding ``intake``, with the engine's generated AMI account."""
    from ivr.ami.listener import AmiListener, QueueLogCursor
    from ivr.asterisk.layout import Layout
    from ivr.asterisk.secrets import load as load_secrets
    from ivr.asterisk.secrets import secrets_path

    secrets = load_secrets(secrets_path(settings.data_dir))
    layout = Layout.from_settings(settings)
    cursor = QueueLogCursor(layout.log / "queue_log", data_folder.queue_log_offset(settings.data_dir))
    return AmiListener(host=settings.ami_host, port=settings.ami_port, username=secrets.ami_user,
                       secret=secrets.ami_secret, intake=intake, queue_log=cursor, clock=clock)


def build_callbacks(settings: Settings, store, watcher: RulesWatcher, clock):
    """The callback worker on its own AMI connection (the callbacks' account, the only one that may
    originate), not yet started."""
    from ivr.ami.callbacks import CallbackWorker
    from ivr.asterisk.secrets import load as load_secrets
    from ivr.asterisk.secrets import secrets_path
    from ivr.core.callbacks import CallbackPolicy
    from ivr.store.surges import SurgeStore

    secrets = load_secrets(secrets_path(settings.data_dir))
    if not secrets.callbacks_ami_secret:  # secrets of a version before the callbacks had their own account
        log.error("engine.no_callbacks_account", reason="no AMI account for the callbacks yet: "
                  "`ivr asterisk up` renders it; until then no callback is dialled")
    policy = CallbackPolicy(tries=settings.callback_tries, retry_after_s=int(settings.callback_retry_after),
                            ring_s=int(settings.callback_ring))
    return CallbackWorker(host=settings.ami_host, port=settings.ami_port, username=secrets.callbacks_ami_user,
                          secret=secrets.callbacks_ami_secret, surges=SurgeStore(store.engine),
                          rules=lambda: watcher.rules, policy=policy, clock=clock)


def _open_store(settings: Settings, options: Options):
    """The ticket store. A database that is down at start-up must not stop routing: the store is
    then opened without migrating, and the listener spools until the database answers. A database
    newer than this code stops the start (SchemaTooNew says which revisions and what to do)."""
    from ivr.errors import SchemaTooNew, StoreError
    from ivr.store import open_store, policy_for, pre_upgrade_folder, store_for

    rules = load_rules(options.rules_file or settings.rules_path)
    try:
        return store_for(settings, rules)
    except SchemaTooNew:
        raise
    except StoreError as err:
        log.error("engine.store_unavailable", error=str(err))
        return open_store(settings.database_url, policy_for(rules), migrate=False,
                          backup_dir=pre_upgrade_folder(settings))


def follow(settings: Settings, options: Options, watcher: RulesWatcher, store, clock) -> list:
    """Make the parts in ``options.parts`` follow the watcher's rules; returns what to stop."""
    from ivr.lifecycle import parts

    routing = "agi" in options.parts
    work_orders = bool({"ami", "scheduler"} & options.parts)
    recorder = None
    if work_orders:
        from ivr.lifecycle.recorder import DiskEditRecorder
        from ivr.store import policy_for
        from ivr.store.rules_versions import RulesVersions

        texts = getattr(watcher.loader, "texts", None)
        recorder = DiskEditRecorder(RulesVersions(store.engine), watcher.path, clock, texts).start()

    def follower(w: RulesWatcher) -> None:
        held = (watcher.path, w.rules.sha256, w.loaded_at, w.last_error)
        if routing:
            parts.write(settings.data_dir, "routing", *held)
        if work_orders:
            if store.policy.calendar != w.rules.calendar or store.policy.tz != w.rules.centre.timezone:
                store.policy = policy_for(w.rules)
                log.info("engine.calendar_followed", sha256=w.rules.sha256)
            parts.write(settings.data_dir, "work_orders", *held)
            recorder.notify(w.rules.sha256)

    watcher.followers.append(follower)
    follower(watcher)
    return [recorder] if recorder else []


def _stop_following(settings: Settings, followers: list) -> None:
    from ivr.lifecycle import parts

    for part in parts.PARTS:
        parts.remove(settings.data_dir, part)
    for thing in followers:
        thing.stop()


async def run(settings: Settings, options: Options, stop: asyncio.Event | None = None) -> None:
    """Run the chosen parts until ``stop`` is set (or SIGINT/SIGTERM), then stop them in order."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests)
            pass
    settings.secure()
    server, watcher, clock = build_agi(settings, options)
    centre = bool(options.parts & CENTRE)
    store = _open_store(settings, options) if centre else None
    listener = scheduler = intake = console = watching = callbacks = calendar = boards = None
    call_log = server.context.call_log
    followers = follow(settings, options, watcher, store, clock)
    try:
        if "agi" in options.parts:
            host = options.host or settings.agi_host
            port = options.port if options.port is not None else settings.agi_port
            call_log.start()
            from ivr.agi.callback_board import CallbackBoard
            from ivr.agi.notice_board import NoticeBoard
            board = NoticeBoard(data_folder.notices_board(settings.data_dir))
            server.context.notices = board
            callbacks_board = CallbackBoard(data_folder.callbacks_board(settings.data_dir),
                                            per_day=settings.callback_per_day)
            server.context.callbacks = callbacks_board
            await server.start(host, port)
            server.add_background(watcher.run())
            server.add_background(board.run())
            server.add_background(callbacks_board.run())
            log.info("engine.agi", host=host, port=port)
        else:
            watching = asyncio.create_task(watcher.run())
        if "ami" in options.parts:
            from ivr.lifecycle.ingest import Ingester, asterisk_records
            from ivr.store.routed_calls import RoutedCalls

            followers.append(Ingester(call_log.spool, RoutedCalls(store.engine), asterisk_records(settings)).start())
            intake = build_intake(settings, store, watcher, clock).start()
            listener = build_listener(settings, intake, clock)
            await listener.start()
            log.info("engine.ami", host=settings.ami_host, port=settings.ami_port)
        if centre:
            from ivr.lifecycle.board_writer import BoardWriter
            from ivr.store.surges import SurgeStore

            writer = BoardWriter(SurgeStore(store.engine), settings.data_dir, clock,
                                 lambda: watcher.rules.centre.timezone)
            boards = asyncio.create_task(writer.run(), name="boards")
        if "scheduler" in options.parts:
            from apscheduler.schedulers.asyncio import AsyncIOScheduler

            from ivr.scheduler import build_scheduler
            scheduler = build_scheduler(store, clock, interval_s=options.sweep_interval,
                                        scheduler=AsyncIOScheduler(timezone=store.tz), settings=settings)
            scheduler.start()
        if "callbacks" in options.parts:
            callbacks = build_callbacks(settings, store, watcher, clock)
            await callbacks.start()
            log.info("engine.callbacks", tries=callbacks.policy.tries, ring_s=callbacks.policy.ring_s)
        if "web" in options.parts:
            from ivr.web.service import run_console
            console = asyncio.create_task(run_console(settings, store, watcher, clock, stop), name="console")
        if "agi" in options.parts or centre:  # routing follows the calendar; so do the deadlines
            from ivr.lifecycle.calendar_watch import CalendarWatch
            calendar = asyncio.create_task(CalendarWatch(lambda: watcher.rules, clock).run(stop), name="calendar")
        await stop.wait()
        log.info("engine.stopping")
    finally:
        stop.set()
        if console is not None:
            await asyncio.gather(console, return_exceptions=True)
        if calendar is not None:
            await asyncio.gather(calendar, return_exceptions=True)
        if boards is not None:
            boards.cancel()
            await asyncio.gather(boards, return_exceptions=True)
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if callbacks is not None:
            await callbacks.stop()
        if listener is not None:
            await listener.stop()
        if intake is not None:
            await loop.run_in_executor(None, intake.stop, options.stop_grace)
        if "agi" in options.parts:
            await server.stop()
            await loop.run_in_executor(None, call_log.stop)
        if watching is not None:
            watching.cancel()
        await loop.run_in_executor(None, _stop_following, settings, followers)
        if store is not None:
            store.close()
        log.info("engine.stopped")
