"""Rules versions, texts, the audit trail and the call log, on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from ivr.core.replay import LoggedCall
from ivr.rules_file import digest
from ivr.store.engine import open_engine
from ivr.store.routed_calls import RoutedCalls
from ivr.store.rules_versions import DISK_AUTHOR, RulesVersions, VersionNotFound
from support import at

NOW = at("2020-06-01 10:00")


@pytest.fixture
def engine(store_url):
    made = open_engine(store_url)
    yield made
    made.dispose()


def test_versions_keep_text_author_time_and_why(engine, shipped_text):
    versions = RulesVersions(engine)
    first = versions.record_disk_edit(shipped_text, NOW)
    assert (first.number, first.author, first.action, first.sha256) == (1, DISK_AUTHOR, "disk", digest(shipped_text))
    assert versions.record_disk_edit(shipped_text, NOW) is None  # already the version in force
    changed = shipped_text + "\n# moved the justice line\n"
    second = versions.add(changed, author="root", source="cli", action="apply", message="why not", now=NOW)
    assert versions.in_force() == second
    assert versions.record_disk_edit(changed, NOW) is None       # the apply's own write
    back = versions.add(shipped_text, author="li", source="console", action="rollback", message="back",
                        now=NOW + timedelta(minutes=5), restores=1)
    assert [v.number for v in versions.history()] == [3, 2, 1]
    assert versions.get(3) == (back, shipped_text) and back.restores == 1
    assert versions.text(first.sha256) == shipped_text
    with pytest.raises(VersionNotFound, match="no rules version 9"):
        versions.get(9)
    versions.mark_reverted(3, "asterisk did not follow", NOW)
    assert versions.in_force().number == 2
    trail = versions.trail()
    assert [(e.actor, e.action) for e in trail] == [(DISK_AUTHOR, "edited_on_disk")]


def test_a_hand_edit_back_to_an_old_text_is_a_new_version(engine, shipped_text):
    versions = RulesVersions(engine)
    versions.record_disk_edit(shipped_text, NOW)
    versions.add(shipped_text + "#x\n", author="root", source="cli", action="apply", message="m", now=NOW)
    again = versions.record_disk_edit(shipped_text, NOW)
    assert again.number == 3 and again.author == DISK_AUTHOR


def test_two_recorders_of_one_disk_edit_record_it_once(engine, shipped_text):
    versions = RulesVersions(engine)
    results = []
    threads = [threading.Thread(target=lambda: results.append(versions.record_disk_edit(shipped_text, NOW)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([r for r in results if r is not None]) == 1
    assert len(versions.history()) == 1


def test_the_audit_trail_is_newest_first_with_details(engine):
    versions = RulesVersions(engine)
    versions.audit("li", "upload", "ok", NOW, sha256="a" * 64, message="编辑", detail={"size": 10})
    versions.audit("li", "apply", "refused", NOW, sha256="a" * 64, message="试", detail={"reason": "2 problems"})
    trail = versions.trail()
    assert [(e.action, e.outcome) for e in trail] == [("apply", "refused"), ("upload", "ok")]
    assert trail[0].detail == {"reason": "2 problems"} and trail[1].message == "编辑"
    assert [e.action for e in versions.trail(actions=("upload",))] == ["upload"]


def test_the_call_log_skips_calls_already_taken_in(engine):
    calls = RoutedCalls(engine)
    rows = [{"call_id": f"ivr12345-{i}", "at": NOW + timedelta(minutes=i), "line": "0513-80000401",
             "caller": "1390000000%d" % i, "rules_sha256": "b" * 64, "route": "dial:051380002401>q12345",
             "mode": "parallel", "department": "justice"} for i in range(5)]
    assert calls.add_many(rows[:3]) == 3
    calls.add_many(rows)  # the first three again: skipped
    got = list(calls.between(NOW + timedelta(minutes=1)))
    assert [c.id for c in got] == ["ivr12345-1", "ivr12345-2", "ivr12345-3", "ivr12345-4"]
    assert got[0] == LoggedCall("ivr12345-1", NOW + timedelta(minutes=1), "0513-80000401", "13900000001",
                                "dial:051380002401>q12345")
    assert got[0].at.utcoffset() == timedelta(0)
    assert calls.count(NOW) == 5
    assert list(calls.between(NOW, NOW + timedelta(minutes=2))) == list(calls.between(NOW))[:2]
