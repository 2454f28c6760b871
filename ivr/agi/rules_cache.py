"""A compiled-rules cache for process-per-call AGI scripts.

A classic AGI script starts a new Python for every call. Checking routing_rules.yaml means
importing pydantic and the schema (about 100 ms) and parsing the YAML (about 20 ms), for every
call. This module keeps the checked :class:`~ivr.core.rules.Rules` as a pickle named after a
SHA-256 of the YAML bytes *and* of the source of the modules that build it, so an edited rules
file or an upgraded engine can never be served from a stale entry. A hit imports only the plain
dataclasses. The cache lives in the engine's own data directory (``$IVR_DATA_DIR/cache``,
mode 0600): pickle trusts its input, and only the engine writes there.
"""
from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import ivr.core.rules as rules_module
from ivr.core.rules import Rules
from ivr.files import replace_file

# The modules whose code decides what a YAML file turns into.
_BUILDERS = ("rules.py", "rules_schema.py", "schedule.py", "numbers.py", "yaml_source.py",
             "decision.py", "holiday_calendar.py", "statutory.py")


def cache_key(yaml_bytes: bytes) -> str:
    """SHA-256 of the rules text and of the code that compiles it."""
    digest = hashlib.sha256(yaml_bytes)
    core = Path(rules_module.__file__).parent
    for name in _BUILDERS:
        try:
            digest.update((core / name).read_bytes())
        except OSError:
            digest.update(name.encode())
    return digest.hexdigest()


def load_rules_cached(path: Path, cache_dir: Path) -> Rules:
    """The rules in ``path``, from the cache when it holds this exact text; else checked anew."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError:
        from ivr.rules_file import load_rules  # produces the proper RulesError naming the file
        return load_rules(path)
    entry = Path(cache_dir) / f"rules-{cache_key(raw)[:40]}.pickle"
    try:
        with open(entry, "rb") as handle:
            rules = pickle.load(handle)
        if isinstance(rules, Rules):
            return rules
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
        pass
    from ivr.rules_file import load_rules  # the slow path: pydantic, the full check
    rules = load_rules(path)
    _store(entry, rules)
    return rules


def _store(entry: Path, rules: Rules) -> None:
    """Write the entry atomically; a read-only data directory only costs speed."""
    try:
        replace_file(entry, pickle.dumps(rules, protocol=pickle.HIGHEST_PROTOCOL), mode=0o600,
                     folder_mode=0o700)
    except (OSError, pickle.PicklingError):
        pass
