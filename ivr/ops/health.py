"""``ivr health``'s figures, read from the running service; the judgement is the core's.

Each figure comes from the module that owns it: Asterisk's state and the rules its configuration
holds (:mod:`ivr.asterisk.service`, :mod:`ivr.lifecycle.asterisk_part`), the parts and the rules
version each holds (:mod:`ivr.lifecycle.parts`), the work-order pipeline
(:func:`ivr.ami.intake_status.pipeline`), the database's schema (:mod:`ivr.store.engine`), the
recordings' disk (:func:`ivr.recordings.space.recordings_space`), the TLS certificate (:mod:`ivr.asterisk.tls`). Nothing here
decides what is healthy: :func:`ivr.core.health.evaluate` does, on :class:`Figures`.

Reading them costs six ``asterisk -rx`` calls and a database connection: ``/metrics`` keeps a
verdict for :data:`CACHE_S` seconds (:class:`CachedVerdict`) rather than reading on every scrape.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path

from ivr.core import health as h
from ivr.core.rules import Rules
from ivr.errors import AsteriskError, RulesError, SchemaTooNew, StoreError
from ivr.settings import Settings

CACHE_S = 10.0


def confirmed_calendar_days_left(rules: Rules | None, today: date) -> int | None:
    """Days of the centre's *confirmed* holiday calendar left from ``today``
    (:func:`ivr.core.holiday_calendar.days_left`); None when the rules cannot be read."""
    from ivr.core.holiday_calendar import days_left

    return None if rules is None else days_left(rules.calendar, today)


def gather(settings: Settings, trunks: Path, now: datetime) -> h.Figures:
    """Every figure, read now."""
    from ivr.asterisk.tls import CERT, expires_at, tls_folder
    from ivr.lifecycle import parts
    from ivr.rules_file import digest, read_text, rules_from_text

    rules, sha, rules_error = None, None, ""
    try:
        text = read_text(settings.rules_path)
        sha = digest(text)
        rules = rules_from_text(text, str(settings.rules_path))
    except RulesError as err:
        rules_error = str(err).splitlines()[0]
    tls_error, expires = "", None
    try:
        expires = expires_at(tls_folder(settings.data_dir) / CERT)
    except AsteriskError as err:
        tls_error = str(err)
    return h.Figures(
        asterisk=_asterisk(settings, trunks, rules),
        parts=tuple(h.PartFigures(p.part, p.pid, p.sha256, p.last_error) for p in parts.running(settings.data_dir)),
        rules_sha256=sha, rules_error=rules_error, intake=_intake(settings), database=_database(settings),
        disk=_disk(settings),
        calendar_days_left=confirmed_calendar_days_left(rules, now.date()),
        tls_expires_at=expires, tls_error=tls_error)


def verdict(settings: Settings, trunks: Path, limits: h.Limits | None = None,
            now: datetime | None = None) -> tuple[h.Figures, h.Verdict]:
    moment = now or datetime.now(timezone.utc)
    figures = gather(settings, trunks, moment)
    return figures, h.evaluate(figures, moment, limits or limits_for(settings))


class CachedVerdict:
    """The verdict, read again at most every ``ttl`` seconds (for /metrics; thread-safe)."""

    def __init__(self, settings: Settings, trunks: Path, ttl: float = CACHE_S,
                 read: Callable[[], tuple[h.Figures, h.Verdict]] | None = None) -> None:
        self._read = read or (lambda: verdict(settings, trunks))
        self.ttl = ttl
        self._lock = threading.Lock()
        self._value: tuple[h.Figures, h.Verdict] | None = None
        self._at = float("-inf")

    def __call__(self) -> tuple[h.Figures, h.Verdict]:
        with self._lock:
            if self._value is None or time.monotonic() - self._at >= self.ttl:
                self._value, self._at = self._read(), time.monotonic()
            return self._value


def _asterisk(settings: Settings, trunks: Path, rules: Rules | None) -> h.AsteriskFigures:
    from ivr.asterisk import service
    from ivr.lifecycle.asterisk_part import AsteriskPart

    state = service.status(settings)
    if not state.running:
        return h.AsteriskFigures(running=False, detail=state.detail)
    if state.detail:  # running, but its CLI does not answer
        return h.AsteriskFigures(running=True, detail=state.detail)
    report = AsteriskPart(settings, trunks).status(rules)
    return h.AsteriskFigures(running=True, answering=True, version=state.version.split(" built ")[0],
                             uptime_s=state.uptime_s, rules_sha256=report.sha256, problems=tuple(report.problems))


def _intake(settings: Settings) -> h.IntakeFigures:
    from ivr.ami.intake_status import pipeline
    from ivr import data_folder

    data = pipeline(data_folder.intake_spool(settings.data_dir), data_folder.intake_status(settings.data_dir))
    oldest = data["oldest_pending_at"]
    return h.IntakeFigures(pending=data["pending"], spool_bytes=data["spool_bytes"], set_aside=len(data["set_aside"]),
                           oldest_pending_at=datetime.fromisoformat(oldest) if oldest else None)


def _database(settings: Settings) -> h.DatabaseFigures:
    from ivr.store import snapshot
    from ivr.store.engine import check_not_newer, create, head_revision

    head = head_revision()
    url = settings.database_url
    try:
        if snapshot.backend(url) == "sqlite" and not snapshot.sqlite_path(url).exists():
            return h.DatabaseFigures(False, head=head, error=f"no database at {snapshot.sqlite_path(url)} yet")
        engine = create(url)
    except StoreError as err:
        return h.DatabaseFigures(False, head=head, error=str(err))
    try:
        return h.DatabaseFigures(True, check_not_newer(engine), head)
    except SchemaTooNew as err:
        return h.DatabaseFigures(True, err.found, head, newer=True)
    except StoreError as err:
        return h.DatabaseFigures(False, head=head, error=str(err))
    finally:
        engine.dispose()


def _disk(settings: Settings) -> h.DiskFigures:
    from ivr.recordings.space import recordings_space

    found = recordings_space(settings, nearest=True)  # a fresh machine has no folder yet
    if found.error:
        return h.DiskFigures(found.path, None, error=found.error)
    return h.DiskFigures(found.path, found.free_bytes, found.total_bytes)


def limits_for(settings: Settings) -> h.Limits:
    """The verdict's limits with the recordings' disk held against IVR_RECORDINGS_MIN_FREE_MB, the
    same threshold the engine warns under: degraded below it, down below a quarter of it."""
    warn = int(settings.recordings_min_free_mb * (1 << 20))
    return h.Limits(disk_warn_bytes=warn, disk_down_bytes=warn // 4)
