"""The wallboard's media marks: an agent phone or trunk whose last calls score under the threshold."""
from __future__ import annotations

from ivr.core.media_marks import Scored, marks


def test_a_phone_whose_last_calls_score_low_is_marked_and_listed_first():
    checks = [Scored("agent2", "carrier", 3.3, ()), Scored("agent1", "carrier", 4.4, ()),
              Scored("agent2", "carrier", 3.4, ())]
    found = {(m.kind, m.name): m for m in marks(checks)}
    assert found[("agent", "agent2")].marked and found[("agent", "agent2")].mean_mos == 3.35
    assert not found[("agent", "agent1")].marked
    assert not found[("trunk", "carrier")].marked and found[("trunk", "carrier")].mean_mos == 3.7
    assert marks(checks)[0].name == "agent2"


def test_only_the_last_calls_count_and_a_silent_side_marks():
    newest_first = [Scored("agent1", "carrier", 4.4, ())] * 5 + [Scored("agent1", "carrier", 1.0, ())] * 5
    assert not any(m.marked for m in marks(newest_first))
    silent = [Scored("agent3", "", None, ("agent",))]
    [mark] = marks(silent)
    assert mark.marked and mark.silent == 1 and mark.mean_mos is None
