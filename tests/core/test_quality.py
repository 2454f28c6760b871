"""The quality-inspection score sheet and a call's score: weights out of 100, marks 0..scale."""
from __future__ import annotations

import pytest

from ivr.core import quality as q
from ivr.errors import QualityError
from ivr.quality_sheet import load_sheet
from support import REPO

SHEET = {"version": "t1", "name_zh": "评分表", "scale": 5, "criteria": [
    {"id": "greeting", "name_zh": "开头语", "weight": 40}, {"id": "accuracy", "name_zh": "答复准确", "weight": 60}]}


def test_the_shipped_sheet_is_valid_and_weighs_100():
    sheet = load_sheet(REPO / "quality_sheet.yaml")
    assert sum(c.weight for c in sheet.criteria) == 100 and sheet.scale == 5 and sheet.version


def test_a_score_out_of_100():
    sheet = q.parse_sheet(SHEET)
    marks = q.check_marks(sheet, {"greeting": "5", "accuracy": 3})
    assert marks == {"greeting": 5, "accuracy": 3}
    assert q.score(sheet, marks) == 76.0          # 40 + 60 * 3 / 5
    assert q.score(sheet, {"greeting": 0, "accuracy": 0}) == 0.0


@pytest.mark.parametrize("marks, message", [
    ({"greeting": "5"}, "答复准确 (accuracy): give a mark from 0 to 5"),
    ({"greeting": "6", "accuracy": "1"}, "开头语 (greeting)"),
    ({"greeting": "-1", "accuracy": "1"}, "开头语 (greeting)"),
    ({"greeting": "five", "accuracy": "1"}, "开头语 (greeting)"),
    ({"greeting": True, "accuracy": "1"}, "开头语 (greeting)"),
    ({"greeting": "1", "accuracy": "1", "extra": "3"}, "not on the sheet t1: extra"),
])
def test_bad_marks_name_the_criterion(marks, message):
    with pytest.raises(QualityError, match=message.replace("(", r"\(").replace(")", r"\)")):
        q.check_marks(q.parse_sheet(SHEET), marks)


def test_every_problem_of_a_sheet_at_once():
    bad = {"scale": 0, "criteria": [{"id": "Greeting", "name_zh": "", "weight": 0},
                                    {"id": "a", "name_zh": "甲", "weight": 30}, {"id": "a", "name_zh": "乙", "weight": 30}]}
    with pytest.raises(QualityError) as raised:
        q.parse_sheet(bad, "sheet.yaml")
    text = str(raised.value)
    for part in ("sheet.yaml", "scale must be", "criteria[0].id 'Greeting'", "criteria[0].name_zh",
                 "criteria[0].weight", "criteria[2].id 'a': used twice", "add up to 60", "version"):
        assert part in text


def test_scores_per_agent():
    summary = q.per_agent([("agent2", 80), ("agent1", 90.5), ("agent2", 60)])
    assert list(summary) == ["agent1", "agent2"]
    assert summary["agent2"] == q.AgentQuality("agent2", 2, 70.0, 60.0, 80.0)
