"""Reading routing_rules.yaml from disk: the only I/O around the pure rules checker.

A rules file larger than :data:`MAX_RULES_BYTES` is refused before it is parsed: the shipped file
is about 14 KB, a big county's a few hundred, and parsing (and holding) a file of tens of
megabytes would stall the running engine that reloads it.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

from ivr.core.rules import Rules
from ivr.core.rules_schema import Problem, build_rules, check_text
from ivr.errors import RulesError


MAX_RULES_BYTES = 1 << 20


def read_text(path: Path | str) -> str:
    """The file's text; unreadable, oversized or non-UTF-8 files become a RulesError naming it."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_RULES_BYTES + 1)
            if len(raw) > MAX_RULES_BYTES:
                size = os.fstat(fh.fileno()).st_size
                raise RulesError(str(path), [Problem(
                    str(path), 1, "", f"the file is {size:,} bytes; a rules file may be at most "
                    f"{MAX_RULES_BYTES:,} bytes (1 MiB): nothing was read")])
    except OSError as err:
        raise RulesError(str(path), [Problem(str(path), 1, "", f"cannot read the file: {err.strerror}")]) from None
    return decode(raw, str(path))


def decode(raw: bytes, name: str) -> str:
    """The text of a rules file's bytes (an upload, a file read); RulesError naming the line
    where it stops being UTF-8, or saying it is too large."""
    if len(raw) > MAX_RULES_BYTES:
        raise RulesError(name, [Problem(name, 1, "", f"{len(raw):,} bytes; a rules file may be at most "
                                        f"{MAX_RULES_BYTES:,} bytes (1 MiB)")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise RulesError(name, [Problem(name, line, "", "the file is not UTF-8 text")]) from None


def load_rules(path: Path | str) -> Rules:
    """The rules in ``path``, or RulesError listing every problem."""
    return rules_from_text(read_text(path), str(path))


class TextKeepingLoader:
    """:func:`load_rules` that also keeps the text of the last few versions it loaded, by SHA-256,
    so the version in force can be recorded whole even when the file has changed again since."""

    def __init__(self, keep: int = 16) -> None:
        self.keep = keep
        self.texts: dict[str, str] = {}

    def __call__(self, path: Path | str) -> Rules:
        text = read_text(path)
        rules = rules_from_text(text, str(path))
        self.texts[rules.sha256] = text
        while len(self.texts) > self.keep:
            self.texts.pop(next(iter(self.texts)))
        return rules


def digest(text: str) -> str:
    """The SHA-256 naming one version of the rules: of the file's bytes (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rules_from_text(text: str, name: str) -> Rules:
    """The rules written in ``text`` (``name`` in messages), or RulesError listing every problem.
    The rules carry the SHA-256 of the text: which version they are."""
    if len(text.encode("utf-8")) > MAX_RULES_BYTES:
        raise RulesError(name, [Problem(name, 1, "", f"the text is larger than {MAX_RULES_BYTES:,} "
                                        "bytes (1 MiB), the most a rules file may hold")])
    problems, model, source = check_text(text, name)
    if problems or model is None:
        raise RulesError(name, problems)
    notices = tuple(str(n) for n in source.notices) if source is not None else ()
    return replace(build_rules(model), notices=notices, sha256=digest(text))
