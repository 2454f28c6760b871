"""Is a call's recording complete? What was recorded, held against how long the call talked.

MixMonitor (``dialplan/answered.conf``, option ``b``) records only while the agent and the caller
are bridged, so a complete recording lasts about as long as the bridge: Asterisk's own talk time
(AgentComplete's ``TalkTime``, the queue log's COMPLETECALLER/COMPLETEAGENT ``calltime``), which
the rating prompt after the agent hangs up is not part of. A disk that fills up during the call
leaves a file that is shorter (writes lost), empty, or not there at all, and a compression that
runs out of space leaves no Opus: :func:`judge` says which, with the figures.

Verdicts (:class:`Verdict`): *complete*, or flagged as

* **short**: recorded less than the talk time, by more than :func:`tolerance`;
* **empty**: no audio: fewer than :data:`MIN_BYTES` bytes, or under :data:`EMPTY_S` seconds;
* **unreadable**: neither a WAV nor an Ogg Opus file whose length can be read;
* **missing**: no file at all (nor the WAV it was to be compressed from).

The thresholds never flag a complete recording (measured on the lab's Asterisk 22, SIPp parties
playing audio throughout: a complete recording lasts the bridge minus 0.1 to 0.3 s):

* talk time is whole seconds read off Asterisk's wall clock at the answer and the end, so it can
  be up to 1 s more than the bridge lasted; MixMonitor starts and stops a few 20 ms frames away
  from the bridge; a clock step during the call adds its size to the talk time. Hence a shortfall
  is tolerated up to :data:`TOLERANCE_S` seconds, or :data:`TOLERANCE_SHARE` of the talk time on
  long calls, whichever is larger;
* a call that talked less than :data:`MIN_TALK_S` may leave a recording with no audio at all:
  nothing is expected of it;
* after a transfer (``ended_by`` "transfer") the talk time includes the agent's consultation with
  the department, which MixMonitor may not hear whole: only emptiness and readability are judged;
* when the talk time is not known (no AgentComplete, no queue-log line), the time from the answer
  to the caller's hangup is an upper bound of it: it also holds the rating prompt
  (``dialplan/rating.conf``: the request at most twice with 5 s for a key each, then the thanks;
  20 s with the stand-in prompts), so only a recording shorter than that time less
  :data:`RATING_ALLOWANCE_S` and the tolerance is flagged; without either, the file must hold audio
  and be readable.

A recording is made from the call's audio frames: a phone that stops sending audio while nobody
speaks (silence suppression, VAD or DTX) leaves a recording shorter than the talk time. The
centre's phones and trunks send audio all along (G.711 or Opus without DTX); with such a phone
the flag says so with its figures, for a person to listen.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

TOLERANCE_S = 2.0          # seconds a complete recording may fall short of the talk time...
TOLERANCE_SHARE = 0.05     # ...or this share of the talk time, if larger (long calls)
MIN_TALK_S = 1.0           # a call that talked less than this need not have left any audio
EMPTY_S = 0.1              # a recording shorter than this holds no audio worth the name
MIN_BYTES = 100            # the size floor: less than a WAV header and 3 ms of audio, or an Ogg
                           # Opus file's two header pages: no audio can be in it
SAME_LENGTH_S = 0.5        # an Opus this close to its WAV's length is the whole of it
RATING_ALLOWANCE_S = 40.0  # the most the rating after the agent hangs up may add to answer-to-hangup
TRANSFER = "transfer"      # AgentComplete's Reason when the agent put the caller through


class Verdict(str, Enum):
    COMPLETE = "complete"
    SHORT = "short"
    EMPTY = "empty"
    UNREADABLE = "unreadable"
    MISSING = "missing"


FLAGGED = tuple(v.value for v in Verdict if v is not Verdict.COMPLETE)


@dataclass(frozen=True)
class Measured:
    """What a recording file holds, as read from it (:mod:`ivr.recordings.length`)."""

    size: int                      # bytes on disk
    seconds: float | None          # audio length; None when it cannot be read
    format: str = ""               # "wav" or "opus" (by content, not by name)
    cut: bool = False              # the file stops before its own header says it ends
    problem: str = ""              # why the length cannot be read


@dataclass(frozen=True)
class Check:
    """A recording judged: the verdict, the figures it was judged on, and why, in words."""

    verdict: Verdict
    talk_seconds: float | None     # the talk time held against (None: not known)
    recorded_seconds: float | None
    size: int | None
    reason: str

    @property
    def flagged(self) -> bool:
        return self.verdict is not Verdict.COMPLETE


def tolerance(talk_seconds: float) -> float:
    """How far a complete recording of a call that talked ``talk_seconds`` may fall short."""
    return max(TOLERANCE_S, TOLERANCE_SHARE * talk_seconds)


def judge(measured: Measured | None, talk_seconds: float | None, ended_by: str = "",
          answer_to_hangup: float | None = None) -> Check:
    """The verdict on a recording (``None``: no file) of a call that talked ``talk_seconds``
    (``answer_to_hangup``: the bound used when the talk time is not known)."""
    talk = None if talk_seconds is None or talk_seconds < 0 else float(talk_seconds)
    of_talk = f" of {_s(talk)} talk" if talk is not None else " (talk time not known)"
    talked = f" ({_s(talk)} talk)" if talk is not None else " (talk time not known)"
    if measured is None:
        return Check(Verdict.MISSING, talk, None, None, f"recording missing: no file was written{talked}")
    size, seconds = measured.size, measured.seconds
    if seconds is None:
        why = measured.problem or "its length cannot be read"
        return Check(Verdict.UNREADABLE, talk, None, size, f"recording unreadable: {why} ({size} bytes)")
    recorded = round(seconds, 2)
    expects_audio = talk is None or talk >= MIN_TALK_S
    if expects_audio and (size < MIN_BYTES or seconds < EMPTY_S):
        return Check(Verdict.EMPTY, talk, recorded, size,
                     f"recording empty: {size} bytes, {_s(seconds)} of audio{talked}")
    judged = talk is not None and ended_by != TRANSFER and talk >= MIN_TALK_S
    if judged and seconds < talk - tolerance(talk):
        cut = ", the file cut off" if measured.cut else ""
        return Check(Verdict.SHORT, talk, recorded, size,
                     f"recording short: {_s(seconds)} recorded{of_talk}{cut}")
    bound = None if judged or answer_to_hangup is None or answer_to_hangup < 0 else float(answer_to_hangup)
    if bound is not None and ended_by != TRANSFER and \
            seconds < bound - RATING_ALLOWANCE_S - tolerance(max(0.0, bound - RATING_ALLOWANCE_S)):
        return Check(Verdict.SHORT, talk, recorded, size, f"recording short: {_s(seconds)} recorded of up to "
                     f"{_s(bound)} from the answer to the hangup (talk time not known)")
    if measured.cut and not judged and expects_audio:
        return Check(Verdict.SHORT, talk, recorded, size,
                     f"recording cut off: the file ends before its header says, {_s(seconds)} recorded{talked}")
    return Check(Verdict.COMPLETE, talk, recorded, size, f"recording complete: {_s(seconds)} recorded{of_talk}")


def keeps_compressed(compressed: Measured, source: Measured) -> bool:
    """With both the Opus and the WAV it was made from on disk: True when the Opus is the whole
    recording (as long as the WAV, give or take :data:`SAME_LENGTH_S`), False when the WAV holds
    more (a compression cut short), so the longer complete one is kept."""
    if compressed.seconds is None or compressed.cut:
        return source.seconds is None
    if source.seconds is None:
        return True
    return compressed.seconds >= source.seconds - SAME_LENGTH_S


def _s(seconds: float | None) -> str:
    return "? s" if seconds is None else f"{seconds:.1f} s"
