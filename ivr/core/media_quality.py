"""What each side of a call heard: Asterisk's RTP/RTCP figures per leg, and a MOS estimate from them.

At the end of every answered call a hangup handler on each leg (``dialplan/media.conf``) reads
``CHANNEL(rtcp,all,audio)`` (chan_pjsip's ``channels/pjsip/dialplan_functions.c``; chan_sip's
``CHANNEL(rtpqos,...)`` does not exist in Asterisk 22) and writes it to the queue log as an
``IVRMEDIA`` line: ``side|endpoint|ssrc=..;themssrc=..;lp=..;rxjitter=..;rxcount=..;txjitter=..;
txcount=..;rlp=..;rtt=..;rxmes=..;txmes=..`` (``ast_rtp_instance_get_quality`` in
``main/rtp_engine.c``: ``lp`` the packets Asterisk lost receiving from that phone, ``rlp`` the
packets that phone reported lost receiving from Asterisk (its RTCP receiver reports), jitter in
seconds, ``rtt`` in seconds from RTCP, 0 when the phone sends no RTCP).

One direction of the conversation crosses two legs: what the agent heard left the citizen's phone,
reached Asterisk on the caller's leg (its ``lp``) and went on to the agent on the agent's leg (the
agent phone's ``rlp``). So each direction's loss is the two legs' losses combined, and its delay
the two legs' round trips halved plus their jitter buffers.

The score is the ITU-T G.107 E-model, simplified for G.711 as is usual for a network's own figures
(ITU-T G.107 (06/2015) §3 and §7; G.113 Appendix I for Ie and Bpl; the delay term as in R. G. Cole
and J. H. Rosenbluth, "Voice over IP performance monitoring", ACM SIGCOMM CCR 31(2), 2001)::

    R      = R0 - Is - Id - Ie_eff + A         R0 - Is = 93.2 (G.107's defaults), A = 0
    Id     = 0.024 d + 0.11 (d - 177.3) H(d - 177.3)           d: one-way delay in ms, H: step
    d      = rtt / 2 + 2 * jitter + CODEC_DELAY_MS               (jitter buffer of twice the jitter)
    Ie_eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl)         G.711: Ie = 0, Bpl = 25.1 (with
                                                                 packet loss concealment), BurstR = 1
    MOS    = 1 + 0.035 R + R (R - 60) (100 - R) 7e-6              for 0 < R < 100 (G.107 Annex B)

A clean G.711 call scores R 93.2, MOS 4.41; 10 % random loss R 66, MOS 3.4.
Pure: the figures come in as text, nothing is read here.
"""
from __future__ import annotations

from dataclasses import dataclass

R0_MINUS_IS = 93.2        # G.107's default R0 - Is (no echo, no noise: the network's share only)
IE_G711 = 0.0             # G.113 Appendix I: G.711's equipment impairment
BPL_G711 = 25.1           # G.113 Appendix I: G.711 with packet loss concealment
BURST_R = 1.0             # random loss (Asterisk's figures say nothing of bursts)
CODEC_DELAY_MS = 10.0     # a G.711 frame's packetisation and look-ahead, roughly
MOS_THRESHOLD = 3.6       # below it a call is marked poor (G.107 Table B.1: "many users dissatisfied")
MAX_RTT_MS = 10_000.0     # a round trip above this is no measure: Asterisk reports 65536 s when the
                          # phone's RTCP timestamps wrap (seen with baresip 1.0), so it counts as none
SIDES = ("caller", "agent")  # the caller's leg (the citizen, through the trunk) and the agent's


@dataclass(frozen=True)
class LegFigures:
    """One leg's RTP figures as Asterisk counted them at hangup (``ast_rtp_instance_get_quality``)."""

    side: str                 # "caller" or "agent"
    endpoint: str             # the PJSIP endpoint: the trunk for the caller, the agent's phone
    received: int = 0         # rxcount: packets Asterisk received from the phone
    sent: int = 0             # txcount: packets Asterisk sent to it
    lost_in: int = 0          # lp: packets from the phone that never arrived (sequence gaps)
    lost_out: int = 0         # rlp: packets to the phone it reported lost (RTCP), 0 without RTCP
    jitter_in_ms: float = 0.0
    jitter_out_ms: float = 0.0  # as the phone reported it (RTCP)
    rtt_ms: float = 0.0       # RTCP round trip, 0 when the phone sends no RTCP


