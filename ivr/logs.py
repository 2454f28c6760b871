"""structlog set-up: one line of key=value (or JSON) per event, the call's id bound by callers."""
from __future__ import annotations

import logging
import sys

import structlog


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


def configure(json: bool = False, level: int = logging.INFO) -> None:
    """Configure structlog once for a process; logs go to stderr so stdout stays for results."""
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
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
