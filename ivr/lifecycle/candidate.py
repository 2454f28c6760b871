"""Checking a candidate rules text the way ``ivr rules apply`` will: the rules, then the prompts.

The same for ``ivr rules check``, ``apply``, ``rollback`` and the console: every problem at once,
each at its line; the prompts are looked for in the Asterisk of this machine (the one that will
play them). With no Asterisk on the machine, the prompts cannot be checked and a notice says so.
A stand-in prompt not built yet on this machine is a notice too (:mod:`ivr.prompts.check`);
:func:`build_stand_ins` makes them before an apply puts the rules in force.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ivr.asterisk.install import locate
from ivr.asterisk.layout import Layout
from ivr.core.rules import Rules
from ivr.core.rules_schema import Problem
from ivr.errors import AsteriskError, RulesError
from ivr.prompts.check import check_prompts
from ivr.prompts.library import RECORDING, PromptLibrary
from ivr.prompts.sounds import SoundFinder
from ivr.prompts.texts import PromptError, load_texts, wordings
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
    stand_ins: list[str] = field(default_factory=list)   # prompts `ivr prompts build` has yet to make

    @property
    def ok(self) -> bool:
        return self.rules is not None and not self.problems

    def to_dict(self) -> dict:
        return {"name": self.name, "ok": self.ok, "sha256": self.rules.sha256 if self.rules else None,
                "problems": [{"line": p.line, "where": p.where, "message": p.message} for p in self.problems],
                "notices": self.notices, "prompts_checked": self.prompts_checked, "stand_ins": self.stand_ins}


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
            buildable, recordings = _prompt_sources(settings, rules, checked.notices)
            found = check_prompts(text, name, rules, finder, buildable, recordings)
            checked.problems, checked.stand_ins = found.problems, found.stand_ins
            checked.prompts_checked = True
            if found.stand_ins:
                checked.notices.append(
                    f"{len(found.stand_ins)} stand-in prompt(s) not built on this machine yet "
                    f"({', '.join(found.stand_ins)}): `ivr prompts build` makes them from prompts/texts.yaml "
                    "(`ivr asterisk up` and `ivr rules apply` do too)")
    if not checked.problems:
        checked.rules = rules
    return checked


def _prompt_sources(settings: Settings, rules: Rules, notices: list[str]) -> tuple[frozenset[str], frozenset[str]]:
    """(the sounds prompts/texts.yaml makes for ``rules``, the centre's recordings by the manifest)."""
    layout = Layout.from_settings(settings)
    try:
        buildable = frozenset(w.name for w in wordings(load_texts(), rules))
    except PromptError as err:
        notices.append(f"prompts/texts.yaml cannot be read, so no stand-in can be made: {err}")
        buildable = frozenset()
    try:
        recordings = frozenset(n for n, e in PromptLibrary(layout.sounds).entries().items() if e.source == RECORDING)
    except PromptError as err:
        notices.append(str(err))
        recordings = frozenset()
    return buildable, recordings


def build_stand_ins(checked: Checked, settings: Settings, by: str) -> str | None:
    """Make the stand-ins ``checked`` found missing, before its rules are put in force; the reason
    when they cannot be made (then Asterisk could not play them: the apply is refused)."""
    if not checked.stand_ins or checked.rules is None:
        return None
    from ivr.prompts import build

    try:
        build(Layout.from_settings(settings), checked.rules, by=by)
    except PromptError as err:
        return f"the stand-in prompt(s) {', '.join(checked.stand_ins)} cannot be made: {err}"
    finder = sound_finder(settings)
    left = [n for n in checked.stand_ins if finder is not None and finder.find(n) is None]
    return f"the stand-in prompt(s) {', '.join(left)} were not made" if left else None
