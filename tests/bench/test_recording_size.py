"""Bytes per second of call: lengths read from real WAV and Ogg Opus files (opusenc, as the
dialplan runs it)."""
from __future__ import annotations

import math
import struct
import wave

import pytest

from ivr.bench import recording_size


def _tone(path, seconds: float) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(struct.pack("<h", int(4000 * math.sin(2 * math.pi * 300 * i / 8000)))
                                 for i in range(int(seconds * 8000))))


def test_the_dialplans_compression_keeps_the_length_and_costs_a_tenth(tmp_path):
    wav = tmp_path / "call.wav"
    _tone(wav, 6.0)
    doc = recording_size.speech([wav])
    before, after = doc["before_wav"], doc["after_opus"]
    assert before["seconds"] == 6.0 and before["bytes_per_second"] > 16_000
    assert after["seconds"] == pytest.approx(6.0, abs=0.03)   # the same call, compressed
    assert after["bytes_per_second"] < 2048 and doc["ratio"] < 0.13


def test_a_file_that_is_not_ogg_opus_is_left_out_not_guessed(tmp_path):
    bad = tmp_path / "cut.opus"
    bad.write_bytes(b"RIFF....")
    assert recording_size.measure([bad]).files == 0
    with pytest.raises(ValueError):
        recording_size.ogg_opus_seconds(bad)
