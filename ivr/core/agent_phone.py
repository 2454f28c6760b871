"""What an agent can do from the phone: feature codes, pause reasons, transfers, and whom to.

One table, read by everything that needs it: the configuration renderer turns it into the
dialplan (``[ivr-agent-codes]`` and ``[ivr-department-lines]`` in extensions.conf, the in-call
keys in features.conf), ``ivr agents phones`` prints it for the agents, and the staff console
shows the same pause reasons Asterisk reports (QueueMemberPause ``PausedReason``).

Pausing uses Asterisk's own queue-member pause state, so the phone, ``ivr agents list`` and
the console always agree: there is no second copy of an agent's state to drift.

Transfers go only to the departments' own lines the rules name (the ``destination`` of each
parallel line): the departments' trunk dials nothing else, whoever asks (toll fraud).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ivr.core.decision import Mode
from ivr.core.numbers import normalize_number
from ivr.core.presence import PauseReason  # one name each: the console's, the phone's, Asterisk's
from ivr.core.rules import Rules


# The key after the pause code that names each reason (*731 = break, ...).
PAUSE_KEYS: dict[PauseReason, str] = {
    PauseReason.BREAK: "1",
    PauseReason.TRAINING: "2",
    PauseReason.MEETING: "3",
    PauseReason.AFTER_CALL_WORK: "4",
}


@dataclass(frozen=True)
class FeatureCode:
    """A number an agent dials from the softphone (no call is set up: a prompt, then hang-up)."""

    code: str
    action: str               # the library context (dialplan/agent.conf) that does it
    what: str                 # in words, for the agents' sheet
    reason: PauseReason | None = None


LOGIN = "*71"
LOGOUT = "*72"
PAUSE = "*73"
RESUME = "*74"

FEATURE_CODES: tuple[FeatureCode, ...] = (
    FeatureCode(LOGIN, "ivr-agent-login", "log in to my queues"),
    FeatureCode(LOGOUT, "ivr-agent-logout", "log out of my queues"),
    *(FeatureCode(PAUSE + key, "ivr-agent-pause", f"pause: {reason.value}", reason)
      for reason, key in PAUSE_KEYS.items()),
    FeatureCode(RESUME, "ivr-agent-resume", "resume taking calls"),
)


class TransferKind(StrEnum):
    """How the citizen was handed to a department's line (the work order's history says which)."""

    BLIND = "blind"           # the agent sent the call and left at once
    ATTENDED = "attended"     # the agent spoke to the department first, then left
    THREEWAY = "threeway"     # the agent stayed: citizen, department and agent together


@dataclass(frozen=True)
class InCallKey:
    """Keys an agent presses during a call (features.conf); Asterisk acts on them."""

    feature: str              # the features.conf name
    keys: str
    what: str


IN_CALL_KEYS: tuple[InCallKey, ...] = (
    InCallKey("blindxfer", "##", "blind transfer: then the department's number"),
    InCallKey("atxfer", "*2", "attended transfer: then the department's number"),
    InCallKey("atxferthreeway", "*3", "during an attended transfer: three-way call"),
    InCallKey("atxferabort", "*1", "during an attended transfer: back to the citizen"),
    InCallKey("atxferswap", "*4", "during an attended transfer: swap between the two"),
)
# features.conf: an attended transfer completes when the agent hangs up (atxfercomplete unused).


@dataclass(frozen=True)
class DepartmentLine:
    """A department's own line: a number the departments' trunk may dial."""

    number: str               # canonical digits (Dial(PJSIP/<number>@departments))
    department: str           # department id
    via: str                  # the parallel line (canonical) whose destination it is


def department_lines(rules: Rules) -> dict[str, DepartmentLine]:
    """The departments' own lines, by canonical number: every parallel line's ``destination``.

    These are the only numbers the departments' trunk dials, whether for a parallel call, an
    agent's call to a department, or a transfer.
    """
    out: dict[str, DepartmentLine] = {}
    for line in rules.lines.values():
        if line.mode is not Mode.PARALLEL or not line.destination or line.destination in out:
            continue
        out[line.destination] = DepartmentLine(line.destination, line.department, line.number)
    return out


def department_line(rules: Rules, dialled: str) -> DepartmentLine | None:
    """The department line ``dialled`` names in any of its forms (None if it is not one)."""
    lines = department_lines(rules)
    number = normalize_number(dialled or "", rules.centre.area_code)
    return lines.get(number)

