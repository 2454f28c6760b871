"""How the console's HTTP server holds against a hostile network: uvicorn's settings, and a
deadline for a request's headers that uvicorn does not have.

* ``X-Forwarded-For`` counts only from ``IVR_TRUSTED_PROXIES`` (none by default). uvicorn's own
  default trusts it from loopback, which let anyone on the box forge the address the login
  throttle and the access log see.
* At most ``IVR_WEB_MAX_CONNECTIONS`` connections (then 503 at once), idle keep-alive closed
  after :data:`KEEP_ALIVE_S`, headers bounded to :data:`MAX_HEADER_BYTES`.
* :class:`DeadlineH11` closes a connection whose request headers have not all arrived
  :data:`HEADERS_S` seconds after it opened (or after its previous response): half-sent
  requests no longer hold sockets open for ever.
"""
from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

from ivr.logs import get_logger
from ivr.settings import Settings

HEADERS_S = 10.0
KEEP_ALIVE_S = 5
MAX_HEADER_BYTES = 16 * 1024
log = get_logger("ivr.web")


class DeadlineH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers."""

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(HEADERS_S, self._late)

    def _late(self) -> None:
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting and not self.transport.is_closing():
            log.info("web.headers_too_slow", client=self.client[0] if self.client else "unknown")
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict:
    """The keyword arguments of ``uvicorn.Config`` that bound the console."""
    trusted = list(settings.trusted_proxies)
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or [],
            "limit_concurrency": settings.web_max_connections, "timeout_keep_alive": KEEP_ALIVE_S,
            "h11_max_incomplete_event_size": MAX_HEADER_BYTES, "http": DeadlineH11}
