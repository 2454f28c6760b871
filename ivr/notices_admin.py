"""Putting up and taking down incident notices: one set of steps for ``ivr notices`` and the
staff console's page, so both check the same things and make the prompt the same way.

A notice needs its sound before it is stored: the prompt is made first (the supervisor's text
read by espeak-ng, the same stand-in voice as the engine's other prompts, or the centre's
recording converted by sox), then the notice row points at it. A notice is never live with a
sound Asterisk cannot play.
"""
from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from ivr.asterisk.layout import Layout
from ivr.clock import parse_time
from ivr.core.numbers import normalize_number
from ivr.core.rules import Rules
from ivr.errors import TimeFormatError
from ivr.prompts.library import PromptLibrary
from ivr.prompts.texts import MAX_TEXT, Wording, load_texts
from ivr.store.surges import NoticeRecord, SurgeError, SurgeStore


def parse_when(field: str, text: str, tz) -> datetime:
    """A notice's start or end written as an ISO time (without an offset: the centre's time)."""
    try:
        return parse_time(text, tz, field)
    except TimeFormatError as err:
        raise SurgeError(str(err)) from None


def checked_targets(rules: Rules, lines: list[str], queues: list[str]) -> tuple[list[str], list[str]]:
    """The lines (canonical) and queues of a notice, each one known to the rules; SurgeError naming
    the field and the value otherwise."""
    out_lines = []
    for raw in lines:
        number = normalize_number(raw, rules.centre.area_code)
        if rules.line(number) is None:
            raise SurgeError(f"lines: {raw!r} is not a line in routing_rules.yaml")
        out_lines.append(number)
    for queue in queues:
        if queue not in rules.queues:
            raise SurgeError(f"queues: {queue!r} is not a queue in routing_rules.yaml "
                             f"(known: {', '.join(sorted(rules.queues))})")
    if not out_lines and not queues:
        raise SurgeError("lines / queues: name at least one line or queue the notice plays on")
    return out_lines, list(queues)


def make_prompt(layout: Layout, *, text: str, recording: Path | None, by: str, now: datetime) -> str:
    """The sound of a new notice: the recording when given, else ``text`` read by espeak-ng."""
    name = f"hotline/notice_{now:%Y%m%d%H%M%S}_{secrets.token_hex(3)}"
    library = PromptLibrary(layout.sounds)
    if recording is not None:
        library.add(name, recording, by, now)
        return name
    text = text.strip()
    if not text:
        raise SurgeError("text: give the notice's words (or --recording FILE)")
    if len(text) > MAX_TEXT:
        raise SurgeError(f"text: {len(text)} characters; a notice may have at most {MAX_TEXT}")
    texts = load_texts()
    spoken = text
    for written, said in texts.say.items():
        spoken = spoken.replace(written, said)
    library.build([Wording(name, text, spoken)], texts.voice, texts.speed, by, now)
    return name


def put_up(surges: SurgeStore, rules: Rules, layout: Layout, *, lines: list[str], queues: list[str],
           starts_at: datetime, ends_at: datetime, text: str, recording: Path | None, by: str,
           now: datetime) -> NoticeRecord:
    """Check, make the sound, store the notice; routing plays it within a second of its start."""
    lines, queues = checked_targets(rules, lines, queues)
    if ends_at <= starts_at:
        raise SurgeError(f"until ({ends_at.isoformat()}) must be after from ({starts_at.isoformat()})")
    if ends_at <= now:
        raise SurgeError(f"until: {ends_at.isoformat()} has already passed")
    prompt = make_prompt(layout, text=text, recording=recording, by=by, now=now)
    return surges.add_notice(prompt=prompt, text=text.strip(), lines=lines, queues=queues,
                             starts_at=starts_at, ends_at=ends_at, by=by, at=now)
