"""The rules check's last pass: every prompt the rules name exists for the Asterisk that plays it.

Run after the rules themselves are valid (:func:`ivr.rules_file.rules_from_text`). A dated prompt
("{retire_on}") is checked once per sunset line, for that line's date. Each missing sound is a
:class:`Problem` at the prompt's line in the file, saying where it was looked for and how to
make it, except a **stand-in still to build**: an engine prompt that prompts/texts.yaml gives the
words of and that is not one of the centre's recordings. `ivr prompts build` makes it (so do
`ivr asterisk up`, `ivr rules apply` and the Makefile's install of the prompts), so on a fresh
machine it is a thing to do, not a broken rule. A recording the centre added that has gone
missing, or a prompt nobody can make, stays a problem.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ivr.core.rules import DATED_PROMPTS, RETIRE_ON, Rules, dated
from ivr.core.rules_model import where_text
from ivr.core.rules_schema import Problem
from ivr.core.yaml_source import parse
from ivr.prompts.sounds import SoundFinder
from ivr.prompts.texts import NAMESPACE


@dataclass
class PromptCheck:
    problems: list[Problem] = field(default_factory=list)
    stand_ins: list[str] = field(default_factory=list)   # missing, but `ivr prompts build` makes them


def prompt_problems(text: str, name: str, rules: Rules, finder: SoundFinder) -> list[Problem]:
    """The prompts of ``rules`` (read from ``text``, called ``name``) that ``finder`` cannot find."""
    return check_prompts(text, name, rules, finder).problems


def check_prompts(text: str, name: str, rules: Rules, finder: SoundFinder,
                  buildable: frozenset[str] = frozenset(), recordings: frozenset[str] = frozenset()) -> PromptCheck:
    """Every prompt of ``rules`` that ``finder`` cannot find: a stand-in still to build when its
    name is in ``buildable`` (what prompts/texts.yaml makes) and not in ``recordings`` (the
    centre's, by the prompts' manifest); a problem otherwise."""
    source = parse(text, name)
    result = PromptCheck()
    problems = result.problems
    sunset = [line for line in rules.lines.values() if line.retire_on is not None]
    for key, sounds in rules.prompts.items():
        for index, sound in enumerate(sounds):
            path = ("prompts", key, index)
            if RETIRE_ON in sound and key in DATED_PROMPTS:
                by_date: dict = {}
                for line in sunset:
                    by_date.setdefault(line.retire_on, []).append(line.written)
                wanted = [(dated((sound,), day)[0], f" (for the sunset line(s) {', '.join(numbers)} "
                           f"retiring {day})") for day, numbers in sorted(by_date.items())]
            else:
                wanted = [(sound, "")]
            for concrete, why in wanted:
                if finder.find(concrete) is not None:
                    continue
                if concrete in buildable and concrete not in recordings:
                    if concrete not in result.stand_ins:
                        result.stand_ins.append(concrete)
                    continue
                if concrete in recordings:
                    fix = (f"it is the centre's recording, and its file has gone: add it again with "
                           f"`ivr prompts add {concrete} FILE`")
                elif concrete.startswith(NAMESPACE + "/"):
                    fix = (f"`ivr prompts build` makes it if prompts/texts.yaml has its text; "
                           f"`ivr prompts add {concrete} FILE` adds a recording")
                else:
                    fix = "not one of this Asterisk's sounds: check the spelling"
                problems.append(Problem(name, source.line_of(path), where_text(path),
                                        f"prompt {concrete!r}{why} does not exist for the Asterisk that "
                                        f"plays it (looked in {finder.where(concrete)}): {fix}"))
    return result
