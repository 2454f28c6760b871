"""A console whose port is taken is an OSError for its caller, never uvicorn's SystemExit: in
`ivr serve` that exit ended the whole engine, routing included (the demo's two engines share a
console port, and every call went to the fail-safe)."""
from __future__ import annotations

import asyncio
import socket

import pytest

from ivr.settings import Settings
from ivr.web import EventHub, serve_web
from web.helpers import NOW


def test_a_taken_port_is_an_os_error_and_the_loop_goes_on(store, shipped_rules, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings.from_env({"IVR_DATA_DIR": str(tmp_path / "var")})

        async def main() -> str:
            with pytest.raises(OSError, match=f"could not listen on 127.0.0.1:{port}"):
                await serve_web(settings, store, shipped_rules, EventHub(), asyncio.Event(), clock=lambda: NOW,
                                host="127.0.0.1", port=port)
            await asyncio.sleep(0.05)
            return "still running"
        assert asyncio.run(main()) == "still running"
