"""Real recording files for the tests: WAV as MixMonitor writes it (8 kHz, 16-bit, mono) and Ogg
Opus as the dialplan's ``opusenc --bitrate 12`` makes it from that WAV."""
from __future__ import annotations

import math
import shutil
import struct
import subprocess
import wave
from pathlib import Path

import pytest

RATE = 8000


def make_wav(path: Path, seconds: float, tone: bool = True) -> Path:
    """A WAV of ``seconds`` of a 440 Hz tone (or silence)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = int(seconds * RATE)
    samples = (int(8000 * math.sin(2 * math.pi * 440 * n / RATE)) if tone else 0 for n in range(frames))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


def make_opus(path: Path, seconds: float) -> Path:
    """An Ogg Opus file of ``seconds``, encoded by opusenc as the dialplan does."""
    encoder = shutil.which("opusenc")
    if encoder is None:
        pytest.skip("opusenc is not installed (Debian opus-tools: tools/install-asterisk.sh)")
    source = make_wav(path.with_name(path.name + ".src.wav"), seconds)
    subprocess.run([encoder, "--quiet", "--bitrate", "12", str(source), str(path)], check=True, timeout=60)
    source.unlink()
    return path
