"""The engine's own prompts, in the callers' language.

    texts    prompts/texts.yaml: the words, and the sounds they make (one per sunset date)
    library  the sounds on disk: stand-ins made by espeak-ng, or the centre's recordings (sox)
    sounds   where Asterisk finds a sound name (the engine's folder, or its own sounds)
    check    the rules check's pass: every prompt named exists for the Asterisk that plays it

:func:`ensure_stand_ins` is what deploying Asterisk calls: make the stand-ins that are missing.
"""
from __future__ import annotations

from datetime import datetime, timezone

from ivr.asterisk.layout import Layout
from ivr.core.rules import Rules
from ivr.logs import get_logger
from ivr.prompts.library import PromptLibrary
from ivr.prompts.texts import PromptError, load_texts, wordings

log = get_logger("ivr.prompts")


def build(layout: Layout, rules: Rules | None, by: str, force: bool = False,
          at: datetime | None = None) -> list[tuple[str, str]]:
    """Make the stand-ins prompts/texts.yaml gives for ``rules`` (see PromptLibrary.build)."""
    texts = load_texts()
    return PromptLibrary(layout.sounds).build(wordings(texts, rules), texts.voice, texts.speed, by,
                                              at or datetime.now(timezone.utc), force=force)


def ensure_stand_ins(layout: Layout, rules: Rules) -> list[tuple[str, str]]:
    """Make the missing stand-ins at deploy time; a machine without espeak-ng or sox is told so
    in the log (Asterisk then cannot play those prompts, and `ivr rules check` says which)."""
    try:
        made = build(layout, rules, by="ivr asterisk")
    except PromptError as err:
        log.warning("prompts.not_built", error=str(err))
        return []
    fresh = [name for name, outcome in made if outcome == "made"]
    if fresh:
        log.info("prompts.stand_ins_made", prompts=fresh)
    return made


__all__ = ["PromptError", "PromptLibrary", "build", "ensure_stand_ins"]
