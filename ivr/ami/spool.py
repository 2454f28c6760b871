"""A durable spool of call facts that could not be written to the database yet.

When the database is down the listener appends each fact here (one JSON line, flushed and
fsynced) instead of losing it; when the database is back, :meth:`Spool.drain` applies them in
order and keeps whatever still fails. The ledger is idempotent (keyed on Linkedid), so a fact
applied twice after a crash mid-drain creates nothing new.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from ivr.core import call_events as ce

_KINDS = {cls.__name__: cls for cls in (ce.Entered, ce.Answered, ce.Abandoned, ce.Reached, ce.Ended, ce.Rated)}


def encode(fact: ce.Fact) -> str:
    data = asdict(fact)
    data["at"] = fact.at.isoformat()
    return json.dumps({"kind": type(fact).__name__, "fact": data}, ensure_ascii=False)


def decode(line: str) -> ce.Fact:
    record = json.loads(line)
    cls = _KINDS[record["kind"]]
    data = dict(record["fact"])
    data["call"] = ce.CallInfo(**data["call"])
    data["at"] = datetime.fromisoformat(data["at"])
    return cls(**data)


class Spool:
    """Append-only JSON-lines file of pending facts."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def append(self, fact: ce.Fact) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(encode(fact) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def pending(self) -> int:
        if not self.path.exists():
            return 0
        with self.path.open(encoding="utf-8") as fh:
            return sum(1 for line in fh if line.strip())

    def drain(self, apply: Callable[[ce.Fact], None]) -> tuple[int, int]:
        """Apply every spooled fact in order; stop at the first failure and keep the rest.

        Returns (applied, still pending). A line that cannot be decoded is moved aside to
        ``<spool>.bad`` rather than blocking the spool forever.
        """
        if not self.path.exists():
            return 0, 0
        lines = [l for l in self.path.read_text(encoding="utf-8").splitlines() if l.strip()]
        applied = 0
        remaining: list[str] = []
        for index, line in enumerate(lines):
            try:
                fact = decode(line)
            except (ValueError, KeyError, TypeError):
                with self.path.with_suffix(".bad").open("a", encoding="utf-8") as bad:
                    bad.write(line + "\n")
                continue
            try:
                apply(fact)
            except Exception:  # noqa: BLE001 - the database is still away: keep this and the rest
                remaining = lines[index:]
                break
            applied += 1
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text("".join(l + "\n" for l in remaining), encoding="utf-8")
        os.replace(tmp, self.path)
        return applied, len(remaining)
