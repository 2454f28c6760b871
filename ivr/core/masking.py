"""A citizen's telephone number shown where nobody needs it whole: ``139****5678``.

One rule for logs, pages and the command line. A mobile number (11 digits from 1) keeps its
first 3 and last 4 digits; a fixed line with its area code (0 and 2 or 3 more digits) keeps the
area code and the last 4; a shorter local number keeps the last 4; a country prefix (+86, 0086)
stays in front. Anything that is not a number (``anonymous``, empty) is left as it is, and a
number of 5 digits or fewer (12345, an extension) has nothing personal to hide.

    mask_number("13912345678")     -> "139****5678"
    mask_number("051380009999")    -> "0513****9999"
    mask_in_text("caller 13912345678 asked")  -> "caller 139****5678 asked"
"""
from __future__ import annotations

import re

STARS = "****"
_PREFIX = re.compile(r"^(\+86|0086)")
# a mobile number inside free text, not part of a longer run of digits (an order's number, a time)
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])((?:(?:\+86|0086)[ -]?)?1[3-9][0-9]{9})(?![0-9])")


def mask_number(raw: str) -> str:
    """``raw`` with the middle of the number hidden (see the module's rule)."""
    text = (raw or "").strip()
    country = ""
    found = _PREFIX.match(text)
    if found:
        country, text = found.group(1), text[found.end():]
    digits = re.sub(r"[ \-]", "", text)
    if not digits.isdigit() or len(digits) <= 5:
        return raw
    if len(digits) == 11 and digits[0] == "1":
        kept = digits[:3]
    elif digits[0] == "0" and len(digits) >= 9:
        kept = digits[:3] if digits[1] in "12" else digits[:4]
    else:
        kept = ""
    return country + kept + STARS + digits[-4:]


def mask_in_text(text: str) -> str:
    """Every mobile number written inside ``text`` masked (fixed lines are left: in free text they
    are the centre's and the departments' own lines, which operations read)."""
    return _MOBILE_IN_TEXT.sub(lambda m: mask_number(m.group(1)), text)
