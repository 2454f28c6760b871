"""One-way audio: did each side of a call get through? Judged from the recording's two directions.

MixMonitor (``dialplan/answered.conf``) writes, beside the call's recording, one file per
direction on the agent's leg: ``<call>.agent.wav`` (what the agent's phone sent, option ``r``) and
``<call>.citizen.wav`` (what went to the agent: the citizen's voice, option ``t``). After the
call, each is read as a level per window (:mod:`ivr.recordings.sides`) and judged here, with the
packet counts Asterisk gave for each leg (:mod:`ivr.core.media_quality`).

A side is flagged silent ("坐席侧无声音" / "市民侧无声音") when, while the other side spoke
(at least :data:`OTHER_SPOKE_S` seconds of windows at speech level):

* its phone sent no packets at all (Asterisk received none on that leg), or
* it never reached speech level in the whole call (a dead microphone, a one-way NAT), or
* it went dead (no signal at all: below :data:`DEAD_LEVEL`, what a stream that stopped leaves)
  for :data:`DEAD_RUN_S` seconds or more after having spoken, during which the other side spoke:
  the RTP stopped halfway. A direction file shorter than the other counts its missing end as dead.

A person listening in silence still sends their room's noise and their phone's comfort level,
above :data:`DEAD_LEVEL`: only a stream with nothing in it is "dead".
Pure: levels in, verdict out.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WINDOW_S = 0.5            # the level is taken per window of this length
SPEECH_LEVEL = 300        # RMS (16-bit linear) at or above which a window holds speech (about -40 dBFS)
DEAD_LEVEL = 16           # RMS below which a window holds no signal at all (about -66 dBFS): G.711's
                          # idle codes decode to 0 (mu-law) or +-8 (A-law)
OTHER_SPOKE_S = 3.0       # the other side must have spoken this long for a silence to mean anything
DEAD_RUN_S = 5.0          # a dead stretch this long, while the other spoke, is a stream that stopped
SIDES = ("agent", "caller")
LABELS = {"agent": "坐席侧无声音", "caller": "市民侧无声音"}


@dataclass(frozen=True)
class SideAudio:
    """One direction of a call: its window levels (RMS, 16-bit linear) and its packet count."""

    side: str                         # "agent" or "caller"
    levels: Sequence[int] = ()        # one per WINDOW_S window, from the start of the recording
    packets: int | None = None        # packets Asterisk received on that leg (None: not known)


@dataclass(frozen=True)
class OneWay:
    """The verdict: the sides that were silent while the other spoke, and why, in words."""

    silent: tuple[str, ...]
    reason: str

    @property
    def flagged(self) -> bool:
        return bool(self.silent)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(LABELS[side] for side in self.silent)


def judge_sides(agent: SideAudio, caller: SideAudio) -> OneWay:
    """Which side (if any) stayed silent, or went dead, while the other spoke."""
    silent: list[str] = []
    reasons: list[str] = []
    for this, other in ((agent, caller), (caller, agent)):
        why = _silent(this, other)
        if why:
            silent.append(this.side)
            reasons.append(f"{this.side} side silent: {why}")
    if not silent:
        spoke = {s.side: _seconds(sum(1 for v in s.levels if v >= SPEECH_LEVEL)) for s in (agent, caller)}
        return OneWay((), f"both sides heard: agent spoke {spoke['agent']:.1f} s, "
                          f"caller {spoke['caller']:.1f} s")
    return OneWay(tuple(silent), "; ".join(reasons))


def _silent(this: SideAudio, other: SideAudio) -> str:
    """Why ``this`` side counts as silent while ``other`` spoke ("" when it does not)."""
    other_spoke = _seconds(sum(1 for v in other.levels if v >= SPEECH_LEVEL))
    if other_spoke < OTHER_SPOKE_S and not (this.packets == 0 and (other.packets or 0) > 0):
        return ""
    if this.packets == 0 and (other.packets or 0) > 0:
        return f"no packets received from its phone ({other.packets} from the other side)"
    spoke = sum(1 for v in this.levels if v >= SPEECH_LEVEL)
    if spoke == 0:
        return f"never at speech level while the other side spoke {other_spoke:.1f} s"
    levels = list(this.levels) + [0] * max(0, len(other.levels) - len(this.levels))
    run_start, best, best_other = None, 0, 0.0
    first_spoke = next(i for i, v in enumerate(levels) if v >= SPEECH_LEVEL)
    for i in range(first_spoke, len(levels) + 1):
        dead = i < len(levels) and levels[i] < DEAD_LEVEL
        if dead and run_start is None:
            run_start = i
        elif not dead and run_start is not None:
            heard = sum(1 for v in other.levels[run_start:i] if v >= SPEECH_LEVEL)
            if i - run_start > best and _seconds(heard) >= OTHER_SPOKE_S:
                best, best_other = i - run_start, _seconds(heard)
            run_start = None
    if _seconds(best) >= DEAD_RUN_S:
        return (f"no signal for {_seconds(best):.1f} s after it had spoken, while the other side spoke "
                f"{best_other:.1f} s")
    return ""


def _seconds(windows: int) -> float:
    return windows * WINDOW_S
