"""The console follows routing_rules.yaml like every other part.

The departments it offers for dispatch and the holiday calendar its deadlines use come from the
rules: a watcher reloads the file when it changes (a thread parses it), swaps the rules and the
store's deadline policy in, and reports the version it holds as the ``console`` part
(:mod:`ivr.lifecycle.parts`), which ``ivr rules apply`` waits for.
"""
from __future__ import annotations

import asyncio

from ivr.rules_watch import RulesWatcher
from ivr.lifecycle import parts
from ivr.rules_file import load_rules
from ivr.settings import Settings
from ivr.store import policy_for


async def follow_rules(console, settings: Settings, interval: float = 1.0) -> None:
    """Keep ``console.rules`` and its store's policy on the file in force until cancelled."""
    watcher = await asyncio.to_thread(RulesWatcher, settings.rules_path, load_rules, interval)

    def follower(w: RulesWatcher) -> None:
        console.rules_source = w.rules
        console.store.policy = policy_for(w.rules)
        parts.write(settings.data_dir, "console", w.path, w.rules.sha256, w.loaded_at, w.last_error)

    watcher.followers.append(follower)
    follower(watcher)
    try:
        await watcher.run()
    finally:
        parts.remove(settings.data_dir, "console")
