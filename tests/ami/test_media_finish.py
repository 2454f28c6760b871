"""The media check after the hangup: the legs' figures from the queue log, the direction files
judged, one row on the call and its order, the direction files removed."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from audio import make_wav
from ivr.ami.intake import RecordingNotReady
from ivr.ami.media_finish import LEGS_WAIT_S, MediaFinisher
from ivr.ami.media_lines import MediaLines
from ivr.core import call_events as ce
from ivr.recordings.sides import levels, side_paths

AT = datetime(2026, 9, 9, 3, 0, tzinfo=timezone.utc)
CLEAN = "ssrc=1;themssrc=2;lp={lp};rxjitter=0.001;rxcount={rx};txjitter=0.001;txcount=1000;rlp=0;rtt=0;" \
        "rxmes=0;txmes=0"


def qlog_line(linkedid: str, side: str, endpoint: str, rx: int, lp: int = 0) -> str:
    return f"1788922800|{linkedid}|hotline|{endpoint}|IVRMEDIA|{side}|{CLEAN.format(lp=lp, rx=rx)}\n"


@pytest.fixture
def media(ledger, tmp_path):
    qlog = tmp_path / "queue_log"
    qlog.write_text("1788922800|x|NONE|NONE|QUEUESTART|\n")
    ledger.media = MediaFinisher(ledger.store, ledger.recordings_dir, MediaLines(qlog),
                                 wall_clock=lambda: ledger.clock["now"])
    return qlog


def answered(ledger, tmp_path, linkedid: str):
    path = tmp_path.joinpath("recordings", "2026", "09", "09", f"{linkedid}.wav")
    call = ce.CallInfo(linkedid, linkedid, "139", "051380000304", "", "", str(path))
    ledger.apply(ce.Answered(call, "seat_water", "agent8", "", 2, AT))
    make_wav(path, 6.0)
    return call, path


def test_a_silent_agent_side_is_on_the_order_with_the_mos(ledger, media, tmp_path):
    call, path = answered(ledger, tmp_path, "7.1")
    sides = side_paths(path)
    make_wav(sides["agent"], 6.0, tone=False)
    make_wav(sides["caller"], 6.0)
    with media.open("a") as out:
        out.write(qlog_line("7.1", "agent", "agent8", 0))
        out.write(qlog_line("7.1", "caller", "carrier", 900, lp=100))
    ledger.clock["now"] = path.stat().st_mtime + 5
    ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=6))
    check = ledger.store.media_check(ledger.store.by_linkedid("7.1").number)
    assert check.silent == ("agent",) and check.labels == ("坐席侧无声音",)
    assert (check.agent, check.trunk, check.agent_packets, check.caller_packets, check.caller_lost) == \
        ("agent8", "carrier", 0, 900, 100)
    assert check.agent_heard_mos < 3.6 and check.poor
    assert not any(p.exists() for p in sides.values())        # read once, then removed
    ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=6))  # a replayed fact changes nothing
    assert len(ledger.store.recent_media()) == 1


def test_a_leg_still_hanging_up_is_waited_for_then_judged_without_it(ledger, media, tmp_path):
    call, path = answered(ledger, tmp_path, "7.2")
    with media.open("a") as out:
        out.write(qlog_line("7.2", "caller", "carrier", 1000))
    ledger.clock["now"] = path.stat().st_mtime + 5
    with pytest.raises(RecordingNotReady):
        ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=6))
    assert ledger.store.media_of_call("7.2") is None
    ledger.clock["now"] += LEGS_WAIT_S + 1
    ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=6))
    check = ledger.store.media_of_call("7.2")
    assert check.mos is None and check.silent == () and check.caller_packets == 1000


def test_both_sides_heard_is_clean(ledger, media, tmp_path):
    call, path = answered(ledger, tmp_path, "7.3")
    sides = side_paths(path)
    make_wav(sides["agent"], 6.0)
    make_wav(sides["caller"], 6.0)
    with media.open("a") as out:
        out.write(qlog_line("7.3", "agent", "agent8", 300))
        out.write(qlog_line("7.3", "caller", "carrier", 300))
    ledger.clock["now"] = path.stat().st_mtime + 5
    ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=6))
    check = ledger.store.media_of_call("7.3")
    assert check.silent == () and check.mos > 4.0 and not check.poor
    groups = ledger.store.media_groups("agent", AT.replace(hour=0), AT.replace(hour=23))
    assert [(g.key, g.calls, g.poor, g.silent) for g in groups] == [("agent8", 1, 0, 0)]


def test_levels_of_a_wav_per_half_second(tmp_path):
    tone, quiet = make_wav(tmp_path / "t.wav", 2.0), make_wav(tmp_path / "q.wav", 2.0, tone=False)
    assert len(levels(tone)) == 4 and min(levels(tone)) > 5000 and levels(quiet) == [0, 0, 0, 0]
