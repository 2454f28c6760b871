"""The console says when a recording is incomplete: on the auditor's recording page and the order
page (录音不完整：录音 2.3 秒 / 通话 6.0 秒), and on the supervisors' page with the recordings' disk."""
from __future__ import annotations

from ivr.core.recording_check import Measured, judge
from ivr.settings import Settings
from web.helpers import NOW
from web.test_supervision import as_user, world  # noqa: F401 - the seeded morning, its client


def flag(store, ticket, measured, talk) -> None:
    store.finish_recording(ticket.linkedid, judge(measured, talk), path=ticket.recording_path, at=NOW,
                           sha256=ticket.recording_sha256)


def test_a_short_recording_is_flagged_on_its_pages_in_chinese(world):
    store = world["store"]
    short, whole = world["made"]["recorded"]
    flag(store, short, Measured(36_844, 2.3, "wav"), 6)
    flag(store, whole, Measured(whole.recording_size, 10.0, "opus"), 10)
    auditor = as_user(world, "chen")
    page = auditor.get(f"/recordings/{short.number}").text
    assert 'id="recording-flag"' in page and "录音不完整：录音 2.3 秒 / 通话 6.0 秒" in page and 'class="alert"' in page
    assert "录音完整：录音 10.0 秒 / 通话 10.0 秒" in auditor.get(f"/recordings/{whole.number}").text
    supervisor = as_user(world, "wang")
    order = supervisor.get(f"/orders/{short.number}").text
    assert "录音不完整：录音 2.3 秒 / 通话 6.0 秒" in order and 'class="late"' in order
    unjudged = world["made"]["overdue"][0]
    assert 'id="recording-flag"' not in supervisor.get(f"/orders/{unjudged}").text


def test_the_supervisors_page_shows_the_disk_and_the_incomplete_recordings(world):
    store = world["store"]
    short = world["made"]["recorded"][0]
    page = as_user(world, "wang").get("/supervision").text
    assert "录音存储" in page and "剩余空间" in page and "没有录音不完整的工单" in page and 'id="disk-low"' not in page
    flag(store, short, None, 6)
    page = as_user(world, "wang").get("/supervision").text
    assert "录音不完整的工单：1 个" in page and "录音缺失：没有录音文件 / 通话 6.0 秒" in page
    assert f'href="/orders/{short.number}"' in page


def test_a_disk_under_the_threshold_is_a_warning_to_supervisors(world, monkeypatch):
    console = world["client"].app.state.console
    monkeypatch.setattr(console, "settings", Settings.from_env({
        "IVR_DATA_DIR": str(console.settings.data_dir), "IVR_RECORDINGS_DIR": str(console.settings.recordings_dir),
        "IVR_RECORDINGS_MIN_FREE_MB": "999999"}))
    page = as_user(world, "wang").get("/supervision").text
    assert 'id="disk-low"' in page and "录音磁盘空间不足" in page
