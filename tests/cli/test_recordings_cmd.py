"""``ivr recordings verify`` names every work order whose recording was found incomplete (exit 1);
``--clean`` and ``ivr recordings clean`` remove what failed steps left behind."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from audio import make_wav
from ivr import recordings as rec
from ivr.core.recording_check import Measured, judge
from ivr.recordings.leftovers import STALE_S
from cli.test_tickets_cmd import T0, _fresh_logging, env, ivr, store, taken_in  # noqa: F401 - fixtures

DAY = "2020/06/01"


def finished(store, recdir: Path, linkedid: str, seconds: float, talk: int) -> str:
    """An order whose recording of ``seconds`` was judged against ``talk`` and listed."""
    number = taken_in(store, linkedid)
    wav = make_wav(recdir / DAY / f"{linkedid}.wav", seconds)
    entry = rec.append(recdir, wav, linkedid, T0)
    store.finish_recording(linkedid, judge(Measured(wav.stat().st_size, seconds, "wav"), talk), path=str(wav),
                           at=T0, sha256=entry.sha256)
    return number


def test_verify_names_each_flagged_order_with_its_reason_and_exits_1(capsys, env, store):
    recdir = Path(env["IVR_RECORDINGS_DIR"])
    finished(store, recdir, "1591000000.1", 6.0, 6)
    assert ivr(capsys, "recordings", "verify")[0] == 0
    short = finished(store, recdir, "1591000000.2", 2.3, 6)
    number = taken_in(store, "1591000000.3")
    store.finish_recording("1591000000.3", judge(None, 6), path=str(recdir / DAY / "1591000000.3.opus"), at=T0)
    code, out, _ = ivr(capsys, "recordings", "verify")
    assert code == 1
    assert f"flagged: {short}: recording short: 2.3 s recorded of 6.0 s talk ({recdir / DAY}/1591000000.2.wav)" in out
    assert f"flagged: {number}: recording missing: no file was written (6.0 s talk)" in out
    assert "problem:" not in out   # the missing file is said once, by its flag
    assert out.rstrip().endswith("2 work order(s) with an incomplete recording: PROBLEMS FOUND")
    code, out, _ = ivr(capsys, "recordings", "verify", "--json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and len(data["flagged"]) == 2
    assert ivr(capsys, "recordings", "verify", "--no-tickets")[0] == 0  # the files alone are in order


def test_clean_and_verify_clean_remove_leftovers(capsys, env, store):
    recdir = Path(env["IVR_RECORDINGS_DIR"])
    finished(store, recdir, "1591000000.1", 2.0, 2)
    part = recdir / DAY / "1591000000.1.opus.part"
    part.write_bytes(b"")
    then = time.time() - STALE_S - 1
    os.utime(part, (then, then))
    code, out, _ = ivr(capsys, "recordings", "verify")
    assert code == 1 and f"leftover: {DAY}/1591000000.1.opus.part: an unfinished compression" in out
    code, out, _ = ivr(capsys, "recordings", "clean", "--dry-run")
    assert code == 0 and f"would remove: {DAY}/1591000000.1.opus.part" in out and part.exists()
    code, out, _ = ivr(capsys, "recordings", "verify", "--clean")
    assert code == 0, out
    assert f"removed: {DAY}/1591000000.1.opus.part: an unfinished compression" in out and not part.exists()
    assert out.rstrip().endswith(": OK")