@dataclass(frozen=True)
class Direction:
    """One direction of the conversation: who heard it, its loss, delay and score."""

    heard_by: str             # "agent" (the citizen's voice) or "caller" (the agent's voice)
    loss: float               # 0..1
    delay_ms: float           # one-way, estimated
    r: float
    mos: float


@dataclass(frozen=True)
class CallQuality:
    """Both directions of an answered call, and the worse of the two as the call's score."""

    agent_heard: Direction
    caller_heard: Direction

    @property
    def mos(self) -> float:
        return min(self.agent_heard.mos, self.caller_heard.mos)

    @property
    def poor(self) -> bool:
        return self.mos < MOS_THRESHOLD


def parse_quality(side: str, endpoint: str, text: str) -> LegFigures:
    """A leg's figures from ``CHANNEL(rtcp,all,audio)`` text; missing or bad fields count as 0."""
    fields: dict[str, str] = {}
    for item in text.split(";"):
        name, sep, value = item.strip().partition("=")
        if sep:
            fields[name.strip()] = value.strip()

    def number(name: str) -> float:
        try:
            value = float(fields.get(name, "0"))
        except ValueError:
            return 0.0
        return value if value == value and 0 <= value < 1e12 else 0.0  # NaN, negatives, nonsense: 0

    return LegFigures(side=side, endpoint=endpoint, received=int(number("rxcount")), sent=int(number("txcount")),
                      lost_in=int(number("lp")), lost_out=int(number("rlp")),
                      jitter_in_ms=number("rxjitter") * 1000, jitter_out_ms=number("txjitter") * 1000,
                      rtt_ms=rtt if (rtt := number("rtt") * 1000) <= MAX_RTT_MS else 0.0)


def loss_share(lost: int, arrived: int) -> float:
    """Lost packets as a share of those sent (lost + arrived); 0 when nothing was expected."""
    total = lost + arrived
    return lost / total if total > 0 else 0.0


def r_factor(loss: float, delay_ms: float) -> float:
    """G.107's R for G.711 with ``loss`` (0..1) of packets lost at random and ``delay_ms`` one way."""
    ppl = max(0.0, min(1.0, loss)) * 100
    d = max(0.0, delay_ms)
    i_d = 0.024 * d + (0.11 * (d - 177.3) if d > 177.3 else 0.0)
    ie_eff = IE_G711 + (95 - IE_G711) * ppl / (ppl / BURST_R + BPL_G711)
    return R0_MINUS_IS - i_d - ie_eff


def mos_of(r: float) -> float:
    """G.107 Annex B: the MOS (conversational quality, estimated) for a rating ``r``."""
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6


def direction(heard_by: str, first: LegFigures, second: LegFigures) -> Direction:
    """The direction whose audio arrived on leg ``first`` and left Asterisk on leg ``second``."""
    into = loss_share(first.lost_in, first.received)
    onward = loss_share(second.lost_out, max(0, second.sent - second.lost_out))
    loss = 1 - (1 - into) * (1 - onward)
    delay = (first.rtt_ms + second.rtt_ms) / 2 + 2 * (first.jitter_in_ms + second.jitter_out_ms) + CODEC_DELAY_MS
    r = r_factor(loss, delay)
    return Direction(heard_by, round(loss, 4), round(delay, 1), round(r, 1), round(mos_of(r), 2))


def call_quality(caller: LegFigures, agent: LegFigures) -> CallQuality:
    """Both directions of a call from its two legs' figures."""
    return CallQuality(agent_heard=direction("agent", caller, agent),
                       caller_heard=direction("caller", agent, caller))
