"""The engine as one long-running service: FastAGI routing, the AMI listener, the sweep scheduler.

``ivr serve`` runs :func:`run`. Each part is an adapter around the pure core, sharing one rules
watcher (reloaded on change), one clock and one ticket store:

* FastAGI (``route``) answers Asterisk on the call path; it needs no database, so routing goes
  on when the database is away;
* one AMI connection to Asterisk for events (:mod:`ivr.ami.client`, the engine's account), fanned
  out to the parts that read them: the AMI listener turns answers (and the citizens' ratings) into
  facts for the intake, which spools them to disk at once and applies them to the work orders in
  order (:mod:`ivr.ami.intake`); the ledger's word that an order is written goes to the console's
  screen pop (:func:`order_news`);
* APScheduler sweeps overdue work orders onto the supervision list;
* the staff console (:mod:`ivr.web`): the web pages, and agents' states from the same AMI
  connection; a console that cannot start is logged and leaves the rest running;
* the callback worker (:mod:`ivr.ami.callbacks`) dials the citizens who asked to be called back
  as agents free up; routing reads the incident notices and each number's callback requests from
  boards refreshed from the database (:mod:`ivr.agi.notice_board`, :mod:`ivr.agi.callback_board`);
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

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from ivr.clock import make_clock
from ivr.agi.call_log import CallLog, call_log_folder
from ivr.agi.handlers import HANDLERS, AgiContext
from ivr.agi.reloader import RulesWatcher
from ivr.agi.server import AgiServer, Limits
from ivr.agi.stats import AgiStats
from ivr.errors import AsteriskError
from ivr.logs import get_logger
from ivr.rules_file import TextKeepingLoader, load_rules
from ivr.settings import Settings

log = get_logger("ivr.engine")

# The parts `ivr serve` runs; `--without PART` leaves one out.
PARTS = ("agi", "ami", "scheduler", "web", "callbacks")


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
                     call_log=CallLog(call_log_folder(settings.data_dir)))
    server = AgiServer(HANDLERS, ctx, limits=Limits(max_connections=options.max_connections), stats=stats,
                       write_mode=options.write_mode,
                       stats_file=options.stats_file or settings.data_dir / "agi-stats.json")
    return server, watcher, clock


def build_intake(settings: Settings, store, watcher: RulesWatcher, clock, on_order=None):
    """The intake (spool and applier threads) writing to ``store``, not yet started; ``on_order``
    is told (from the applier's thread) the linkedid of each order written."""
    from ivr.ami.intake import Intake
    from ivr.ami.ledger import StoreLedger
    from ivr.ami.spool import Spool
    from ivr.recordings import Manifest

    ledger = StoreLedger(store, lambda: watcher.rules, settings.recordings_dir,
                         manifest=Manifest(settings.recordings_dir, clock), callback_per_day=settings.callback_per_day,
                         on_order=on_order)
    return Intake(Spool(spool_folder(settings)), ledger, status_path=intake_status_path(settings))


def intake_report(settings: Settings) -> dict:
    """The intake's figures (``ivr tickets intake``, /metrics): the spool and the intake's status."""
    from ivr.ami.intake_status import pipeline

    return pipeline(spool_folder(settings), intake_status_path(settings))


def spool_folder(settings: Settings) -> Path:
    return settings.data_dir / "ami" / "spool"


def intake_status_path(settings: Settings) -> Path:
    return settings.data_dir / "ami" / "intake.json"


def build_ami_client(settings: Settings):
    """The engine's one AMI connection for events (the engine's account), not yet started."""
    from ivr.ami.client import AmiClient
    from ivr.asterisk.secrets import load as load_secrets
    from ivr.asterisk.secrets import secrets_path

    secrets = load_secrets(secrets_path(settings.data_dir))
    return AmiClient(settings.ami_host, settings.ami_port, secrets.ami_user, secrets.ami_secret)


def build_listener(settings: Settings, client, intake, clock):
    """The AMI listener feeding ``intake`` from ``client``'s events."""
    from ivr.ami.listener import AmiListener, QueueLogCursor
    from ivr.asterisk.layout import Layout

    layout = Layout.from_settings(settings)
    cursor = QueueLogCursor(layout.log / "queue_log", settings.data_dir / "ami" / "queue_log.offset")
    return AmiListener(client=client, intake=intake, queue_log=cursor, clock=clock)


def build_callbacks(settings: Settings, client, store, watcher: RulesWatcher, clock):
    """The callback worker on ``client``'s events, dialling on logins of the callbacks' own account
    (the only one that may originate, one login per Originate), not yet started."""
    from ivr.ami.callbacks import CallbackWorker
    from ivr.ami.client import AmiClient
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

    def dialler() -> AmiClient:
        return AmiClient(settings.ami_host, settings.ami_port, secrets.callbacks_ami_user,
                         secrets.callbacks_ami_secret, events="off", name="callbacks-dial")

    return CallbackWorker(client=client, dialler=dialler, surges=SurgeStore(store.engine),
                          rules=lambda: watcher.rules, policy=policy, clock=clock)


def order_news(loop: asyncio.AbstractEventLoop):
    """(tell, listeners): ``tell(linkedid)`` from any thread runs every listener on ``loop``."""
    listeners: list = []

    def run(linkedid: str) -> None:
        for listener in list(listeners):
            listener(linkedid)

    def tell(linkedid: str) -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(run, linkedid)

    return tell, listeners


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
    from ivr.lifecycle.recorder import DiskEditRecorder
    from ivr.store import policy_for
    from ivr.store.rules_versions import RulesVersions

    routing = "agi" in options.parts
    work_orders = bool({"ami", "scheduler"} & options.parts)
    texts = getattr(watcher.loader, "texts", None)
    recorder = (DiskEditRecorder(RulesVersions(store.engine), watcher.path, clock, texts).start()
                if work_orders else None)

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
    store = _open_store(settings, options)
    listener = scheduler = intake = console = watching = callbacks = calendar = client = None
    tell_order, order_listeners = order_news(loop)
    call_log = server.context.call_log
    followers = follow(settings, options, watcher, store, clock)
    try:
        if "agi" in options.parts:
            host = options.host or settings.agi_host
            port = options.port if options.port is not None else settings.agi_port
            call_log.start()
            from ivr.agi.callback_board import CallbackBoard
            from ivr.agi.notice_board import NoticeBoard
            from ivr.store.surges import SurgeStore
            board = NoticeBoard(SurgeStore(store.engine), clock)
            server.context.notices = board
            callbacks_board = CallbackBoard(SurgeStore(store.engine), clock, lambda: watcher.rules.centre.timezone,
                                            per_day=settings.callback_per_day)
            server.context.callbacks = callbacks_board
            await server.start(host, port)
            server.add_background(watcher.run())
            server.add_background(board.run())
            server.add_background(callbacks_board.run())
            log.info("engine.agi", host=host, port=port)
        else:
            watching = asyncio.create_task(watcher.run())
        if {"ami", "web", "callbacks"} & options.parts:
            try:
                client = build_ami_client(settings)
            except AsteriskError as err:  # no secrets yet: a console alone still serves its pages
                if {"ami", "callbacks"} & options.parts:
                    raise
                log.warning("engine.no_ami", reason=str(err))
        if "ami" in options.parts:
            from ivr.lifecycle.ingest import Ingester, asterisk_records
            from ivr.store.routed_calls import RoutedCalls

            followers.append(Ingester(call_log.spool, RoutedCalls(store.engine), asterisk_records(settings)).start())
            intake = build_intake(settings, store, watcher, clock, on_order=tell_order).start()
            listener = build_listener(settings, client, intake, clock)
            await listener.start()
            log.info("engine.ami", host=settings.ami_host, port=settings.ami_port)
        if "scheduler" in options.parts:
            from ivr.scheduler import build_scheduler
            scheduler = build_scheduler(store, clock, interval_s=options.sweep_interval,
                                        scheduler=AsyncIOScheduler(timezone=store.tz), settings=settings)
            scheduler.start()
        if "callbacks" in options.parts:
            callbacks = build_callbacks(settings, client, store, watcher, clock)
            await callbacks.start()
            log.info("engine.callbacks", tries=callbacks.policy.tries, ring_s=callbacks.policy.ring_s)
        if "web" in options.parts:
            from ivr.lifecycle.console_feed import ConsoleFeed
            from ivr.web.service import run_console
            feed = ConsoleFeed(settings, client, order_listeners if intake else None) if client else None
            console = asyncio.create_task(run_console(settings, store, watcher, clock, stop, feed=feed,
                                                      intake_report=lambda: intake_report(settings)),
                                          name="console")
        if client is not None:
            await client.start()
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
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if callbacks is not None:
            await callbacks.stop()
        if client is not None:
            await client.stop()
        if intake is not None:
            await loop.run_in_executor(None, intake.stop, options.stop_grace)
        if "agi" in options.parts:
            await server.stop()
            await loop.run_in_executor(None, call_log.stop)
        if watching is not None:
            watching.cancel()
        await loop.run_in_executor(None, _stop_following, settings, followers)
        store.close()
        log.info("engine.stopped")
