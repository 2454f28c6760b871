"""The recordings manifest: append-only listing and the auditor's verify."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ivr import recordings as rec
from ivr.recordings import ManifestError, TicketRecording
from support import at

T0 = at("2020-06-01 10:00")


@pytest.fixture
def recdir(tmp_path):
    base = tmp_path / "recordings"
    (base / "2020" / "06" / "01").mkdir(parents=True)
    return base


def make(recdir, rel: str, content: bytes = b"RIFF....WAVEfmt audio") -> str:
    path = recdir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return rel


def test_listed_files_verify_clean(recdir):
    for i in range(3):
        rec.append(recdir, recdir / make(recdir, f"2020/06/01/1591.{i}.wav", bytes([i]) * 100), f"1591.{i}", T0)
    report = rec.verify(recdir)
    assert report.ok and report.checked == 3
    lines = (recdir / rec.MANIFEST).read_text().splitlines()
    first = json.loads(lines[0])
    assert first["path"] == "2020/06/01/1591.0.wav" and first["size"] == 100 and len(first["sha256"]) == 64
    assert first["linkedid"] == "1591.0" and first["at"] == T0.isoformat()


def test_missing_altered_unlisted_are_reported(recdir):
    for name in ("a", "b", "c", "d"):
        rec.append(recdir, make(recdir, f"2020/06/01/{name}.wav", name.encode() * 50), name, T0)
    os.remove(recdir / "2020/06/01/a.wav")                               # missing
    (recdir / "2020/06/01/b.wav").write_bytes(b"b" * 49 + b"X")           # same size, altered
    (recdir / "2020/06/01/c.wav").write_bytes(b"c" * 10)                  # truncated
    make(recdir, "2020/06/02/e.wav")                                      # never listed
    report = rec.verify(recdir)
    assert not report.ok
    assert report.missing == ["2020/06/01/a.wav"]
    assert [a.split(":")[0] for a in report.altered] == ["2020/06/01/b.wav", "2020/06/01/c.wav"]
    assert "content changed" in report.altered[0] and "size 10 bytes, listed 50" in report.altered[1]
    assert report.unlisted == ["2020/06/02/e.wav"]
    assert report.as_dict()["ok"] is False


def test_unreadable_manifest_lines_are_named_with_their_line(recdir):
    rec.append(recdir, make(recdir, "2020/06/01/a.wav"), "a", T0)
    with open(recdir / rec.MANIFEST, "ab") as handle:
        handle.write(b'{"path": "2020/06/01/a.wav", "size": 1}\n')       # no hash
        handle.write(b"\xff\xfe not json\n")
        handle.write(b'{"path": "../../etc/passwd", "size": 1, "sha256": "00"}\n')
    report = rec.verify(recdir)
    assert [p.split(": ")[0].rsplit(":", 1)[1] for p in report.problems] == ["2", "3", "4"]
    assert "not inside the recordings directory" in report.problems[2]


def test_a_path_listed_twice_is_a_problem(recdir):
    rec.append(recdir, make(recdir, "2020/06/01/a.wav"), "a", T0)
    line = (recdir / rec.MANIFEST).read_bytes()
    with open(recdir / rec.MANIFEST, "ab") as handle:
        handle.write(line)
    assert rec.verify(recdir).problems == ["2020/06/01/a.wav: listed more than once"]


def test_relisting_is_idempotent_but_never_rewrites(recdir):
    rel = make(recdir, "2020/06/01/a.wav", b"one")
    first = rec.append(recdir, rel, "a", T0)
    assert rec.append(recdir, recdir / rel, "a", at("2020-06-01 11:00")) == first
    (recdir / rel).write_bytes(b"two")
    with pytest.raises(ManifestError, match="already listed with different content"):
        rec.append(recdir, rel, "a", T0)
    assert len((recdir / rec.MANIFEST).read_text().splitlines()) == 1


@pytest.mark.parametrize("path", ["../outside.wav", "/etc/passwd", "2020/../../x.wav", "manifest.jsonl", "."])
def test_paths_outside_or_not_recordings_are_refused(recdir, path):
    with pytest.raises(ManifestError):
        rec.append(recdir, path, "x", T0)


def test_a_missing_file_cannot_be_listed(recdir):
    with pytest.raises(ManifestError, match="cannot read recording 2020/06/01/none.wav"):
        rec.append(recdir, "2020/06/01/none.wav", "x", T0)


def test_a_symlinked_recording_is_altered(recdir, tmp_path):
    rel = make(recdir, "2020/06/01/a.wav")
    rec.append(recdir, rel, "a", T0)
    elsewhere = tmp_path / "copy.wav"
    elsewhere.write_bytes((recdir / rel).read_bytes())
    os.remove(recdir / rel)
    os.symlink(elsewhere, recdir / rel)
    assert rec.verify(recdir).altered == ["2020/06/01/a.wav: is now a symbolic link"]


def test_a_missing_directory_is_a_problem(tmp_path):
    report = rec.verify(tmp_path / "nowhere")
    assert not report.ok and "does not exist" in report.problems[0]


def test_work_orders_are_cross_checked(recdir):
    entry = rec.append(recdir, make(recdir, "2020/06/01/a.wav"), "a", T0)
    good = TicketRecording("12345-20200601-000001", entry.path, entry.sha256, entry.size)
    forged = TicketRecording("12345-20200601-000002", entry.path, "0" * 64, entry.size)
    lost = TicketRecording("12345-20200601-000003", "2020/06/01/b.wav", None, None)
    report = rec.verify(recdir, [good, forged, lost])
    assert report.problems == [
        "work order 12345-20200601-000002: recording 2020/06/01/a.wav differs from the manifest",
        "work order 12345-20200601-000003: its recording 2020/06/01/b.wav is not in the manifest"]


def test_the_ledger_adapter_checks_what_it_was_told(recdir):
    rel = make(recdir, "2020/06/01/a.wav", b"abc")
    manifest = rec.Manifest(recdir, lambda: T0)
    size, sha = rec.digest(recdir / rel)
    assert manifest(path=recdir / rel, linkedid="a", size=size, sha256=sha).sha256 == sha
    rel2 = make(recdir, "2020/06/01/b.wav", b"abcd")
    with pytest.raises(ManifestError, match="changed between hashing and listing"):
        manifest(path=recdir / rel2, linkedid="b", size=3, sha256=sha)


_WRITER = """
import sys
from datetime import datetime, timezone
from pathlib import Path
from ivr import recordings as rec
base, worker = Path(sys.argv[1]), sys.argv[2]
for i in range(10):
    rel = f"2020/06/01/{worker}-{i}.wav"
    (base / rel).write_bytes(f"{worker}-{i}".encode() * 100)
    rec.append(base, rel, f"{worker}.{i}", datetime(2020, 6, 1, 2, tzinfo=timezone.utc))
"""


def test_concurrent_writers_do_not_interleave_lines(recdir):
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(recdir), str(w)]) for w in range(4)]
    try:
        codes = [p.wait(timeout=60) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert codes == [0] * 4
    entries, problems = rec.read_manifest(recdir)
    assert problems == [] and len(entries) == 40 and len({e.path for e in entries}) == 40
    assert rec.verify(recdir).ok
