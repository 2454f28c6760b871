"""Engine settings, read from an injectable mapping (``os.environ`` only at the edge).

Every setting has one ``IVR_*`` name; defaults suit a single box with Asterisk on loopback.
Each value is checked when it is read: a bad one is a :class:`~ivr.errors.SettingsError` naming
the variable, what it holds and what it may hold, never a traceback or a silent substitute.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path

from ivr import data_folder
from ivr.errors import SettingsError

REPO_ROOT = Path(__file__).resolve().parent.parent
_HOST = re.compile(r"^[A-Za-z0-9.:\-\[\]]{1,253}$")
_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)[^@]*@")


@dataclass(frozen=True)
class Settings:
    rules_path: Path              # IVR_RULES: routing_rules.yaml
    data_dir: Path                # IVR_DATA_DIR: database, spool, runtime state
    database_url: str             # IVR_DATABASE_URL: SQLAlchemy URL; SQLite under data_dir by default
    recordings_dir: Path          # IVR_RECORDINGS_DIR
    agi_host: str                 # IVR_AGI_HOST
    agi_port: int                 # IVR_AGI_PORT
    ami_host: str                 # IVR_AMI_HOST
    ami_port: int                 # IVR_AMI_PORT
    asterisk_cache: Path          # IVR_ASTERISK_CACHE: where the sid root lives when there is no system Asterisk
    clock: str | None             # IVR_CLOCK: ISO time the engine pretends it is (tests, dry runs)
    agi_timeout: float = 3.0      # IVR_AGI_TIMEOUT: seconds a routing step may take before the fail-safe
    staff_group: str | None = None  # IVR_STAFF_GROUP: group that may read recordings and data (ivr.permissions)
    web_host: str = "127.0.0.1"   # IVR_WEB_HOST: the staff console's address (loopback by default)
    web_port: int = 8080          # IVR_WEB_PORT
    recordings_keep_days: int | None = None  # IVR_RECORDINGS_KEEP_DAYS: removed after; unset: kept
    quality_sheet: Path = REPO_ROOT / "quality_sheet.yaml"  # IVR_QUALITY_SHEET: the 质检 score sheet
    recording_format: str = "opus"  # IVR_RECORDING_FORMAT: opus (Ogg Opus 12 kbit/s, ~1.6 KB/s) or wav (16 KB/s)
    callback_tries: int = 3       # IVR_CALLBACK_TRIES: tries of a callback before it is closed as failed
    callback_retry_after: float = 120.0  # IVR_CALLBACK_RETRY_AFTER: seconds between unanswered tries
    callback_ring: float = 30.0   # IVR_CALLBACK_RING: seconds the citizen's phone rings on each try
    recordings_min_free_mb: float = 1024.0  # IVR_RECORDINGS_MIN_FREE_MB: warn under this free space
    callback_per_day: int = 3     # IVR_CALLBACK_PER_DAY: callbacks dialled per number per day (ivr.core.callbacks)

    def secure(self) -> None:
        """Make the data and recordings folders (and a SQLite database) readable by the engine's
        user and the staff group only (:mod:`ivr.permissions`)."""
        from ivr.permissions import secure_file, secure_folder

        for folder in (self.data_dir, self.recordings_dir):
            secure_folder(folder, self.staff_group)
        if self.database_url.startswith("sqlite:///"):
            secure_file(Path(self.database_url.removeprefix("sqlite:///")))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        data_dir = _path(env, "IVR_DATA_DIR", REPO_ROOT / "var")
        return cls(
            rules_path=_path(env, "IVR_RULES", REPO_ROOT / "routing_rules.yaml"),
            data_dir=data_dir,
            database_url=_text(env, "IVR_DATABASE_URL", f"sqlite:///{data_folder.sqlite_database(data_dir)}"),
            recordings_dir=_path(env, "IVR_RECORDINGS_DIR", REPO_ROOT / "recordings"),
            agi_host=_host(env, "IVR_AGI_HOST", "127.0.0.1"),
            agi_port=port(env, "IVR_AGI_PORT", 4573),
            ami_host=_host(env, "IVR_AMI_HOST", "127.0.0.1"),
            ami_port=port(env, "IVR_AMI_PORT", 5038),
            asterisk_cache=_path(env, "IVR_ASTERISK_CACHE", Path("/var/cache/ivr-12345")),
            clock=_clock(env, "IVR_CLOCK"),
            agi_timeout=number(env, "IVR_AGI_TIMEOUT", 3.0, 0.5, 30.0),
            staff_group=_raw(env, "IVR_STAFF_GROUP"),
            web_host=_host(env, "IVR_WEB_HOST", "127.0.0.1"),
            web_port=port(env, "IVR_WEB_PORT", 8080),
            recordings_keep_days=_days(env, "IVR_RECORDINGS_KEEP_DAYS"),
            quality_sheet=_path(env, "IVR_QUALITY_SHEET", REPO_ROOT / "quality_sheet.yaml"),
            recording_format=_choice(env, "IVR_RECORDING_FORMAT", RECORDING_FORMATS),
            callback_tries=int(number(env, "IVR_CALLBACK_TRIES", 3, 1, 10)),
            callback_retry_after=number(env, "IVR_CALLBACK_RETRY_AFTER", 120.0, 1.0, 86400.0),
            callback_ring=number(env, "IVR_CALLBACK_RING", 30.0, 5.0, 120.0),
            recordings_min_free_mb=number(env, "IVR_RECORDINGS_MIN_FREE_MB", 1024.0, 1.0, 999_999.0),
            callback_per_day=int(number(env, "IVR_CALLBACK_PER_DAY", 3, 1, 50)),
        )

    def __repr__(self) -> str:
        """The settings with any password in the database URL masked (reprs reach logs)."""
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["database_url"] = mask_url(self.database_url)
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


def mask_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``."""
    return _PASSWORD_IN_URL.sub(r"\1***@", url)


