"""The one text cleaner: what it keeps, what it drops, and that its fast path changes nothing."""
from __future__ import annotations

import unicodedata
from datetime import datetime, timezone

import pytest

from ivr.core.text import BIDI_CONTROLS, printable, require_aware


def _by_hand(text: str, limit: int, breaks: str = " ") -> str:
    """The rule spelled out one character at a time (the definition the fast path must match)."""
    out = []
    for ch in text:
        if ch in "\r\n\t":
            out.extend(breaks)
        elif ch in BIDI_CONTROLS or unicodedata.category(ch) in {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"}:
            continue
        else:
            out.append(ch)
    return "".join(out)[:limit]


CASES = [
    ("13912345678", "13912345678"),
    ("张三 反映 小区停水", "张三 反映 小区停水"),
    ("全角\u3000空格", "全角\u3000空格"),          # the ideographic space stays
    ("a\nb\tc\r", "a b c "),
    ("bell\x07 and nul\x00", "bell and nul"),
    ("\u202eevil\u202c", "evil"),                  # bidirectional overrides go
    ("family 👨\u200d👩\u200d👧", "family 👨\u200d👩\u200d👧"),  # the joiner stays
    ("line\u2028sep\u2029", "linesep"),
    ("private\ue000", "private"),
    ("lone\ud800", "lone"),
    (None, ""),
    (42, "42"),
]


@pytest.mark.parametrize("value, expected", CASES)
def test_what_is_kept_and_what_is_dropped(value, expected):
    assert printable(value, 100) == expected
    assert printable(printable(value, 100), 100) == expected   # idempotent


@pytest.mark.parametrize("value, _", CASES)
@pytest.mark.parametrize("limit", [0, 1, 3, 8, 100])
def test_the_fast_path_gives_what_the_rule_gives(value, _, limit):
    text = "" if value is None else str(value)
    assert printable(value, limit) == _by_hand(text, limit)[:limit]
    assert printable(value, limit, breaks="") == _by_hand(text, limit, breaks="")[:limit]


def test_a_time_without_its_zone_is_refused_by_name():
    with pytest.raises(ValueError, match="deadline must be an aware datetime"):
        require_aware(datetime(2020, 6, 1, 9), "deadline")
    moment = datetime(2020, 6, 1, 9, tzinfo=timezone.utc)
    assert require_aware(moment, "deadline") is moment
