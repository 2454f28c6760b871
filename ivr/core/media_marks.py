"""Which agent phones and which carrier trunks the wallboard marks for their calls' media.

Each answered call's media check (:mod:`ivr.core.media_quality`, :mod:`ivr.core.one_way`) names
the agent's phone and the trunk the citizen came in on. A phone or trunk is marked when, over its
last :data:`LAST_CALLS` calls with a score, the mean MOS is under the threshold
(:data:`~ivr.core.media_quality.MOS_THRESHOLD`), or when one of its last calls had a side silent:
one bad call in five is a fault worth a look, whoever it was. Pure: checks in, marks out.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ivr.core.media_quality import MOS_THRESHOLD

LAST_CALLS = 5
KINDS = ("agent", "trunk")


@dataclass(frozen=True)
class Scored:
    """What the marks read of one call's media check."""

    agent: str
    trunk: str
    mos: float | None
    silent: tuple[str, ...]


@dataclass(frozen=True)
class Mark:
    """One agent phone or trunk and its last calls' figures; ``marked`` when under the threshold."""

    kind: str                  # "agent" or "trunk"
    name: str
    calls: int                 # its last calls looked at (at most LAST_CALLS)
    mean_mos: float | None
    silent: int                # of those, calls with a side silent
    marked: bool


def marks(newest_first: Iterable[Scored], last: int = LAST_CALLS) -> list[Mark]:
    """Every agent phone and trunk in ``newest_first`` (checks, newest first) with its mark;
    the marked ones first, then by kind and name."""
    recent: dict[tuple[str, str], list[Scored]] = {}
    for check in newest_first:
        for kind, name in (("agent", check.agent), ("trunk", check.trunk)):
            if name:
                calls = recent.setdefault((kind, name), [])
                if len(calls) < last:
                    calls.append(check)
    out = []
    for (kind, name), calls in recent.items():
        scores = [c.mos for c in calls if c.mos is not None]
        mean = round(sum(scores) / len(scores), 2) if scores else None
        silent = sum(1 for c in calls if c.silent)
        out.append(Mark(kind, name, len(calls), mean, silent,
                        marked=(mean is not None and mean < MOS_THRESHOLD) or silent > 0))
    return sorted(out, key=lambda m: (not m.marked, KINDS.index(m.kind), m.name))
