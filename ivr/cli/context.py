"""What the staff commands share: settings, rules, the store and the clock, opened lazily once
per command, and who is running it.

Each command opens the store named by the settings (``IVR_DATABASE_URL``, else SQLite under
``IVR_DATA_DIR``), migrating a fresh database first, and takes "now" from the engine's one clock
(``IVR_CLOCK`` when set, else the system's).
"""
from __future__ import annotations

import logging
import os
from datetime import datetime

import click

from ivr.core.rules import Rules
from ivr.logs import configure
from ivr.rules_file import load_rules
from ivr.settings import Settings


class Context:
    """What every command needs, opened lazily: settings, rules, store, clock."""

    def __init__(self) -> None:
        self.settings = Settings.from_env()
        self._rules: Rules | None = None
        self._store = None
        self._clock = None

    @property
    def rules(self) -> Rules:
        if self._rules is None:
            self._rules = load_rules(self.settings.rules_path)
        return self._rules

    @property
    def store(self):
        """The ticket store (opened, and migrated, on first use: --help needs no database)."""
        if self._store is None:
            from ivr.store import store_for
            self._store = store_for(self.settings, self.rules)
        return self._store

    @property
    def tz(self):
        return self.rules.centre.timezone

    def now(self) -> datetime:
        """The engine's one clock: IVR_CLOCK (ISO; naive means the centre's zone) or the system's."""
        if self._clock is None:
            from ivr.clock import make_clock
            self._clock = make_clock(self.settings.clock, self.tz)
        return self._clock().astimezone(self.tz)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def command_context() -> Context:
    configure(level=logging.DEBUG if os.environ.get("IVR_DEBUG") else logging.WARNING)
    ctx = click.get_current_context()
    obj = ctx.find_object(Context)
    if obj is None:
        obj = Context()
        ctx.call_on_close(obj.close)
        ctx.obj = obj
    return obj


def os_user() -> str:
    """The operating-system account running this process (its uid's name; not $USER, which anyone
    can set)."""
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid{os.getuid()}"


def short_time(moment: datetime | None, c: Context) -> str:
    """A time as the staff read it: YYYY-MM-DD HH:MM in the centre's zone, or "-"."""
    return "-" if moment is None else moment.astimezone(c.tz).strftime("%Y-%m-%d %H:%M")
