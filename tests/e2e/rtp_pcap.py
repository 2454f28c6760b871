"""RTP streams for SIPp's ``play_pcap_audio``, made from sip-tester's A-law speech: longer (looped),
cut short (a stream that stops halfway), or with packets dropped (loss Asterisk counts from the
sequence numbers' gaps)."""
from __future__ import annotations

import struct
from pathlib import Path

from ivr.sipp import AUDIO

_RTP = 14 + 20 + 8            # Ethernet, IPv4, UDP headers before the RTP header in sip-tester's file


def _read(path: Path) -> tuple[bytes, list[tuple[float, bytes]]]:
    data = path.read_bytes()
    header, offset, packets = data[:24], 24, []
    while offset + 16 <= len(data):
        sec, usec, incl, _orig = struct.unpack_from("<IIII", data, offset)
        packets.append((sec + usec / 1e6, data[offset + 16:offset + 16 + incl]))
        offset += 16 + incl
    return header, packets


def _write(path: Path, header: bytes, packets: list[tuple[float, bytes]]) -> Path:
    with open(path, "wb") as out:
        out.write(header)
        for at, frame in packets:
            sec = int(at)
            out.write(struct.pack("<IIII", sec, int(round((at - sec) * 1e6)), len(frame), len(frame)))
            out.write(frame)
    return path


def speech(path: Path, seconds: float, drop_every: int = 0, stop_after: float | None = None) -> Path:
    """``seconds`` of speech (sip-tester's file looped, sequence numbers and RTP timestamps running
    on); every ``drop_every``-th packet left out; nothing after ``stop_after`` seconds."""
    header, source = _read(AUDIO)
    start, step = source[0][0], source[1][0] - source[0][0]
    span = source[-1][0] - start + step
    out: list[tuple[float, bytes]] = []
    n = 0
    while True:
        for at, frame in source:
            t = (at - start) + span * (n // len(source))
            if t >= seconds or (stop_after is not None and t >= stop_after):
                return _write(path, header, _lossy(out, drop_every))
            rtp = bytearray(frame)
            seq = (struct.unpack_from(">H", rtp, _RTP + 2)[0] + (n // len(source)) * len(source)) & 0xFFFF
            stamp = (struct.unpack_from(">I", rtp, _RTP + 4)[0] + int(8000 * span) * (n // len(source))) & 0xFFFFFFFF
            struct.pack_into(">HI", rtp, _RTP + 2, seq, stamp)
            out.append((start + t, bytes(rtp)))
            n += 1


def _lossy(packets: list[tuple[float, bytes]], drop_every: int) -> list[tuple[float, bytes]]:
    if drop_every <= 0:
        return packets
    return [p for i, p in enumerate(packets) if i % drop_every != drop_every - 1]
