"""One-way audio: a side that never spoke, sent nothing, or went dead halfway while the other spoke."""
from __future__ import annotations

from ivr.core.one_way import DEAD_RUN_S, WINDOW_S, SideAudio, judge_sides

SPEECH, NOISE, DEAD = 3000, 60, 0


def windows(seconds: float, level: int) -> list[int]:
    return [level] * int(seconds / WINDOW_S)


def test_a_conversation_with_pauses_and_a_listener_is_clean():
    agent = windows(10, SPEECH) + windows(10, NOISE) + windows(5, SPEECH)
    caller = windows(10, NOISE) + windows(10, SPEECH) + windows(5, NOISE)
    verdict = judge_sides(SideAudio("agent", agent, 1250), SideAudio("caller", caller, 1300))
    assert not verdict.flagged and verdict.reason.startswith("both sides heard")


def test_an_agent_phone_that_sent_no_packets_is_flagged():
    verdict = judge_sides(SideAudio("agent", windows(20, DEAD), 0), SideAudio("caller", windows(20, SPEECH), 1000))
    assert verdict.silent == ("agent",) and verdict.labels == ("坐席侧无声音",)
    assert "no packets" in verdict.reason


def test_no_packets_is_flagged_even_without_the_direction_files():
    verdict = judge_sides(SideAudio("agent", (), 1000), SideAudio("caller", (), 0))
    assert verdict.labels == ("市民侧无声音",)


def test_a_side_never_at_speech_level_is_flagged():
    verdict = judge_sides(SideAudio("agent", windows(20, SPEECH)), SideAudio("caller", windows(20, NOISE)))
    assert verdict.silent == ("caller",) and "never at speech level" in verdict.reason


def test_a_caller_whose_stream_stopped_halfway_is_flagged():
    caller = windows(8, SPEECH) + windows(12, DEAD)
    verdict = judge_sides(SideAudio("agent", windows(20, SPEECH)), SideAudio("caller", caller))
    assert verdict.labels == ("市民侧无声音",) and "no signal for 12.0 s" in verdict.reason


def test_a_shorter_direction_file_counts_its_missing_end_as_dead():
    verdict = judge_sides(SideAudio("agent", windows(20, SPEECH)), SideAudio("caller", windows(6, SPEECH)))
    assert verdict.silent == ("caller",)


def test_a_short_dead_gap_or_one_while_nobody_spoke_is_not_flagged():
    caller = windows(8, SPEECH) + windows(DEAD_RUN_S - 1, DEAD) + windows(8, SPEECH)
    agent = windows(8, NOISE) + windows(DEAD_RUN_S - 1, SPEECH) + windows(8, NOISE)
    assert not judge_sides(SideAudio("agent", agent), SideAudio("caller", caller)).flagged
    both_quiet = windows(8, SPEECH) + windows(10, DEAD)
    assert not judge_sides(SideAudio("agent", windows(2, SPEECH) + windows(16, NOISE)),
                           SideAudio("caller", both_quiet)).flagged
