"""The admin's tools opened on the engine's database, for ``ivr rules ...`` and the console."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ivr.clock import make_clock
from ivr.errors import RulesError
from ivr.lifecycle.apply import Actor, Lifecycle
from ivr.rules_file import load_rules
from ivr.settings import Settings
from ivr.store.routed_calls import RoutedCalls
from ivr.store.rules_versions import RulesVersions

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


@dataclass
class Admin:
    """What the admin's tools share: the lifecycle, the stored versions and the call log."""

    lifecycle: Lifecycle
    versions: RulesVersions
    calls: RoutedCalls
    clock: Callable[[], datetime]
    tz: tzinfo


def centre_tz(settings: Settings) -> tzinfo:
    """The centre's time zone from the rules file (a broken file: the shipped centre's)."""
    try:
        return load_rules(settings.rules_path).centre.timezone
    except RulesError:
        return DEFAULT_TZ


def open_admin(settings: Settings, engine: Engine, trunks: Path | None = None,
               clock: Callable[[], datetime] | None = None) -> Admin:
    """The admin's tools on the database ``engine`` (already migrated)."""
    from ivr.asterisk.service import trunks_dir

    tz = centre_tz(settings)
    clock = clock or make_clock(settings.clock, tz)
    versions = RulesVersions(engine)
    lifecycle = Lifecycle(settings, versions, clock, trunks or trunks_dir())
    return Admin(lifecycle, versions, RoutedCalls(engine), clock, tz)




__all__ = ["Actor", "Admin", "open_admin"]
