"""What failed steps leave beside the recordings: named by verify, removed by the sweep (each
removal logged), never a WAV that is the only copy nor a file still being written."""
from __future__ import annotations

import os
import time

import structlog

from audio import make_opus, make_wav
from ivr import recordings as rec
from ivr.recordings.leftovers import STALE_S, sweep
from support import at

T0 = at("2020-06-01 10:00")
DAY = "2020/06/01"


def old(*paths) -> None:
    """As if written before the sweep's quiet period."""
    then = time.time() - STALE_S - 60
    for path in paths:
        os.utime(path, (then, then))


def listed(recdir, rel: str) -> None:
    rec.append(recdir, recdir / rel, rel.rsplit("/", 1)[-1], T0)


def test_the_sweep_removes_leftovers_and_keeps_every_only_copy(tmp_path):
    recdir = tmp_path / "recordings"
    d = recdir / DAY
    make_opus(d / "a.opus", 3.0); make_wav(d / "a.wav", 3.0); listed(recdir, f"{DAY}/a.opus")   # rm did not run
    make_opus(d / "b.opus", 1.0); make_wav(d / "b.wav", 6.0); listed(recdir, f"{DAY}/b.opus")   # Opus cut short
    make_wav(d / "c.wav", 6.0); (d / "c.opus.part").write_bytes(b""); listed(recdir, f"{DAY}/c.wav")  # full disk
    make_wav(d / "e.wav", 2.0); make_opus(d / "e.opus", 2.0); listed(recdir, f"{DAY}/e.wav")    # Opus came late
    (d / "f.opus.part").write_bytes(b"OggS")                                                    # alone: kept
    make_wav(d / "g.wav", 2.0)                                        # a call still recording: unlisted, kept
    make_wav(d / "h.wav", 2.0); (d / "h.opus.part").write_bytes(b"OggS")  # compressing right now
    old(*[p for p in d.iterdir() if p.name not in ("h.wav", "h.opus.part")])
    report = rec.verify(recdir)
    assert report.leftovers == [f"{DAY}/a.wav: the WAV of a compressed recording",
                                f"{DAY}/b.wav: the WAV of a compressed recording",
                                f"{DAY}/c.opus.part: an unfinished compression",
                                f"{DAY}/e.opus: an Opus beside the listed WAV",
                                f"{DAY}/h.opus.part: an unfinished compression"]
    assert report.unlisted == [f"{DAY}/f.opus.part", f"{DAY}/g.wav", f"{DAY}/h.wav"] and not report.ok

    dry = sweep(recdir, time.time(), dry_run=True)
    assert len(dry.removed) == 3 and (d / "a.wav").exists()
    with structlog.testing.capture_logs() as logs:
        done = sweep(recdir, time.time())
    assert done.removed == [f"{DAY}/a.wav: the WAV of a compressed recording",
                            f"{DAY}/c.opus.part: an unfinished compression",
                            f"{DAY}/e.opus: an Opus beside the listed WAV"]
    assert [(e["event"], e["path"]) for e in logs] == [("recordings.leftover_removed", r.split(":")[0])
                                                        for r in done.removed]
    assert done.kept == [f"{DAY}/b.wav: the WAV of a compressed recording, kept: longer than its Opus (6.0 s against 1.0 s)",
                         f"{DAY}/h.opus.part: an unfinished compression, kept: written to lately"]
    left = sorted(p.name for p in d.iterdir())
    assert left == ["a.opus", "b.opus", "b.wav", "c.wav", "e.wav", "f.opus.part", "g.wav", "h.opus.part", "h.wav"]
    assert rec.verify(recdir).missing == []  # nothing listed was touched


def test_a_direction_file_left_beside_a_listed_recording_is_swept(tmp_path):
    recdir = tmp_path / "recordings"
    d = recdir / DAY
    make_opus(d / "m.opus", 2.0); listed(recdir, f"{DAY}/m.opus")
    make_wav(d / "m.agent.wav", 2.0); make_wav(d / "m.citizen.wav", 2.0)   # the media check never ran
    make_wav(d / "n.agent.wav", 2.0)                                        # a call still recording
    old(d / "m.agent.wav", d / "m.citizen.wav", d / "n.agent.wav")
    assert rec.verify(recdir).leftovers == [f"{DAY}/m.agent.wav: a direction file of a checked call",
                                            f"{DAY}/m.citizen.wav: a direction file of a checked call"]
    assert sorted(r.split(":")[0] for r in sweep(recdir, time.time()).removed) == \
        [f"{DAY}/m.agent.wav", f"{DAY}/m.citizen.wav"]
    assert sorted(p.name for p in d.iterdir()) == ["m.opus", "n.agent.wav"]
