"""The classic script's benchmark harness: calls started as Asterisk starts them, none lost."""
from __future__ import annotations

import asyncio
import os

from ivr.bench.classic import step
from support import RULES_FILE


def test_a_short_step_routes_every_call_and_counts_its_cpu(tmp_path):
    env = {**os.environ, "IVR_RULES": str(RULES_FILE), "IVR_DATA_DIR": str(tmp_path)}
    done = asyncio.run(step(rate=5, seconds=1, env=env))
    assert (done.calls, done.failed) == (5, 0)
    assert done.cpu_ms_per_call > 0 and done.p50_ms > 0
    assert (tmp_path / "cache" / "decisions.txt").exists()   # the first call decided, the others read
