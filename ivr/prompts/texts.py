"""prompts/texts.yaml: the words of the engine's own prompts, and the sounds they make.

Each entry names a prompt in the engine's sounds (``hotline/greeting``) and gives its text as
staff read it. "{retire_on}" in a name and its text is a sunset line's retirement date: the
entry makes one sound per date the rules hold (see :data:`ivr.core.rules.RETIRE_ON`). ``say``
lists words written one way and said another (12345 is said 幺二三四五). The file is read with
the same checks as the rules file: every problem with its line, nothing executed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ivr.asterisk.layout import SOUNDS_NAMESPACE as NAMESPACE
from ivr.core.rules import RETIRE_ON, Rules
from ivr.core.rules_model import SOUND
from ivr.core.rules_schema import Problem
from ivr.core.yaml_source import YamlSyntaxError, parse
from ivr.errors import IvrError
from ivr.settings import REPO_ROOT

TEXTS_FILE = REPO_ROOT / "prompts" / "texts.yaml"
MAX_TEXT = 500                 # characters of one prompt's text

_DIGITS = "零一二三四五六七八九"


class PromptError(IvrError):
    """A prompt cannot be made, added or found; the message says which and why."""


@dataclass(frozen=True)
class Texts:
    voice: str
    speed: int
    say: dict[str, str]
    prompts: dict[str, str]   # name (may hold {retire_on}) -> text


@dataclass(frozen=True)
class Wording:
    """One sound to make: its name, the text staff read, the text the synthesiser says."""

    name: str
    written: str
    spoken: str


def written_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _number(n: int) -> str:
    """1..31 in Chinese numerals (十, 十五, 二十八)."""
    tens, units = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[units] if units else "") or _DIGITS[0]


def spoken_date(day: date) -> str:
    """A date as it is said: the year digit by digit, then month and day (二零二零年七月二十八日)."""
    year = "".join(_DIGITS[int(c)] for c in str(day.year))
    return f"{year}年{_number(day.month)}月{_number(day.day)}日"


def load_texts(path: Path = TEXTS_FILE) -> Texts:
    """The texts file; PromptError listing every problem with its line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise PromptError(f"{path}: cannot read the prompts' texts: {err}") from None
    try:
        source = parse(text, str(path))
    except YamlSyntaxError as err:
        raise PromptError(f"{path}:{err.line}: {err}") from None
    data = source.data if isinstance(source.data, dict) else {}
    problems: list[Problem] = []

    def problem(where: tuple, message: str) -> None:
        problems.append(Problem(str(path), source.line_of(where), ".".join(map(str, where)), message))

    for key in set(data) - {"voice", "speed", "say", "prompts"}:
        problem((key,), f"unknown key {key!r} (voice, speed, say, prompts)")
    voice, speed = data.get("voice", "cmn"), data.get("speed", "165")
    if not (isinstance(voice, str) and voice.replace("-", "").isalnum()):
        problem(("voice",), f"{voice!r} is not an espeak-ng voice name")
    if not (isinstance(speed, str) and speed.isdigit() and 80 <= int(speed) <= 400):
        problem(("speed",), f"{speed!r} is not a speed from 80 to 400 words a minute")
    say = data.get("say") or {}
    prompts = data.get("prompts") or {}
    for section, mapping in (("say", say), ("prompts", prompts)):
        if not isinstance(mapping, dict):
            problem((section,), "expected a mapping")
            continue
        for key, value in mapping.items():
            if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
                problem((section, key), f"expected one line of text of at most {MAX_TEXT} characters")
            elif any(ord(c) < 32 for c in value):
                problem((section, key), "text must be on one line, without control characters")
    if isinstance(prompts, dict):
        for name, value in prompts.items():
            if not name.startswith(NAMESPACE + "/") or not SOUND.match(name.replace(RETIRE_ON, "20200101")):
                problem(("prompts", name), f"{name!r} is not a name of the engine's sounds ({NAMESPACE}/...)")
            elif (RETIRE_ON in name) != (isinstance(value, str) and RETIRE_ON in value):
                problem(("prompts", name), f"{RETIRE_ON} must be in both the name and the text, or in neither")
    if problems:
        raise PromptError("\n".join(str(p) for p in problems))
    return Texts(voice=voice, speed=int(speed), say=dict(say), prompts=dict(prompts))


def _spoken(text: str, say: dict[str, str]) -> str:
    for written, said in say.items():
        text = text.replace(written, said)
    return text


def wordings(texts: Texts, rules: Rules | None) -> list[Wording]:
    """Every sound the texts make for ``rules``: a dated entry once per retirement date of the
    rules' sunset lines (none without rules)."""
    dates = sorted({line.retire_on for line in (rules.lines.values() if rules else ()) if line.retire_on})
    out: list[Wording] = []
    for name, text in texts.prompts.items():
        if RETIRE_ON not in name:
            out.append(Wording(name, text, _spoken(text, texts.say)))
            continue
        for day in dates:
            stamp = day.strftime("%Y%m%d")
            out.append(Wording(name.replace(RETIRE_ON, stamp), text.replace(RETIRE_ON, written_date(day)),
                               _spoken(text, texts.say).replace(RETIRE_ON, spoken_date(day))))
    return out
