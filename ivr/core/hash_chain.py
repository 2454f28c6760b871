"""A hash chain over JSON lines: each entry carries the hash of the one before, so an edited,
removed or reordered entry breaks the chain where it happened. Pure: lines in, findings out.

An entry is a JSON object with its own fields plus ``seq`` (1, 2, 3, ...), ``prev`` (the hash of
entry ``seq - 1``; :data:`GENESIS` for the first) and ``hash``: the SHA-256 of the entry's
canonical JSON (keys sorted, no spaces, UTF-8) without ``hash``. Changing a single character of an
entry changes its hash, which then matches neither its own ``hash`` field nor the next entry's
``prev``; removing an entry leaves a gap in ``seq`` and a ``prev`` that names a missing entry.

A chain anyone can recompute can also be rewritten whole. So an entry may be *keyed*: its
``mac`` field says ``hmac`` and its hash is the HMAC-SHA256 of the canonical JSON under a secret
key kept apart from the log; without the key nobody can append or rewrite a keyed entry that
checks. Once a chain has a keyed entry, every later entry must be keyed too.

What a chain alone cannot show is the *last* entries removed (the chain before them is intact):
:func:`check` therefore reports the head (last seq and hash), to compare with one kept elsewhere.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
CHAIN_FIELDS = ("seq", "prev", "hash", "mac")
KEYED = "hmac"


def canonical(entry: Mapping[str, Any]) -> bytes:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def digest(entry: Mapping[str, Any], key: bytes | None = None) -> str:
    """The entry's hash: keyed (HMAC-SHA256 under ``key``) when the entry says so, else SHA-256.
    A keyed entry without a key gets a value no stated hash can equal."""
    if entry.get("mac") == KEYED:
        if not key:
            return "no key"
        return hmac.new(key, canonical(entry), hashlib.sha256).hexdigest()
    return hashlib.sha256(canonical(entry)).hexdigest()


def seal(fields: Mapping[str, Any], seq: int, prev: str, key: bytes | None = None) -> dict[str, Any]:
    """``fields`` as entry number ``seq`` after the entry whose hash is ``prev`` (keyed with ``key``)."""
    clash = set(fields) & set(CHAIN_FIELDS)
    if clash:
        raise ValueError(f"an entry's own fields may not be named {', '.join(sorted(clash))}")
    entry = {**fields, "seq": seq, "prev": prev}
    if key:
        entry["mac"] = KEYED
    entry["hash"] = digest(entry, key)
    return entry


def dumps(entry: Mapping[str, Any]) -> str:
    """One line of the log (no newline)."""
    return json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass
class Check:
    """What :func:`check` found: entries read, the head, and every break with its line number."""

    entries: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)
    keyed: bool = False           # a keyed entry was seen: every later one must be keyed

    @property
    def ok(self) -> bool:
        return not self.problems


def check(lines: Iterable[str], key: bytes | None = None, after: Check | None = None, first_line: int = 1) -> Check:
    """Follow the chain through ``lines`` (line ``first_line`` first); every break is named with its
    line. ``after``: the check of the lines before these (an incremental check goes on from it)."""
    result = Check(entries=after.entries, last_seq=after.last_seq, last_hash=after.last_hash) if after else Check()
    expected_seq, expected_prev = result.last_seq + 1, result.last_hash
    keyed = bool(after and after.keyed)
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            result.problems.append(f"line {number}: empty line inside the log")
            continue
        try:
            entry = json.loads(line)
            seq, prev, stated = entry["seq"], entry["prev"], entry["hash"]
        except (ValueError, TypeError, KeyError):
            result.problems.append(f"line {number}: not an entry of the log (unreadable JSON or no seq/prev/hash)")
            continue
        result.entries += 1
        if not isinstance(seq, int) or isinstance(seq, bool):
            result.problems.append(f"line {number}: seq {seq!r} is not a whole number")
            continue
        if entry.get("mac") == KEYED:
            keyed = True
            if not key:
                result.problems.append(f"line {number} (entry {seq}): keyed, but the key is missing: cannot be checked")
            elif digest(entry, key) != stated:
                result.problems.append(f"line {number} (entry {seq}): edited: its content no longer matches its hash")
        elif keyed:
            result.problems.append(f"line {number} (entry {seq}): not keyed after keyed entries: "
                                   "written without the key (forged)")
        elif digest(entry) != stated:
            result.problems.append(f"line {number} (entry {seq}): edited: its content no longer matches its hash")
        if seq > expected_seq:
            span = str(expected_seq) if seq == expected_seq + 1 else f"{expected_seq}..{seq - 1}"
            result.problems.append(f"line {number} (entry {seq}): entry {span} missing before it")
        elif seq < expected_seq:
            result.problems.append(f"line {number} (entry {seq}): repeated or out of order "
                                   f"(entry {expected_seq} expected)")
        elif prev != expected_prev:
            result.problems.append(f"line {number} (entry {seq}): does not follow the entry before it "
                                   "(that entry was edited, or an entry was removed and renumbered)")
        expected_seq, expected_prev = seq + 1, stated
        result.last_seq, result.last_hash = seq, stated
    result.keyed = keyed
    return result
