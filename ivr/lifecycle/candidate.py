"""Checking a candidate rules text the way ``ivr rules apply`` will: the rules, then the prompts.

The same for ``ivr rules check``, ``apply``, ``rollback`` and the console: every problem at once,
each at its line; the prompts are looked for in the Asterisk of this machine (the one that will
play them). With no Asterisk on the machine, the prompts cannot be checked and a notice says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ivr.asterisk.install import locate
from ivr.asterisk.layout import Layout
from ivr.core.rules import Rules
from ivr.core.rules_schema import Problem
from ivr.errors import AsteriskError, RulesError
from ivr.prompts.check import prompt_problems
from ivr.prompts.sounds import SoundFinder
from ivr.rules_file import rules_from_text
from ivr.settings import Settings


@dataclass
class Checked:
    """A candidate's check: the rules when it passes, else every problem with its line."""

    name: str
    text: str
    rules: Rules | None = None
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    prompts_checked: bool = False

    @property
    def ok(self) -> bool:
        return self.rules is not None and not self.problems

    def to_dict(self) -> dict:
        return {"name": self.name, "ok": self.ok, "sha256": self.rules.sha256 if self.rules else None,
                "problems": [{"line": p.line, "where": p.where, "message": p.message} for p in self.problems],
                "notices": self.notices, "prompts_checked": self.prompts_checked}


def sound_finder(settings: Settings) -> SoundFinder | None:
    """Where this machine's Asterisk finds sounds; None when there is no Asterisk here."""
    try:
        install = locate(settings.asterisk_cache)
    except AsteriskError:
        return None
    return SoundFinder(install, Layout.from_settings(settings))


def check_candidate(text: str, name: str, settings: Settings, prompts: bool = True) -> Checked:
    """``text`` (called ``name`` in messages) checked as the next routing_rules.yaml."""
    checked = Checked(name, text)
    try:
        rules = rules_from_text(text, name)
    except RulesError as err:
        checked.problems = list(err.problems)
        return checked
    checked.notices = list(rules.notices)
    if prompts:
        finder = sound_finder(settings)
        if finder is None:
            checked.notices.append("prompts not checked: there is no Asterisk on this machine "
                                   "(bash tools/install-asterisk.sh)")
        else:
            checked.problems = prompt_problems(text, name, rules, finder)
            checked.prompts_checked = True
    if not checked.problems:
        checked.rules = rules
    return checked
