"""Is the hotline healthy? The figures gathered from the running service, judged into a verdict.

Pure: :func:`evaluate` takes :class:`Figures` (read by :mod:`ivr.ops.health`) and the time, and
returns a :class:`Verdict`: one :class:`Check` per thing watched, and the worst level of them.
``ivr health`` exits with the level, for monitoring:

* **0 ok**: everything below holds;
* **1 degraded**: calls are answered and become work orders, but something needs a person soon:
  a part holding another version of the rules or refusing a reload, Asterisk's rules not the file
  in force, work-order facts waiting longer than ``lag_s`` or set aside, the database away (facts
  wait on disk) or behind this code, recordings' disk below ``disk_warn_bytes``, the TLS
  certificate expiring within ``tls_warn_days`` (or expired), ``calendar_warn_days`` or fewer
  days of confirmed holiday calendar left (or none: this year is provisional);
* **2 down**: callers are not served as designed or will not be soon: Asterisk not running or
  not answering, no routing part (every call takes the fail-safe), no work-order part (answered
  calls are not being taken in), recordings' disk below ``disk_down_bytes``, a database newer
  than this code (a part that restarts will refuse it).

A figure that could not be read says so: "unknown" is never reported as fine where it matters
(an unreadable disk is degraded); the confirmed calendar's days are unknown only when the rules
file cannot be read, which the parts' checks already report.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

from ivr.core.holiday_calendar import WARN_DAYS


class Level(IntEnum):
    """A check's state, and the exit status of ``ivr health``."""

    OK = 0
    DEGRADED = 1
    DOWN = 2


@dataclass(frozen=True)
class Limits:
    """Where the figures turn degraded or down."""

    lag_s: float = 60.0                       # a work-order fact waiting longer than this
    disk_warn_bytes: int = 5 * 1024 ** 3      # recordings' disk: degraded below
    disk_down_bytes: int = 512 * 1024 ** 2    # down below
    tls_warn_days: int = 30
    calendar_warn_days: int = WARN_DAYS       # as `ivr rules check` warns
    expected_parts: tuple[str, ...] = ("routing", "work_orders", "console")


@dataclass(frozen=True)
class AsteriskFigures:
    running: bool
    answering: bool = False          # its CLI answered
    version: str = ""
    uptime_s: int | None = None
    rules_sha256: str = ""           # the rules version its configuration was rendered from
    problems: tuple[str, ...] = ()   # queues or endpoints that differ from the rules in force
    detail: str = ""


@dataclass(frozen=True)
class PartFigures:
    part: str                        # routing, work_orders, console (ivr.lifecycle.parts)
    pid: int
    sha256: str
    last_error: str | None = None


@dataclass(frozen=True)
class IntakeFigures:
    pending: int
    oldest_pending_at: datetime | None
    spool_bytes: int
    set_aside: int


@dataclass(frozen=True)
class DatabaseFigures:
    reachable: bool
    revision: str | None = None
    head: str = ""
    newer: bool = False              # a revision this code does not ship
    error: str = ""


@dataclass(frozen=True)
class DiskFigures:
    path: str
    free_bytes: int | None           # None: could not be read
    total_bytes: int | None = None
    error: str = ""


@dataclass(frozen=True)
class Figures:
    """Everything ``ivr health`` and ``/metrics`` read, at one moment."""

    asterisk: AsteriskFigures
    parts: tuple[PartFigures, ...]
    rules_sha256: str | None         # the file in force (None: it cannot be read)
    intake: IntakeFigures
    database: DatabaseFigures
    disk: DiskFigures
    calendar_days_left: int | None   # days of confirmed holiday calendar left (None: unknown)
    tls_expires_at: datetime | None  # the SIP server's certificate (None: no certificate)
    rules_error: str = ""
    tls_error: str = ""              # the certificate is there but cannot be read


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    summary: str
    values: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, "level": self.level.name.lower(), "summary": self.summary, **self.values}


@dataclass(frozen=True)
class Verdict:
    level: Level
    checks: tuple[Check, ...]

    def to_dict(self) -> dict:
        return {"status": self.level.name.lower(), "exit": int(self.level),
                "checks": [c.to_dict() for c in self.checks]}


