"""Logging in and out, roles, CSRF, the session cookie, and a disabled user's live session."""
from __future__ import annotations

from web.helpers import NOW, PASSWORD, answered, csrf_of, log_in


def test_not_logged_in_goes_to_the_login_page(client):
    response = client.get("/desk", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/desk"


def test_an_agent_logs_in_to_the_desk_with_a_hardened_cookie(client):
    response = log_in(client, "li")
    assert response.status_code == 303 and response.headers["location"] == "/desk"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = client.get("/desk")
    assert page.status_code == 200 and "li" in page.text and "坐席" in page.text


def test_the_cookie_is_secure_over_https(app):
    from starlette.testclient import TestClient
    with TestClient(app, base_url="https://testserver") as secure:
        assert "Secure" in log_in(secure, "li").headers["set-cookie"]


def test_a_wrong_password_is_refused_in_the_same_words_as_an_unknown_name(client):
    for name, password in (("li", "wrong password!"), ("nobody", PASSWORD)):
        response = log_in(client, name, password)
        assert response.status_code == 401 and "登录名或密码不正确" in response.text
    assert client.get("/desk", follow_redirects=False).status_code == 303


def test_failed_logins_are_throttled(client):
    for _ in range(5):
        log_in(client, "li", "wrong password!")
    response = log_in(client, "li")
    assert response.status_code == 429 and "秒后再试" in response.text


def test_a_post_without_the_csrf_token_is_refused(client, store):
    log_in(client, "li")
    number = answered(store).number
    response = client.post(f"/desk/{number}", data={"title": "x"})
    assert response.status_code == 403 and "页面已过期" in response.text
    response = client.post(f"/desk/{number}", data={"title": "x", "csrf": "forged"})
    assert response.status_code == 403
    assert client.post("/login", data={"username": "li", "password": PASSWORD}).status_code == 403


def test_a_role_gets_403_on_a_page_it_may_not_see(client, store):
    number = answered(store).number
    log_in(client, "li")
    response = client.get(f"/orders/{number}")
    assert response.status_code == 403 and "没有权限" in response.text and "</html>" in response.text
    client.post("/logout", data={"csrf": csrf_of(client.get("/desk").text)})
    log_in(client, "wang")
    assert client.get("/desk").status_code == 403
    assert client.get(f"/orders/{number}").status_code == 200


def test_an_agent_cannot_open_another_agents_order(client, store):
    number = answered(store, agent="agent2").number
    log_in(client, "li")
    assert client.get(f"/desk/{number}").status_code == 403


def test_logout_ends_the_session(client):
    log_in(client, "li")
    token = csrf_of(client.get("/desk").text)
    assert client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert client.get("/desk", follow_redirects=False).status_code == 303


def test_a_disabled_users_live_session_stops_working(client, users):
    log_in(client, "li")
    assert client.get("/desk").status_code == 200
    users.disable("li")
    assert client.get("/desk", follow_redirects=False).headers["location"].startswith("/login")


def test_a_password_change_ends_other_sessions(client, users):
    log_in(client, "li")
    users.set_password("li", "another long password", NOW)
    assert client.get("/desk", follow_redirects=False).status_code == 303


def test_the_next_page_after_login_stays_on_this_site(client):
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": "wang", "password": PASSWORD, "csrf": token,
                                           "next": "//evil.example/x"}, follow_redirects=False)
    assert response.headers["location"] == "/wallboard"  # the supervisor's home, not the other site


def test_every_page_carries_a_csp_that_forbids_inline_scripts(client):
    csp = client.get("/login").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp

