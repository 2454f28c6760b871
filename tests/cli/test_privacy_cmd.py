"""``ivr privacy export|erase``: everything held about a number, and erasing what may go (a
finished order's number; an order still being handled kept, with why), both in the access log."""
from __future__ import annotations

import json
from pathlib import Path

from ivr.access_log import AccessLog, log_path
from ivr.store.audit import AuditStore
from cli.test_tickets_cmd import INTAKE, T0, _fresh_logging, env, ivr, store, taken_in  # noqa: F401 - fixtures


def test_export_then_erase_a_citizens_number(capsys, env, store):
    caller = INTAKE["caller"]
    finished = taken_in(store, "1591000000.1")
    store.apply(finished, "close", "agent1", T0, category="consultation")
    open_ = taken_in(store, "1591000000.2")
    code, out, err = ivr(capsys, "privacy", "export", "--number", caller)
    assert code == 0, err
    held = json.loads(out)
    assert {o["number"] for o in held["orders"]} == {finished, open_}
    code, out, err = ivr(capsys, "privacy", "erase", "--number", caller)
    assert code == 0 and "orders 1" in out and f"kept {open_}: still being handled" in out
    assert (store.get(finished).caller, store.get(open_).caller) == ("", caller)
    assert store.get(finished).department == INTAKE["department"]
    journal = AccessLog(log_path(Path(env["IVR_DATA_DIR"])), AuditStore(store.engine, store.tz))
    actions = [(e["action"], e["role"]) for e in reversed(journal.entries())]
    assert actions == [("export", "cli"), ("erase", "cli")]
    assert caller not in journal.path.read_text()
