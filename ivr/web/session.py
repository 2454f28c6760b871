"""Signed session cookies, and the secret that signs them.

The cookie holds a small JSON mapping (the user's name, the account's session epoch, the CSRF
token) signed with itsdangerous; it is ``HttpOnly``, ``SameSite=Lax``, and ``Secure`` whenever
the request came over https (uvicorn reports the scheme; behind a TLS proxy, run uvicorn with
its proxy headers trusted). A cookie older than :data:`MAX_AGE` or signed with another secret
is ignored, which logs the user out.

The secret is generated at deploy time into ``<data_dir>/secrets/web-session.key`` (mode 0600,
never committed) and reused, so a restart does not log everybody out.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ivr.asterisk.secrets import write_private
from ivr import data_folder

COOKIE = "ivr_session"
MAX_AGE = 12 * 3600  # one long shift


def secret_path(data_dir: Path, name: str = "web-session.key") -> Path:
    return data_folder.secrets(data_dir) / name


def load_or_create_secret(data_dir: Path, name: str = "web-session.key") -> str:
    """The console's signing secret (or another of its secrets: ``name``), created (0600, folder
    0700) on first use."""
    path = secret_path(data_dir, name)
    if path.exists():
        text = path.read_text(encoding="utf-8").strip()
        if len(text) >= 32:
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
            return text
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    text = secrets.token_urlsafe(48)
    write_private(path, text + "\n")
    return text


class SessionCookies:
    """ASGI middleware putting the signed session mapping in ``scope["session"]``."""

    def __init__(self, app: ASGIApp, secret: str, max_age: int = MAX_AGE) -> None:
        self.app = app
        self.max_age = max_age
        self.signer = URLSafeTimedSerializer(secret, salt="ivr-web-session")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        session = self._load(connection.cookies.get(COOKIE))
        scope["session"] = session
        before = json.dumps(session, sort_keys=True)
        secure = scope.get("scheme") in ("https", "wss")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                after = json.dumps(scope["session"], sort_keys=True)
                if after != before:
                    headers = MutableHeaders(scope=message)
                    headers.append("Set-Cookie", self._cookie(scope["session"], secure))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _load(self, value: str | None) -> dict:
        if not value:
            return {}
        try:
            data = self.signer.loads(value, max_age=self.max_age)
        except BadSignature:
            return {}
        return data if isinstance(data, dict) else {}

    def _cookie(self, session: dict, secure: bool) -> str:
        flags = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
        if not session:
            return f"{COOKIE}=; Max-Age=0{flags}"
        return f"{COOKIE}={self.signer.dumps(session)}; Max-Age={self.max_age}{flags}"
