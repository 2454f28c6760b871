"""Sessions held on the server: an old cookie opens nothing after logout, and no page with
personal data is kept by the browser (``Cache-Control: no-store``)."""
from __future__ import annotations

from starlette.testclient import TestClient

from web.helpers import NOW, answered, csrf_of, log_in


def test_the_cookie_from_before_logout_opens_nothing(client, app):
    log_in(client, "li")
    stolen = {"cookie": f"ivr_session={client.cookies.get('ivr_session')}"}
    with TestClient(app) as other:
        assert other.get("/desk", headers=stolen, follow_redirects=False).status_code == 200
        client.post("/logout", data={"csrf": csrf_of(client.get("/desk").text)})
        for path in ("/desk", "/phone"):
            response = other.get(path, headers=stolen, follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_password_change_ends_the_session_held_on_the_server(client, users):
    log_in(client, "li")
    assert client.get("/desk").status_code == 200
    users.set_password("li", "another long password", NOW)
    assert client.get("/desk", follow_redirects=False).status_code == 303


def test_every_page_with_personal_data_is_not_stored(client, store):
    number = answered(store).number
    log_in(client, "li")
    for path in ("/desk", f"/desk/{number}", "/login"):
        response = client.get(path)
        assert response.headers["cache-control"] == "no-store", path
    client.post("/logout", data={"csrf": csrf_of(client.get("/desk").text)})
    log_in(client, "wang")
    for path in ("/orders", f"/orders/{number}", "/wallboard"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store", path
    assert "no-store" not in client.get("/static/console.css").headers.get("cache-control", "")


def test_the_named_person_logs_in_from_their_desk_while_a_stranger_is_slowed(app):
    with TestClient(app, client=("10.0.0.7", 5000)) as desk:
        assert log_in(desk, "li").status_code == 303
    with TestClient(app, client=("10.6.6.6", 5000)) as stranger:
        for _ in range(8):
            log_in(stranger, "li", "wrong password!")
        assert log_in(stranger, "li", "wrong password!").status_code == 429
    with TestClient(app, client=("10.0.0.7", 5001)) as desk:
        assert log_in(desk, "li").status_code == 303
