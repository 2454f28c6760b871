"""Telephone numbers as the engine compares them: digits only, national form.

The carrier may present a dialled number as ``+8651380000101``, ``0086...``, ``0513-8000 0101`` or
the 8-digit local form ``80000101``; the rules may write it with hyphens. All meet here.
"""
from __future__ import annotations

import re

_NOT_DIALABLE = re.compile(r"[^0-9+]")


def normalize_number(raw: str, area_code: str) -> str:
    """Return the canonical digits of ``raw`` (national form with the leading 0), or "" if none.

    >>> normalize_number("+86 513 8000 0101", "0513")
    '051380000101'
    >>> normalize_number("80000101", "0513")
    '051380000101'
    >>> normalize_number("12345", "0513")
    '12345'
    """
    cleaned = _NOT_DIALABLE.sub("", raw or "")
    plus = cleaned.startswith("+")
    digits = cleaned.replace("+", "")
    if plus and digits.startswith("86"):
        digits = "0" + digits[2:]
    elif digits.startswith("0086"):
        digits = "0" + digits[4:]
    if (plus or cleaned.startswith("0086")) and digits.startswith("00"):
        digits = digits[1:]  # "+86 0513 ...": the trunk prefix written after the country code
    if len(digits) == 8 and digits[0] in "2345678":  # a local number inside the area code
        digits = area_code + digits
    return digits


def is_number_text(raw: str) -> bool:
    """True when ``raw`` is written with digits, spaces and hyphens only (an optional leading +)."""
    return bool(re.fullmatch(r"\+?[0-9][0-9 \-]*", raw or ""))
