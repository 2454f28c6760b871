"""The wire clock: which SIP packets count, and INVITE-to-200 pairing per Call-ID."""
from __future__ import annotations

import pytest

from ivr.bench.capture import answer_times, bpf_udp_port, parse_lines, sip_event

INVITE = (b"INVITE sip:12345@127.0.0.1:6460 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:6470\r\n"
          b"Call-ID: 7-123@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\nv=0\r\n")
OK_INVITE = b"SIP/2.0 200 OK\r\ni: 7-123@127.0.0.1\r\nCSeq: 1 INVITE\r\n\r\n"
OK_BYE = b"SIP/2.0 200 OK\r\nCall-ID: 7-123@127.0.0.1\r\nCSeq: 2 BYE\r\n\r\n"


@pytest.mark.parametrize("payload, expected", [
    (INVITE, ("INVITE", "7-123@127.0.0.1")),
    (OK_INVITE, ("200", "7-123@127.0.0.1")),            # compact Call-ID header
    (OK_BYE, None),                                      # the BYE's answer is not the call's answer
    (b"SIP/2.0 100 Trying\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n", None),
    (b"ACK sip:1@h SIP/2.0\r\nCall-ID: x\r\n\r\n", None),
    (b"INVITE sip:1@h SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n", None),   # no Call-ID
    (b"\x00\xffrtp", None),
])
def test_sip_event(payload, expected):
    assert sip_event(payload) == expected


def test_answer_times_pair_first_invite_with_first_answer():
    lines = ("ready\n1000000 INVITE a\n1500000 INVITE a\n3500000 200 a\n4000000 200 a\n"
             "2000000 INVITE b\nbad line\n9 INVITE\n5000000 INVITE c\n")
    assert answer_times(parse_lines(lines)) == {"a": 2.5}  # b, c unanswered


def test_bpf_program_jumps_land_inside_the_program():
    program = bpf_udp_port(6470)
    for index, (code, jt, jf, _k) in enumerate(program):
        if code & 0x07 == 0x05:  # BPF_JMP
            assert index + 1 + jt < len(program) and index + 1 + jf < len(program)
    assert program[-2] == (0x06, 0, 0, 0x40000) and program[-1] == (0x06, 0, 0, 0)
    assert [ins[3] for ins in program if ins[0] == 0x15][-2:] == [6470, 6470]
