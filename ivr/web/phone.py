"""``GET /phone``: the agent's browser as the phone (WebRTC), for agents whose phone
``trunks/phones.yaml`` lists under ``webrtc``.

The page registers over the console's own WebSocket, ``/phone/ws`` (:mod:`ivr.web.phone_relay`:
the page's Origin and the agent's session checked, then relayed to Asterisk's HTTP server on
loopback), SIP over WebSocket with media DTLS-SRTP, with the agent's deploy-time SIP password: it
is handed only to the logged-in agent bound to that phone, in a page that is never cached. The
page's Content-Security-Policy names that one WebSocket address beside the console's own.
"""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.asterisk.phones import load_phones
from ivr.asterisk.secrets import load as load_secrets
from ivr.asterisk.secrets import secrets_path
from ivr.asterisk.service import trunks_dir
from ivr.asterisk.site import load_site
from ivr.core.staff import Role
from ivr.store.users import User
from ivr.web import labels, phone_relay
from ivr.web.auth import page
from ivr.web.render import render
from ivr.web.security import CSP

STATES = ("connecting", "registered", "ringing", "in_call", "offline", "error")


def browser_phone(console, user: User, secure: bool, host: str) -> dict | None:
    """What the page needs to register ``user``'s phone, or None if it is not a browser phone.
    ``host`` is the console's address as the browser reached it (the WebSocket is the console's)."""
    phones = load_phones(trunks_dir())
    if not user.phone or user.phone not in phones.webrtc:
        return None
    site = load_site(trunks_dir(), set(console.rules.agents))
    password = load_secrets(secrets_path(console.settings.data_dir)).agent_passwords.get(user.phone)
    if not password:
        return None
    return {"ws": f"{'wss' if secure else 'ws'}://{host}/phone/ws", "user": user.phone,
            "domain": site.sip_bind, "password": password}


@page(Role.AGENT)
def phone_page(request: Request, user: User) -> Response:
    console = request.app.state.console
    phone = browser_phone(console, user, request.url.scheme == "https", request.url.netloc)
    words = {state: labels.PHONE_STATE[state] for state in STATES}
    response = render(request, "phone.html", phone=phone, words=words)
    response.headers["cache-control"] = "no-store"
    if phone:
        response.headers["content-security-policy"] = CSP.replace(
            "connect-src 'self'", f"connect-src 'self' {phone['ws']}")
    return response


routes = [Route("/phone", phone_page, methods=["GET"]), *phone_relay.routes]
