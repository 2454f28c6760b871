"""The engine as one long-running service: FastAGI routing, the AMI listener, the sweep scheduler.

``ivr serve`` runs :func:`run`. Each part is an adapter around the pure core, sharing one rules
watcher (reloaded on change), one clock and one ticket store:

* FastAGI (``route``) answers Asterisk on the call path; it needs no database, so routing goes
  on when the database is away;
* the AMI listener turns answers (and the citizens' ratings) into facts for the intake, which
  spools them to disk at once and applies them to the work orders in order (:mod:`ivr.ami.intake`);
* APScheduler sweeps overdue work orders onto the supervision list;
* the staff console (:mod:`ivr.web`): the web pages, and its own AMI feed of agents' states; a
  console that cannot start is logged and leaves the rest running.

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
from ivr.agi.handlers import HANDLERS, AgiContext
from ivr.agi.reloader import RulesWatcher
from ivr.agi.server import AgiServer, Limits
from ivr.agi.stats import AgiStats
from ivr.logs import get_logger
from ivr.rules_file import load_rules
from ivr.settings import Settings

log = get_logger("ivr.engine")

# The parts `ivr serve` runs; `--without PART` leaves one out.
PARTS = ("agi", "ami", "scheduler", "web")


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
    watcher = RulesWatcher(options.rules_file or settings.rules_path, load_rules,
                           interval=options.reload_interval, on_change=lambda info: stats.set_rules(**info))
    clock = make_clock(options.clock or settings.clock, watcher.rules.centre.timezone)
    ctx = AgiContext(rules=watcher, clock=clock, stats=stats)
    server = AgiServer(HANDLERS, ctx, limits=Limits(max_connections=options.max_connections), stats=stats,
                       write_mode=options.write_mode,
                       stats_file=options.stats_file or settings.data_dir / "agi-stats.json")
    return server, watcher, clock


def build_intake(settings: Settings, store, watcher: RulesWatcher, clock):
    """The intake (spool and applier threads) writing to ``store``, not yet started."""
    from ivr.ami.intake import Intake
    from ivr.ami.ledger import StoreLedger
    from ivr.ami.spool import Spool
    from ivr.recordings import Manifest

    ledger = StoreLedger(store, lambda: watcher.rules, settings.recordings_dir,
                         manifest=Manifest(settings.recordings_dir, clock))
    return Intake(Spool(spool_folder(settings)), ledger, status_path=intake_status_path(settings))


def spool_folder(settings: Settings) -> Path:
    return settings.data_dir / "ami" / "spool"


def intake_status_path(settings: Settings) -> Path:
    return settings.data_dir / "ami" / "intake.json"


def build_listener(settings: Settings, intake, clock):
    """The AMI listener feeding ``intake``, with the engine's generated AMI account."""
    from ivr.ami.listener import AmiListener, QueueLogCursor
    from ivr.asterisk.layout import Layout
    from ivr.asterisk.secrets import load as load_secrets
    from ivr.asterisk.secrets import secrets_path

    secrets = load_secrets(secrets_path(settings.data_dir))
    layout = Layout.from_settings(settings)
    cursor = QueueLogCursor(layout.log / "queue_log", settings.data_dir / "ami" / "queue_log.offset")
    return AmiListener(host=settings.ami_host, port=settings.ami_port, username=secrets.ami_user,
                       secret=secrets.ami_secret, intake=intake, queue_log=cursor, clock=clock)


def _open_store(settings: Settings, options: Options):
    """The ticket store. A database that is down at start-up must not stop routing: the store is
    then opened without migrating, and the listener spools until the database answers."""
    from ivr.errors import StoreError
    from ivr.store import open_store, policy_for, store_for

    rules = load_rules(options.rules_file or settings.rules_path)
    try:
        return store_for(settings, rules)
    except StoreError as err:
        log.error("engine.store_unavailable", error=str(err))
        return open_store(settings.database_url, policy_for(rules), migrate=False)


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
    listener = scheduler = intake = console = None
    try:
        if "agi" in options.parts:
            host = options.host or settings.agi_host
            port = options.port if options.port is not None else settings.agi_port
            await server.start(host, port)
            server.add_background(watcher.run())
            log.info("engine.agi", host=host, port=port)
        if "ami" in options.parts:
            intake = build_intake(settings, store, watcher, clock).start()
            listener = build_listener(settings, intake, clock)
            await listener.start()
            log.info("engine.ami", host=settings.ami_host, port=settings.ami_port)
        if "scheduler" in options.parts:
            from ivr.scheduler import build_scheduler
            scheduler = build_scheduler(store, clock, interval_s=options.sweep_interval,
                                        scheduler=AsyncIOScheduler(timezone=store.tz), settings=settings)
            scheduler.start()
        if "web" in options.parts:
            from ivr.web.service import run_console
            console = asyncio.create_task(run_console(settings, store, watcher, clock, stop), name="console")
        await stop.wait()
        log.info("engine.stopping")
    finally:
        stop.set()
        if console is not None:
            await asyncio.gather(console, return_exceptions=True)
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if listener is not None:
            await listener.stop()
        if intake is not None:
            await loop.run_in_executor(None, intake.stop, options.stop_grace)
        if "agi" in options.parts:
            await server.stop()
        store.close()
        log.info("engine.stopped")
