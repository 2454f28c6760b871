"""The benchmark's database watcher against a real store: an order and a rating are seen once
they are there, and a call whose order never comes is counted, not guessed."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from ivr.bench.latency import StoreWatch, delays_ms
from ivr.store import open_store, policy_for

AT = datetime(2026, 9, 9, 3, 0, tzinfo=timezone.utc)


def _wait(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_orders_and_ratings_are_seen_when_they_land(tmp_path, shipped_rules):
    from ivr.ami.ledger import StoreLedger
    from ivr.core import call_events as ce

    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    store = open_store(url, policy_for(shipped_rules))
    ledger = StoreLedger(store, lambda: shipped_rules, tmp_path / "recordings")
    watch = StoreWatch(url, poll_s=0.005)
    watch.start()
    try:
        asked = time.monotonic()
        watch.want_order("9.1")
        watch.want_order("9.2")                       # never answered: never seen
        call = ce.CallInfo("9.1", "9.1", "13900000009", "12345")
        ledger.apply(ce.Answered(call, "q12345", "agent1", "", 2, AT))
        assert _wait(lambda: "9.1" in watch.order_seen)
        watch.want_rating("9.1")
        store.rate(store.by_linkedid("9.1").number, 4, AT)
        assert _wait(lambda: "9.1" in watch.rating_seen)
    finally:
        watch.stop()
        store.close()
    assert "9.2" not in watch.order_seen
    delays, missing = delays_ms({"9.1": asked, "9.2": asked}, watch.order_seen)
    assert missing == 1 and len(delays) == 1 and delays[0] >= 0
