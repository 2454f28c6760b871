"""The recording's two directions, as levels: what the one-way check (:mod:`ivr.core.one_way`) reads.

MixMonitor (``dialplan/answered.conf``) writes beside each recording ``<call>.agent.wav`` (what the
agent's phone sent) and ``<call>.citizen.wav`` (what went to the agent: the citizen's voice), 8 kHz
16-bit mono WAV (or whatever rate the header says). They exist to be checked: the engine reads
them once after the call and removes them; the call's recording (the mix, compressed to Opus) is
what is kept.
"""
from __future__ import annotations

import math
import struct
from array import array
from pathlib import Path

from ivr.core.one_way import WINDOW_S

SUFFIXES = {"agent": ".agent.wav", "caller": ".citizen.wav"}
_READ = 1 << 20


def side_paths(recording: Path) -> dict[str, Path]:
    """The two direction files of the recording at ``recording`` (any extension)."""
    base = recording.with_suffix("")
    return {side: base.with_name(base.name + suffix) for side, suffix in SUFFIXES.items()}


def levels(path: Path) -> list[int]:
    """The RMS level of each :data:`~ivr.core.one_way.WINDOW_S` window of a 16-bit PCM WAV
    (OSError if it cannot be read; ValueError if it is not such a WAV)."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
        rate, offset = _pcm16_header(head)
        handle.seek(offset)
        window = max(1, int(rate * WINDOW_S))
        out: list[int] = []
        carry = array("h")
        while True:
            chunk = handle.read(_READ)
            if not chunk:
                break
            samples = array("h")
            samples.frombytes(chunk[: len(chunk) - len(chunk) % 2])
            carry.extend(samples)
            whole = len(carry) - len(carry) % window
            for start in range(0, whole, window):
                part = carry[start:start + window]
                out.append(int(math.sqrt(sum(map(int.__mul__, part, part)) / window)))
            carry = carry[whole:]
        if len(carry) >= window // 2:  # a last half window or more counts
            out.append(int(math.sqrt(sum(map(int.__mul__, carry, carry)) / len(carry))))
        return out


def _pcm16_header(head: bytes) -> tuple[int, int]:
    """(sample rate, offset of the audio) of a mono 16-bit PCM WAV header."""
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    offset, rate = 12, 0
    while offset + 8 <= len(head):
        kind, length = head[offset:offset + 4], struct.unpack_from("<I", head, offset + 4)[0]
        body = offset + 8
        if kind == b"fmt " and body + 16 <= len(head):
            fmt, channels, rate = struct.unpack_from("<HHI", head, body)
            bits = struct.unpack_from("<H", head, body + 14)[0]
            if fmt != 1 or channels != 1 or bits != 16:
                raise ValueError(f"not mono 16-bit PCM (format {fmt}, {channels} channel(s), {bits} bits)")
        elif kind == b"data":
            if not rate:
                raise ValueError("no format chunk before the audio")
            return rate, body
        offset = body + length + (length & 1)
    raise ValueError("no audio chunk in the WAV header")
