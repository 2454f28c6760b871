"""The hash chain: an edited, removed, repeated or reordered entry is found, with its line."""
from __future__ import annotations

import json

import pytest

from ivr.core import hash_chain as hc


def chain(n: int) -> list[str]:
    lines, prev = [], hc.GENESIS
    for seq in range(1, n + 1):
        entry = hc.seal({"user": "chen", "action": "play", "what": f"order {seq}"}, seq, prev)
        lines.append(hc.dumps(entry))
        prev = entry["hash"]
    return lines


def test_an_intact_chain_and_its_head():
    lines = chain(5)
    result = hc.check(lines)
    assert result.ok and result.entries == 5 and result.last_seq == 5
    assert result.last_hash == json.loads(lines[-1])["hash"]
    assert hc.check([]).ok and hc.check([]).last_hash == hc.GENESIS


def test_one_character_edited_is_found_on_its_line():
    lines = chain(5)
    lines[2] = lines[2].replace("order 3", "order 4")
    result = hc.check(lines)
    assert result.problems == ["line 3 (entry 3): edited: its content no longer matches its hash"]


def test_an_edited_entry_with_its_hash_recomputed_breaks_the_next_link():
    lines = chain(5)
    entry = json.loads(lines[2])
    entry["what"] = "nothing to see"
    entry["hash"] = hc.digest(entry)
    lines[2] = hc.dumps(entry)
    assert hc.check(lines).problems == [
        "line 4 (entry 4): does not follow the entry before it (that entry was edited, or an entry was removed "
        "and renumbered)"]


def test_removed_and_repeated_entries_are_found():
    lines = chain(6)
    assert hc.check(lines[:2] + lines[4:]).problems == ["line 3 (entry 5): entry 3..4 missing before it"]
    assert hc.check(lines[:3] + lines[2:]).problems == ["line 4 (entry 3): repeated or out of order (entry 4 expected)"]
    assert hc.check(lines[:2] + ["{not json"] + lines[2:]).problems == [
        "line 3: not an entry of the log (unreadable JSON or no seq/prev/hash)"]


def test_an_entry_may_not_set_the_chain_fields_itself():
    with pytest.raises(ValueError):
        hc.seal({"seq": 9}, 1, hc.GENESIS)
