"""Quality inspection (质检): a score sheet of weighted criteria, a scored call, scores per agent.

Pure. The sheet is data (``quality_sheet.yaml``, read by :mod:`ivr.quality_sheet`): criteria with
a weight each (the points the criterion is worth; the weights add up to 100) and one scale for
all (marks 0 .. ``scale``). An auditor gives every criterion a mark; the call's score is

    sum(weight × mark / scale)   over the criteria, out of 100, one decimal.

A score keeps its marks and the sheet's version, so a later sheet never changes an old score.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ivr.errors import QualityError

ID = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_COMMENT = 1000
TOTAL_WEIGHT = 100


@dataclass(frozen=True)
class Criterion:
    id: str
    name_zh: str
    weight: int
    guide_zh: str = ""


@dataclass(frozen=True)
class Sheet:
    version: str
    name_zh: str
    scale: int
    criteria: tuple[Criterion, ...]


def parse_sheet(data: Any, source: str = "quality sheet") -> Sheet:
    """The sheet described by ``data`` (the YAML's mapping); QualityError listing every problem."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise QualityError(f"{source}: expected a mapping with version, name_zh, scale and criteria")
    scale = _whole(data.get("scale", 5))
    if scale is None or not 1 <= scale <= 10:
        problems.append(f"scale must be a whole number from 1 to 10, not {data.get('scale')!r}")
        scale = 5
    criteria: list[Criterion] = []
    raw = data.get("criteria")
    if not isinstance(raw, list) or not raw:
        problems.append("criteria must be a list of at least one criterion")
        raw = []
    for index, item in enumerate(raw):
        where = f"criteria[{index}]"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: expected a mapping with id, name_zh and weight")
            continue
        cid, name, weight = str(item.get("id", "")), str(item.get("name_zh", "")).strip(), _whole(item.get("weight"))
        if not ID.fullmatch(cid):
            problems.append(f"{where}.id {cid!r}: lower-case letters, digits and '_', starting with a letter")
        elif any(c.id == cid for c in criteria):
            problems.append(f"{where}.id {cid!r}: used twice")
        if not name:
            problems.append(f"{where}.name_zh: the criterion needs a name")
        if weight is None or weight <= 0:
            problems.append(f"{where}.weight: a whole number of points above 0, not {item.get('weight')!r}")
            weight = 0
        criteria.append(Criterion(cid, name, weight, str(item.get("guide_zh", "") or "").strip()))
    weights = sum(c.weight for c in criteria)
    if criteria and weights != TOTAL_WEIGHT:
        problems.append(f"the weights add up to {weights}; they must add up to {TOTAL_WEIGHT}")
    version = str(data.get("version", "")).strip()
    if not version:
        problems.append("version: name this edition of the sheet (scores keep it)")
    if problems:
        raise QualityError(f"{source}: {len(problems)} problem(s): " + "; ".join(problems))
    return Sheet(version, str(data.get("name_zh", "")).strip() or "质检评分表", scale, tuple(criteria))


def check_marks(sheet: Sheet, marks: Mapping[str, Any]) -> dict[str, int]:
    """Every criterion's mark as a whole number 0 .. scale; QualityError naming what is wrong."""
    checked: dict[str, int] = {}
    for criterion in sheet.criteria:
        mark = _whole(marks.get(criterion.id))
        if mark is None or not 0 <= mark <= sheet.scale:
            raise QualityError(f"{criterion.name_zh} ({criterion.id}): give a mark from 0 to {sheet.scale}")
        checked[criterion.id] = mark
    unknown = sorted(set(marks) - set(checked))
    if unknown:
        raise QualityError(f"not on the sheet {sheet.version}: {', '.join(unknown[:5])}")
    return checked


def score(sheet: Sheet, marks: Mapping[str, int]) -> float:
    """The call's score out of 100 for checked ``marks``."""
    points = sum(c.weight * marks[c.id] / sheet.scale for c in sheet.criteria)
    return round(points, 1)


@dataclass(frozen=True)
class AgentQuality:
    """An agent's inspected calls over a period."""

    agent: str
    count: int
    mean: float
    lowest: float
    highest: float


def per_agent(scores: Iterable[tuple[str, float]]) -> dict[str, AgentQuality]:
    """(agent, score) pairs summed up per agent, agents in name order."""
    grouped: dict[str, list[float]] = {}
    for agent, value in scores:
        grouped.setdefault(agent or "", []).append(float(value))
    return {agent: AgentQuality(agent, len(v), round(sum(v) / len(v), 1), min(v), max(v))
            for agent, v in sorted(grouped.items())}


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None
