"""INVITE-to-answer on the wire, to the microsecond: a packet capture of the carrier's SIP port.

SIPp's own response times have a clock step of several milliseconds, coarser than what the
engine adds to a call (about a millisecond), so a ratio of two such figures says little. This
module listens on the loopback interface (a raw AF_PACKET socket, kernel time stamps, a BPF
filter so only the carrier's SIP packets reach Python) and writes one line per INVITE sent to
Asterisk and per 200 OK answering an INVITE::

    <ns since the epoch> INVITE|200 <Call-ID>

:func:`answer_times` pairs them (first INVITE, first 200 of each Call-ID). The capture runs as
its own process (``python -m ivr.bench.capture PORT FILE``), started and stopped by the runner;
it needs root (CAP_NET_RAW), as does the sid-root Asterisk.
"""
from __future__ import annotations

import ctypes
import signal
import socket
import struct
import sys

SO_ATTACH_FILTER = 26
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
ETH_P_ALL = 0x0003
PACKET_HOST = 0        # on loopback each packet is seen twice: as sent and as received; keep one


def bpf_udp_port(port: int) -> list[tuple[int, int, int, int]]:
    """Classic BPF: accept IPv4 UDP (unfragmented) with source or destination ``port``."""
    return [
        (0x28, 0, 0, 12),          # ldh [12]            ethertype
        (0x15, 0, 10, 0x0800),     # jeq IPv4 ? next : drop
        (0x30, 0, 0, 23),          # ldb [23]            IP protocol
        (0x15, 0, 8, 17),          # jeq UDP ? next : drop
        (0x28, 0, 0, 20),          # ldh [20]            flags + fragment offset
        (0x45, 6, 0, 0x1FFF),      # jset fragment ? drop : next
        (0xB1, 0, 0, 14),          # ldxb 4*([14]&0xf)   IP header length
        (0x48, 0, 0, 14),          # ldh [x+14]          source port
        (0x15, 2, 0, port),        # jeq port ? accept : next
        (0x48, 0, 0, 16),          # ldh [x+16]          destination port
        (0x15, 0, 1, port),        # jeq port ? accept : drop
        (0x06, 0, 0, 0x40000),     # accept
        (0x06, 0, 0, 0),           # drop
    ]


def sip_event(payload: bytes) -> tuple[str, str] | None:
    """("INVITE" | "200", Call-ID) for an INVITE request or a 200 OK to an INVITE, else None."""
    head = payload.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    if not lines:
        return None
    first = lines[0].strip()
    if first.startswith(b"INVITE "):
        kind = "INVITE"
    elif first.startswith(b"SIP/2.0 200"):
        kind = "200"
    else:
        return None
    call_id = cseq = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key in (b"call-id", b"i"):
            call_id = value.strip().decode("ascii", "replace")
        elif key == b"cseq":
            cseq = value.strip().split()[-1:] if value.strip() else []
    if not call_id or " " in call_id:
        return None
    if kind == "200" and cseq != [b"INVITE"]:
        return None
    return kind, call_id


def parse_lines(text: str) -> list[tuple[int, str, str]]:
    """(ns, kind, Call-ID) of each well-formed line the capture wrote."""
    out = []
    for line in text.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[1] not in ("INVITE", "200"):
            continue
        try:
            out.append((int(parts[0]), parts[1], parts[2]))
        except ValueError:
            continue
    return out


def answer_times(events: list[tuple[int, str, str]]) -> dict[str, float]:
    """Call-ID -> milliseconds from its first INVITE to its first 200 OK (answered calls only)."""
    invite: dict[str, int] = {}
    answer: dict[str, int] = {}
    for ns, kind, call_id in events:
        target = invite if kind == "INVITE" else answer
        if call_id not in target or ns < target[call_id]:
            target[call_id] = ns
    return {cid: round((answer[cid] - t0) / 1e6, 3) for cid, t0 in invite.items()
            if cid in answer and answer[cid] >= t0}


def _open(port: int) -> tuple[socket.socket, ctypes.Array]:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    program = bpf_udp_port(port)
    buf = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *ins) for ins in program))
    fprog = struct.pack("HL", len(program), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.bind(("lo", 0))
    return sock, buf  # the kernel has its own copy; the buffer lives as long as the socket anyway


def run(port: int, out_path: str) -> int:
    """Capture until SIGTERM/SIGINT, writing one line per INVITE / 200-to-INVITE."""
    stop = False

    def _stop(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        sock, _program = _open(port)
    except OSError as err:
        print(f"capture: cannot open a raw socket on lo: {err.strerror} (needs root)", file=sys.stderr)
        return 2
    sock.settimeout(0.2)
    with open(out_path, "w", encoding="ascii", buffering=1) as out:
        out.write("ready\n")
        while not stop:
            try:
                data, ancdata, _flags, addr = sock.recvmsg(65535, socket.CMSG_SPACE(16))
            except (socket.timeout, InterruptedError):
                continue
            if addr[2] != PACKET_HOST or len(data) < 42:
                continue
            ihl = (data[14] & 0x0F) * 4
            event = sip_event(data[14 + ihl + 8:])
            if event is None:
                continue
            ns = None
            for level, kind, cdata in ancdata:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(cdata) >= 16:
                    sec, nsec = struct.unpack("qq", cdata[:16])
                    ns = sec * 1_000_000_000 + nsec
            if ns is not None:
                out.write(f"{ns} {event[0]} {event[1]}\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or not sys.argv[1].isdigit():
        print("usage: python -m ivr.bench.capture PORT FILE", file=sys.stderr)
        sys.exit(64)
    sys.exit(run(int(sys.argv[1]), sys.argv[2]))
