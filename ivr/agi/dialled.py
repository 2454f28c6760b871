"""What a caller can dial, told without a regular expression (the classic script imports nothing).

``+`` optionally, then a digit, ``*`` or ``#``, then up to 31 more of those, ``-`` or spaces: not
the ``s`` / ``h`` / ``i`` special extensions, not an empty or overlong value.
"""
from __future__ import annotations

_FIRST = frozenset("0123456789*#")
_REST = frozenset("0123456789*#- ")


def looks_dialled(text: str) -> bool:
    """True for something a caller can dial (the text stripped of surrounding blanks)."""
    t = text.strip()
    if t.startswith("+"):
        t = t[1:]
    return 1 <= len(t) <= 32 and t[0] in _FIRST and all(c in _REST for c in t[1:])
