"""Apply and roll back against a real engine (``ivr.engine.run`` in a thread of this process, its
routing and work-order parts following the file), a real database, and Asterisk's preflight.
The Asterisk part itself, running, is exercised end to end in tests/e2e/test_rules_lifecycle_e2e.py."""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
import structlog

from ivr.asterisk.site import write_lab_trunks
from ivr.engine import Options, run
from ivr.lifecycle import parts
from ivr.lifecycle.admin import Actor, open_admin
from ivr.rules_file import digest
from ivr.settings import Settings
from ivr.store.engine import open_engine
from support import RULES_FILE, at, wait_until

ROOT = Actor("root", "cli")
FORWARD_401 = ('''  - {number: "0513-80000401", department: justice, mode: parallel, name: 法律服务热线,
     destination: "0513-80002401", schedule: office_hours, dial_timeout: 20, fallback_queue: q12345}''',
               '''  - {number: "0513-80000401", department: justice, mode: forward, name: 法律服务热线}''')
COUNTY_DAY = ("  - {name: Dragon Boat Festival 2020, from: 2020-06-25, to: 2020-06-27}",
              "  - {name: Dragon Boat Festival 2020, from: 2020-06-25, to: 2020-06-27}\n"
              "  - {name: County Day, from: 2020-06-02}")


def edit(text: str, *pairs) -> str:
    for old, new in pairs:
        assert old in text
        text = text.replace(old, new, 1)
    return text


