"""Retention: recordings past the period are removed, each removal in the manifest first, so
`verify` counts them removed (never missing); a legal hold keeps one; nothing outside the folder
is ever touched; a failed deletion is retried and shown meanwhile."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest

from ivr import recordings as rec
from ivr.retention import run_retention
from support import at

NOW = at("2020-12-01 03:00")


@pytest.fixture
def recdir(tmp_path):
    base = tmp_path / "recordings"
    base.mkdir()
    for name, days in (("old.wav", 200), ("held.wav", 300), ("new.wav", 10)):
        path = base / "2020" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode() * 50)
        rec.append(base, path, f"1591.{name}", NOW - timedelta(days=days))
    return base


def test_old_recordings_are_removed_and_verify_counts_them_removed(recdir):
    result = run_retention(recdir, 180, held={"2020/held.wav"}, now=NOW)
    assert result.removed == ["2020/old.wav"] and result.held == 1 and result.failed == []
    assert not (recdir / "2020/old.wav").exists() and (recdir / "2020/held.wav").exists()
    removal = rec.removals(recdir)[0]
    assert (removal.path, removal.by, removal.reason, removal.at) == \
        ("2020/old.wav", "scheduler", "retention: kept 180 days", NOW.isoformat())
    report = rec.verify(recdir)
    assert report.ok and report.removed == ["2020/old.wav"] and report.missing == []
    assert rec.check_recording(recdir, recdir / "2020/old.wav").status == "removed"
    again = run_retention(recdir, 180, held={"2020/held.wav"}, now=NOW + timedelta(days=1))
    assert again.removed == []                           # removed once, recorded once
    assert len(rec.removals(recdir)) == 1


def test_a_file_deleted_without_a_removal_line_is_still_missing(recdir):
    os.remove(recdir / "2020/old.wav")
    assert rec.verify(recdir).missing == ["2020/old.wav"]


def test_dry_run_and_no_period_change_nothing(recdir):
    assert run_retention(recdir, 180, set(), NOW, dry_run=True).removed == ["2020/held.wav", "2020/old.wav"]
    assert run_retention(recdir, None, set(), NOW).removed == []
    assert rec.removals(recdir) == [] and (recdir / "2020/old.wav").exists()


def test_a_deletion_that_failed_is_shown_then_retried(recdir, monkeypatch):
    real_unlink = os.unlink

    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("pathlib.Path.unlink", lambda self, missing_ok=False: refuse(self))
    result = run_retention(recdir, 180, {"2020/held.wav"}, NOW)
    assert result.failed and (recdir / "2020/old.wav").exists()
    report = rec.verify(recdir)
    assert not report.ok and "removed on" in report.problems[0] and "still on disk" in report.problems[0]
    monkeypatch.setattr("pathlib.Path.unlink", lambda self, missing_ok=False: real_unlink(self))
    run_retention(recdir, 180, {"2020/held.wav"}, NOW)
    assert not (recdir / "2020/old.wav").exists() and rec.verify(recdir).ok


def test_a_recording_replaced_by_a_link_to_elsewhere_is_left_and_reported(recdir, tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("not a recording")
    (recdir / "2020/old.wav").unlink()
    os.symlink(precious, recdir / "2020/old.wav")
    result = run_retention(recdir, 180, {"2020/held.wav"}, NOW)
    assert precious.read_text() == "not a recording"
    assert any("outside the recordings directory" in f for f in result.failed)
    assert rec.verify(recdir).altered == ["2020/old.wav: is now a symbolic link"]


def test_a_folder_that_points_outside_is_not_followed(recdir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "old.wav").write_bytes(b"elsewhere")
    moved = recdir / "2020-real"
    (recdir / "2020").rename(moved)
    os.symlink(outside, recdir / "2020")
    result = run_retention(recdir, 180, set(), NOW)
    assert (outside / "old.wav").read_bytes() == b"elsewhere"
    assert any("outside the recordings directory" in f for f in result.failed)
