"""Logging in and out, and the home page that sends each role to its own page."""
from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ivr.errors import LoginRefused
from ivr.store.users import User
from ivr.web import labels
from ivr.web.auth import client_address, csrf_ok, csrf_token, current_user, home_of, log_in, log_out, page, read_form
from ivr.web.render import error_page, render

MAX_NAME = 64


async def login_form(request: Request) -> Response:
    user = await current_user(request)
    if user is not None:
        return RedirectResponse(home_of(user), status_code=303)
    csrf_token(request)
    return render(request, "login.html", next=_next(request.query_params.get("next")))


async def login(request: Request) -> Response:
    form = await read_form(request)
    if not csrf_ok(request, form):
        return error_page(request, 403, message=labels.ERROR["csrf"])
    name = form.get("username", "").strip()[:MAX_NAME]
    password = form.get("password", "")
    target = _next(form.get("next"))
    console = request.app.state.console
    address = client_address(request)
    try:
        user = await run_in_threadpool(console.users.authenticate, name, password, address, console.now())
    except LoginRefused as refused:
        status = 429 if refused.wait_seconds else 401
        return render(request, "login.html", status=status, error=str(refused), username=name, next=target)
    await run_in_threadpool(log_in, request, user)
    return RedirectResponse(target or home_of(user), status_code=303)


@page()
def logout(request: Request, user: User) -> Response:
    log_out(request)
    return RedirectResponse("/login", status_code=303)


@page()
def home(request: Request, user: User) -> Response:
    return RedirectResponse(home_of(user), status_code=303)


def _next(value: str | None) -> str:
    """Only a path of this console (never another site) may be the page after logging in."""
    value = (value or "").strip()
    if value.startswith("/") and not value.startswith("//") and "\\" not in value and value != "/login":
        return value[:200]
    return ""


routes = [
    Route("/", home),
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
