"""Staff roles and the login throttle, as pure rules (the time is an argument).

Roles (who does what in the centre):

=============  ==============================================================
agent          answers calls at a seat bound to one phone (an agent id of the rules)
supervisor     follows and reviews work orders (督办)
auditor        replays recordings and reads histories (质检), changes nothing
admin          manages staff accounts and the centre's settings
=============  ==============================================================

Throttling failed logins: the first :data:`FREE_FAILURES` failures in a row cost nothing; each
one after makes the next attempt wait twice as long (30 s, 60 s, ... up to 15 minutes). A key
(a user name or a client address) is forgiven :data:`FORGET_AFTER` after its last failure.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"


NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # login names double as actors in histories
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # Argon2 takes any length; a bound keeps a request from hashing a megabyte

FREE_FAILURES = 5
BASE_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)


def parse_role(text: str) -> Role:
    """The role named ``text``; ValueError listing the roles otherwise."""
    try:
        return Role(str(text).strip().lower())
    except ValueError:
        raise ValueError(f"unknown role {text!r}; roles are: {', '.join(r.value for r in Role)}") from None


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a login name, or None."""
    if not NAME.fullmatch(name or ""):
        return (f"login name {name!r} must be 1 to 64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit")
    return None


def password_problem(password: str) -> str | None:
    """Why ``password`` is refused, or None."""
    if len(password) < MIN_PASSWORD:
        return f"a password needs at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"a password has at most {MAX_PASSWORD} characters"
    return None


def sees_whole_numbers(role: Role) -> bool:
    """Whether ``role`` sees citizens' numbers whole: agents (on their own calls, the only ones
    they can open), supervisors and auditors need them; nothing an admin does needs them."""
    return role is not Role.ADMIN


def throttle_keys(name: str, address: str) -> tuple[str, str, str]:
    """The counts a login attempt is held against: the address, the name from that address, and
    the name from anywhere (last: not applied from the person's usual addresses)."""
    name, address = name[:60], address[:60]
    return f"addr:{address}", f"user:{name}@{address}", f"user:{name}"


def failures_now(failures: int, last_failure_at: datetime | None, now: datetime) -> int:
    """The failures that still count at ``now`` (all forgiven a while after the last one)."""
    if last_failure_at is None or now - last_failure_at >= FORGET_AFTER:
        return 0
    return failures


def wait_after(failures: int) -> timedelta:
    """How long a key must wait after ``failures`` failures in a row before the next attempt."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    steps = min(failures - FREE_FAILURES, 10)
    return min(BASE_WAIT * (2 ** steps), MAX_WAIT)


def blocked_for(failures: int, last_failure_at: datetime | None, now: datetime) -> int:
    """Whole seconds a key must still wait at ``now`` (0: it may try)."""
    counted = failures_now(failures, last_failure_at, now)
    if counted == 0 or last_failure_at is None:
        return 0
    remaining = last_failure_at + wait_after(counted) - now
    return max(0, int(remaining.total_seconds() + 0.999))
