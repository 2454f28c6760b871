"""How long a recording is, read from the file itself: a WAV's header, an Ogg Opus's last page.

* **WAV** (MixMonitor's): the ``fmt `` chunk's byte rate and the ``data`` chunk's size, the size
  capped by what the file really holds. MixMonitor writes the sizes when it closes the file; a file
  whose writes failed on a full disk holds less audio, and its length says so. A header claiming
  more than the file holds marks the file as *cut*.
* **Ogg Opus** (``opusenc``'s): the granule position of the last complete page (48,000 per second)
  less the stream's pre-skip (its OpusHead). Each page is checked against its CRC, so bytes that
  merely look like a page in the audio are not taken for one. A stream without its end-of-stream
  page is *cut*: the encoder stopped before the end.

Anything else (or a file too damaged to tell) is unreadable, with the reason. Only the header and
the last pages are read: a long recording is not read whole.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path

from ivr.core.recording_check import Measured

_HEAD = 1 << 16               # how much of the start is read for the headers
_TAIL = 2 * 65_307 + 27       # enough of the end to hold one whole page of the largest size
OPUS_RATE = 48_000            # Ogg Opus granule positions count 48 kHz samples, whatever the input
_NO_GRANULE = (1 << 64) - 1   # a page on which no packet ends
_EOS = 0x04


def measure(path: Path | str) -> Measured:
    """The size, format and length of the recording at ``path`` (OSError if it cannot be opened)."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(_HEAD)
        if size == 0:
            return Measured(0, 0.0)
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            return _wav(head, size)
        if head[:4] == b"OggS":
            handle.seek(max(0, size - _TAIL))
            return _ogg_opus(head, handle.read(_TAIL), size)
    return Measured(size, None, problem="not a WAV or an Ogg Opus file")


def _wav(head: bytes, size: int) -> Measured:
    offset, byte_rate = 12, 0
    while offset + 8 <= len(head):
        kind, length = head[offset:offset + 4], struct.unpack_from("<I", head, offset + 4)[0]
        body = offset + 8
        if kind == b"fmt " and length >= 16 and body + 16 <= len(head):
            byte_rate = struct.unpack_from("<I", head, body + 8)[0]
        elif kind == b"data":
            if not byte_rate:
                return Measured(size, None, "wav", problem="no format chunk before the audio")
            held = max(0, size - body)
            # 0 or 0xFFFFFFFF: a file never closed (the writer stopped before it wrote the sizes)
            declared = held if length in (0, 0xFFFFFFFF) else length
            return Measured(size, min(declared, held) / byte_rate, "wav", cut=declared > held)
        offset = body + length + (length & 1)
    return Measured(size, None, "wav", problem="no audio chunk in the WAV header")


def _ogg_opus(head: bytes, tail: bytes, size: int) -> Measured:
    first = _page_at(head, 0)
    if first is None or not first[4].startswith(b"OpusHead") or len(first[4]) < 12:
        return Measured(size, None, "opus", problem="an Ogg file that is not Ogg Opus")
    serial, pre_skip = first[2], struct.unpack_from("<H", first[4], 10)[0]
    start = tail.rfind(b"OggS")
    while start >= 0:
        page = _page_at(tail, start)
        if page is not None and page[2] == serial and page[1] != _NO_GRANULE:
            flags, granule = page[0], page[1]
            return Measured(size, max(0, granule - pre_skip) / OPUS_RATE, "opus", cut=not flags & _EOS)
        start = tail.rfind(b"OggS", 0, start)
    if size <= len(head):  # the whole file was read: only header pages, or none whole
        return Measured(size, 0.0, "opus", cut=True)
    return Measured(size, None, "opus", problem="no complete Ogg page at the end of the file")


def _page_at(data: bytes, start: int) -> tuple[int, int, int, int, bytes] | None:
    """(flags, granule, serial, sequence, body) of the Ogg page at ``start``, or None when there
    is no whole page there whose CRC matches."""
    if start + 27 > len(data) or data[start:start + 4] != b"OggS" or data[start + 4] != 0:
        return None
    flags = data[start + 5]
    granule, serial, sequence, crc = struct.unpack_from("<QIII", data, start + 6)
    segments = data[start + 26]
    table_end = start + 27 + segments
    if table_end > len(data):
        return None
    end = table_end + sum(data[start + 27:table_end])
    if end > len(data):
        return None
    page = bytearray(data[start:end])
    page[22:26] = b"\0\0\0\0"
    if _crc(page) != crc:
        return None
    return flags, granule, serial, sequence, bytes(data[table_end:end])


def _table() -> list[int]:
    out = []
    for byte in range(256):
        value = byte << 24
        for _ in range(8):
            value = ((value << 1) ^ 0x04C11DB7) if value & 0x80000000 else value << 1
        out.append(value & 0xFFFFFFFF)
    return out


_CRC_TABLE = _table()


def _crc(data: bytes | bytearray) -> int:
    """Ogg's CRC-32 (polynomial 0x04C11DB7, not reflected, no final xor)."""
    crc, table = 0, _CRC_TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[((crc >> 24) ^ byte) & 0xFF]
    return crc
