"""What the engine tells the dialplan to do with one call: the routing decision.

A :class:`Decision` is a plain value. The FastAGI handler and the classic AGI script write it
to channel variables (names in :mod:`ivr.dialplan_variables`); the dialplan branches on
``IVR_ACTION`` and does the media (Playback, Queue, Dial). Nothing here talks to Asterisk.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Mode(StrEnum):
    """How a number is integrated into 12345 (the inventory's four modes, plus the main line)."""

    MAIN = "main"            # 12345 itself
    FORWARD = "forward"      # 呼叫转移: the old number is answered by 12345 agents
    SUNSET = "sunset"        # 短期过渡: kept three months, then retired with a redirect
    DEDICATED = "dedicated"  # 专席受理: a dedicated seat queue inside the centre
    PARALLEL = "parallel"    # 并联整合: still rings the department; 12345 is the fallback
    UNKNOWN = "unknown"      # a number not in the rules: never dropped, sent to 12345


class Action(StrEnum):
    """What the dialplan does after the prompts are played."""

    QUEUE = "queue"              # Queue(queue, overflow_after); then overflow_queue if one is set
    DIAL = "dial"                # Dial(destination, dial_timeout); then fallback_queue
    PROMPT_ONLY = "prompt_only"  # play the prompts and hang up (a retired number with no redirect)


@dataclass(frozen=True)
class Decision:
    """Where one call goes, and why. Every field has the same name in YAML, Python and dialplan."""

    action: Action
    line: str                      # the number dialled
    mode: Mode
    department: str                # department id, e.g. "transport"; "centre" for 12345 itself
    department_name: str = ""      # the department's name as agents and citizens know it (Chinese)
    prompts: tuple[str, ...] = ()  # sound names played before the action, in order
    queue: str | None = None
    overflow_after: int | None = None   # seconds in `queue` before overflowing; None = wait
    overflow_queue: str | None = None  # where callers go when `queue` is empty or too slow
    destination: str | None = None     # the department's own number (parallel mode)
    dial_timeout: int | None = None    # seconds to ring `destination`
    fallback_queue: str | None = None  # where calls go when `destination` is busy or unanswered
    notice: str = ""                   # incident notice played before queueing (ivr.core.notices)
    reason: str = ""                   # plain-language why, for the admin's dry run and the log
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        """A JSON-ready mapping (enums as their values, tuples as lists)."""
        data = asdict(self)
        data["action"] = self.action.value
        data["mode"] = self.mode.value
        data["prompts"] = list(self.prompts)
        data["warnings"] = list(self.warnings)
        return data
