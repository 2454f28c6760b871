"""The surge's two ways summed and set side by side (pure: queue-log lines in, figures out)."""
from __future__ import annotations

import pytest

from ivr.bench.surge import WayFigures, occupancy, side_by_side, talk_seconds
from ivr.bench.surge_informed import without
from ivr.core.call_events import parse_queue_log_line

LOG = """1000|c1|seat_water|NONE|IVRINFO|051380000304|water|dedicated||13900000002
1000|c1|seat_water|NONE|ENTERQUEUE||13900000002|1
1005|c1|seat_water|agent8|CONNECT|5|c1a|1
1035|c1|seat_water|agent8|COMPLETEAGENT|5|30|1
1001|c2|seat_water|NONE|IVRINFO|051380000304|water|dedicated||13900000002
1001|c2|seat_water|NONE|ENTERQUEUE||13900000002|2
1046|c2|seat_water|NONE|ABANDON|2|1|45
1002|c3|q12345|NONE|IVRINFO|12345|centre|main||13900000003
1002|c3|q12345|NONE|ENTERQUEUE||13900000003|1
1003|c3|q12345|agent1|CONNECT|1|c3a|1
1013|c3|q12345|agent1|COMPLETECALLER|1|10|1
1040|c4|seat_water|agent8|COMPLETEAGENT|1|bad|1"""


def entries():
    return [parse_queue_log_line(line) for line in LOG.splitlines()]


def test_talk_seconds_and_occupancy():
    assert talk_seconds(entries()) == 40                 # 30 + 10; an unreadable calltime is skipped
    assert talk_seconds(entries(), {"c3"}) == 10
    assert occupancy(40, 2, 46) == pytest.approx(40 / 92)
    assert occupancy(40, 0, 46) is None and occupancy(40, 2, 0) is None


def test_the_way_without_notices_from_its_queue_log():
    way = without(entries(), "051380000304", callers=2, agents=2)
    assert (way.answered, way.abandoned, way.called_back, way.left_informed) == (1, 1, 0, 0)
    assert way.connection_rate == 0.5
    assert way.occupancy == pytest.approx(40 / (2 * 46))


@pytest.mark.parametrize("answered, called_back, callers, rate", [
    (58, 0, 300, 58 / 300), (49, 240, 300, 289 / 300), (0, 0, 0, None),
])
def test_connection_rate_counts_the_called_back(answered, called_back, callers, rate):
    way = WayFigures("w", callers, answered, called_back, left_informed=0, abandoned=0)
    assert way.connection_rate == rate


def test_side_by_side_has_one_column_per_way():
    ways = [WayFigures("without", 300, 58, 0, 0, 242, occupancy=0.12),
            WayFigures("with", 300, 49, 150, 60, 41, callbacks_asked=150, occupancy=0.5, last_callback_s=612.4)]
    lines = side_by_side(ways)
    assert lines[0].split() == ["without", "with"]
    rows = {line[:28].strip(): line[28:].split() for line in lines[1:]}
    assert rows["connection rate"] == ["19.3", "%", "66.3", "%"]
    assert rows["time to last callback"] == ["-", "612", "s"]
    assert rows["left informed"] == ["0", "60"]