def _raw(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    return None if value is None or value.strip() == "" else value.strip()


def _text(env: Mapping[str, str], name: str, default: str) -> str:
    return _raw(env, name) or default


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    value = _raw(env, name)
    if value is not None and "\0" in value:
        raise SettingsError(name, value, "a file or folder path")
    return Path(value) if value is not None else default


def _host(env: Mapping[str, str], name: str, default: str) -> str:
    value = _raw(env, name)
    if value is None:
        return default
    if not _HOST.fullmatch(value):
        raise SettingsError(name, value, "a host name or IP address such as 127.0.0.1")
    return value


def port(env: Mapping[str, str], name: str, default: int) -> int:
    """A TCP/UDP port setting: a whole number from 1 to 65535."""
    value = _raw(env, name)
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 65535:
        raise SettingsError(name, value, "a port: a whole number from 1 to 65535")
    return int(value)


def number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    """A number of seconds (or similar) from ``low`` to ``high``."""
    value = _raw(env, name)
    if value is None:
        return default
    try:
        parsed = float(value)
    except ValueError:
        parsed = float("nan")
    if not low <= parsed <= high:  # NaN fails too
        raise SettingsError(name, value, f"a number from {low:g} to {high:g}")
    return parsed


# The recordings' form, and what a browser is told it is. opus: MixMonitor writes WAV and, once the
# call ends, Asterisk compresses it to Ogg Opus at 12 kbit/s (about 1.6 KB per second of call, a
# tenth of WAV; played by every current browser) and removes the WAV (dialplan/answered.conf).
RECORDING_FORMATS = {"opus": "audio/ogg", "wav": "audio/wav"}


def _choice(env: Mapping[str, str], name: str, choices: Mapping[str, object]) -> str:
    """One of ``choices`` (the first when unset)."""
    value = _raw(env, name)
    if value is None:
        return next(iter(choices))
    if value.lower() not in choices:
        raise SettingsError(name, value, "one of " + ", ".join(choices))
    return value.lower()


def _days(env: Mapping[str, str], name: str) -> int | None:
    """A number of days, 1 to 36500 (a hundred years), or None when unset."""
    value = _raw(env, name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 36_500:
        raise SettingsError(name, value, "a whole number of days from 1 to 36500 (unset: keep for ever)")
    return int(value)


def _clock(env: Mapping[str, str], name: str) -> str | None:
    value = _raw(env, name)
    if value is None:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise SettingsError(name, value, "an ISO time such as 2020-06-01T10:00 or 2020-06-01T10:00+08:00") from None
    return value
