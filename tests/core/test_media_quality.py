"""The E-model estimate from Asterisk's RTP figures: clean calls score above 4, lossy ones below 3.6."""
from __future__ import annotations

import pytest

from ivr.core.media_quality import LegFigures, call_quality, direction, mos_of, parse_quality, r_factor

CLEAN = "ssrc=1;themssrc=2;lp=0;rxjitter=0.000500;rxcount=1500;txjitter=0.000400;txcount=1500;rlp=0;" \
        "rtt=0.001000;rxmes=90.0;txmes=90.0"


def test_asterisk_quality_text_is_read_field_by_field():
    leg = parse_quality("caller", "carrier", CLEAN)
    assert (leg.received, leg.sent, leg.lost_in, leg.lost_out) == (1500, 1500, 0, 0)
    assert leg.jitter_in_ms == pytest.approx(0.5) and leg.rtt_ms == pytest.approx(1.0)
    assert parse_quality("agent", "a1", "lp=x;rxcount=-4;nonsense").received == 0
    # baresip's RTCP as Asterisk 22 read it: a round trip of 65536 s is no round trip
    assert parse_quality("agent", "agent2", "lp=0;rxcount=499;rtt=65535.999664").rtt_ms == 0.0


def test_g107_reference_points():
    assert mos_of(r_factor(0.0, 0.0)) == pytest.approx(4.41, abs=0.01)      # G.711, nothing lost
    assert mos_of(93.2) > 4.3 and mos_of(50) < 2.6 and mos_of(-3) == 1.0 and mos_of(120) == 4.5
    assert r_factor(0.0, 300) < r_factor(0.0, 100) < r_factor(0.0, 0)        # delay costs, more past 177 ms
    assert mos_of(r_factor(0.10, 20)) < 3.6 < mos_of(r_factor(0.01, 20))


def test_a_clean_call_scores_above_4_both_ways():
    quality = call_quality(parse_quality("caller", "carrier", CLEAN), parse_quality("agent", "agent1", CLEAN))
    assert quality.mos > 4.0 and not quality.poor


def test_ten_percent_lost_from_the_citizen_is_what_the_agent_heard():
    caller = LegFigures("caller", "carrier", received=900, sent=1000, lost_in=100)
    agent = LegFigures("agent", "agent1", received=1000, sent=900)
    quality = call_quality(caller, agent)
    assert quality.agent_heard.loss == pytest.approx(0.10)
    assert quality.agent_heard.mos < 3.6 and quality.caller_heard.mos > 4.0
    assert quality.poor and quality.mos == quality.agent_heard.mos


def test_losses_on_both_legs_add_up():
    first = LegFigures("caller", "c", received=950, lost_in=50)
    second = LegFigures("agent", "a", sent=1000, lost_out=50)
    assert direction("agent", first, second).loss == pytest.approx(1 - 0.95 * 0.95, abs=1e-4)