def evaluate(figures: Figures, now: datetime, limits: Limits = Limits()) -> Verdict:
    """The verdict on ``figures`` at ``now``: every check, and the worst level among them."""
    checks = (_asterisk(figures), *_parts(figures, limits), _intake(figures.intake, now, limits),
              _database(figures.database), _disk(figures.disk, limits), _calendar(figures, limits),
              _tls(figures.tls_expires_at, figures.tls_error, now, limits))
    return Verdict(max((c.level for c in checks), default=Level.OK), checks)


def _asterisk(f: Figures) -> Check:
    a = f.asterisk
    values = {"running": a.running, "version": a.version, "uptime_s": a.uptime_s, "rules_sha256": a.rules_sha256}
    if not a.running:
        return Check("asterisk", Level.DOWN, f"not running{': ' + a.detail if a.detail else ''}", values)
    if not a.answering:
        return Check("asterisk", Level.DOWN, f"running but not answering: {a.detail}", values)
    up = f"{a.version or 'Asterisk'}, up {duration(a.uptime_s)}"
    if f.rules_sha256 and a.rules_sha256 != f.rules_sha256:
        return Check("asterisk", Level.DEGRADED, f"{up}; holds rules {a.rules_sha256[:12] or 'unknown'}, "
                     f"the file in force is {f.rules_sha256[:12]} (`ivr asterisk reload`)", values)
    if a.problems:
        return Check("asterisk", Level.DEGRADED, f"{up}; differs from the rules: {'; '.join(a.problems[:3])}", values)
    return Check("asterisk", Level.OK, f"{up}, follows the rules in force", values)


_PART_DOWN = {"routing": "every call takes the fail-safe to the 12345 queue",
              "work_orders": "answered calls are not being taken in as work orders"}


def _parts(f: Figures, limits: Limits) -> list[Check]:
    out = []
    for name in limits.expected_parts:
        held = [p for p in f.parts if p.part == name]
        values = {"pids": [p.pid for p in held], "sha256": sorted({p.sha256 for p in held})}
        if not held:
            level = Level.DOWN if name in _PART_DOWN else Level.DEGRADED
            why = _PART_DOWN.get(name, "the staff console is not being served")
            out.append(Check(f"part:{name}", level, f"not running: {why}", values))
            continue
        refused = [p for p in held if p.last_error]
        astray = [p for p in held if f.rules_sha256 and p.sha256 != f.rules_sha256]
        pids = ", ".join(str(p.pid) for p in held)
        if f.rules_sha256 is None:
            out.append(Check(f"part:{name}", Level.DEGRADED, f"running (pid {pids}); the rules file in force "
                             f"cannot be read: {f.rules_error}", values))
        elif astray:
            out.append(Check(f"part:{name}", Level.DEGRADED, f"pid {astray[0].pid} holds rules "
                             f"{astray[0].sha256[:12]}, the file in force is {f.rules_sha256[:12]}", values))
        elif refused:
            out.append(Check(f"part:{name}", Level.DEGRADED, f"pid {refused[0].pid} refused the last change "
                             f"of the rules: {refused[0].last_error}", values))
        else:
            out.append(Check(f"part:{name}", Level.OK, f"running (pid {pids}), follows the rules in force", values))
    return out


def _intake(i: IntakeFigures, now: datetime, limits: Limits) -> Check:
    lag = max(0.0, (now - i.oldest_pending_at).total_seconds()) if i.oldest_pending_at else 0.0
    values = {"pending": i.pending, "lag_s": round(lag, 1), "spool_bytes": i.spool_bytes, "set_aside": i.set_aside}
    text = f"{i.pending} fact(s) pending, lag {lag:.0f} s, spool {i.spool_bytes:,} bytes, {i.set_aside} set aside"
    if i.set_aside:
        return Check("intake", Level.DEGRADED, f"{text} (`ivr tickets intake`)", values)
    if lag > limits.lag_s:
        return Check("intake", Level.DEGRADED, f"{text}: over {limits.lag_s:.0f} s behind", values)
    return Check("intake", Level.OK, text, values)


