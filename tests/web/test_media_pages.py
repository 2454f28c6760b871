"""The console shows each call's media: the silent side and the MOS on the auditor's recording page,
the marked agent phones and trunks on the wallboard, the figures on /metrics."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from ivr.core.media_quality import LegFigures, call_quality
from ivr.core.one_way import OneWay
from web.helpers import NOW
from web.test_metrics import token_of
from web.test_supervision import as_user, world  # noqa: F401 - the seeded morning, its client


def check(store, ticket, *, agent: str, lost: int = 0, silent: tuple[str, ...] = ()) -> None:
    caller = LegFigures("caller", "carrier", received=1000 - lost, sent=1000, lost_in=lost)
    agent_leg = LegFigures("agent", agent, received=1000, sent=1000 - lost)
    store.save_media(ticket.linkedid, at=NOW, agent=agent, trunk="carrier", caller=caller, agent_leg=agent_leg,
                     quality=call_quality(caller, agent_leg), one_way=OneWay(silent, "agent side silent: no packets"))


def test_a_silent_side_and_the_mos_are_on_the_recording_page(world):
    store = world["store"]
    silent, clean = world["made"]["recorded"]
    check(store, silent, agent="agent2", silent=("agent",))
    auditor = as_user(world, "chen")
    page = auditor.get(f"/recordings/{silent.number}").text
    assert 'id="media-flag"' in page and "坐席侧无声音" in page and "坐席听到 4.40" in page
    page = auditor.get(f"/recordings/{clean.number}").text
    assert 'id="media-flag"' not in page and "通话质量尚未核对" in page


def test_the_wallboard_marks_a_phone_whose_calls_lost_packets_and_metrics_say_so(world):
    store = world["store"]
    lossy, clean = world["made"]["recorded"]
    check(store, lossy, agent="agent2", lost=100)
    check(store, clean, agent="agent1")
    supervisor = as_user(world, "wang")
    assert 'hx-get="/wallboard/media"' in supervisor.get("/wallboard").text
    part = supervisor.get("/wallboard/media").text
    assert 'data-name="agent2"' in part and "坐席 agent2：最近 1 通平均 MOS 3.40" in part
    assert 'data-name="agent1"' not in part and 'data-kind="trunk"' not in part
    answer = world["client"].get("/metrics", headers={"Authorization": f"Bearer {token_of(world['client'].app)}"})
    samples = {(s.name, s.labels.get("name")): s.value for f in text_string_to_metric_families(answer.text)
               for s in f.samples if s.name.startswith("ivr_media")}
    assert samples[("ivr_media_marked", "agent2")] == 1 and samples[("ivr_media_marked", "agent1")] == 0
    assert samples[("ivr_media_mos", "agent2")] == 3.4
