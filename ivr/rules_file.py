"""Reading routing_rules.yaml from disk: the only I/O around the pure rules checker."""
from __future__ import annotations

from pathlib import Path

from ivr.core.rules import Rules
from ivr.core.rules_schema import Problem, build_rules, check_text
from ivr.errors import RulesError


def read_text(path: Path | str) -> str:
    """The file's text; unreadable or non-UTF-8 files become a RulesError naming the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise RulesError(str(path), [Problem(str(path), 1, "", f"cannot read the file: {err.strerror}")]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise RulesError(str(path), [Problem(str(path), line, "", "the file is not UTF-8 text")]) from None


def check_rules(path: Path | str) -> list[Problem]:
    """Every problem in the file at ``path`` (empty when it is valid)."""
    try:
        text = read_text(path)
    except RulesError as err:
        return err.problems
    problems, _, _ = check_text(text, str(path))
    return problems


def load_rules(path: Path | str) -> Rules:
    """The rules in ``path``, or RulesError listing every problem."""
    text = read_text(path)
    problems, model, _ = check_text(text, str(path))
    if problems or model is None:
        raise RulesError(str(path), problems)
    return build_rules(model)
