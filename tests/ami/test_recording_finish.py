"""Recordings judged when the conversation ends: a full disk's short, empty and missing files are
flagged on the order with their figures, never hashed as if complete; complete ones are not."""
from __future__ import annotations

import errno
import os
from datetime import datetime, timedelta, timezone

import pytest

from audio import make_opus, make_wav
from ivr.ami import recording_finish as rf
from ivr.ami.ledger import RecordingNotReady
from ivr.core import call_events as ce
from ivr.recordings import FlaggedRecording, verify

AT = datetime(2026, 9, 9, 3, 0, tzinfo=timezone.utc)
DAY = ("2026", "09", "09")


def answered(ledger, tmp_path, linkedid: str, suffix: str = "opus"):
    path = tmp_path.joinpath("recordings", *DAY, f"{linkedid}.{suffix}")
    path.parent.mkdir(parents=True, exist_ok=True)
    call = ce.CallInfo(linkedid, linkedid, "139", "051380000304", "", "", str(path))
    ledger.apply(ce.Answered(call, "seat_water", "agent8", "", 2, AT))
    return call, path


def quiet(ledger, *paths, seconds: float = 2.0) -> None:
    """The ledger's clock ``seconds`` after the newest of ``paths`` was last written."""
    ledger.clock["now"] = max(p.stat().st_mtime for p in paths) + seconds


def check_of(ledger, linkedid: str):
    return ledger.store.recording_check(ledger.store.by_linkedid(linkedid).number)


def test_a_wav_cut_short_by_a_full_disk_is_hashed_and_flagged_short(ledger, tmp_path):
    call, opus = answered(ledger, tmp_path, "5.1")
    wav = make_wav(opus.with_suffix(".wav"), 6.0)
    wav.write_bytes(wav.read_bytes()[:4096])                 # what MixMonitor got onto the disk
    part = opus.with_name(opus.name + ".part")
    part.write_bytes(b"")                                    # the encoder found no space either
    quiet(ledger, wav, part, seconds=rf.PART_QUIET_S + 1)    # its output stopped growing long ago
    ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=6))
    ticket = ledger.store.by_linkedid("5.1")
    check = check_of(ledger, "5.1")
    assert (check.verdict, check.talk_seconds, check.recorded_seconds, check.size) == ("short", 6, 0.25, 4096)
    assert check.reason == "recording short: 0.3 s recorded of 6.0 s talk, the file cut off"
    assert ticket.recording_path == str(wav) and ticket.recording_size == 4096 and ticket.recording_sha256
    flagged = ledger.store.flagged_recordings()
    assert [(f.number, f.verdict) for f in flagged] == [(ticket.number, "short")]
    report = verify(tmp_path / "recordings", flagged=[FlaggedRecording(f.number, f.path, f.reason) for f in flagged])
    assert not report.ok and report.flagged == [f"{ticket.number}: {check.reason} ({wav})"]
    assert report.leftovers == ["2026/09/09/5.1.opus.part: an unfinished compression"]


def test_the_compression_is_waited_for_while_its_encoder_writes(ledger, tmp_path):
    call, opus = answered(ledger, tmp_path, "5.2")
    wav = make_wav(opus.with_suffix(".wav"), 6.0)
    part = opus.with_name(opus.name + ".part")
    part.write_bytes(b"OggS")
    quiet(ledger, wav, seconds=rf.PART_QUIET_S + 1)
    os.utime(part, (ledger.clock["now"] - 1, ledger.clock["now"] - 1))  # still being written
    with pytest.raises(RecordingNotReady):
        ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=6))
    ledger.clock["now"] = wav.stat().st_mtime + rf.COMPRESS_WAIT_S + 1
    ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=6))  # given up: the WAV, complete
    assert check_of(ledger, "5.2").verdict == "complete"
    assert ledger.store.flagged_recordings() == []


def test_an_empty_recording_is_flagged_empty(ledger, tmp_path):
    call, wav = answered(ledger, tmp_path, "5.3", "wav")
    wav.write_bytes(b"")
    quiet(ledger, wav)
    ledger.apply(ce.Ended(call, AT, "agent", talk_seconds=6))
    check = check_of(ledger, "5.3")
    assert (check.verdict, check.size, check.recorded_seconds) == ("empty", 0, 0.0)
    assert ledger.store.by_linkedid("5.3").recording_sha256 == \
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # listed as it is


def test_no_file_at_all_is_looked_for_a_moment_then_flagged_missing(ledger, tmp_path):
    call, opus = answered(ledger, tmp_path, "5.4")
    with pytest.raises(RecordingNotReady):
        ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=6))
    ledger.clock["now"] += rf.MISSING_WAIT_S + 0.1
    ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=6))
    check = check_of(ledger, "5.4")
    assert (check.verdict, check.path, check.size) == ("missing", str(opus), None)
    assert ledger.store.by_linkedid("5.4").recording_sha256 is None
    report = verify(tmp_path / "recordings", flagged=[FlaggedRecording(check.number, check.path, check.reason)])
    assert report.flagged and not report.problems


