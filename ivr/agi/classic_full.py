"""The classic script's full path: the first call of a line in a minute decides with the core.

Imported by :mod:`ivr.agi.classic` only on a cache miss, and then it costs what the script cost
on every call before (the site packages, the core's dataclasses, the settings): it decides as the
FastAGI ``route`` handler does, sanitises every value, and adds the answer to the minute's cache
when the decision is the same at the minute's first and last instant (a rule that changed inside
the minute is never cached).
"""
from __future__ import annotations

import site
from datetime import timedelta

from ivr.agi.decision_cache import entries, entry, log


def decide_and_cache(line: str, caller: str, uniqueid: str, ident: str, cache_file: str,
                     rules_path: str, data_dir: str, now: float) -> list[tuple[str, str]] | None:
    """The variables for a call to ``line`` (None when routing failed: logged, nothing written)."""
    site.main()  # the script starts without site-packages; the full path needs them (pydantic, tzdata)
    try:
        from datetime import datetime, timezone
        from pathlib import Path

        from ivr.agi.protocol import sanitise
        from ivr.agi.rules_cache import load_rules_cached
        from ivr.clock import make_clock
        from ivr.core.routing import Call, decide
        from ivr.data_folder import rules_cache
        from ivr.dialplan_variables import decision_variables
        from ivr.settings import Settings

        settings = Settings.from_env()
        rules = load_rules_cached(settings.rules_path, rules_cache(settings.data_dir))
        # the instant the cache's minute was taken from (IVR_CLOCK: its fixed time)
        at = (make_clock(settings.clock, rules.centre.timezone)() if settings.clock
              else datetime.fromtimestamp(now, timezone.utc))
        variables = [(k, sanitise(v)) for k, v in decision_variables(decide(Call(line, caller), rules, at)).items()]
    except Exception as err:  # noqa: BLE001 - write nothing: the dialplan's fail-safe takes it
        log("failed", uniqueid=uniqueid, error=f"{type(err).__name__}: {err}", fail_safe=True)
        return None
    same_settings = (Path(rules_path).resolve() == Path(settings.rules_path).resolve()
                     and Path(cache_file).parent == rules_cache(settings.data_dir))
    if same_settings and (settings.clock or _same_all_minute(variables, line, rules, at)):
        _add(cache_file, ident, line, variables)
    return variables


def _same_all_minute(variables: list[tuple[str, str]], line: str, rules, at) -> bool:
    """True when the call is told the same at the first and the last instant of ``at``'s minute."""
    from ivr.agi.protocol import sanitise
    from ivr.core.routing import Call, decide
    from ivr.dialplan_variables import decision_variables

    start = at.replace(second=0, microsecond=0)
    told = [[(k, sanitise(v)) for k, v in decision_variables(decide(Call(line), rules, moment)).items()]
            for moment in (start, start + timedelta(seconds=59, microseconds=999_999))]
    return told[0] == variables == told[1]


def _add(cache_file: str, ident: str, line: str, variables: list[tuple[str, str]]) -> None:
    """Rewrite the cache with this line's entry (atomically; a lost race costs one more miss)."""
    from pathlib import Path

    from ivr.files import replace_file

    new = entry(line, variables)
    if new is None:
        return
    kept = [e for e in entries(cache_file, ident) if e.partition("\t")[0] != line]
    try:
        replace_file(Path(cache_file), "\n".join([ident, *kept, new]) + "\n", mode=0o600, folder_mode=0o700)
    except OSError:
        pass  # a read-only data folder only costs speed