@pytest.fixture
def world(tmp_path, monkeypatch):
    """Settings on a copy of the shipped rules in a fresh folder, with no Asterisk (the prompts
    cannot be checked and Asterisk is 'not running'), and the admin's tools on a SQLite database."""
    structlog.reset_defaults()
    rules = tmp_path / "routing_rules.yaml"
    rules.write_text(RULES_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings.from_env({"IVR_DATA_DIR": str(tmp_path / "var"), "IVR_RULES": str(rules),
                                  "IVR_ASTERISK_CACHE": str(tmp_path / "no-asterisk"),
                                  "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.sqlite3'}",
                                  "IVR_RECORDINGS_DIR": str(tmp_path / "recordings"),
                                  "IVR_CLOCK": "2020-06-01T10:00"})
    trunks = write_lab_trunks(tmp_path / "trunks", sip_port=5999, rtp=(40000, 40100), department_port=5998,
                              agent_ports={f"agent{n}": 5900 + n for n in range(1, 9)})
    engine = open_engine(settings.database_url)
    tools = open_admin(settings, engine, trunks=trunks, clock=lambda: at("2020-06-01 10:00"))
    tools.lifecycle.follow_timeout = 10
    yield settings, tools, rules
    engine.dispose()
    structlog.reset_defaults()


@pytest.fixture
def running_engine(world) -> Iterator[dict]:
    """``ivr serve``'s parts (routing, work orders) in a thread, as in production."""
    settings, _, rules = world
    state: dict = {}
    ready = threading.Event()

    async def main() -> None:
        state["loop"], state["stop"] = asyncio.get_running_loop(), asyncio.Event()
        ready.set()
        await run(settings, Options(port=0, parts={"agi", "scheduler"}, reload_interval=0.1,
                                    sweep_interval=3600), state["stop"])

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    assert ready.wait(10)
    assert wait_until(lambda: {p.part for p in parts.running(settings.data_dir)} == {"routing", "work_orders"}, 10)
    yield state
    state["loop"].call_soon_threadsafe(state["stop"].set)
    thread.join(15)


def test_apply_puts_a_version_in_force_in_every_running_part(world, running_engine):
    settings, tools, rules = world
    text = edit(rules.read_text(encoding="utf-8"), FORWARD_401, COUNTY_DAY)
    outcome = tools.lifecycle.apply(text, ROOT, "justice answered by 12345; County Day")
    assert outcome.ok, outcome.reason
    assert rules.read_text(encoding="utf-8") == text
    assert {(r.part, r.state, r.sha256) for r in outcome.parts} == {
        ("routing", "follows", digest(text)), ("work_orders", "follows", digest(text)),
        ("asterisk", "not running", "")}
    history = tools.versions.history()
    assert [(v.number, v.author, v.action) for v in history] == [(2, "root", "apply"), (1, "edited on disk", "disk")]
    assert history[0].message == "justice answered by 12345; County Day"
    trail = tools.versions.trail()
    assert (trail[0].actor, trail[0].action, trail[0].outcome, trail[0].version) == ("root", "apply", "ok", 2)


def test_the_work_orders_deadline_calendar_follows_the_file(world):
    """The engine's store is rebuilt on each reload: County Day (a Tuesday) stops being a working day."""
    settings, tools, rules = world
    from ivr.rules_watch import RulesWatcher
    from ivr.engine import follow
    from ivr.rules_file import TextKeepingLoader
    from ivr.store import open_store, policy_for

    watcher = RulesWatcher(rules, TextKeepingLoader(), interval=0.05)  # as the engine builds it
    store = open_store(settings.database_url, policy_for(watcher.rules))
    stop = follow(settings, Options(parts={"scheduler"}), watcher, store, lambda: at("2020-06-01 10:00"))
    before = store.policy.terms("consultation", False, at("2020-06-01 10:00")).due
    rules.write_text(edit(rules.read_text(encoding="utf-8"), COUNTY_DAY), encoding="utf-8")
    assert watcher.check_now()
    after = store.policy.terms("consultation", False, at("2020-06-01 10:00")).due
    assert (before, after) == (at("2020-06-03 00:00"), at("2020-06-04 00:00"))
    [status] = parts.running(settings.data_dir)
    assert (status.part, status.sha256) == ("work_orders", watcher.rules.sha256)
    # the hand edit is recorded as a version by "edited on disk", off the reload's thread
    assert wait_until(lambda: [v.author for v in tools.versions.history()] == ["edited on disk", "edited on disk"], 10)
    for thing in stop:
        thing.stop()
    store.close()


def test_a_broken_file_is_refused_and_nothing_changes(world, running_engine):
    settings, tools, rules = world
    before = rules.read_text(encoding="utf-8")
    broken = edit(before, ("queue: seat_water, overflow_queue: q12345", "queue: seat_wter, overflow_queue: q12345"))
    outcome = tools.lifecycle.apply(broken, ROOT, "typo")
    assert not outcome.ok and "1 problem(s)" in outcome.reason
    assert "unknown queue 'seat_wter'" in str(outcome.checked.problems[0])
    assert rules.read_text(encoding="utf-8") == before
    assert [v.number for v in tools.versions.history()] == [1]
    assert all(p.sha256 == digest(before) for p in parts.running(settings.data_dir))
    [refusal] = [e for e in tools.versions.trail() if e.action == "apply"]
    assert (refusal.outcome, refusal.actor, refusal.message) == ("refused", "root", "typo")


def test_a_part_watching_another_file_is_refused_before_anything_changes(world, tmp_path):
    settings, tools, rules = world
    parts.write(settings.data_dir, "console", tmp_path / "elsewhere.yaml", "x" * 64, time.time())
    try:
        outcome = tools.lifecycle.apply(edit(rules.read_text(encoding="utf-8"), FORWARD_401), ROOT, "m")
    finally:
        parts.remove(settings.data_dir, "console")
    assert not outcome.ok and "would not follow" in outcome.reason and "elsewhere.yaml" in outcome.reason
    assert tools.versions.history()[0].number == 1


def test_asterisk_that_cannot_take_the_version_refuses_it(world):
    """The lab's trunk files give agent8 a phone; a version without agent8 cannot be rendered."""
    settings, tools, rules = world
    text = edit(rules.read_text(encoding="utf-8"), ("  agent8: {name: County Water Company seat, queues: [seat_water]}\n", ""))
    outcome = tools.lifecycle.apply(text, ROOT, "agent8 leaves")
    assert not outcome.ok and "no agent 'agent8' in the routing rules" in outcome.reason


def test_a_part_that_does_not_follow_puts_the_old_file_back(world, running_engine):
    settings, tools, rules = world
    old = rules.read_text(encoding="utf-8")
    parts.write(settings.data_dir, "console", rules, digest(old), time.time())  # a console that never reloads
    tools.lifecycle.follow_timeout = 1.5
    try:
        outcome = tools.lifecycle.apply(edit(old, FORWARD_401), ROOT, "try")
    finally:
        parts.remove(settings.data_dir, "console")
    assert not outcome.ok and outcome.reverted
    assert "console" in outcome.reason and "did not follow" in outcome.reason
    assert rules.read_text(encoding="utf-8") == old
    version = tools.versions.history()[0]
    assert version.reverted_at is not None and tools.versions.in_force().number == 1
    assert wait_until(lambda: all(p.sha256 == digest(old) for p in parts.running(settings.data_dir)), 5)


def test_rollback_restores_the_previous_version_as_a_new_one(world, running_engine):
    settings, tools, rules = world
    old = rules.read_text(encoding="utf-8")
    assert tools.lifecycle.apply(edit(old, FORWARD_401), ROOT, "forward").ok
    outcome = tools.lifecycle.rollback(None, Actor("li", "console"), "")
    assert outcome.ok and rules.read_text(encoding="utf-8") == old
    assert [(v.number, v.action, v.restores, v.author) for v in tools.versions.history()] == [
        (3, "rollback", 1, "li"), (2, "apply", None, "root"), (1, "disk", None, "edited on disk")]
    assert tools.versions.history()[0].message == "roll back to version 1"
    again = tools.lifecycle.apply(old, ROOT, "same again")
    assert not again.ok and "already the file in force" in again.reason
