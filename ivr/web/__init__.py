"""The staff web console (Starlette + Jinja2 + htmx + server-sent events, served by uvicorn).

    app.py        build_app(), serve_web(): the ASGI app, and serving it in a running loop
    session.py    signed session cookies and their deploy-time secret
    security.py   security headers (CSP), request body limit
    auth.py       the logged-in user, roles per page, CSRF on every POST
    login.py      log in / log out, home page per role
    desk.py       the agent's desk and the work-order form
    desk_kb.py    the knowledge base on the desk
    order_form.py the form's checks (pure)
    orders.py     orders for supervisors, auditors and admins (read-only)
    admin_rules.py  the admin's routing rules: edit, check, diff, preview, apply, history, roll back
    following.py  the console follows routing_rules.yaml like every part (departments, calendar)
    hub.py        in-process publish/subscribe of live events, per agent or user
    events.py     the server-sent event stream of each page
    render.py     templates and error pages;  labels.py  every word shown, in Chinese
"""
from __future__ import annotations

from ivr.web.app import build_app, serve_web
from ivr.web.hub import EventHub, LiveEvent

__all__ = ["EventHub", "LiveEvent", "build_app", "serve_web"]
