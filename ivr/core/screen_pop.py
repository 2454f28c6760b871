"""What the screen pop shows of a call, for the live event and for a page opened during the call.

Pure: the call as the presence knows it and the rules in force; the time passed in.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from ivr.core import presence as p
from ivr.core.rules import Rules


def pop_data(call: p.Call, rules: Rules, at: datetime) -> dict:
    """What the screen pop shows of a call before its order exists: who, which line, which
    department and mode (from the rules when the dialplan's variables are missing)."""
    entry = rules.line(call.line) if call.line else None
    department = rules.departments.get(call.department or (entry.department if entry else ""))
    return {"call": asdict(call), "department_name": department.name_zh if department else "",
            "mode": call.mode or (entry.mode.value if entry else ""), "at": at}


def units(rules: Rules) -> dict[str, str]:
    """The units an order may be handed to, by id, with their Chinese names."""
    return {d.id: d.name_zh for d in rules.departments.values()}
