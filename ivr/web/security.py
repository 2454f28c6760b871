"""Response headers every page carries, and the limit on a request's body.

* Content-Security-Policy: scripts and styles only from the console's own static files (no
  inline script can run, so text that slipped past escaping still cannot execute), no framing,
  forms post only to the console.
* ``Cache-Control: no-store`` on every response but the static files: nearly every page carries
  a citizen's number, words or recording, none may be kept on a shared desk's disk, and after
  logging out the browser's Back must ask the server again (which sends it to the login page).
* A request body larger than :data:`MAX_BODY` is refused with 413 before it is read whole; each
  form field has its own, smaller limit, checked with a message next to the field.
"""
from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 2 * 1024 * 1024  # bytes: a 1 MB pasted description is read and answered field by field
MAX_BODY_WORDS = "2 MB"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class BodyTooLarge(Exception):
    """The request's body passed :data:`MAX_BODY` while it was being read."""


class Guard:
    """ASGI middleware: security headers on every response; refuse oversized bodies."""

    def __init__(self, app: ASGIApp, too_large: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app, self.too_large, self.max_body = app, too_large, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        personal = not str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                known = {name.lower() for name, _ in message.get("headers", [])}
                extra = HEADERS + ([(b"cache-control", b"no-store")] if personal else [])
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in extra if name not in known]
            await send(message)

        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await self.too_large(scope, receive, send_with_headers)
            return
        seen = 0

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge()
            return message

        await self.app(scope, counted_receive, send_with_headers)
