"""``ivr cluster render``: every file of the layout for real machines; a bad layout refused with
its line; the lab's commands say plainly when there is no lab."""
from __future__ import annotations

import shutil
import stat

import pytest

from support import REPO
from ivr.cli import main


@pytest.fixture
def site(tmp_path, monkeypatch):
    folder = tmp_path / "site"
    shutil.copytree(REPO / "trunks", folder)
    shutil.copyfile(folder / "cluster.yaml.example", folder / "cluster.yaml")
    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path / "centre"))
    return folder


def test_render_writes_kamailio_and_every_node(site, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["cluster", "render", "--trunks", str(site), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "kamailio -c: config file ok" in printed
    assert "node3: 10.11.1.13:5060, systemname node3" in printed
    assert "database: 10.11.1.5:6432/ivr" in printed and "ivr@" not in printed
    assert (out / "kamailio" / "kamailio.cfg").exists() and (out / "kamailio" / "dispatcher.list").exists()
    assert 'modparam("dispatcher", "list_file", "/etc/kamailio/dispatcher.list")' in (
        out / "kamailio" / "kamailio.cfg").read_text()
    secrets = {n: (out / "nodes" / n / "data" / "secrets" / "asterisk.json") for n in ("node1", "node2", "node3")}
    assert len({p.read_text() for p in secrets.values()}) == 1  # one set of secrets for the centre
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in secrets.values())
    for name, address in (("node1", "10.11.1.11"), ("node2", "10.11.1.12")):
        conf = out / "nodes" / name / "asterisk"
        assert f"systemname = {name}" in (conf / "asterisk.conf").read_text()
        pjsip = (conf / "pjsip.conf").read_text()
        assert f"bind = {address}:5060" in pjsip and "match = 10.11.1.10/32" in pjsip


def test_render_refuses_sqlite_and_a_one_box_site(site, tmp_path, capsys):
    text = (site / "cluster.yaml").read_text().replace("postgresql+psycopg://ivr@10.11.1.5:6432/ivr",
                                                       "sqlite:////var/lib/ivr/ivr.sqlite3")
    (site / "cluster.yaml").write_text(text)
    assert main(["cluster", "render", "--trunks", str(site), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "cluster.yaml:32: cluster.database: SQLite cannot be a cluster's database" in err
    (site / "cluster.yaml").unlink()
    assert main(["cluster", "render", "--trunks", str(site), "--out", str(tmp_path / "o")]) == 1
    assert "the site is one box" in capsys.readouterr().err


def test_status_without_a_lab_says_so(site, capsys):
    assert main(["cluster", "status", "--name", "nolab"]) == 1
    assert "no cluster lab 'nolab' here" in capsys.readouterr().err
    assert main(["cluster", "up", "--name", "Bad-Name"]) == 1
    assert "lab name 'Bad-Name'" in capsys.readouterr().err
