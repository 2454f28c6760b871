"""``ivr report --recount``: days counted again into the daily summary from the calls and orders,
the report then read from it with the same figures; a day that is not a day is refused plainly."""
from __future__ import annotations

import json

from ivr.cli import main
from ivr.store import open_store, policy_for
from support import RULES_FILE, at


def test_recount_counts_the_days_and_the_report_stays_the_same(tmp_path, monkeypatch, capsys, shipped_rules):
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    for key, value in {"IVR_DATABASE_URL": url, "IVR_RULES": str(RULES_FILE),
                       "IVR_DATA_DIR": str(tmp_path / "var")}.items():
        monkeypatch.setenv(key, value)
    store = open_store(url, policy_for(shipped_rules))
    try:
        for i, day in enumerate(("2020-06-01 10:00", "2020-06-02 10:00")):
            store.record_call(f"1.{i}", at=at(day), outcome="offered", line="12345", department="centre",
                              mode="main", door=True)
            store.create_ticket_for_answer(f"1.{i}", at=at(day), line="12345", department="centre", mode="main",
                                           wait_seconds=5)
    finally:
        store.close()
    capsys.readouterr()   # the store's own log lines
    args = ["report", "--from", "2020-06-01", "--to", "2020-06-02", "--json"]
    assert main(args) == 0
    before = json.loads(capsys.readouterr().out)
    assert main(["report", "--recount", "2020-06-01..2020-06-02"]) == 0
    out = capsys.readouterr().out
    assert "2020-06-01: counted again" in out and "2020-06-02: counted again" in out
    assert main(args) == 0
    after = json.loads(capsys.readouterr().out)
    assert after == before and after["total"]["offered"] == 2 and after["total"]["answered_within"] == 2
    assert main(["report", "--recount", "June"]) == 2
    assert "'June' is not a day" in capsys.readouterr().err
