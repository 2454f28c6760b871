"""The real console for browser tests: uvicorn on a free port in a thread of its own, on a
real SQLite database, with the hub the test publishes to (as the AMI listener will)."""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ivr.settings import Settings
from ivr.web import EventHub, serve_web

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]


@dataclass
class LiveServer:
    url: str
    hub: EventHub


@contextmanager
def live_console(settings: Settings, store, rules, clock, presence=None) -> Iterator[LiveServer]:
    hub = EventHub()
    ready = threading.Event()
    bound: dict = {}
    state: dict = {}

    def started(host: str, port: int) -> None:
        bound["url"] = f"http://{host}:{port}"
        ready.set()

    async def main() -> None:
        state["loop"], state["stop"] = asyncio.get_running_loop(), asyncio.Event()
        try:
            await serve_web(settings, store, rules, hub, state["stop"], clock=clock, host="127.0.0.1",
                            port=0, started=started, presence=presence)
        finally:
            ready.set()

    thread = threading.Thread(target=asyncio.run, args=(main(),), name="console", daemon=True)
    thread.start()
    if not ready.wait(20) or "url" not in bound:
        raise RuntimeError("the console did not start")
    try:
        yield LiveServer(bound["url"], hub)
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(10)
