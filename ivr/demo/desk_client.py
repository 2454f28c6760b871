"""The demo's agents at the console, over HTTP, the way a person's browser does it.

Each agent logs in on ``/login`` (its CSRF token from the page, the signed session cookie kept),
opens the order on ``/desk/<number>`` and posts the form, so saving goes through the same route,
the same checks and the same process step as a person's click: nothing here writes to the store.
Standard library only (urllib with a cookie jar).
"""
from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

from ivr.demo.desk_plan import DeskStep
from ivr.demo.plan import DemoError

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class DeskClient:
    """One staff member's browser session on the console at ``base_url``."""

    def __init__(self, base_url: str, timeout: float = 15.0) -> None:
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _request(self, path: str, form: dict | None = None) -> tuple[int, str, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base_url + path, data=data)
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.status, response.geturl(), response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            return err.code, err.geturl(), err.read().decode("utf-8", "replace")
        except OSError as err:
            raise DemoError(f"the console at {self.base_url} did not answer {path}: {err}") from None

    def _csrf(self, html: str, where: str) -> str:
        match = _CSRF.search(html)
        if not match:
            raise DemoError(f"the console's page {where} has no form token")
        return match.group(1)

    def log_in(self, name: str, password: str) -> None:
        _, _, page = self._request("/login")
        status, url, _ = self._request("/login", {"username": name, "password": password,
                                                   "csrf": self._csrf(page, "/login")})
        if status != 200 or "/login" in url:
            raise DemoError(f"the console refused the demo's login {name!r} (HTTP {status})")

    def complete(self, step: DeskStep) -> str:
        """Fill and save the order's form; returns the page's confirmation, DemoError otherwise."""
        path = f"/desk/{step.number}"
        status, _, page = self._request(path)
        if status != 200:
            raise DemoError(f"{path}: HTTP {status}")
        form = {"csrf": self._csrf(page, path), "category": step.category, "title": step.title,
                "description": step.description, "place": step.place, "outcome": step.outcome,
                "unit": step.unit, "article": ""}
        status, url, page = self._request(path, form)
        flash = re.search(r'<p class="flash"[^>]*>([^<]+)</p>', page)
        if status != 200 or not url.endswith("/desk") or not flash:
            alert = re.search(r'<p class="(?:alert|error)"[^>]*>([^<]+)</p>', page)
            raise DemoError(f"saving {step.number} at the desk failed (HTTP {status}): "
                            f"{alert.group(1) if alert else 'no message'}")
        return flash.group(1)