def _database(d: DatabaseFigures) -> Check:
    values = {"reachable": d.reachable, "revision": d.revision, "head": d.head}
    if d.newer:
        return Check("database", Level.DOWN, f"at revision {d.revision}, newer than this code's {d.head}: "
                     "a part that restarts will refuse it", values)
    if not d.reachable:
        return Check("database", Level.DEGRADED, f"unreachable (facts wait on disk): {d.error}", values)
    if d.revision != d.head:
        return Check("database", Level.DEGRADED, f"at revision {d.revision or 'none'}, this code's is {d.head}: "
                     "the next start migrates it (after a copy)", values)
    return Check("database", Level.OK, f"reachable, schema at {d.revision}", values)


def _disk(d: DiskFigures, limits: Limits) -> Check:
    values = {"path": d.path, "free_bytes": d.free_bytes, "total_bytes": d.total_bytes,
              "warn_bytes": limits.disk_warn_bytes, "down_bytes": limits.disk_down_bytes}
    if d.free_bytes is None:
        return Check("disk", Level.DEGRADED, f"{d.path}: cannot be read: {d.error}", values)
    text = f"{d.path}: {size(d.free_bytes)} free of {size(d.total_bytes or 0)}"
    if d.free_bytes < limits.disk_down_bytes:
        return Check("disk", Level.DOWN, f"{text}, under {size(limits.disk_down_bytes)}: recordings will fail", values)
    if d.free_bytes < limits.disk_warn_bytes:
        return Check("disk", Level.DEGRADED, f"{text}, under {size(limits.disk_warn_bytes)}", values)
    return Check("disk", Level.OK, text, values)


def _calendar(f: Figures, limits: Limits) -> Check:
    days = f.calendar_days_left
    values = {"days_left": days}
    if days is None:
        return Check("calendar", Level.OK, "days of confirmed holiday calendar left: unknown", values)
    if days == 0:
        return Check("calendar", Level.DEGRADED, "this year has no confirmed holiday list: routing and "
                     "deadlines follow the provisional statutory holidays (enter the holiday notice)", values)
    if days <= limits.calendar_warn_days:
        return Check("calendar", Level.DEGRADED, f"{days} day(s) of confirmed holiday calendar left: "
                     "enter next year's holiday notice", values)
    return Check("calendar", Level.OK, f"{days} day(s) of confirmed holiday calendar left", values)


def _tls(expires: datetime | None, error: str, now: datetime, limits: Limits) -> Check:
    if error:
        return Check("tls", Level.DEGRADED, f"the certificate cannot be read: {error}", {"expires_at": None})
    if expires is None:
        return Check("tls", Level.OK, "no TLS certificate (softphones over TLS not in use)", {"expires_at": None})
    days = (expires - now).total_seconds() / 86400
    values = {"expires_at": expires.isoformat(), "days_left": int(days)}
    if days < 0:
        return Check("tls", Level.DEGRADED, f"the certificate expired on {expires:%Y-%m-%d}: phones over TLS "
                     "cannot register", values)
    if days < limits.tls_warn_days:
        return Check("tls", Level.DEGRADED, f"the certificate expires on {expires:%Y-%m-%d}, in {int(days)} "
                     "day(s)", values)
    return Check("tls", Level.OK, f"the certificate expires on {expires:%Y-%m-%d}, in {int(days)} day(s)", values)


def duration(seconds: int | None) -> str:
    """12 s, 5 min, 3 h 12 min, 2 d 4 h."""
    if seconds is None:
        return "unknown"
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 3600:
        return f"{minutes} min"
    if seconds < 86400:
        return f"{hours} h {minutes % 60} min"
    return f"{days} d {hours % 24} h"


def size(count: int) -> str:
    """Bytes as people read them: 512 MiB, 4.2 GiB."""
    value, unit = float(count), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            break
        value /= 1024
    return f"{value:.0f} {unit}" if unit in ("B", "KiB", "MiB") else f"{value:.1f} {unit}"
