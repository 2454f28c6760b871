"""A recording's length read from the file: WAV headers and Ogg Opus pages, whole, cut and forged."""
from __future__ import annotations

import shutil
import struct
import subprocess

import pytest

from audio import make_opus, make_wav
from ivr.recordings.length import measure


def test_a_wav_lasts_what_its_audio_chunk_holds(tmp_path):
    found = measure(make_wav(tmp_path / "a.wav", 6.0))
    assert (found.format, found.seconds, found.cut, found.size) == ("wav", 6.0, False, 44 + 96_000)


def test_a_wav_made_by_sox_is_read_the_same(tmp_path):
    if not shutil.which("sox"):
        pytest.skip("sox is not installed (tools/install-prompts.sh)")
    path = tmp_path / "sox.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "synth", "2.5", "sine", "300"],
                   check=True, timeout=30)
    assert measure(path).seconds == pytest.approx(2.5)


def test_a_wav_cut_short_on_a_full_disk_lasts_what_it_holds_and_says_it_was_cut(tmp_path):
    path = make_wav(tmp_path / "a.wav", 6.0)
    path.write_bytes(path.read_bytes()[:4096])       # the header still says 6 s
    found = measure(path)
    assert found.seconds == pytest.approx((4096 - 44) / 16_000) and found.cut


def test_a_wav_never_closed_lasts_what_it_holds(tmp_path):
    path = make_wav(tmp_path / "a.wav", 3.0)
    data = bytearray(path.read_bytes())
    data[40:44] = struct.pack("<I", 0)                # MixMonitor writes the sizes when it closes
    path.write_bytes(bytes(data))
    found = measure(path)
    assert found.seconds == 3.0 and not found.cut


def test_an_ogg_opus_lasts_its_last_pages_granule_less_the_pre_skip(tmp_path):
    found = measure(make_opus(tmp_path / "a.opus", 7.0))
    assert found.format == "opus" and not found.cut
    assert found.seconds == pytest.approx(7.0, abs=0.03)


def test_a_long_ogg_opus_is_read_from_its_end_only(tmp_path):
    found = measure(make_opus(tmp_path / "a.opus", 95.0))
    assert found.size > 100_000 and found.seconds == pytest.approx(95.0, abs=0.03)


def test_an_ogg_opus_cut_short_lasts_its_last_whole_page_and_says_it_was_cut(tmp_path):
    path = make_opus(tmp_path / "a.opus", 7.0)
    whole = path.read_bytes()
    path.write_bytes(whole[:len(whole) // 2])
    found = measure(path)
    assert found.cut and 1.0 < found.seconds < 5.0


def test_a_forged_page_in_the_audio_is_not_taken_for_the_last_page(tmp_path):
    """Bytes that spell OggS at the end, with a huge granule, but a CRC that does not match."""
    path = make_opus(tmp_path / "a.opus", 2.0)
    fake = b"OggS\x00\x04" + struct.pack("<Q", 48_000 * 3600) + b"\x01\x00\x00\x00" * 3 + b"\x00"
    path.write_bytes(path.read_bytes() + fake)
    assert measure(path).seconds == pytest.approx(2.0, abs=0.03)


def test_empty_and_foreign_files(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "text.opus").write_bytes(b"not audio at all" * 10)
    (tmp_path / "vorbis.ogg").write_bytes(b"OggS" + b"\0" * 60)
    assert measure(tmp_path / "empty.wav").seconds == 0.0 and measure(tmp_path / "empty.wav").size == 0
    assert measure(tmp_path / "text.opus").seconds is None
    assert "not a WAV or an Ogg Opus" in measure(tmp_path / "text.opus").problem
    assert measure(tmp_path / "vorbis.ogg").seconds is None
    with pytest.raises(OSError):
        measure(tmp_path / "nothing.wav")
