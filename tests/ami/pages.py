"""Beside the AMI tests: the console's pages as a list, and waiting for something to happen."""
from __future__ import annotations

import asyncio
import time


class Pages:
    """The publisher the wiring hands the AMI side (ivr.core.live.Publisher), as a list of what
    reached each key."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict]] = []

    def publish(self, key: str, kind: str, data) -> None:
        self.sent.append((key, kind, dict(data)))

    def watching(self, key: str) -> bool:
        return False

    def of(self, kind: str) -> list[dict]:
        return [data for _key, k, data in self.sent if k == kind]


async def until(check, seconds: float = 10.0) -> bool:
    """Whether ``check()`` came true within ``seconds`` (looked at every 10 ms)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.01)
    return False