def test_a_hangup_waits_for_the_talk_time_which_the_agents_complete_brings(ledger, tmp_path):
    call, wav = answered(ledger, tmp_path, "5.5", "wav")
    make_wav(wav, 2.0)
    quiet(ledger, wav)
    with pytest.raises(RecordingNotReady):              # the caller's Hangup came first
        ledger.apply(ce.Ended(call, AT, "Normal Clearing"))
    ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=9))  # AgentComplete: 9 s
    ledger.apply(ce.Ended(call, AT, "Normal Clearing"))         # the hangup again: done already
    check = check_of(ledger, "5.5")
    assert (check.verdict, check.talk_seconds, check.ended_by) == ("short", 9, "caller")


def hung_up_with_no_talk_time(ledger, tmp_path, linkedid: str, after_s: int):
    """A call answered at AT whose 2 s recording ends with a hangup ``after_s`` later, and no
    AgentComplete ever comes: its check once the wait for the talk time is over."""
    call, wav = answered(ledger, tmp_path, linkedid, "wav")
    make_wav(wav, 2.0)
    quiet(ledger, wav)
    hangup = ce.Ended(call, AT + timedelta(seconds=after_s), "Normal Clearing")
    with pytest.raises(RecordingNotReady):
        ledger.apply(hangup)
    ledger.clock["now"] += rf.TALK_WAIT_S + 0.1
    ledger.apply(hangup)
    return check_of(ledger, linkedid)


def test_without_any_talk_time_the_answer_to_hangup_bounds_it(ledger, tmp_path):
    check = hung_up_with_no_talk_time(ledger, tmp_path, "5.6", 30)  # 2 s of talk and the rating
    assert (check.verdict, check.talk_seconds) == ("complete", None)
    check = hung_up_with_no_talk_time(ledger, tmp_path, "5.7", 300)  # 2 s of a five-minute call
    assert check.verdict == "short" and "from the answer to the hangup" in check.reason


def test_with_the_wav_and_a_short_opus_the_longer_complete_wav_is_kept(ledger, tmp_path):
    call, opus = answered(ledger, tmp_path, "5.7")
    wav = make_wav(opus.with_suffix(".wav"), 6.0)
    make_opus(opus, 2.3)                                # an encoder cut short, renamed anyway
    quiet(ledger, wav, opus)
    ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=6))
    ticket = ledger.store.by_linkedid("5.7")
    assert ticket.recording_path == str(wav) and check_of(ledger, "5.7").verdict == "complete"
    assert verify(tmp_path / "recordings").leftovers == ["2026/09/09/5.7.opus: an Opus beside the listed WAV"]


def test_with_the_wav_and_a_whole_opus_the_opus_is_the_recording_and_the_wav_goes(ledger, tmp_path):
    """The dialplan renames the Opus into place and leaves the WAV: the engine removes it once the
    Opus is listed as the whole recording."""
    call, opus = answered(ledger, tmp_path, "5.8")
    wav = make_wav(opus.with_suffix(".wav"), 3.0)
    make_opus(opus, 3.0)
    quiet(ledger, wav, opus)
    ledger.apply(ce.Ended(call, AT, "agent", talk_seconds=3))
    assert ledger.store.by_linkedid("5.8").recording_path == str(opus)
    assert not wav.exists() and opus.exists()
    assert verify(tmp_path / "recordings").ok


def test_a_manifest_the_full_disk_refuses_is_tried_again_not_set_aside(ledger, tmp_path, monkeypatch):
    call, wav = answered(ledger, tmp_path, "5.9", "wav")
    make_wav(wav, 2.0)
    quiet(ledger, wav)
    real = ledger.recordings.manifest

    def full(**kw):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(ledger.recordings, "manifest", full)
    with pytest.raises(RecordingNotReady) as wait:
        ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=2))
    assert wait.value.retry_in == rf.FULL_DISK_RETRY_S
    assert check_of(ledger, "5.9").verdict is None       # nothing judged, nothing hashed yet
    monkeypatch.setattr(ledger.recordings, "manifest", real)
    ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=2))
    assert check_of(ledger, "5.9").verdict == "complete"


def test_a_transferred_call_is_not_held_to_its_talk_time(ledger, tmp_path):
    call, wav = answered(ledger, tmp_path, "6.1", "wav")
    make_wav(wav, 2.0)
    quiet(ledger, wav)
    ledger.apply(ce.Ended(call, AT, "transfer", talk_seconds=40))
    assert check_of(ledger, "6.1").verdict == "complete"


def test_an_order_with_no_recording_path_is_flagged_missing(ledger):
    call = ce.CallInfo("6.2", "6.2", "139", "12345")
    ledger.apply(ce.Answered(call, "q12345", "agent1", "", 0, AT))
    ledger.apply(ce.Ended(call, AT, "agent", talk_seconds=12))
    check = check_of(ledger, "6.2")
    assert (check.verdict, check.path) == ("missing", "")
    assert ledger.store.count_flagged() == 1
