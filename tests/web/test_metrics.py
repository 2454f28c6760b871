"""/metrics: Prometheus's text format behind a bearer token (a console login is not enough), with
the routing decision's histogram from the FastAGI server's stats file and the work-order pipeline's
figures from the spool. Live queue figures need Asterisk: the end-to-end tests read them."""
from __future__ import annotations

import json

from prometheus_client.parser import text_string_to_metric_families

from ivr.agi.stats import AgiStats, write_snapshot
from ivr.core.call_events import CallInfo, Entered
from ivr.spool import Spool
from ivr import data_folder
from support import REPO, at
from web.helpers import log_in


def token_of(app) -> str:
    path = app.state.console.settings.data_dir / "secrets" / "metrics.token"
    return path.read_text().strip()


def test_nobody_without_the_token_gets_a_figure(client, app):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic d2FuZzp4"}):
        answer = client.get("/metrics", headers=headers)
        assert answer.status_code == 401 and "ivr_" not in answer.text
        assert answer.headers["www-authenticate"].startswith("Bearer")
    log_in(client, "wang")
    assert client.get("/metrics").status_code == 401               # a console login is not enough
    secret = app.state.console.settings.data_dir / "secrets" / "metrics.token"
    assert secret.stat().st_mode & 0o077 == 0 and len(token_of(app)) >= 32


def test_the_figures_in_prometheus_text_format(client, app):
    settings = app.state.console.settings
    stats = AgiStats()
    for micros in (30, 80, 120, 900, 4000):
        stats.observe_decision(micros)
    write_snapshot(settings.data_dir / "agi-stats.json", stats.snapshot())
    Spool(data_folder.intake_spool(settings.data_dir)).append([Entered(CallInfo("1591.1"), "q12345", at("2020-06-01 10:00"))])
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {token_of(app)}"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    assert families["ivr_asterisk_feed_up"].samples[0].value == 0        # no Asterisk in this test
    assert {s.labels["state"] for s in families["ivr_agents"].samples} >= {"ready", "paused", "talking"}
    decision = {s.name + str(s.labels.get("le", "")): s.value for s in families["ivr_routing_decision_seconds"].samples}
    assert decision["ivr_routing_decision_seconds_count"] == 5
    assert decision["ivr_routing_decision_seconds_bucket0.0001"] == 2       # 30 µs and 80 µs
    assert decision["ivr_routing_decision_seconds_bucket+Inf"] == 5
    assert abs(decision["ivr_routing_decision_seconds_sum"] - 0.00513) < 1e-9
    assert families["ivr_workorder_facts_pending"].samples[0].value == 1
    assert families["ivr_workorder_pipeline_lag_seconds"].samples[0].value > 0
    assert families["ivr_workorder_intake_running"].samples[0].value == 0
    assert json.loads((settings.data_dir / "agi-stats.json").read_text())["decision"]["sum_us"] == 5130.0


def test_the_recordings_disk_and_the_incomplete_recordings(client, app, store):
    from ivr.core.recording_check import Measured, judge
    from web.helpers import answered

    ticket = answered(store)
    store.finish_recording(ticket.linkedid, judge(Measured(4096, 0.25, "wav"), 6), path="/r/x.wav",
                           at=at("2020-06-01 10:05"), sha256="0" * 64)
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {token_of(app)}"})
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    assert families["ivr_recordings_free_bytes"].samples[0].value > 0
    assert families["ivr_recordings_min_free_bytes"].samples[0].value == 1024 * 1024 * 1024
    assert families["ivr_recordings_disk_low"].samples[0].value in (0, 1)
    assert families["ivr_recordings_incomplete"].samples[0].value == 1


def test_ivr_healths_figures_are_gauges_too(client, app):
    from ivr.errors import StoreError
    from ivr.ops.health import CachedVerdict

    settings = app.state.console.settings
    app.state.console.health = CachedVerdict(settings, REPO / "trunks")
    headers = {"Authorization": f"Bearer {token_of(app)}"}
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics", headers=headers).text)}
    value = {name: families[name].samples[0].value for name in (
        "ivr_health_status", "ivr_asterisk_up", "ivr_database_up", "ivr_recordings_disk_free_bytes")}
    assert value["ivr_health_status"] == 2 and value["ivr_asterisk_up"] == 0   # no Asterisk here
    assert value["ivr_database_up"] == 0 and value["ivr_recordings_disk_free_bytes"] > 0
    checks = {s.labels["check"]: s.value for s in families["ivr_health_check_status"].samples}
    assert checks["asterisk"] == 2 and checks["part:console"] == 1 and checks["disk"] == 0
    assert {s.labels["part"]: s.value for s in families["ivr_part_processes"].samples} == \
        {"routing": 0, "work_orders": 0, "console": 0}
    assert "ivr_tls_certificate_expiry_timestamp_seconds" not in families  # no certificate made

    def unreadable():
        raise StoreError("the database is a black hole")
    app.state.console.health = unreadable  # the other figures are served all the same
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200 and "ivr_workorder_facts_pending" in answer.text
    assert "ivr_health_status" not in answer.text
