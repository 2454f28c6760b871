"""The work-order form, checked: what the agent typed -> the process step's data, or messages.

Pure (no I/O): :func:`check` takes the posted fields and the units the rules know, and returns
a :class:`Checked` with either the step to take (close or dispatch, with its data for
:func:`ivr.core.workflow.apply`) or, per field, a message to show next to it. The typed values
are kept as typed, so a refused form is shown again with nothing lost.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ivr.core import workflow
from ivr.core.deadlines import Category
from ivr.core.workflow import Event
from ivr.web import labels

FIELDS = ("category", "urgent", "title", "description", "place", "outcome", "unit", "article")
LIMITS = {"title": workflow.MAX_TITLE, "description": workflow.MAX_TEXT, "place": workflow.MAX_PLACE}
E = labels.ERROR


@dataclass(frozen=True)
class Checked:
    values: dict[str, str]                     # as typed (for showing the form again)
    errors: dict[str, str] = field(default_factory=dict)
    event: Event | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def typed(form: Mapping[str, str]) -> dict[str, str]:
    """The form's own fields, as typed (anything else posted is ignored)."""
    return {name: str(form.get(name, "")) for name in FIELDS}


def check(form: Mapping[str, str], units: Mapping[str, str]) -> Checked:
    """Check the posted form; ``units`` maps unit ids to their names (the rules' departments)."""
    values = typed(form)
    errors: dict[str, str] = {}
    category = values["category"].strip()
    if category not in {c.value for c in Category}:
        errors["category"] = E["pick_category"]
    title = " ".join(values["title"].split())
    if not title:
        errors["title"] = E["empty_title"]
    description = values["description"].strip()
    if not description:
        errors["description"] = E["empty_description"]
    for name, limit in LIMITS.items():
        n = len(values[name].strip())
        if n > limit and name not in errors:
            errors[name] = E["too_long"].format(field=labels.FIELD[name], limit=limit, n=n)
    outcome = values["outcome"].strip()
    unit = values["unit"].strip()
    if outcome not in ("close", "dispatch"):
        errors["outcome"] = E["pick_outcome"]
    elif outcome == "dispatch" and not unit:
        errors["unit"] = E["pick_unit"]
    elif outcome == "dispatch" and unit not in units:
        errors["unit"] = E["unknown_unit"]
    if errors:
        return Checked(values, errors)
    data: dict[str, Any] = {"category": category, "title": title, "description": description,
                            "place": " ".join(values["place"].split()) or None,
                            "article": values["article"].strip() or None}
    if outcome == "dispatch":
        data.update(unit=unit, urgent=values["urgent"] in ("on", "true", "1"))
        return Checked(values, event=Event.DISPATCH, data=data)
    return Checked(values, event=Event.CLOSE, data=data)
