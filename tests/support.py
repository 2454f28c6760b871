"""Small builders shared by the tests (importable because setup.cfg puts tests/ on the path)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
RULES_FILE = REPO / "routing_rules.yaml"
CST = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """A time in the centre's zone from 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)
