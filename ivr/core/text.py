"""Untrusted text made harmless, and times made sure of their zone: the one place for each.

Caller IDs, AMI headers, queue-log fields, AGI values, names from the rules file and form fields
all come from outside. :func:`printable` is the first step for every one of them: whatever the
adapter then needs (an AGI argument, a .conf line, a database column) builds on it.
"""
from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

# Bidirectional overrides and marks: invisible, and able to make a log line lie about its order.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_BREAKS = frozenset("\r\n\t")
_DROPPED = frozenset({"Cc", "Cs", "Co", "Cn", "Zl", "Zp"})


def printable(value: Any, limit: int, breaks: str = " ") -> str:
    """``value`` as one line of visible text, at most ``limit`` characters.

    * ``None`` is the empty string; anything else is ``str()``-ed;
    * CR, LF and TAB become ``breaks``: a space by default ("a\\nb" stays readable), nothing for
      values that are one token (a caller number split by a newline is still the number);
    * other control characters, line and paragraph separators, lone surrogates, private-use and
      unassigned code points, and bidirectional overrides are dropped (Chinese, accents and emoji
      stay).

    Idempotent: ``printable(printable(x, n), n) == printable(x, n)``.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():
        # Nothing to drop or replace: str.isprintable() is False for every control, format
        # (bidirectional marks among them), surrogate, private-use, unassigned and separator
        # character but the plain space: a superset of what the loop below removes. The common
        # case (a caller number, a queue id) costs one C call instead of a loop per character.
        return text[:limit]
    out: list[str] = []
    for ch in text:
        if len(out) >= limit:
            break
        if ch in _BREAKS:
            if breaks:
                out.append(breaks)
        elif ch in BIDI_CONTROLS or unicodedata.category(ch) in _DROPPED:
            continue
        else:
            out.append(ch)
    return "".join(out)[:limit]


def require_aware(moment: Any, what: str, error: type[Exception] = ValueError) -> datetime:
    """``moment`` if it is a datetime that knows its zone; ``error`` naming ``what`` otherwise.

    The core takes the time as an argument everywhere; a naive time would be read in whatever
    zone the machine is in, and a deadline would move by eight hours without anyone noticing."""
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise error(f"{what} must be an aware datetime (with its zone), not {moment!r}")
    return moment
