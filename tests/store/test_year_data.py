"""``ivr bench data --calls 20000`` end to end on SQLite and on PostgreSQL: the database it fills
gives, through ``ivr report``, exactly the figures the generated rows imply (the truth is summed
here by :mod:`ivr.core.kpi` straight from the generator's rows), the year's daily summary (every
day counted into it) equals the raw rows' count, the lists the console shows read the generated
orders, and the results file has every timed query. Nothing is timed here.
(Here, not in tests/bench, for the store's SQLite-and-PostgreSQL ``store_url``.)"""
from __future__ import annotations

import json

from ivr.bench import yeardata
from ivr.cli import main
from ivr.core import kpi
from ivr.store import daily_figures, open_store, policy_for
from ivr.store.queries import raw_facts
from support import RULES_FILE

CALLS = 20_000
SEED = 99


def truth() -> kpi.Report:
    """The year's report computed from the generated rows themselves."""
    calls, orders = [], []
    ticket = {name: i for i, name in enumerate(yeardata.TICKET_COLUMNS)}
    call = {name: i for i, name in enumerate(yeardata.CALL_COLUMNS)}
    for day in yeardata.generate(CALLS, seed=SEED):
        calls += [kpi.CallFact(c[call["line"]], c[call["department"]], c[call["outcome"]],
                               answered_within=int(c[call["outcome"]] == "answered"
                                                   and c[call["wait_seconds"]] <= kpi.SERVICE_LEVEL_S),
                               answer_wait=c[call["wait_seconds"]] if c[call["outcome"]] == "answered" else 0)
                  for c in day.calls]
        orders += [kpi.OrderFact(t[ticket["line"]], t[ticket["department"]], t[ticket["unit"]],
                                 closed_on_the_spot=t[ticket["status"]] == "closed",
                                 dispatched=t[ticket["dispatch_count"]] > 0,
                                 replied=t[ticket["replied_at"]] is not None,
                                 replied_on_time=t[ticket["replied_on_time"]], rating=t[ticket["rating"]],
                                 overdue=t[ticket["overdue"]] or t[ticket["sign_late"]])
                   for t in day.tickets]
    return kpi.build_report(calls, orders)


def test_the_filled_year_reports_the_generated_truth(store_url, tmp_path, capsys, monkeypatch,
                                                     shipped_rules):
    assert main(["bench", "data", "--calls", str(CALLS), "--seed", str(SEED), "--runs", "1",
                 "--database-url", store_url, "--results-dir", str(tmp_path / "results")]) == 0
    out = capsys.readouterr().out
    assert f"calls {CALLS:,}" in out
    results = json.loads(next((tmp_path / "results").glob("*-data.json")).read_text(encoding="utf-8"))
    (doc,) = results.values()
    assert doc["rows"]["calls"] == CALLS
    assert {g["query"] for g in doc["goals"]} == set(doc["queries"]) >= {"report_year", "orders_newest",
                                                                          "search_caller"}

    for key, value in {"IVR_DATABASE_URL": store_url, "IVR_RULES": str(RULES_FILE),
                       "IVR_DATA_DIR": str(tmp_path / "var")}.items():
        monkeypatch.setenv(key, value)
    assert main(["report", "--from", "2025-01-01", "--to", "2025-12-31", "--json"]) == 0
    reported = json.loads(capsys.readouterr().out)
    expected = truth().as_dict()
    assert reported["total"] == expected["total"]
    assert reported["by_department"] == expected["by_department"]
    assert reported["by_unit"] == expected["by_unit"]
    assert reported["by_line"] == expected["by_line"]
    assert expected["total"]["received"] > 0.9 * CALLS and len(expected["by_unit"]) == yeardata.UNITS

    store = open_store(store_url, policy_for(shipped_rules))
    try:
        since, until = daily_figures.day_bounds(yeardata.year_days()[0], store.tz)[0], \
            daily_figures.day_bounds(yeardata.year_days()[-1], store.tz)[1]
        with store._session() as session:
            days = daily_figures.counted_days(session, None, None)
            assert days == yeardata.year_days()      # the report above read the summary alone
            summary = kpi.build_report([], daily_figures.summed(session, days)).as_dict()
            raw = kpi.build_report(*raw_facts(session, since, until)).as_dict()
        assert summary == raw == expected
        assert doc["summary_write"]["writes"] > 0 and doc["summary_s"] >= 0
        newest = store.list(limit=100)
        assert len(newest) == 100 and newest[0].created_at.year == yeardata.YEAR
        assert [t.created_at for t in newest] == sorted((t.created_at for t in newest), reverse=True)
        assert {t.status.value for t in store.list(status="dispatched", limit=20)} == {"dispatched"}
        found = store.with_recordings(caller=newest[0].caller[-7:], limit=200)
        assert newest[0].number in {t.number for t in found}
    finally:
        store.close()


def test_a_database_that_is_not_empty_is_refused(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'year.sqlite3'}"
    args = ["bench", "data", "--calls", "1000", "--runs", "1", "--database-url", url,
            "--results-dir", str(tmp_path / "results")]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 1
    assert "already has 1000 row(s) in calls" in capsys.readouterr().err


def test_an_unreachable_database_is_a_message_not_a_traceback(tmp_path, capsys):
    code = main(["bench", "data", "--calls", "1000", "--database-url", "postgresql://nobody@127.0.0.1:1/none",
                 "--results-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and "Traceback" not in err
