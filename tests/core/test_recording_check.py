"""The completeness rule: a recording held against the talk time, table by table."""
from __future__ import annotations

import pytest

from ivr.core.recording_check import (EMPTY_S, MIN_BYTES, TOLERANCE_S, Measured, Verdict, judge,
                                      keeps_compressed, tolerance)

OPUS = 1_600  # bytes a second, about (12 kbit/s)


def opus(seconds: float, **kw) -> Measured:
    return Measured(int(400 + OPUS * seconds), seconds, "opus", **kw)


@pytest.mark.parametrize("measured, talk, ended_by, verdict", [
    # complete: as long as the talk, or a little shorter (whole seconds, frames at the edges)
    (opus(6.0), 6, "caller", Verdict.COMPLETE),
    (opus(4.82), 5, "caller", Verdict.COMPLETE),      # measured in the lab: bridge 4.9 s, TalkTime 5
    (opus(4.82), 4, "agent", Verdict.COMPLETE),       # TalkTime can be under the recording too
    (opus(1.82), 2, "caller", Verdict.COMPLETE),
    (opus(4.01), 6, "caller", Verdict.COMPLETE),      # 2 s short: within the tolerance
    (opus(57.5), 60, "caller", Verdict.COMPLETE),
    (opus(3450.0), 3600, "agent", Verdict.COMPLETE),   # 5 % of an hour
    (opus(0.0), 0, "caller", Verdict.COMPLETE),       # hung up as the agent answered: no audio expected
    (Measured(44, 0.0, "wav"), 0, "caller", Verdict.COMPLETE),
    # short: the finding's recordings of about 6 s of talk
    (opus(2.3), 6, "caller", Verdict.SHORT),
    (opus(3.9), 6, "agent", Verdict.SHORT),
    (opus(50.0), 60, "caller", Verdict.SHORT),
    (opus(3300.0), 3600, "caller", Verdict.SHORT),
    (Measured(4096, 0.25, "wav"), 6, "caller", Verdict.SHORT),
    # empty: nothing, or no audio, for a call that talked
    (Measured(0, 0.0), 6, "caller", Verdict.EMPTY),
    (Measured(44, 0.0, "wav"), 6, "caller", Verdict.EMPTY),
    (Measured(MIN_BYTES - 1, 1.0, "opus"), 6, "caller", Verdict.EMPTY),
    (Measured(500, EMPTY_S / 2, "opus"), 6, "caller", Verdict.EMPTY),
    (Measured(0, 0.0), None, "", Verdict.EMPTY),       # talk time unknown: emptiness still counts
    # unreadable and missing
    (Measured(800, None, problem="not a WAV or an Ogg Opus file"), 6, "caller", Verdict.UNREADABLE),
    (None, 6, "caller", Verdict.MISSING),
    (None, None, "", Verdict.MISSING),
    # not judged on length: a transfer (the consultation is part of the talk), talk unknown
    (opus(2.3), 60, "transfer", Verdict.COMPLETE),
    (opus(2.3), None, "", Verdict.COMPLETE),
    # a file that stops before its header says: short when its length cannot be held to the talk
    (opus(2.3, cut=True), None, "", Verdict.SHORT),
    (opus(6.0, cut=True), 6, "caller", Verdict.COMPLETE),  # all the talk is there
])
def test_verdicts(measured, talk, ended_by, verdict):
    check = judge(measured, talk, ended_by)
    assert check.verdict is verdict, check.reason
    assert check.flagged == (verdict is not Verdict.COMPLETE)
    assert check.reason.startswith("recording ")


@pytest.mark.parametrize("recorded, answer_to_hangup, ended_by, verdict", [
    (2.3, 6.0, "", Verdict.COMPLETE),        # the hangup may come after the rating prompt: no use
    (5.0, 45.0, "", Verdict.COMPLETE),       # 45 s might be 5 s of talk and the rating's 40
    (2.3, 120.0, "", Verdict.SHORT),         # not even 120 - 40 - 4 s
    (77.0, 120.0, "", Verdict.COMPLETE),     # at least 80 s of talk, less the tolerance
    (2.3, 120.0, "transfer", Verdict.COMPLETE),
    (2.3, -3.0, "", Verdict.COMPLETE),       # clocks that disagree: no bound
])
def test_without_the_talk_time_answer_to_hangup_bounds_it(recorded, answer_to_hangup, ended_by, verdict):
    check = judge(opus(recorded), None, ended_by, answer_to_hangup=answer_to_hangup)
    assert check.verdict is verdict, check.reason
    assert check.talk_seconds is None


def test_the_talk_time_wins_over_the_answer_to_hangup_bound():
    assert judge(opus(6.0), 6, "caller", answer_to_hangup=300.0).verdict is Verdict.COMPLETE


def test_the_figures_and_words_of_a_flag():
    check = judge(opus(2.3), 6, "caller")
    assert (check.talk_seconds, check.recorded_seconds, check.size) == (6.0, 2.3, int(400 + OPUS * 2.3))
    assert check.reason == "recording short: 2.3 s recorded of 6.0 s talk"
    assert judge(None, 6).reason == "recording missing: no file was written (6.0 s talk)"
    assert judge(Measured(0, 0.0), 6).reason == "recording empty: 0 bytes, 0.0 s of audio (6.0 s talk)"
    assert judge(opus(2.3), None).reason == "recording complete: 2.3 s recorded (talk time not known)"
    assert judge(opus(2.3), None, answer_to_hangup=120).reason == \
        "recording short: 2.3 s recorded of up to 120.0 s from the answer to the hangup (talk time not known)"


@pytest.mark.parametrize("talk, allowed", [(1, TOLERANCE_S), (6, TOLERANCE_S), (40, TOLERANCE_S),
                                           (60, 3.0), (3600, 180.0)])
def test_the_tolerance_grows_with_long_calls(talk, allowed):
    assert tolerance(talk) == pytest.approx(allowed)


@pytest.mark.parametrize("compressed, source, keep_opus", [
    (opus(6.0), Measured(96_044, 6.0, "wav"), True),
    (opus(5.8), Measured(96_044, 6.0, "wav"), True),     # within SAME_LENGTH_S
    (opus(2.3), Measured(96_044, 6.0, "wav"), False),    # the compression was cut: keep the WAV
    (opus(6.0, cut=True), Measured(96_044, 6.0, "wav"), False),
    (Measured(10, None), Measured(96_044, 6.0, "wav"), False),
    (opus(6.0), Measured(10, None), True),
    (Measured(10, None), Measured(10, None), True),      # neither readable: the Opus, as named
])
def test_the_longer_complete_file_is_kept(compressed, source, keep_opus):
    assert keeps_compressed(compressed, source) is keep_opus
