"""structlog set-up: one line of key=value (or JSON) per event, the call's id bound by callers.

No line of any ``ivr`` process, at any level, carries a citizen's whole number: the processor
:func:`mask_citizens` masks (:mod:`ivr.core.masking`) every value under a key that names a
caller or a citizen's number, and every mobile number written anywhere else in the line. A log
that must point at one call uses the call's id (``uniqueid``, ``linkedid``), never the number.
"""
from __future__ import annotations

import logging
import sys

import structlog

from ivr.core.masking import mask_in_text, mask_number

# keys whose value is a citizen's number, whole: masked by the citizen's rule whatever it looks like
CITIZEN_KEYS = frozenset({"caller", "callerid", "caller_id", "calleridnum", "citizen", "from_number",
                          "callback_number", "dialled_back", "connectedlinenum"})


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time of writing, not at configuration time
    (test runners and daemons swap it; a closed stream must not break a store operation)."""

    def write(self, text: str) -> int:
        try:
            return sys.stderr.write(text)
        except (ValueError, OSError):
            return 0

    def flush(self) -> None:
        try:
            sys.stderr.flush()
        except (ValueError, OSError):
            pass


LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def level_from_env(env=None) -> int:
    """IVR_LOG_LEVEL (debug, info, warning, error; info when unset). debug adds a line per
    routing decision (every decision is in the call log in any case)."""
    import os

    from ivr.errors import SettingsError

    value = ((os.environ if env is None else env).get("IVR_LOG_LEVEL") or "info").strip().lower()
    if value not in LEVELS:
        raise SettingsError("IVR_LOG_LEVEL", value, "one of " + ", ".join(LEVELS))
    return LEVELS[value]


def mask_citizens(_logger, _method: str, event: dict) -> dict:
    """structlog processor: citizens' numbers masked in every value of the line."""
    for key, value in event.items():
        if key in CITIZEN_KEYS and value is not None:
            event[key] = mask_number(str(value))
        elif isinstance(value, str):
            event[key] = mask_in_text(value)
        elif isinstance(value, (list, tuple)):
            event[key] = [mask_in_text(v) if isinstance(v, str) else v for v in value]
    return event


def configure(json: bool = False, level: int | None = None) -> None:
    """Configure structlog once for a process; logs go to stderr so stdout stays for results.
    ``level`` None: IVR_LOG_LEVEL's."""
    level = level_from_env() if level is None else level
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            mask_citizens,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str, **bound):
    """A lazy logger: it takes its configuration when first used, not when created, so
    module-level loggers follow a later :func:`configure` (stderr, JSON)."""
    return structlog.get_logger(name, **bound)
