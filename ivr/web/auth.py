"""Who is asking: the session's user, the role a page needs, the CSRF token every form carries.

Every route of the console is wrapped by :func:`page`, which in this order

1. finds the logged-in user: the signed cookie carries a session token, and the session held on
   the server (:mod:`ivr.store.console_sessions`) decides; logging out, a password change or
   disabling the user ends it there, so an old cookie opens nothing — none: to the login page;
2. checks the role — a role the page is not for gets a small 403 page, nothing else;
3. on POST, reads the form (bounded by :mod:`ivr.web.security`) and checks the CSRF token,
   from the form's hidden ``csrf`` field or htmx's ``X-CSRF-Token`` header — missing or wrong: 403;
4. runs the handler in a worker thread (store calls block; the event loop also serves calls),
   with the user as ``request.state.user``. The actor of every step is that user, never a field.
"""
from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ivr.core.staff import Role
from ivr.store.users import User
from ivr.web import labels
from ivr.web.render import error_page

CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
HOME = {Role.AGENT: "/desk", Role.SUPERVISOR: "/wallboard", Role.AUDITOR: "/recordings", Role.ADMIN: "/orders"}

Handler = Callable[[Request, User], Response]


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (an anonymous login form has one too)."""
    session = request.session
    if not session.get("csrf"):
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


async def read_form(request: Request) -> dict[str, str]:
    """The posted form as text fields (bounded: 50 fields, no files)."""
    async with request.form(max_files=0, max_fields=50) as form:
        return {k: v for k, v in form.items() if isinstance(v, str)}


def csrf_ok(request: Request, form: dict[str, str]) -> bool:
    expected = (request.scope.get("session") or {}).get("csrf")
    given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD) or ""
    return bool(expected) and hmac.compare_digest(str(expected), given)


async def current_user(request: Request) -> User | None:
    session = request.scope.get("session") or {}
    token = session.get("sid")
    if not isinstance(token, str):
        return None
    console = request.app.state.console
    user = await run_in_threadpool(console.users.session_user, token, console.now())
    if user is None:
        session.clear()  # logged out, expired, disabled, or the password changed: this session is over
    return user


def client_address(request: Request) -> str:
    """The address of the person asking: the peer's, or the one a trusted proxy forwarded
    (uvicorn honours ``X-Forwarded-For`` only from ``IVR_TRUSTED_PROXIES``)."""
    return request.client.host if request.client else "unknown"


def page(*roles: Role) -> Callable[[Handler], Callable]:
    """Wrap a sync handler ``(request, user) -> Response`` with login, role and CSRF checks."""
    def wrap(handler: Handler) -> Callable:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            user = await current_user(request)
            if user is None:
                return to_login(request)
            request.state.user = user
            if roles and user.role not in roles:
                return error_page(request, 403, role=labels.ROLE[user.role.value])
            request.state.form = {}
            if request.method == "POST":
                form = await read_form(request)
                if not csrf_ok(request, form):
                    return error_page(request, 403, message=labels.ERROR["csrf"])
                request.state.form = form
            return await run_in_threadpool(handler, request, user)
        return endpoint
    return wrap


def to_login(request: Request) -> Response:
    """To the login page, coming back here afterwards (htmx follows HX-Redirect)."""
    target = "/login?next=" + quote(request.url.path)
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def log_in(request: Request, user: User) -> None:
    """A fresh session for ``user``, held on the server (a new CSRF token: nothing from before the
    login carries over). Blocks on the database: call it from a worker thread."""
    console = request.app.state.console
    token = console.users.sessions.open(user.name, user.session_epoch, client_address(request), console.now())
    request.session.clear()
    request.session.update({"sid": token, "user": user.name, "csrf": secrets.token_urlsafe(32)})


def log_out(request: Request) -> None:
    """End this session on the server and forget the cookie (blocks: a worker thread)."""
    token = request.session.get("sid")
    if isinstance(token, str):
        console = request.app.state.console
        console.users.sessions.end(token, console.now(), "logout")
    request.session.clear()


def home_of(user: User) -> str:
    return HOME[user.role]
