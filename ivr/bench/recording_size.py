"""Bytes per second of call, before (WAV) and after (Ogg Opus) the recordings' compression.

Two measurements, both of real files: the recordings the benchmark's own calls left (whatever
audio the lab's SIPp parties sent), and speech, the centre's own prompts (8 kHz 16-bit WAV, as
MixMonitor writes) put through exactly the dialplan's command (``opusenc --quiet --bitrate 12``).
A recording's length comes from its own header (WAV) or its last Ogg page's granule position
(:mod:`ivr.recordings.length`, the reader the engine judges recordings with).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from ivr.recordings.length import measure as read_length

BITRATE_KBPS = 12         # dialplan/answered.conf


def seconds(path: Path) -> float:
    """Playing time of a WAV or Ogg Opus recording; ValueError for anything else."""
    found = read_length(path)
    if found.seconds is None:
        raise ValueError(f"{path}: {found.problem}")
    return found.seconds


def ogg_opus_seconds(path: Path) -> float:
    """Playing time of an Ogg Opus file: the last page's granule position less the pre-skip."""
    found = read_length(path)
    if found.format != "opus" or found.seconds is None:
        raise ValueError(f"{path}: not an Ogg Opus file")
    return found.seconds


@dataclass(frozen=True)
class Size:
    files: int
    seconds: float
    bytes: int

    @property
    def per_second(self) -> float | None:
        return round(self.bytes / self.seconds, 1) if self.seconds else None

    def to_dict(self) -> dict:
        return asdict(self) | {"bytes_per_second": self.per_second}


def measure(paths: list[Path]) -> Size:
    total_s, total_b, n = 0.0, 0, 0
    for path in paths:
        try:
            total_s += seconds(path)
        except (OSError, ValueError):
            continue
        total_b += path.stat().st_size
        n += 1
    return Size(n, round(total_s, 2), total_b)


def speech(samples: list[Path]) -> dict:
    """The dialplan's compression applied to speech WAVs: bytes per second before and after."""
    if shutil.which("opusenc") is None:
        return {"skipped": "opusenc is not installed (tools/install-asterisk.sh installs it)"}
    wavs = [p for p in samples if p.suffix == ".wav"]
    with tempfile.TemporaryDirectory(prefix="ivr-bench-opus-") as folder:
        outs = []
        for wav in wavs:
            out = Path(folder) / (wav.stem + ".opus")
            subprocess.run(["opusenc", "--quiet", "--bitrate", str(BITRATE_KBPS), str(wav), str(out)],
                           check=True, timeout=120)
            outs.append(out)
        before, after = measure(wavs), measure(outs)
    ratio = round(after.bytes / before.bytes, 3) if before.bytes else None
    return {"before_wav": before.to_dict(), "after_opus": after.to_dict(), "ratio": ratio}


def of_run(recordings_dir: Path) -> dict:
    """The recordings a benchmark run left, by form."""
    files = [p for p in recordings_dir.rglob("*") if p.suffix in (".opus", ".wav") and p.is_file()]
    return {suffix.lstrip("."): measure([p for p in files if p.suffix == suffix]).to_dict()
            for suffix in (".opus", ".wav")}
