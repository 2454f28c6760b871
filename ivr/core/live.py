"""Where the AMI side and the console meet: a publisher of live news, handed in by the wiring.

The AMI side (agents' states, the screen pop, the wallboard) has news for the pages the console
keeps open; the console has the pages. Neither imports the other: the wiring hands the AMI side
an object with this shape (the console's event hub behind it, :func:`ivr.web.hub.publisher`), and
a test hands it a list.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

WALLBOARD = "wallboard"   # the key of the supervisors' wallboard pages (agents' pages: the agent id)


class Publisher(Protocol):
    """Live news by key: an agent id (that agent's pages) or :data:`WALLBOARD`."""

    def publish(self, key: str, kind: str, data: Mapping[str, Any]) -> None:
        """Deliver ``kind`` (an event's name: the page's template) with ``data`` to ``key``'s pages,
        on the event loop's thread; never blocks, never fails."""

    def watching(self, key: str) -> bool:
        """Whether a page of ``key`` is open now (nothing is built for nobody)."""
