"""The classic script's cache of the minute's decisions, and its log line: one file, plain text.

``<data_dir>/cache/decisions.txt``: the first line says what the entries are valid for (see
:func:`ivr.agi.classic.identity`), then one line per line called: the number, then
``NAME=value`` pairs, tab-separated, the values already sanitised. Read by every call (no
import beyond the interpreter's own), written by the full path (:mod:`ivr.agi.classic_full`).
"""
from __future__ import annotations

import sys


def lookup(cache_file: str, ident: str, line: str) -> list[tuple[str, str]] | None:
    """The variables cached for ``line`` under ``ident``, or None."""
    try:
        with open(cache_file, encoding="utf-8") as f:
            if f.readline().rstrip("\n") != ident:
                return None
            for entry in f:
                key, _, rest = entry.rstrip("\n").partition("\t")
                if key == line:
                    return [tuple(pair.split("=", 1)) for pair in rest.split("\t") if "=" in pair]
    except OSError:
        return None
    return None


def entries(cache_file: str, ident: str) -> list[str]:
    """The cache's entry lines, when it is valid for ``ident`` (else none)."""
    try:
        with open(cache_file, encoding="utf-8") as f:
            if f.readline().rstrip("\n") != ident:
                return []
            return [e for e in f.read().splitlines() if e]
    except OSError:
        return []


def entry(line: str, variables: list[tuple[str, str]]) -> str | None:
    """The cache line for ``line``, or None when a value cannot be kept on one line."""
    text = line + "".join(f"\t{k}={v}" for k, v in variables)
    return None if any(c in text for c in "\n\r") or any("\t" in k + v for k, v in variables) else text


def log(event: str, **fields: object) -> None:
    """One key=value line on stderr (Asterisk's console when it runs in the foreground); values
    cut and stripped of control characters, as they are untrusted."""
    text = " ".join(f"{k}={''.join(c for c in str(v) if c.isprintable())[:120]}" for k, v in fields.items())
    sys.stderr.write(f"route.py {event} {text}\n")
